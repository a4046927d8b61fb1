import { DateTime } from 'luxon';
import { doublingWaitMs } from '../../domain/doublingWait';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import { deferredCall, GraphThrottled } from '../../directory/throttleDeferral';
import type { StoredDocument } from '../../store/documentTable';
import { minuteOf, type DueItem, type DueWorkStore } from '../../store/dueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { audited, shownIn } from '../audit/auditedChange';
import { HeldLease, SweepLeaseLost } from './sweepLease';
import { workWithinBudget, type BudgetedWork } from './workWithinBudget';
import { allSettled } from '../../concurrently';

/** What one pass over a due-time index did. */
export interface DueWorkResult {
  /** Items acted on. */
  processed: number;
  /** Items no longer due when looked at (an assignment extended or removed since, a stage already decided). */
  stale: number;
  /** Items that failed (storage or the directory away, or a fault); kept, and tried again at their retry time. */
  failed: number;
  /** Items that failed before and whose retry time has not come: left untouched, holding the checkpoint. */
  waiting: number;
  /** Items left for the next run because the time budget ran out. */
  remaining: number;
  /** Items that failed too often and were taken out of the index into `parkedWork` this run. */
  parked: number;
  /** The first few failures' messages, for the run's log. */
  errors: string[];
}

export type ItemOutcome = 'processed' | 'stale';

export interface SweepOptions {
  /** Who runs it (the invocation id), for the lease. */
  holder: string;
  /** Stop taking new work after this long; the Consumption plan stops a function at 10 minutes. */
  budgetMs: number;
  /** Items handled together by a batch handler (BATCH_SIZE when absent); a run is cut off between batches. */
  batchSize?: number;
  /**
   * Items per shard when the sweep fans its work out over a queue (the sweep's own size when absent: SHARD_SIZE,
   * REVIEW_SHARD_SIZE). Tests set it low, so that a few dozen items make several shards.
   */
  shardSize?: number;
  /** Assignees a package role change reaches at a time, in the reconcile sweep (ROLE_CHANGE_BATCH when absent). */
  roleChangeBatch?: number;
}

/**
 * A lease outlasts the longest a run can take (the functions' timeout, host.json: 10 minutes), so no second
 * runner starts while the first may still be working; a run stopped without releasing it delays the next by this.
 * Where there is no such timeout (a dedicated plan, the local host), a run renews it as it goes (RENEW_EVERY_MS).
 */
const LEASE_MS = 11 * 60_000;
/** How often a working run extends its lease: a write a minute, far inside the lease, so one slow item cannot lose it. */
const RENEW_EVERY_MS = 60_000;
/**
 * An item that keeps failing is parked (taken out of its index) after this many failed runs, once it is also
 * PARK_AFTER_MS past due: until then it holds its sweep's checkpoint, which rereads from its minute on every run.
 * Both bounds, so an outage of the directory or of storage (every item failing for an hour) parks nothing.
 */
export const MAX_ITEM_ATTEMPTS = 10;
export const PARK_AFTER_MS = 24 * 60 * 60_000;
/**
 * After its n-th failed run an item is not taken again for 2^(n-1) minutes, at most RETRY_CAP_MS: through an outage
 * of hours a failing item costs a few attempts an hour rather than one a run (each attempt may write a workflow run
 * and its results, reread a package's assignees, log an audit event). The cap is a quarter of an hour so that
 * access that should have ended during an outage ends within 15 minutes of the outage ending; it also keeps the
 * MAX_ITEM_ATTEMPTS-th failure under two hours after the first, so parking still comes at PARK_AFTER_MS.
 */
const FIRST_RETRY_MS = 60_000;
export const RETRY_CAP_MS = 15 * 60_000;

/** When an item failed `attempts` times, the latest at `now`, may be tried again. */
export function retryTime(now: DateTime, attempts: number): string {
  return now.plus(doublingWaitMs(attempts, FIRST_RETRY_MS, RETRY_CAP_MS)).toUTC().toISO()!;
}

/** Whether the item failed lately and its retry time has not come (both UTC ISO 8601, which sort as time does). */
export const waitsForRetry = (item: StoredDocument<DueItem>, now: DateTime): boolean => item.value.retryAfter !== undefined && item.value.retryAfter > now.toUTC().toISO()!;
/**
 * The next pass rereads this much before its run's minute: an item written late (a writer's clock slightly behind,
 * a write retried) lands in a minute already passed and would otherwise never be read. Done items are deleted, so
 * rereading costs a query over what is left.
 */
const LATE_WRITES_MS = 10 * 60_000;

/**
 * Runs `work` under the sweep's lease, so two instances never run one sweep at once, from its checkpoint (what
 * the last run reached), saving the checkpoint `work` returns. `work` calls `lease.hold()` before its writes, which
 * renews the lease and throws once another runner has taken it. Answers undefined when another instance holds it,
 * and when this run lost it midway: it then stops writing and saves no checkpoint (the other runner's stands).
 */
export async function withSweepLease<T>(
  deps: Pick<EntitlementDeps, 'sweeps' | 'clock'>,
  sweep: string,
  options: SweepOptions,
  work: (checkpoint: string | null, deadline: number, lease: HeldLease) => Promise<{ checkpoint: string | null; result: T }>,
): Promise<T | undefined> {
  const acquired = await deps.sweeps.acquire(sweep, options.holder, deps.clock.now(), LEASE_MS);
  if (!acquired) return undefined;
  const lease = new HeldLease(deps.sweeps, sweep, acquired, deps.clock, { ttlMs: LEASE_MS, renewEveryMs: RENEW_EVERY_MS });
  const saved = lease.checkpoint;
  let done: { checkpoint: string | null; result: T };
  try {
    // The budget is wall-clock time this run may take, whatever the domain clock says.
    done = await work(saved, Date.now() + options.budgetMs, lease);
  } catch (error) {
    if (error instanceof SweepLeaseLost) return undefined;
    // A failed run lets the lease go at once, keeping the checkpoint it started from (or the last it saved as it went).
    await lease.release(lease.checkpoint).catch((releaseError: unknown) => {
      if (!(releaseError instanceof SweepLeaseLost)) throw releaseError;
    });
    throw error;
  }
  try {
    await lease.release(done.checkpoint);
  } catch (error) {
    if (error instanceof SweepLeaseLost) return undefined;
    throw error;
  }
  return done.result;
}

/**
 * One pass over a due-time index, from the minute `from` up to `now`: each item handled, then deleted, the lease
 * held before each. A handler checks its item against the current state, so a pass cut off and run again, or an
 * item seen twice, has its effect once. An item that fails has its attempt counted on it, is left alone until its
 * retry time (retryTime), and is parked once it failed too often (MAX_ITEM_ATTEMPTS). Answers the minute the next
 * pass starts from: the earliest still holding work, or now's.
 */
export async function processDueItems<K extends string>(
  deps: Pick<EntitlementDeps, 'audit' | 'due' | 'clock'>,
  index: DueWorkStore<K>,
  handle: (item: DueItem<K>) => Promise<ItemOutcome>,
  range: { from: string | null; now: DateTime; deadline: number; lease: HeldLease },
  batch?: BatchHandler<K>,
): Promise<{ checkpoint: string; result: DueWorkResult }> {
  return processItems(deps, index, await index.dueBy(range.now, range.from ?? undefined), handle, range, batch);
}

/**
 * Kinds of item handled many at once (an assignment's end: expireAssignments.ts), so that what they change in the
 * directory goes out in bulk calls. `handle` answers each item's outcome, or the error that stopped it (the item's
 * own: one item's failure leaves the others done); it calls `hold` (the lease check) before its writes.
 */
export interface BatchHandler<K extends string> {
  kinds: ReadonlySet<K>;
  /** Items per batch. */
  size: number;
  handle(items: readonly DueItem<K>[], hold: () => Promise<void>): Promise<Array<ItemOutcome | Error>>;
}

/**
 * Items per batch: a `$batch` takes 20 directory requests, so 100 removals of a role are 5 round trips; a shard
 * (SHARD_SIZE, 50) is one batch.
 */
export const BATCH_SIZE = 100;

/**
 * processDueItems on items already read: a pass's or a shard's (fanOutDueWork.ts). Items of the batch's kinds go
 * through it a batch at a time, beside the others. Answers the minute the next pass starts from, as
 * processDueItems does.
 */
export async function processItems<K extends string>(
  deps: Pick<EntitlementDeps, 'audit' | 'due' | 'clock'>,
  index: DueWorkStore<K>,
  items: readonly StoredDocument<DueItem<K>>[],
  handle: (item: DueItem<K>) => Promise<ItemOutcome>,
  range: { now: DateTime; deadline: number; lease: HeldLease },
  batch?: BatchHandler<K>,
): Promise<{ checkpoint: string; result: DueWorkResult }> {
  const outcomes: Record<ItemOutcome | 'parked', number> = { processed: 0, stale: 0, parked: 0 };
  // An item that failed lately is neither handled nor written until its retry time, but it holds the checkpoint.
  const waiting = items.filter((item) => waitsForRetry(item, range.now));
  const ready = items.filter((item) => !waitsForRetry(item, range.now));
  const batched = batch ? ready.filter((item) => batch.kinds.has(item.value.kind)) : [];
  const single = batch ? ready.filter((item) => !batch.kinds.has(item.value.kind)) : ready;
  const failedItem = async (item: StoredDocument<DueItem<K>>, error: unknown): Promise<boolean> => {
    if (!(await parkedAfterFailure(deps, index, item, error, range))) return false;
    outcomes.parked++;
    return true;
  };
  // A queue function Graph throttled starts no more items: its message comes back after the wait for them.
  const beforeNextItem = async (): Promise<void> => {
    const deferred = deferredCall();
    if (deferred) throw deferred;
    await range.lease.hold();
  };
  // Both run to their end before either's error is thrown: nothing of this pass may go on after it returns.
  const [work, batches] = await allSettled([
    workWithinBudget(
      single,
      range.deadline,
      async (item) => {
        try {
          outcomes[await handle(item.value)]++;
        } catch (error) {
          // Deferred, not failed: the item waits for its message to come back, without an attempt counted.
          if (error instanceof GraphThrottled) throw error;
          if (!(await failedItem(item, error))) throw error;
          return;
        }
        await index.done(item);
      },
      describe,
      beforeNextItem,
    ),
    batch ? processBatches(index, batched, batch, { ...range, beforeNextBatch: beforeNextItem }, outcomes, failedItem) : Promise.resolve({ failed: [], remaining: [], errors: [] }),
  ]);
  // Failed items are kept, whatever went wrong: dropping one could leave access that should have ended.
  const unfinished = [...waiting, ...work.failed, ...work.remaining, ...batches.failed, ...batches.remaining];
  const result: DueWorkResult = {
    ...outcomes,
    failed: work.failed.length + batches.failed.length,
    waiting: waiting.length,
    remaining: work.remaining.length + batches.remaining.length,
    errors: [...work.errors, ...batches.errors].slice(0, MAX_REPORTED_ERRORS),
  };
  return { checkpoint: nextCheckpoint(range.now, unfinished), result };
}

const MAX_REPORTED_ERRORS = 5;
const describe = (item: StoredDocument<DueItem>) => `${item.value.kind} ${item.value.entityId}`;

/** The batched items, a batch at a time until the deadline; done ones deleted together, failed ones counted (or parked). */
async function processBatches<K extends string>(
  index: DueWorkStore<K>,
  items: readonly StoredDocument<DueItem<K>>[],
  batch: BatchHandler<K>,
  range: { deadline: number; lease: HeldLease; beforeNextBatch: () => Promise<void> },
  outcomes: Record<ItemOutcome, number>,
  failedItem: (item: StoredDocument<DueItem<K>>, error: unknown) => Promise<boolean>,
): Promise<BudgetedWork<StoredDocument<DueItem<K>>>> {
  const work: BudgetedWork<StoredDocument<DueItem<K>>> = { failed: [], remaining: [], errors: [] };
  const failed = async (item: StoredDocument<DueItem<K>>, error: unknown) => {
    if (await failedItem(item, error)) return;
    work.failed.push(item);
    if (work.errors.length < MAX_REPORTED_ERRORS) work.errors.push(`${describe(item)}: ${error instanceof Error ? error.message : String(error)}`);
  };
  for (let start = 0; start < items.length; start += batch.size) {
    const chunk = items.slice(start, start + batch.size);
    if (Date.now() > range.deadline) {
      work.remaining.push(...chunk);
      continue;
    }
    await range.beforeNextBatch();
    const answers = await batch.handle(chunk.map((item) => item.value), () => range.lease.hold()).catch((error: unknown) => {
      if (error instanceof SweepLeaseLost || error instanceof GraphThrottled) throw error;
      return chunk.map(() => (error instanceof Error ? error : new Error(String(error))));
    });
    const done: Array<{ item: StoredDocument<DueItem<K>>; outcome: ItemOutcome }> = [];
    for (const [i, answer] of answers.entries()) {
      // Deferred, not failed: the item waits for its message to come back, without an attempt counted.
      if (answer instanceof GraphThrottled) work.remaining.push(chunk[i]!);
      else if (answer instanceof Error) await failed(chunk[i]!, answer);
      else done.push({ item: chunk[i]!, outcome: answer });
    }
    try {
      await index.unscheduleAll(done.map(({ item }) => item.value));
    } catch (error) {
      // Left in the index, they are looked at again next run (and found done: stale).
      for (const { item } of done) await failed(item, error);
      continue;
    }
    for (const { outcome } of done) outcomes[outcome]++;
  }
  // Graph asked this invocation to wait: its batches are saved (removals it refused are failed deliveries, redelivered
  // on their schedule), and its message comes back after the wait rather than another invocation calling Graph now.
  const deferred = deferredCall();
  if (deferred) throw deferred;
  return work;
}

/** The minute the next pass reads from: the earliest of the unfinished items, or LATE_WRITES_MS before now. */
export function nextCheckpoint(now: DateTime, unfinished: readonly StoredDocument<DueItem>[]): string {
  const reread = now.minus(LATE_WRITES_MS).toUTC().toISO()!;
  return minuteOf([reread, ...unfinished.map((i) => i.value.dueDateTime)].sort()[0]!);
}

/**
 * Counts the failure on the item, with its retry time (retryTime), and, past both bounds, parks it, with an audit
 * event: it then no longer holds the sweep's checkpoint back, and waits in `parkedWork` (counted by the health check)
 * for an operator.
 */
async function parkedAfterFailure<K extends string>(
  deps: Pick<EntitlementDeps, 'audit' | 'due' | 'clock'>,
  index: DueWorkStore<K>,
  item: StoredDocument<DueItem<K>>,
  error: unknown,
  range: { now: DateTime; lease: HeldLease },
): Promise<boolean> {
  const message = error instanceof Error ? error.message : String(error);
  await range.lease.hold();
  const counted = await index.failed(item, message, (attempts) => retryTime(range.now, attempts));
  const overdueMs = range.now.toMillis() - DateTime.fromISO(item.value.dueDateTime).toMillis();
  if ((counted.value.attempts ?? 0) < MAX_ITEM_ATTEMPTS || overdueMs < PARK_AFTER_MS) return false;
  const entry = { actorId: SYSTEM_ACTOR, action: 'parkDueWork', entityType: 'dueWork', entityId: item.value.entityId, before: item.value, after: index.parkedOf(counted, range.now) };
  await audited(deps, entry, shownIn('parkedWork', index.parkedRow(counted), 'present'), () => index.park(counted, range.now));
  return true;
}
