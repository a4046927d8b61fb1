import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { DirectoryError, directoryErrorFor, TRANSIENT_STATUSES } from './directoryError';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retryPolicy';

/** Graph answers at most 20 requests in one `$batch`. */
export const BATCH_LIMIT = 20;

export interface BatchStep {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the version, for example `/groups/{id}`. */
  url: string;
  body?: unknown;
}

export interface BatchOutcome {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface GraphTransportOptions {
  client: Client;
  /** Graph's origin, for example https://graph.microsoft.com; links are only ever followed on it. */
  baseUrl: string;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Calls to Graph through `@microsoft/microsoft-graph-client`, with one retry discipline for single calls and for
 * the requests inside a `$batch`, and Graph errors turned into `DirectoryError`s.
 */
export class GraphTransport {
  readonly #client: Client;
  readonly #baseUrl: string;
  readonly #retry: RetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: GraphTransportOptions) {
    this.#client = options.client;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The URL Graph expects in `@odata.id` and `members@odata.bind` for a directory object. */
  directoryObjectUrl(id: string): string {
    return `${this.#baseUrl}/v1.0/directoryObjects/${encodeURIComponent(id)}`;
  }

  get<T>(path: string): Promise<T> {
    return this.#withRetry(() => this.#client.api(path).get() as Promise<T>);
  }

  /** A GET whose 404 means "there is none". */
  async find<T>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof DirectoryError && error.kind === 'notFound') return undefined;
      throw error;
    }
  }

  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.#withRetry(() => {
      const request = this.#client.api(path);
      if (method === 'POST') return request.post(body) as Promise<T>;
      if (method === 'PATCH') return request.patch(body) as Promise<T>;
      return request.delete() as Promise<T>;
    });
  }

  /**
   * The path of a `@odata.nextLink` or `@odata.deltaLink`, relative to the version. Only the path and query are
   * kept, so a link can never send our token to another host.
   */
  linkPath(link: string): string {
    const url = new URL(link, `${this.#baseUrl}/v1.0/`);
    return `${url.pathname.replace(/^\/v1\.0(?=\/)/, '')}${url.search}`;
  }

  /**
   * Sends any number of requests in `$batch`es of 20. Requests that fail with 429, 503 or 504 are sent again in a
   * new batch after the longest `Retry-After` among them, within the retry policy; what still fails is returned
   * with its status. Outcomes come back in the order of `steps`.
   */
  async batch(steps: readonly BatchStep[]): Promise<BatchOutcome[]> {
    const outcomes: BatchOutcome[] = [];
    let pending = steps.map((_, index) => index);
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      for (let first = 0; first < pending.length; first += BATCH_LIMIT) {
        const chunk = pending.slice(first, first + BATCH_LIMIT);
        const requests = chunk.map((index) => toBatchRequest(String(index), steps[index]!));
        const answer = await this.send<{ responses?: BatchResponse[] }>('POST', '/$batch', { requests });
        for (const response of answer.responses ?? []) {
          outcomes[Number(response.id)] = { status: response.status, body: response.body, headers: lowerCaseKeys(response.headers) };
        }
        for (const index of chunk) {
          outcomes[index] ??= { status: 502, body: { error: { message: 'The batch answer left this request out.' } }, headers: {} };
        }
      }
      pending = pending.filter((index) => TRANSIENT_STATUSES.has(outcomes[index]!.status));
      if (pending.length === 0) return outcomes;
      const longestRetryAfter = pending
        .map((index) => outcomes[index]!.headers['retry-after'])
        .reduce<string | undefined>((longest, value) => (Number(value ?? 0) > Number(longest ?? -1) ? value : longest), undefined);
      const delay = retryDelayMs(this.#retry, attempt, Date.now() - started, longestRetryAfter);
      if (delay === undefined) return outcomes;
      await this.#sleep(delay);
    }
  }

  async #withRetry<T>(call: () => Promise<T>): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (thrown) {
        const error = toDirectoryError(thrown);
        if (error.kind !== 'transient') throw error;
        const retryAfter = thrown instanceof GraphError ? thrown.headers?.get('retry-after') : undefined;
        const delay = retryDelayMs(this.#retry, attempt, Date.now() - started, retryAfter);
        if (delay === undefined) throw error;
        await this.#sleep(delay);
      }
    }
  }
}

interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

function toBatchRequest(id: string, step: BatchStep) {
  return step.body === undefined
    ? { id, method: step.method, url: step.url }
    : { id, method: step.method, url: step.url, headers: { 'Content-Type': 'application/json' }, body: step.body };
}

/** The error of a batch outcome, in the same terms as a single call's. */
export function outcomeError(outcome: BatchOutcome): DirectoryError {
  const error = (outcome.body as { error?: { code?: string; message?: string; innerError?: { 'request-id'?: string } } })?.error;
  return directoryErrorFor(
    outcome.status,
    error?.code,
    error?.message ?? `Graph answered ${outcome.status}.`,
    error?.innerError?.['request-id'] ?? outcome.headers['request-id'],
  );
}

function toDirectoryError(error: unknown): DirectoryError {
  if (error instanceof DirectoryError) return error;
  if (error instanceof GraphError) {
    return directoryErrorFor(error.statusCode, error.code ?? undefined, error.message, error.requestId ?? undefined);
  }
  return new DirectoryError('transient', `Graph could not be reached: ${error instanceof Error ? error.message : String(error)}`);
}

function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}
