import { doublingWaitMs } from '../domain/doublingWait';

/**
 * When to try a throttled or failed Graph call again. Graph asks callers to wait the `Retry-After` it sends; without
 * one we back off exponentially with jitter. Both the number of attempts and the total time are bounded, so a long
 * outage fails the call (and delivery retries later) instead of holding a function past its timeout.
 */
export interface RetryPolicy {
  maxAttempts: number;
  /** The time one operation may take from its start, every retry and every `$batch` of it included. */
  maxElapsedMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long one HTTP request may go unanswered before it is abandoned, as a transient failure; default 30 s. */
  requestTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  maxElapsedMs: 120_000,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
};

/**
 * The delay before attempt `attempt + 1`, or `undefined` when no attempt is left within the policy.
 * `attempt` counts from 1; `retryAfter` is the header's value, in seconds or as an HTTP date.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  elapsedMs: number,
  retryAfter: string | null | undefined,
  now: () => number = Date.now,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const asked = parseRetryAfterMs(retryAfter, now);
  const delay = asked ?? doublingWaitMs(attempt, policy.baseDelayMs, policy.maxDelayMs) * (0.5 + random() / 2);
  return elapsedMs + delay > policy.maxElapsedMs ? undefined : Math.round(delay);
}

export function parseRetryAfterMs(value: string | null | undefined, now: () => number = Date.now): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

/** Of several `Retry-After` values (seconds or HTTP dates, alike), the one that asks for the longest wait. */
export function longestRetryAfter(values: ReadonlyArray<string | undefined>, now: () => number = Date.now): string | undefined {
  let longest: { value: string; ms: number } | undefined;
  for (const value of values) {
    const ms = parseRetryAfterMs(value, now);
    if (value !== undefined && ms !== undefined && (longest === undefined || ms > longest.ms)) longest = { value, ms };
  }
  return longest?.value;
}
