import type { Clock } from '../../domain/clock';
import { DomainError } from '../../domain/errors';
import { TokenBuckets } from '../../domain/tokenBucket';

/**
 * A preview reads every user of the directory, so each worker lets one caller run a few at once and then one every
 * 12 seconds, and runs at most two at a time for everyone together. The state is in memory, per worker: with N
 * workers a caller gets at most N times this, which still bounds the directory reads a caller causes.
 */
export const PREVIEW_LIMITS = { capacity: 5, refillMs: 12_000, maxKeys: 10_000 } as const;
export const PREVIEWS_AT_ONCE = 2;

const buckets = new TokenBuckets(PREVIEW_LIMITS);
let running = 0;

/** Runs one preview for the caller within the limits, or refuses it with 429 and when to try again. */
export async function withinPreviewLimits<T>(callerId: string, clock: Clock, preview: () => Promise<T>): Promise<T> {
  if (running >= PREVIEWS_AT_ONCE) {
    throw new DomainError('tooManyRequests', 'Too many previews are running; try again in a few seconds.', { retryAfterSeconds: 5 });
  }
  const taken = buckets.take(callerId.toLowerCase(), clock.now().toMillis());
  if (!taken.allowed) {
    const seconds = Math.ceil(taken.retryAfterMs / 1000);
    throw new DomainError('tooManyRequests', `Too many previews: a preview reads the whole directory; try again in ${seconds} seconds.`, { retryAfterSeconds: seconds });
  }
  running += 1;
  try {
    return await preview();
  } finally {
    running -= 1;
  }
}
