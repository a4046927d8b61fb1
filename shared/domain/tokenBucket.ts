/**
 * A token bucket per key: each call takes a token, `capacity` at most are saved up, and one comes back every
 * `refillMs`. Pure bookkeeping on the times it is given, so a test can drive it without waiting.
 */
export interface TokenBucketLimits {
  capacity: number;
  refillMs: number;
  /** Keys remembered at most; the longest idle ones are forgotten first (a forgotten key starts with a full bucket). */
  maxKeys: number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();

  constructor(private readonly limits: TokenBucketLimits) {}

  take(key: string, nowMs: number): TakeResult {
    const { capacity, refillMs } = this.limits;
    const saved = this.#buckets.get(key);
    const elapsed = saved ? Math.max(0, nowMs - saved.updatedMs) : 0;
    const tokens = saved ? Math.min(capacity, saved.tokens + elapsed / refillMs) : capacity;
    // Re-inserted on every call, so the Map's order is least recently used first.
    this.#buckets.delete(key);
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, updatedMs: nowMs });
      return { allowed: false, retryAfterMs: Math.ceil((1 - tokens) * refillMs) };
    }
    this.#buckets.set(key, { tokens: tokens - 1, updatedMs: nowMs });
    this.#forgetBeyondMax();
    return { allowed: true };
  }

  #forgetBeyondMax(): void {
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= this.limits.maxKeys) return;
      this.#buckets.delete(key);
    }
  }
}
