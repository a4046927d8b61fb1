import { audited, shownIn } from '../audit/auditedChange';
import { mapConcurrently } from '../../concurrently';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import { removesAccess, type ApplyResult, type ReviewDecision, type ReviewInstance } from '../../domain/reviews/accessReview';
import type { AuditEntry } from '../../store/auditLog';
import type { StoredDocument } from '../../store/documentTable';
import { nowIso, type EntitlementDeps } from '../entitlements/entitlementDeps';
import { carryOut, systemRemovalOf } from '../requests/systemRequests';

/** Items applied between two writes of their results: the writes go 100 to a transaction. */
const ITEMS_PER_ROUND = 100;

/** What an application left undone: items whose removal failed for now (`AppliedWithUnknownFailure`). */
export interface Application {
  failed: number;
}

/**
 * Ends an open instance (its time ran out, or an administrator stopped it): `Completed` on its ETag, so input
 * closes once and a second caller finds it ended; then its decisions are applied. Answers undefined when it was not
 * open.
 */
export async function completeReview(deps: EntitlementDeps, stored: StoredDocument<ReviewInstance>, actorId: string): Promise<Application | undefined> {
  if (stored.value.status !== 'InProgress') return undefined;
  const completed: ReviewInstance = { ...stored.value, status: 'Completed', completedDateTime: nowIso(deps), stoppedById: actorId === SYSTEM_ACTOR ? null : actorId };
  const entry = { actorId, action: 'endAccessReview', entityType: 'accessReviewInstance', entityId: completed.id, before: stored.value, after: completed };
  const written = await audited(deps, entry, shownIn('accessReviews', stored, 'changed'), () => deps.reviews.instances.replace(stored, completed));
  return applyReview(deps, written, actorId);
}

/**
 * Applies a completed instance's decisions, item by item: a denial (or an unanswered item the policy's
 * `expirationBehavior` removes) ends the assignment through a system removal request naming the review; the others
 * keep it. Each item records its `applyResult`; an assignment that ended meanwhile is
 * `AppliedSuccessfullyButObjectNotFound`. Items already applied are skipped, so a run cut off is taken up again,
 * and one that failed (`AppliedWithUnknownFailure`) is tried again. The instance becomes `Applied` once no item is
 * left failed; until then it stays `Completed`, and its end's due item tries again (accessReviewSweep.ts).
 */
export async function applyReview(deps: EntitlementDeps, stored: StoredDocument<ReviewInstance>, actorId: string): Promise<Application> {
  const instance = stored.value;
  const pending = (await deps.reviews.decisionsOf(instance.id)).filter((d) => d.value.applyResult === 'New' || d.value.applyResult === 'AppliedWithUnknownFailure');
  // The package's assignee index holds the assignments still active: one partition read for every item kept.
  const active = new Set((await deps.grants.assigneePointers(instance.accessPackageId)).map((p) => p.id));
  let failed = 0;
  for (let i = 0; i < pending.length; i += ITEMS_PER_ROUND) {
    const round = pending.slice(i, i + ITEMS_PER_ROUND);
    const results = await mapConcurrently(round, (item) => applyItem(deps, instance, item.value, active, actorId));
    failed += results.filter((r) => r.result === 'AppliedWithUnknownFailure').length;
    const at = nowIso(deps);
    const write = () =>
      deps.reviews.decisions.together(
        round.map((item, index) => deps.reviews.decisions.replacement(item, { ...item.value, applyResult: results[index]!.result, appliedById: actorId, appliedDateTime: at })),
      );
    // Each item's event records its decision applied, which shows in its row: all are written ahead of the round's
    // one transaction, and appended after it.
    const events = round.flatMap((item, index) => {
      const entry = results[index]!.entry;
      return entry ? [{ entry, probe: shownIn('accessReviews', item, 'changed') }] : [];
    });
    await events.reduce<() => Promise<unknown>>((change, { entry, probe }) => () => audited(deps, entry, probe, change), write)();
  }
  // Left `Completed` while a removal failed: not applied until it is, and its end's due item tries it again.
  if (failed > 0) return { failed };
  const applied: ReviewInstance = { ...instance, status: 'Applied', appliedDateTime: nowIso(deps) };
  const entry = { actorId, action: 'applyAccessReview', entityType: 'accessReviewInstance', entityId: instance.id, before: instance, after: { ...applied, itemsApplied: pending.length } };
  await audited(deps, entry, shownIn('accessReviews', stored, 'changed'), () => deps.reviews.instances.replace(stored, applied));
  return { failed };
}

/** An item's result, and the event that records it (none when it kept access, or its assignment had gone). */
interface AppliedItem {
  result: ApplyResult;
  entry?: AuditEntry;
}

async function applyItem(deps: EntitlementDeps, instance: ReviewInstance, item: ReviewDecision, active: ReadonlySet<string>, actorId: string): Promise<AppliedItem> {
  if (!active.has(item.assignmentId)) return { result: 'AppliedSuccessfullyButObjectNotFound' };
  if (!removesAccess(item, instance.settings)) return { result: 'AppliedSuccessfully' };
  const assignment = await deps.grants.assignmentOf(item.principalId, item.assignmentId);
  if (!assignment || assignment.value.state === 'expired') return { result: 'AppliedSuccessfullyButObjectNotFound' };
  const a = assignment.value;
  const why = item.decision === 'Deny' ? 'denied' : `not reviewed (expirationBehavior ${instance.settings.expirationBehavior})`;
  // The removal's own request is audited in its target's partition (auditOutbox.ts); these events record the decision.
  try {
    await carryOut(
      deps,
      systemRemovalOf(deps, a, `Access review ${instance.id} of assignment policy ${instance.policyId}: ${why}.`),
    );
  } catch (error) {
    const entry = { actorId, action: 'applyReviewDecision.failed', entityType: 'accessReviewDecision', entityId: item.id, before: item, after: { reason: error instanceof Error ? error.message : String(error) } };
    return { result: 'AppliedWithUnknownFailure', entry };
  }
  return { result: 'AppliedSuccessfully', entry: { actorId, action: 'applyReviewDecision', entityType: 'accessReviewDecision', entityId: item.id, before: item, after: { instanceId: instance.id, assignmentId: a.id, removed: true, why } } };
}
