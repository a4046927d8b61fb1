import { GraphError, type Client, type GraphRequest } from '@microsoft/microsoft-graph-client';
import { DirectoryError, directoryErrorFor, TRANSIENT_STATUSES } from './directoryError';
import { directoryErrorOfCall } from './graphCallError';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_RETRY_POLICY, longestRetryAfter, parseRetryAfterMs, retryDelayMs, type RetryPolicy } from './retryPolicy';
import { deferredCall, defersThrottling, deferUntil } from './throttleDeferral';
import { TimeBudget } from './timeBudget';
import { LONGEST_CHUNK_WAIT_MS } from '../domain/writeBudget';
import type { WriteTokens } from './writeTokens';

/** Graph answers at most 20 requests in one `$batch`. */
export const BATCH_REQUEST_LIMIT = 20;

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
  /**
   * Set when the request got no answer of its own: it was never sent, or its `$batch` failed as a whole. `status`
   * is then 503 for a transient error and 500 for any other, so no caller reads it as Graph's answer.
   */
  error?: DirectoryError;
}

export interface GraphTransportOptions {
  client: Client;
  /** Graph's origin, for example https://graph.microsoft.com; links are only ever followed on it. */
  baseUrl: string;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** The tenant-wide budget of directory writes every instance shares; without it, writes are not budgeted. */
  writeTokens?: WriteTokens;
}

/**
 * A queue function waits this long at most for write tokens; a longer wait defers its message instead. As long as
 * a wait for a whole chunk may be, so only a budget with no token for its own writes within it defers.
 */
const LONGEST_DEFERRING_WAIT_MS = LONGEST_CHUNK_WAIT_MS;
/** What a queue function waits for when Graph throttles without saying how long (Graph advises backing off). */
const UNSAID_RETRY_AFTER_MS = 5_000;

/**
 * Calls to Graph through `@microsoft/microsoft-graph-client`, with one retry discipline for single calls and for
 * the requests inside a `$batch`, a timeout on every request, and Graph errors turned into `DirectoryError`s.
 * Every write (any method but GET, each one inside a `$batch` too) first takes a token of the tenant-wide write
 * budget. In a queue function (throttleDeferral.ts) a 429, or a budget spent for longer than a moment, is not
 * waited out: the call throws GraphThrottled, and the function's message comes back after the wait.
 */
export class GraphTransport {
  readonly #client: Client;
  readonly #baseUrl: string;
  readonly #retry: RetryPolicy;
  readonly #requestTimeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #writeTokens: WriteTokens | undefined;

  constructor(options: GraphTransportOptions) {
    this.#client = options.client;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.#requestTimeoutMs = this.#retry.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
    this.#writeTokens = options.writeTokens;
  }

  /** A time budget for one operation; pass it to every `batch` of that operation. */
  budget(): TimeBudget {
    return new TimeBudget(this.#retry.maxElapsedMs, this.#now);
  }

  /** The URL Graph expects in `@odata.id` and `members@odata.bind` for a directory object. */
  directoryObjectUrl(id: string): string {
    return `${this.#baseUrl}/v1.0/directoryObjects/${encodeURIComponent(id)}`;
  }

  get<T>(path: string): Promise<T> {
    return this.#withRetry(this.budget(), () => this.#request(path).get() as Promise<T>);
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
    return this.#withRetry(
      this.budget(),
      () => {
        const request = this.#request(path);
        if (method === 'POST') return request.post(body) as Promise<T>;
        if (method === 'PATCH') return request.patch(body) as Promise<T>;
        return request.delete() as Promise<T>;
      },
      1,
    );
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
   * Sends any number of requests in `$batch`es of 20. Requests Graph answers with 429, 503 or 504 are sent again in
   * a new batch after the longest `Retry-After` among them, within the retry policy and the operation's time
   * budget. A `$batch` that fails as a whole is retried as a single call within the same budget, and then its
   * requests come back with its error; a request whose turn comes after the budget ran out comes back as a
   * transient failure. Outcomes come back in the order of `steps`.
   */
  async batch(steps: readonly BatchStep[], budget: TimeBudget = this.budget()): Promise<BatchOutcome[]> {
    const outcomes: BatchOutcome[] = [];
    let pending = steps.map((_, index) => index);
    for (let round = 1; ; round++) {
      for (let first = 0; first < pending.length; first += BATCH_REQUEST_LIMIT) {
        const indexes = pending.slice(first, first + BATCH_REQUEST_LIMIT);
        const answers = await this.#sendBatch(indexes, steps, budget);
        indexes.forEach((index, position) => (outcomes[index] = answers[position]!));
      }
      pending = pending.filter((index) => isAnsweredTransient(outcomes[index]!));
      if (defersThrottling()) pending = this.#deferThrottled(pending, outcomes);
      if (pending.length === 0) return outcomes;
      const retryAfter = longestRetryAfter(pending.map((index) => outcomes[index]!.headers['retry-after']), this.#now);
      const delay = retryDelayMs(this.#retry, round, budget.elapsedMs(), retryAfter, this.#now);
      if (delay === undefined) return outcomes;
      await this.#sleep(delay);
    }
  }

  /**
   * In a queue function, the requests Graph answered 429 are not sent again here: the invocation is deferred until
   * the longest Retry-After among them, and they come back as GraphThrottled. The others still pending are left.
   */
  #deferThrottled(pending: readonly number[], outcomes: BatchOutcome[]): number[] {
    const throttled = pending.filter((index) => outcomes[index]!.status === 429);
    if (throttled.length === 0) return [...pending];
    const asked = parseRetryAfterMs(longestRetryAfter(throttled.map((index) => outcomes[index]!.headers['retry-after']), this.#now), this.#now);
    const deferred = deferUntil(this.#now() + (asked ?? UNSAID_RETRY_AFTER_MS), `Graph answered 429 to ${throttled.length} request(s) of a $batch.`);
    for (const index of throttled) outcomes[index] = unanswered(deferred);
    return pending.filter((index) => !throttled.includes(index));
  }

  /** One `$batch` of the steps at `indexes`: each request's own answer, or the reason it got none. */
  async #sendBatch(indexes: readonly number[], steps: readonly BatchStep[], budget: TimeBudget): Promise<BatchOutcome[]> {
    const deferred = deferredCall();
    if (deferred) return indexes.map(() => unanswered(deferred));
    if (!budget.allowsRequest()) {
      const seconds = budget.totalMs / 1000;
      const notSent = new DirectoryError('transient', `Not sent: the operation used up its time budget of ${seconds} s before this request's turn.`, {
        status: 503,
      });
      return indexes.map(() => unanswered(notSent));
    }
    const requests = indexes.map((index) => toBatchRequest(String(index), steps[index]!));
    const writes = indexes.filter((index) => steps[index]!.method !== 'GET').length;
    let answer: { responses?: BatchResponse[] };
    try {
      answer = await this.#withRetry(budget, () => this.#request('/$batch').post({ requests }) as Promise<{ responses?: BatchResponse[] }>, writes);
    } catch (error) {
      if (!(error instanceof DirectoryError)) throw error;
      return indexes.map(() => unanswered(error));
    }
    const responses = new Map((answer.responses ?? []).map((response) => [response.id, response]));
    const leftOut = new DirectoryError('transient', "Graph's $batch answer left this request out.", { status: 502 });
    return indexes.map((index) => {
      const response = responses.get(String(index));
      return response ? { status: response.status, body: response.body, headers: lowerCaseKeys(response.headers) } : unanswered(leftOut);
    });
  }

  /** A request with its own timeout; a fresh one for every attempt. */
  #request(path: string): GraphRequest {
    return this.#client.api(path).option('signal', AbortSignal.timeout(this.#requestTimeoutMs));
  }

  /**
   * One call, with its retries; `writes` is how many directory writes each attempt makes (a `$batch` envelope
   * itself is none), each taken from the write budget before the attempt.
   */
  async #withRetry<T>(budget: TimeBudget, call: () => Promise<T>, writes = 0): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const deferred = deferredCall();
      if (deferred) throw deferred;
      await this.#takeWriteTokens(writes, budget);
      try {
        budget.requestStarted();
        return await call();
      } catch (thrown) {
        const error = directoryErrorOfCall(thrown, this.#requestTimeoutMs);
        if (error.kind !== 'transient') throw error;
        const retryAfter = thrown instanceof GraphError ? thrown.headers?.get('retry-after') : undefined;
        if (error.details.status === 429 && defersThrottling()) {
          throw deferUntil(this.#now() + (parseRetryAfterMs(retryAfter, this.#now) ?? UNSAID_RETRY_AFTER_MS), error.message);
        }
        const delay = retryDelayMs(this.#retry, attempt, budget.elapsedMs(), retryAfter, this.#now);
        if (delay === undefined) throw error;
        await this.#sleep(delay);
      }
    }
  }

  /**
   * Takes `count` tokens of the write budget, waiting for them within the operation's time budget; in a queue
   * function, a wait longer than a moment defers the invocation instead.
   */
  async #takeWriteTokens(count: number, budget: TimeBudget): Promise<void> {
    if (!this.#writeTokens || count === 0) return;
    for (;;) {
      let waitMs: number;
      try {
        waitMs = await this.#writeTokens.take(count);
      } catch (error) {
        throw new DirectoryError('transient', `The Graph write budget could not be read from storage: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (waitMs === 0) return;
      if (defersThrottling() && waitMs > LONGEST_DEFERRING_WAIT_MS) {
        throw deferUntil(this.#now() + waitMs, `the tenant's Graph write budget refills in ${waitMs} ms.`);
      }
      if (!defersThrottling() && budget.elapsedMs() + waitMs > budget.totalMs) {
        throw new DirectoryError('transient', `The tenant's Graph write budget is spent; it refills in ${waitMs} ms, past this operation's time budget.`, { status: 429 });
      }
      await this.#sleep(waitMs);
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

/**
 * A request Graph itself answered with 429, 503 or 504: worth sending again. One whose `$batch` failed as a whole
 * is not, as that `$batch` was already retried as a single call.
 */
const isAnsweredTransient = (outcome: BatchOutcome) => outcome.error === undefined && TRANSIENT_STATUSES.has(outcome.status);

function unanswered(error: DirectoryError): BatchOutcome {
  return { status: error.kind === 'transient' ? 503 : 500, body: undefined, headers: {}, error };
}

/** The error of a batch outcome, in the same terms as a single call's. */
export function outcomeError(outcome: BatchOutcome): DirectoryError {
  if (outcome.error) return outcome.error;
  const error = (outcome.body as { error?: { code?: string; message?: string; innerError?: { 'request-id'?: string } } })?.error;
  return directoryErrorFor(
    outcome.status,
    error?.code,
    error?.message ?? `Graph answered ${outcome.status}.`,
    error?.innerError?.['request-id'] ?? outcome.headers['request-id'],
  );
}

function lowerCaseKeys(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}
