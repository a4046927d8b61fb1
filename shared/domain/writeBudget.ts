/**
 * The tenant-wide budget of directory writes, as a token bucket every instance draws from (its state lives in one
 * Table Storage entity). Graph's identity-and-access write quota per application and tenant is 3,000 requests per
 * 2 min 30 s; the setting GRAPH_WRITE_BUDGET says how many writes per how many seconds Portcullis may make.
 *
 * Shaped so that the writes made in ANY window of that length stay within the budget, not only on average: the
 * bucket holds at most `capacity` (the burst), refills at `refillPerMs`, and an instance spends the tokens it took
 * within CHUNK_LIFETIME_MS or drops them. Tokens taken in a window of W ms are at most capacity + refill × W, and the
 * writes made in it were taken at most CHUNK_LIFETIME_MS earlier, so
 * `capacity + refillPerMs × (windowMs + CHUNK_LIFETIME_MS) = writes` bounds them.
 */
export interface WriteBudgetLimits {
  writes: number;
  windowMs: number;
}

export interface WriteBucketState {
  tokens: number;
  /** When `tokens` was counted, by the clock of the instance that wrote it. */
  updatedMs: number;
}

/** The longest an instance may hold tokens it took before spending them; unspent ones are dropped. */
export const CHUNK_LIFETIME_MS = 2_000;
/** Graph answers at most 20 requests in one `$batch`: the most writes one call may need at once. */
export const LARGEST_WRITE = 20;
/** The default of GRAPH_WRITE_BUDGET: 90% of Graph's 3,000 writes per 150 s, the rest kept for clock skew and for Graph's own margin. */
export const DEFAULT_WRITE_BUDGET: WriteBudgetLimits = { writes: 2_700, windowMs: 150_000 };

export interface BucketShape {
  capacity: number;
  refillPerMs: number;
}

/** A tenth of the budget may go at once (at least one full `$batch`); the rest comes back evenly. */
export function bucketShape(limits: WriteBudgetLimits): BucketShape {
  const capacity = Math.max(LARGEST_WRITE, Math.floor(limits.writes / 10));
  return { capacity, refillPerMs: (limits.writes - capacity) / (limits.windowMs + CHUNK_LIFETIME_MS) };
}

/**
 * The longest a writer on a spent bucket waits for `want` tokens rather than for the `need` it must have: coming
 * back to a chunk instead of to the next token spares the bucket's row a round trip per token. No longer than a
 * queue function waits in place (graphTransport.ts), so this wait alone never defers one.
 */
export const LONGEST_CHUNK_WAIT_MS = 1_000;

export type TakeOutcome = { granted: number; state: WriteBucketState } | { granted: 0; waitMs: number };

/**
 * Takes between `need` and `want` tokens from the bucket as it is at `nowMs`: as many as it holds, up to `want`,
 * or none when it holds fewer than `need`. Then `waitMs` says when it holds `want`, or LONGEST_CHUNK_WAIT_MS if
 * that is sooner, but never before it holds `need`. The wait only says when to ask again; what is granted is
 * still only what the bucket holds, so its shape's bound is kept. A clock behind the last writer's refills
 * nothing, so an instance whose clock runs ahead cannot be caught up by one behind.
 */
export function takeTokens(saved: WriteBucketState | undefined, shape: BucketShape, need: number, want: number, nowMs: number): TakeOutcome {
  const at = saved ? Math.max(nowMs, saved.updatedMs) : nowMs;
  const tokens = saved ? Math.min(shape.capacity, saved.tokens + (at - saved.updatedMs) * shape.refillPerMs) : shape.capacity;
  if (tokens < need) {
    const untilHolding = (count: number) => Math.ceil((count - tokens) / shape.refillPerMs);
    return { granted: 0, waitMs: Math.max(1, untilHolding(need), Math.min(untilHolding(want), LONGEST_CHUNK_WAIT_MS)) };
  }
  const granted = Math.min(want, Math.floor(tokens));
  return { granted, state: { tokens: tokens - granted, updatedMs: at } };
}

/** GRAPH_WRITE_BUDGET's form: `<writes>/<seconds>`, for example `2700/150`. */
export const WRITE_BUDGET_FORM = /^(\d{1,6})\/(\d{1,5})$/;
