import { GraphError } from '@microsoft/microsoft-graph-client';
import { DirectoryError, directoryErrorFor } from './directoryError';

/**
 * The names of `@azure/identity`'s errors for a credential that cannot get a token. The Graph client wraps such an
 * error in a GraphError with no HTTP status (-1) and the error's name as its `code`.
 */
const CREDENTIAL_FAILURES: ReadonlySet<string> = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AuthenticationRequiredError',
  'AggregateAuthenticationError',
]);

/** What `AbortSignal.timeout` rejects a request with. */
const TIMED_OUT = 'TimeoutError';

/**
 * A failed call to Graph as a DirectoryError. An answer from Graph keeps its status, code and request id. A call
 * that got no answer is transient (the network, a timeout), except when the credentials failed: retrying cannot
 * mend those, and they must not pass for an outage of Graph.
 */
export function directoryErrorOfCall(thrown: unknown, requestTimeoutMs: number): DirectoryError {
  if (thrown instanceof DirectoryError) return thrown;
  if (thrown instanceof GraphError && thrown.statusCode > 0) {
    return directoryErrorFor(thrown.statusCode, thrown.code ?? undefined, thrown.message, thrown.requestId ?? undefined);
  }
  const { cause, message } = unansweredCause(thrown);
  if (cause !== undefined && CREDENTIAL_FAILURES.has(cause)) {
    return new DirectoryError('permanent', `The credentials failed to get a token for Graph, so Graph was not called (${cause}: ${message})`);
  }
  if (cause === TIMED_OUT) return new DirectoryError('transient', `Graph did not answer within ${requestTimeoutMs} ms.`);
  return new DirectoryError('transient', `Graph could not be reached: ${message}`);
}

/**
 * What kept a call from getting an answer. The Graph client wraps the error it caught in a GraphError: the error's
 * name as `code` and its message when `instanceof Error` holds, else the error itself as `body` (fetch's
 * DOMException, from another realm under Jest).
 */
function unansweredCause(thrown: unknown): { cause: string | undefined; message: string } {
  const wrapped = thrown instanceof GraphError ? (thrown.code === null ? thrown.body : undefined) : thrown;
  if (typeof wrapped === 'object' && wrapped !== null && 'name' in wrapped && typeof wrapped.name === 'string') {
    return { cause: wrapped.name, message: 'message' in wrapped && typeof wrapped.message === 'string' ? wrapped.message : '' };
  }
  if (thrown instanceof GraphError) return { cause: thrown.code ?? undefined, message: thrown.message };
  return { cause: undefined, message: String(thrown) };
}
