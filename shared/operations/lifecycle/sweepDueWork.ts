import type { StoredDocument } from '../../store/documentTable';
import { minuteOf, type DueItem, type DueWorkStore } from '../../store/dueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/** What one run did; `ran` is false when another instance held the sweep's lease. */
export interface SweepResult {
  ran: boolean;
  /** Items acted on. */
  processed: number;
  /** Items no longer due when looked at (an assignment extended or removed since, a stage already decided). */
  stale: number;
  /** Items that failed (storage or the directory away, or a fault); kept for the next run. */
  failed: number;
  /** The first few failures' messages, for the run's log. */
  errors: string[];
  /** Items left for the next run because the time budget ran out. */
  remaining: number;
}

export type ItemOutcome = 'processed' | 'stale';

export interface SweepOptions {
  /** Who runs it (the invocation id), for the lease. */
  holder: string;
  /** Stop taking new items after this long; the Consumption plan stops a function at 10 minutes. */
  budgetMs: number;
}

/** Items handled at once: enough to overlap storage and directory round trips, few enough not to flood either. */
const CONCURRENCY = 8;
const MAX_REPORTED_ERRORS = 5;

/**
 * Runs a sweep over a due-time index: under a lease (one runner at a time), from its checkpoint (the minute it
 * reached last time) up to now, each item handled then deleted. A handler checks its item against the current
 * state, so a run cut off and started again, or an item seen twice, has its effect once.
 */
export async function sweepDueWork(
  deps: EntitlementDeps,
  sweep: string,
  index: DueWorkStore,
  handle: (item: DueItem) => Promise<ItemOutcome>,
  options: SweepOptions,
): Promise<SweepResult> {
  const started = deps.clock.now();
  const leaseMs = options.budgetMs + 60_000;
  const lease = await deps.sweeps.acquire(sweep, options.holder, started, leaseMs);
  const result: SweepResult = { ran: lease !== undefined, processed: 0, stale: 0, failed: 0, remaining: 0, errors: [] };
  if (!lease) return result;
  const items = await index.dueBy(started, lease.value.checkpoint ?? undefined);
  const deadline = Date.now() + options.budgetMs;
  const unfinished: StoredDocument<DueItem>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      if (Date.now() > deadline) {
        unfinished.push(item);
        result.remaining++;
        continue;
      }
      try {
        result[await handle(item.value)]++;
        await index.done(item);
      } catch (error) {
        // Kept, whatever went wrong: dropping an item could leave access that should have ended.
        unfinished.push(item);
        result.failed++;
        if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push(`${item.value.kind} ${item.value.entityId}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  // The next run starts at the earliest minute still holding work, or at this run's minute.
  const earliest = unfinished.map((i) => i.value.dueDateTime).sort()[0];
  const current = await deps.sweeps.checkpoint(lease, minuteOf(earliest ?? started.toUTC().toISO()!));
  await deps.sweeps.release(current);
  return result;
}
