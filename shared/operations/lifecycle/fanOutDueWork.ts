import { z } from 'zod';
import type { StoredDocument } from '../../store/documentTable';
import type { DueItem, DueRange, DueWorkStore } from '../../store/dueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { nextCheckpoint, processItems, waitsForRetry, withSweepLease, type BatchHandler, type DueWorkResult, type ItemOutcome, type SweepOptions } from './sweepDueWork';

/**
 * Items per shard: a shard is one queue message, handled by one function invocation (the sweep's concurrency of 8
 * inside it), well within a function's time budget even when Graph is slow.
 */
export const SHARD_SIZE = 50;

/** Where a fanned-out sweep sends its shards: a Storage queue (WorkQueue) whose queue function processes them. */
export interface ShardQueue {
  sendAll(shards: readonly DueRange[]): Promise<void>;
  /** Messages waiting or in flight. */
  depth(): Promise<number>;
}

/** What one run of a fanned-out sweep's timer did. */
export interface FanOutResult {
  /** Shards still queued or in flight from an earlier run: this run sent nothing, they hold what is due. */
  pendingShards: number;
  /** Shards sent this run, and the items in them. */
  shardsSent: number;
  itemsSent: number;
  /** When the due work fitted in one shard, the timer did it itself: what it did. */
  inline?: DueWorkResult;
}

/**
 * A sweep's timer run when its work fans out (DESIGN §1, scale out on the platform): under the sweep's lease, it
 * reads what is due from its checkpoint and cuts it into shards of SHARD_SIZE items (or `options.shardSize`; a run
 * of one minute's partition of the due-time index), sent to `queue`, whose function processes them on as many
 * instances as Azure gives it (processShard). Work that fits in one shard it does itself, as the single-runner
 * sweep does. While shards of an earlier run are queued or in flight it sends nothing: they hold that work, and
 * what became due since waits behind them. The checkpoint stays at the earliest item read (sent, or waiting for its
 * retry time), so items a shard did not finish (failed, lost with a poisoned shard) are read and sent again once the
 * queue is empty and their retry time has come. Undefined when another instance runs the timer.
 */
export async function fanOutDueWork<K extends string>(
  deps: EntitlementDeps,
  sweep: string,
  index: DueWorkStore<K>,
  queue: ShardQueue,
  handle: (item: DueItem<K>) => Promise<ItemOutcome>,
  options: SweepOptions,
  batch?: BatchHandler<K>,
): Promise<FanOutResult | undefined> {
  return withSweepLease<FanOutResult>(deps, sweep, options, async (checkpoint, deadline, lease) => {
    const pendingShards = await queue.depth();
    if (pendingShards > 0) return { checkpoint, result: { pendingShards, shardsSent: 0, itemsSent: 0 } };
    const now = deps.clock.now();
    const items = await index.dueBy(now, checkpoint ?? undefined);
    // Items waiting for their retry time go in no shard (a message and a lease for nothing), but hold the checkpoint.
    const ready = items.filter((item) => !waitsForRetry(item, now));
    const shardSize = options.shardSize ?? SHARD_SIZE;
    if (ready.length <= shardSize) {
      const pass = await processItems(deps, index, items, handle, { now, deadline, lease }, batch);
      return { checkpoint: pass.checkpoint, result: { pendingShards, shardsSent: 0, itemsSent: 0, inline: pass.result } };
    }
    const shards = cutIntoShards(ready, shardSize);
    await lease.hold();
    await queue.sendAll(shards);
    return { checkpoint: nextCheckpoint(now, items), result: { pendingShards, shardsSent: shards.length, itemsSent: ready.length } };
  });
}

/**
 * One shard, in a queue function: its items still in the index and due, each handled as the sweep handles it
 * (failures counted on the item, parked past their bound), done ones deleted. Under a lease of its own, so a shard
 * sent twice is not worked on twice at once; handled again later it finds only what is left. Undefined when another
 * instance holds the shard: that one finishes it, or, lost, its items are sent again by the timer.
 */
export async function processShard<K extends string>(
  deps: EntitlementDeps,
  sweep: string,
  index: DueWorkStore<K>,
  shard: DueRange,
  handle: (item: DueItem<K>) => Promise<ItemOutcome>,
  options: SweepOptions,
  batch?: BatchHandler<K>,
): Promise<DueWorkResult | undefined> {
  const name = `${sweep}.shard.${shard.minute}.${shard.fromRowKey}`;
  const result = await withSweepLease(deps, name, options, async (_checkpoint, deadline, lease) => {
    const now = deps.clock.now();
    const nowIso = now.toUTC().toISO()!;
    const items = (await index.inRange(shard)).filter((item) => item.value.dueDateTime <= nowIso);
    const pass = await processItems(deps, index, items, handle, { now, deadline, lease }, batch);
    return { checkpoint: null, result: pass.result };
  });
  if (result) await deps.sweeps.forget(name);
  return result;
}

/** A shard message as it comes off the queue; anything else is refused (and, retried, ends in the poison queue). */
export const dueRangeMessage = z.object({
  minute: z.string().regex(/^\d{12}$/),
  fromRowKey: z.string().min(1).max(1024),
  toRowKey: z.string().min(1).max(1024),
});

/** Items in due order, cut into runs of at most SHARD_SIZE within one minute's partition. */
export function cutIntoShards(items: readonly StoredDocument<DueItem>[], size = SHARD_SIZE): DueRange[] {
  const byMinute = new Map<string, string[]>();
  for (const item of items) {
    const keys = byMinute.get(item.partitionKey) ?? [];
    keys.push(item.rowKey);
    byMinute.set(item.partitionKey, keys);
  }
  const shards: DueRange[] = [];
  for (const [minute, keys] of byMinute) {
    keys.sort();
    for (let start = 0; start < keys.length; start += size) {
      const run = keys.slice(start, start + size);
      shards.push({ minute, fromRowKey: run[0]!, toRowKey: run[run.length - 1]! });
    }
  }
  return shards;
}
