import type { DateTime } from 'luxon';
import { minuteOf, type DueItem, type DueWorkStore } from '../../store/dueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { workWithinBudget } from './workWithinBudget';

/** What one pass over a due-time index did. */
export interface DueWorkResult {
  /** Items acted on. */
  processed: number;
  /** Items no longer due when looked at (an assignment extended or removed since, a stage already decided). */
  stale: number;
  /** Items that failed (storage or the directory away, or a fault); kept for the next run. */
  failed: number;
  /** Items left for the next run because the time budget ran out. */
  remaining: number;
  /** The first few failures' messages, for the run's log. */
  errors: string[];
}

export type ItemOutcome = 'processed' | 'stale';

export interface SweepOptions {
  /** Who runs it (the invocation id), for the lease. */
  holder: string;
  /** Stop taking new work after this long; the Consumption plan stops a function at 10 minutes. */
  budgetMs: number;
}

/**
 * A lease outlasts the longest a run can take (the functions' timeout, host.json: 10 minutes), so no second
 * runner starts while the first may still be working; a run stopped without releasing it delays the next by this.
 */
const LEASE_MS = 11 * 60_000;
/**
 * The next pass rereads this much before its run's minute: an item written late (a writer's clock slightly behind,
 * a write retried) lands in a minute already passed and would otherwise never be read. Done items are deleted, so
 * rereading costs a query over what is left.
 */
const LATE_WRITES_MS = 10 * 60_000;

/**
 * Runs `work` under the sweep's lease, so two instances never run one sweep at once, from its checkpoint (what
 * the last run reached), saving the checkpoint `work` returns. Answers undefined when another instance holds it.
 */
export async function withSweepLease<T>(
  deps: EntitlementDeps,
  sweep: string,
  options: SweepOptions,
  work: (checkpoint: string | null, deadline: number) => Promise<{ checkpoint: string | null; result: T }>,
): Promise<T | undefined> {
  const lease = await deps.sweeps.acquire(sweep, options.holder, deps.clock.now(), LEASE_MS);
  if (!lease) return undefined;
  let checkpoint = lease.value.checkpoint;
  try {
    // The budget is wall-clock time this run may take, whatever the domain clock says.
    const done = await work(checkpoint, Date.now() + options.budgetMs);
    checkpoint = done.checkpoint;
    return done.result;
  } finally {
    await deps.sweeps.release(lease, checkpoint);
  }
}

/**
 * One pass over a due-time index, from the minute `from` up to `now`: each item handled, then deleted. A handler
 * checks its item against the current state, so a pass cut off and run again, or an item seen twice, has its
 * effect once. Answers the minute the next pass starts from: the earliest still holding work, or now's.
 */
export async function processDueItems<K extends string>(
  index: DueWorkStore<K>,
  handle: (item: DueItem<K>) => Promise<ItemOutcome>,
  range: { from: string | null; now: DateTime; deadline: number },
): Promise<{ checkpoint: string; result: DueWorkResult }> {
  const outcomes: Record<ItemOutcome, number> = { processed: 0, stale: 0 };
  const items = await index.dueBy(range.now, range.from ?? undefined);
  const work = await workWithinBudget(
    items,
    range.deadline,
    async (item) => {
      outcomes[await handle(item.value)]++;
      await index.done(item);
    },
    (item) => `${item.value.kind} ${item.value.entityId}`,
  );
  // Failed items are kept, whatever went wrong: dropping one could leave access that should have ended.
  const unfinished = [...work.failed, ...work.remaining];
  const result: DueWorkResult = { ...outcomes, failed: work.failed.length, remaining: work.remaining.length, errors: work.errors };
  const reread = range.now.minus(LATE_WRITES_MS).toUTC().toISO()!;
  const earliest = [reread, ...unfinished.map((i) => i.value.dueDateTime)].sort()[0]!;
  return { checkpoint: minuteOf(earliest), result };
}
