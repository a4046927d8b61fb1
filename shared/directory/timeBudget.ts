/**
 * The time one directory operation may take, counted from its start. Every retry and every `$batch` of the
 * operation draws on the same budget, so a bulk change of many chunks is bounded as a whole, not per chunk.
 * The first request of an operation always goes; after that, nothing new starts once the budget is spent, so an
 * operation ends at most one request timeout after its budget.
 */
export class TimeBudget {
  readonly #startedAt: number;
  #requestsStarted = 0;

  constructor(
    readonly totalMs: number,
    private readonly now: () => number,
  ) {
    this.#startedAt = now();
  }

  elapsedMs(): number {
    return this.now() - this.#startedAt;
  }

  allowsRequest(): boolean {
    return this.#requestsStarted === 0 || this.elapsedMs() < this.totalMs;
  }

  requestStarted(): void {
    this.#requestsStarted++;
  }
}
