import { z } from 'zod';
import type { WorkQueue } from '../../queues/workQueue';
import type { OpeningShard } from '../../store/reviewStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { schedule } from '../lifecycle/planDueWork';
import { withSweepLease, type ItemOutcome, type SweepOptions } from '../lifecycle/sweepDueWork';
import { decisionItems, finishOpening, openAtOnce, openingInstance, type Opening } from './openReview';

/**
 * Assignees per shard of a review's opening: a shard is one queue message, its items written in one invocation
 * (a second or two of reads and writes per hundred), and the plan of a 100,000-assignee review (1,000 shards) is
 * one page of the table, which each shard reads once to see whether it was the last.
 */
export const REVIEW_SHARD_SIZE = 100;

/**
 * While an opening's shards are out, its open item is planned again this much later: the sweep then finishes an
 * opening whose last shard stopped before finishing it, and sends again the shards that were lost (only when the
 * queue is empty: a shard still queued or in flight holds its work).
 */
export const OPENING_CHECK_MINUTES = 5;

/** Where the sweep sends an opening's shards: the `review-opening-shards` queue (functions/reviewOpeningShard.ts). */
export type ReviewShardQueue = Pick<WorkQueue, 'sendAll' | 'depth'>;

/** A shard message: the occurrence, as its open item names it, and the shard's place in the opening's plan. */
export const reviewOpeningMessage = z.object({
  policyId: z.string().min(1).max(100),
  detail: z.string().min(1).max(200),
  shard: z.number().int().min(0).max(999_999),
});
export type ReviewOpeningMessage = z.infer<typeof reviewOpeningMessage>;

/**
 * The sweep's `reviewOpen` item when openings fan out (DESIGN §1, scale out on the platform). A review of at most
 * REVIEW_SHARD_SIZE (or `options.shardSize`) assignees is opened by the sweep itself. A larger one is cut into runs
 * of its package's assignee index, written as the opening's plan, and sent as shard messages; the instance stays
 * `Initializing` (invisible to Graph clients and reviewers) until the last shard's items are written, and that shard
 * finishes it (`InProgress`, planned, audited, mailed). The item is planned again OPENING_CHECK_MINUTES later, so a
 * lost shard or a finisher that stopped only delays the opening.
 */
export async function openReviewInShards(deps: EntitlementDeps, queue: ReviewShardQueue, policyId: string, detail: string, options: SweepOptions): Promise<ItemOutcome> {
  const opening = await openingInstance(deps, policyId, detail);
  if (!opening) return 'stale';
  const instance = opening.stored.value;
  const plan = await deps.reviews.openingPlan(instance.id);
  if (plan.length === 0) {
    const keys = await deps.grants.assigneeRowKeys(instance.accessPackageId);
    const shardSize = options.shardSize ?? REVIEW_SHARD_SIZE;
    if (keys.length <= shardSize) {
      await openAtOnce(deps, opening);
      return 'processed';
    }
    const shards = cutIntoRuns(keys, shardSize).map((run, index): OpeningShard => ({ definitionId: instance.definitionId, instanceId: instance.id, index, ...run, done: false, itemCount: 0 }));
    await deps.reviews.writeOpeningPlan(shards);
    await queue.sendAll(shards.map((s) => messageOf(policyId, detail, s.index)));
  } else {
    const unwritten = plan.filter((s) => !s.value.done);
    if (unwritten.length === 0) {
      // Every shard written, and the shard that was last did not finish (stopped): finished here. While a shard
      // holds the opening's lease finishing it, the next look sees whether it did.
      if (await finishOnce(deps, opening, options)) return 'processed';
    } else if ((await queue.depth()) === 0) await queue.sendAll(unwritten.map((s) => messageOf(policyId, detail, s.value.index)));
  }
  await schedule(deps, deps.reviewDue, 'reviewOpen', deps.clock.now().plus({ minutes: OPENING_CHECK_MINUTES }), policyId, detail);
  return 'processed';
}

/** What one shard did: the items it wrote (0 when written before), and whether it finished the opening. */
export interface OpeningShardResult {
  items: number;
  opened: boolean;
}

/**
 * One shard of an opening, in its queue function: the items of its run of assignees written, under a lease of its
 * own (a shard sent twice is not written twice at once, and once marked written is not written again, so it can
 * never overwrite a decision made after the opening), then the opening finished if every shard is written.
 * Undefined when another instance holds the shard. An instance already opened (or no longer scheduled) is left.
 */
export async function openReviewShard(deps: EntitlementDeps, message: ReviewOpeningMessage, options: SweepOptions): Promise<OpeningShardResult | undefined> {
  const opening = await openingInstance(deps, message.policyId, message.detail);
  if (!opening) return { items: 0, opened: false };
  const instance = opening.stored.value;
  const name = `accessReviewSweep.opening.${instance.id}.${message.shard}`;
  const items = await withSweepLease(deps, name, options, async (_checkpoint, _deadline, lease) => {
    const shard = await deps.reviews.openingShard(instance.id, message.shard);
    if (!shard || shard.value.done) return { checkpoint: null, result: 0 };
    const written = await decisionItems(deps, instance, await deps.grants.assignmentsOfPackage(instance.accessPackageId, shard.value));
    await lease.hold();
    await deps.reviews.writeOpening(written);
    await deps.reviews.openingShards.replace(shard, { ...shard.value, done: true, itemCount: written.length });
    return { checkpoint: null, result: written.length };
  });
  if (items === undefined) return undefined;
  await deps.sweeps.forget(name);
  const plan = await deps.reviews.openingPlan(instance.id);
  const opened = plan.every((s) => s.value.done) && (await finishOnce(deps, opening, options));
  return { items, opened };
}

/**
 * Finishes an opening whose items are all written, under the opening's lease, so that of two shards done at once
 * (or a shard and the sweep) one finishes it and the other, finding it `InProgress`, does nothing.
 */
async function finishOnce(deps: EntitlementDeps, opening: Opening, options: SweepOptions): Promise<boolean> {
  const { id, definitionId } = opening.stored.value;
  const name = `accessReviewSweep.opening.${id}`;
  const finished = await withSweepLease(deps, name, options, async (_checkpoint, _deadline, lease) => {
    const current = await deps.reviews.instance(definitionId, id);
    if (current?.value.status !== 'Initializing') return { checkpoint: null, result: false };
    const items = (await deps.reviews.decisionsOf(id)).map((d) => d.value);
    await lease.hold();
    await finishOpening(deps, { ...opening, stored: current }, items);
    return { checkpoint: null, result: true };
  });
  if (finished === undefined) return false;
  await deps.sweeps.forget(name);
  return finished;
}

const messageOf = (policyId: string, detail: string, shard: number): ReviewOpeningMessage => ({ policyId, detail, shard });

/** Index row keys (in key order) cut into runs of at most `size`. */
function cutIntoRuns(keys: readonly string[], size: number): Array<{ fromRowKey: string; toRowKey: string }> {
  const runs: Array<{ fromRowKey: string; toRowKey: string }> = [];
  for (let start = 0; start < keys.length; start += size) {
    const run = keys.slice(start, start + size);
    runs.push({ fromRowKey: run[0]!, toRowKey: run[run.length - 1]! });
  }
  return runs;
}
