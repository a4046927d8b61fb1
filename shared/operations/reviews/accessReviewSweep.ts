import { DateTime } from 'luxon';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { DueItem, ReviewKind } from '../../store/dueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { processDueItems, withSweepLease, type DueWorkResult, type ItemOutcome, type SweepOptions } from '../lifecycle/sweepDueWork';
import { applyReview, completeReview } from './applyReview';
import { openReview } from './openReview';
import { openReviewInShards, type ReviewShardQueue } from './openReviewInShards';
import { mailReviewers } from './reviewMail';

/**
 * `accessReviewSweep` (DESIGN §2.7): opens the reviews whose occurrence has come, reminds reviewers at the
 * midpoint, and ends reviews whose time ran out, applying their decisions. It reads only the review index's due
 * items, under its own lease and checkpoint. Undefined when another instance is running it.
 */
export async function sweepAccessReviews(deps: EntitlementDeps, options: SweepOptions): Promise<DueWorkResult | undefined> {
  return sweepWith(deps, options, (item) => openReview(deps, item.entityId, item.detail));
}

/**
 * The sweep as its timer runs it: a large review's opening fans out in shards over `queue`
 * (openReviewInShards.ts); everything else as sweepAccessReviews does it.
 */
export async function dispatchAccessReviews(deps: EntitlementDeps, queue: ReviewShardQueue, options: SweepOptions): Promise<DueWorkResult | undefined> {
  return sweepWith(deps, options, (item) => openReviewInShards(deps, queue, item.entityId, item.detail, options));
}

function sweepWith(deps: EntitlementDeps, options: SweepOptions, open: (item: DueItem<ReviewKind>) => Promise<ItemOutcome>): Promise<DueWorkResult | undefined> {
  const handlers: Record<ReviewKind, Handler> = { reviewOpen: (_deps, item) => open(item), reviewReminder: remindReviewers, reviewEnd: endReview };
  return withSweepLease(deps, 'accessReviewSweep', options, (checkpoint, deadline, lease) =>
    processDueItems(deps, deps.reviewDue, (item) => handlers[item.kind](deps, item), { from: checkpoint, now: deps.clock.now(), deadline, lease }),
  );
}

type Handler = (deps: EntitlementDeps, item: DueItem<ReviewKind>) => Promise<ItemOutcome>;

/** The midpoint reminder, while the instance is still open. */
async function remindReviewers(deps: EntitlementDeps, item: DueItem<ReviewKind>): Promise<ItemOutcome> {
  const stored = await deps.reviews.instance(item.detail, item.entityId);
  if (stored?.value.status !== 'InProgress') return 'stale';
  await mailReviewers(deps, stored.value, (await deps.reviews.decisionsOf(stored.value.id)).map((d) => d.value), 'reminder');
  return 'processed';
}

/**
 * The end of an instance's time, or of a stop (planStoppedEnd). An instance ended but not applied
 * (its application cut off, or a removal failed) is applied again; one applied already is over.
 */
async function endReview(deps: EntitlementDeps, item: DueItem<ReviewKind>): Promise<ItemOutcome> {
  const stored = await deps.reviews.instance(item.detail, item.entityId);
  if (!stored) return 'stale';
  // A stop's item finding the instance still open: the stop never closed it (cut off first); its own end is planned.
  if (stored.value.status === 'InProgress' && deps.clock.now() < DateTime.fromISO(stored.value.endDateTime)) return 'stale';
  const application = stored.value.status === 'Completed' ? await applyReview(deps, stored, SYSTEM_ACTOR) : await completeReview(deps, stored, SYSTEM_ACTOR);
  if (!application) return 'stale';
  // A removal that failed keeps the item: the sweep tries it again on its next runs, and parks it if it keeps failing.
  if (application.failed > 0) throw new Error(`Access review instance '${item.entityId}': ${application.failed} decision(s) could not be applied yet.`);
  return 'processed';
}
