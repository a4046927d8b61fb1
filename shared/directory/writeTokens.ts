import { CHUNK_LIFETIME_MS, LARGEST_WRITE } from '../domain/writeBudget';

/** The shared budget's store, as the transport needs it (WriteBudgetStore). */
export interface WriteBudgetSource {
  take(need: number, want: number, nowMs?: () => number): Promise<{ granted: number } | { granted: 0; waitMs: number }>;
}

/** Tokens taken from the shared budget per round trip to it: one `$batch` worth, so the budget costs a Table round trip per about 20 writes. */
export const CHUNK = LARGEST_WRITE;

/**
 * This instance's share of the tenant-wide write budget: it takes a chunk of tokens from the shared bucket per
 * round trip and spends them on its writes, dropping any left after CHUNK_LIFETIME_MS or too few for the next write (the bucket's shape counts on
 * that). Takes are made one at a time, so the instance's concurrent writers do not each go to the table. Once the
 * shared bucket answers "wait", every writer of the instance waits until then without asking it again: the
 * bucket's wait is for a chunk, so the first to ask after it brings back tokens for the others too.
 */
export class WriteTokens {
  #tokens = 0;
  #expiresAt = 0;
  /** Until when the shared bucket said to wait (by this instance's clock). */
  #refillsAt = 0;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly source: WriteBudgetSource,
    private readonly now: () => number = Date.now,
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
    const untilRefilled = this.#refillsAt - this.now();
    if (untilRefilled > 0) return untilRefilled;
    const taken = await this.source.take(count, Math.max(CHUNK, count), this.now);
    if (taken.granted === 0) {
      const waitMs = 'waitMs' in taken ? taken.waitMs : 1;
      this.#refillsAt = this.now() + waitMs;
      return waitMs;
    }
    this.#tokens = taken.granted - count;
    this.#expiresAt = this.now() + CHUNK_LIFETIME_MS;
    return 0;
  }
}
