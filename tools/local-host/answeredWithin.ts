/**
 * A storage call that must answer within `timeoutMs`: one that does not (a connection that never answers) is
 * abandoned through the abort signal it is given, and counts as a transient failure: it is made again, up to `tries`
 * in all, as the SDK's retry policy makes again a call whose connection was reset or that was answered 500 or 503
 * (those it retries itself, within the same time). The SDK's own `tryTimeoutInMs` does not do this: it only asks the
 * server to give up (the request's `timeout` parameter), which a connection that never answers does not hear, and
 * its retry policy does not retry an aborted try.
 */
export async function answeredWithin<T>(timeoutMs: number, tries: number, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const abortSignal = AbortSignal.timeout(timeoutMs);
    try {
      return await call(abortSignal);
    } catch (error) {
      if (!abortSignal.aborted) throw error;
      if (attempt >= tries) throw new Error(`Storage did not answer within ${timeoutMs} ms (${tries} ${tries === 1 ? 'try' : 'tries'}).`, { cause: error });
    }
  }
}
