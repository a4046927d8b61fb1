import { CHUNK_LIFETIME_MS, LARGEST_WRITE, LONGEST_CHUNK_WAIT_MS } from '../domain/writeBudget';

/** The shared budget's store, as the transport needs it (WriteBudgetStore). */
export interface WriteBudgetSource {
  take(need: number, want: number, nowMs?: () => number): Promise<{ granted: number } | { granted: 0; waitMs: number }>;
}

/** Tokens taken from the shared budget per round trip to it: one `$batch` worth, so the budget costs a Table round trip per about 20 writes. */
export const CHUNK = LARGEST_WRITE;

/**
 * A chunk's wait is cut by up to this share of it, at random, so instances told to wait at about the same time do
 * not come back in the same order each time: the first back takes the refill, and the others would starve.
 */
const CHUNK_WAIT_SPREAD = 0.2;

/**
 * This instance's share of the tenant-wide write budget: it takes a chunk of tokens from the shared bucket per
 * round trip and spends them on its writes, dropping any left after CHUNK_LIFETIME_MS or too few for the next write (the bucket's shape counts on
 * that). Takes are made one at a time, so the instance's concurrent writers do not each go to the table. Once the
 * shared bucket answers "wait", every writer of the instance needing as many tokens or more waits until then
 * without asking it again: the bucket's wait is for a chunk, so the first to ask after it brings back tokens for
 * the others too. A writer needing fewer asks the bucket itself, as that wait may be longer than its own.
 */
export class WriteTokens {
  #tokens = 0;
  #expiresAt = 0;
  /** The shared bucket's last "wait": until when (by this instance's clock), how long, and for how many tokens. */
  #told: { untilMs: number; waitMs: number; need: number } | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly source: WriteBudgetSource,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Takes `count` tokens: answers 0 when taken, else how long (ms) until the shared budget has them. */
  take(count: number): Promise<number> {
    const turn = this.#queue.then(() => this.#take(count));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #take(count: number): Promise<number> {
    if (this.now() >= this.#expiresAt) this.#tokens = 0;
    if (this.#tokens >= count) {
      this.#tokens -= count;
      return 0;
    }
    // Too few left: they are dropped rather than given the new chunk's lifetime, which they did not start with.
    this.#tokens = 0;
    const told = this.#told;
    const untilTold = told ? told.untilMs - this.now() : 0;
    // A wait for more tokens than this writer needs is not its own; one longer than the bucket said means this
    // instance's clock stepped back since, so the wait no longer says anything.
    if (told && count >= told.need && untilTold > 0 && untilTold <= told.waitMs) return untilTold;
    const taken = await this.source.take(count, Math.max(CHUNK, count), this.now);
    if (taken.granted === 0) {
      const waitMs = this.#spread('waitMs' in taken ? taken.waitMs : 1);
      this.#told = { untilMs: this.now() + waitMs, waitMs, need: count };
      return waitMs;
    }
    this.#tokens = taken.granted - count;
    this.#expiresAt = this.now() + CHUNK_LIFETIME_MS;
    return 0;
  }

  /** A wait longer than a chunk's is for this writer's own tokens, and coming back sooner would find them missing. */
  #spread(waitMs: number): number {
    return waitMs > LONGEST_CHUNK_WAIT_MS ? waitMs : waitMs - Math.floor(waitMs * CHUNK_WAIT_SPREAD * this.random());
  }
}
