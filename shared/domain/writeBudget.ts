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
  /** What the bucket holds, the reserved tokens included. */
  tokens: number;
  /** When `tokens` was counted, by the clock of the instance that wrote it. */
  updatedMs: number;
  /**
   * Tokens held back for a writer needing more than one, so that writers needing fewer cannot drain every partial
   * refill before it. Instances of earlier versions neither heed nor keep it: their next write replaces the row
   * without it, and the writer reserves again when it comes back (no token is granted twice either way).
   */
  reserved?: WriteReservation;
}

/**
 * Tokens held back for the next writer needing at least that many, until `untilMs` (by the bucket's clock, as
 * `updatedMs`). Once such a writer took them, none: it then only keeps the next reservation back until `untilMs`.
 */
export interface WriteReservation {
  tokens: number;
  untilMs: number;
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

/**
 * How long a reservation stands past the time its tokens are there: the writer it is for may have been deferred (a
 * queue function does not wait for more than LONGEST_CHUNK_WAIT_MS), and its message comes back through the queue,
 * polled at most every 2 s (host.json), then reads what it needs before the write. One that never comes back holds
 * only the reserved tokens, and only until then: the rest of the refill goes on being taken.
 */
export const RESERVATION_GRACE_MS = 5_000;
/**
 * No reservation for tokens further off than this (budgets far slower than the default, where 20 tokens take minutes):
 * the single writes held back meanwhile include HTTP calls, which give up after 2 minutes (graphTransport.ts).
 * There the `$batch` takes its chance at the refill as before reservations.
 */
export const LONGEST_RESERVED_WAIT_MS = 30_000;

/** Tokens taken; or none, and when to ask again, with the bucket to write when this take reserved tokens. */
export type TakeOutcome = { granted: number; state: WriteBucketState } | { granted: 0; waitMs: number; state?: WriteBucketState };

/**
 * Takes between `need` and `want` tokens from the bucket as it is at `nowMs`: as many as it holds, up to `want`,
 * or none when it holds fewer than `need`. Then `waitMs` says when it holds `want`, or LONGEST_CHUNK_WAIT_MS if
 * that is sooner, but never before it holds `need`. The wait only says when to ask again; what is granted is
 * still only what the bucket holds, so its shape's bound is kept. A clock behind the last writer's refills
 * nothing, so an instance whose clock runs ahead cannot be caught up by one behind.
 *
 * A writer needing more than one token that is told to wait reserves them, unless a reservation stands: until it
 * lapses, writers needing fewer than the reserved tokens get only what the bucket holds beyond them, and the first
 * writer needing as many or more takes them and ends it. The reservation names no writer, as the one that made it
 * may come back on another instance (a deferred queue message). Its end stands as a reservation of no tokens for as
 * long as the tokens taken took to refill: the writers needing fewer then have their turn at the refill before the
 * next reservation, so writers of both kinds share a spent bucket instead of the one starving the other.
 */
export function takeTokens(saved: WriteBucketState | undefined, shape: BucketShape, need: number, want: number, nowMs: number): TakeOutcome {
  const at = saved ? Math.max(nowMs, saved.updatedMs) : nowMs;
  const tokens = saved ? Math.min(shape.capacity, saved.tokens + (at - saved.updatedMs) * shape.refillPerMs) : shape.capacity;
  const standing = saved?.reserved && at < saved.reserved.untilMs ? saved.reserved : undefined;
  const claims = standing !== undefined && standing.tokens > 0 && need >= standing.tokens;
  const available = tokens - (standing && !claims ? standing.tokens : 0);
  if (available < need) {
    const untilHolding = (count: number) => Math.ceil((count - available) / shape.refillPerMs);
    const waitMs = Math.max(1, untilHolding(need), Math.min(untilHolding(want), LONGEST_CHUNK_WAIT_MS));
    if (available < tokens) return { granted: 0, waitMs: Math.min(waitMs, heldBackWait(shape, need)) };
    if (standing || need <= 1 || untilHolding(need) > LONGEST_RESERVED_WAIT_MS) return { granted: 0, waitMs };
    const reserved = { tokens: need, untilMs: at + untilHolding(need) + RESERVATION_GRACE_MS };
    return { granted: 0, waitMs, state: { tokens, updatedMs: at, reserved } };
  }
  const granted = Math.min(want, Math.floor(available));
  const reserved = claims ? { tokens: 0, untilMs: at + Math.ceil(granted / shape.refillPerMs) } : standing;
  return { granted, state: { tokens: tokens - granted, updatedMs: at, ...(reserved ? { reserved } : {}) } };
}

/**
 * The longest a writer held back by another's reservation is told to wait: a chunk's wait, or as long as its own tokens
 * take to refill if longer. Not until the reserved tokens are there too: they are not its to wait for, and a wait of
 * more than a second defers a queue function's write (graphTransport.ts), so at the default budget a single write
 * (a mail) beside a waiting `$batch` would otherwise be put off with its invocation instead of waiting in place.
 */
function heldBackWait(shape: BucketShape, need: number): number {
  return Math.max(LONGEST_CHUNK_WAIT_MS, Math.ceil(need / shape.refillPerMs));
}

/** GRAPH_WRITE_BUDGET's form: `<writes>/<seconds>`, for example `2700/150`. */
export const WRITE_BUDGET_FORM = /^(\d{1,6})\/(\d{1,5})$/;
