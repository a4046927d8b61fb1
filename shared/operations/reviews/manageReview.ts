import { audited, shownIn } from '../audit/auditedChange';
import type { Caller } from '../../auth/caller';
import { DomainError } from '../../domain/errors';
import { decided } from '../../domain/reviews/accessReview';
import { nowIso, type EntitlementDeps } from '../entitlements/entitlementDeps';
import { applyReview, completeReview } from './applyReview';
import { planStoppedEnd } from './planReviews';
import { mailReviewers } from './reviewMail';
import { findInstance } from './reviewQueries';

/** Table Storage takes at most 100 writes in one transaction. */
const WRITES_PER_TRANSACTION = 100;

/**
 * stop: ends an open review now and applies its decisions; later occurrences still run. Its end's item, planned
 * before the review closes and due minutes later (planStoppedEnd), carries the application: a stop cut off, or a
 * removal that failed, is applied by the sweep then rather than at the review's planned end. Answers once the review
 * is closed, as Graph (204).
 */
export async function stopReview(deps: EntitlementDeps, caller: Caller, definitionId: string, instanceId: string): Promise<void> {
  const stored = await findInstance(deps, definitionId, instanceId);
  if (stored.value.status !== 'InProgress') throw new DomainError('conflict', `Access review instance '${instanceId}' is ${stored.value.status}, not InProgress.`);
  await planStoppedEnd(deps, stored.value);
  await completeReview(deps, stored, caller.objectId);
}

/** applyDecisions: applies what a completed review has not applied yet (items whose application failed included). */
export async function applyDecisions(deps: EntitlementDeps, caller: Caller, definitionId: string, instanceId: string): Promise<void> {
  const stored = await findInstance(deps, definitionId, instanceId);
  if (stored.value.status !== 'Completed' && stored.value.status !== 'Applied') throw new DomainError('conflict', `Access review instance '${instanceId}' is ${stored.value.status}: decisions are applied once it is completed.`);
  await applyReview(deps, stored, caller.objectId);
}

/** sendReminder: mails the reviewers who still have undecided items of an open review. */
export async function sendReminder(deps: EntitlementDeps, _caller: Caller, definitionId: string, instanceId: string): Promise<void> {
  const stored = await findInstance(deps, definitionId, instanceId);
  if (stored.value.status !== 'InProgress') throw new DomainError('conflict', `Access review instance '${instanceId}' is ${stored.value.status}, not InProgress.`);
  await mailReviewers(deps, stored.value, (await deps.reviews.decisionsOf(instanceId)).map((d) => d.value), 'reminder');
}

/** resetDecisions: every item of an open review back to NotReviewed, on their ETags, with one audit event. */
export async function resetDecisions(deps: EntitlementDeps, caller: Caller, definitionId: string, instanceId: string): Promise<void> {
  const stored = await findInstance(deps, definitionId, instanceId);
  if (stored.value.status !== 'InProgress') throw new DomainError('conflict', `Access review instance '${instanceId}' is ${stored.value.status}, not InProgress.`);
  const reviewed = (await deps.reviews.decisionsOf(instanceId)).filter((d) => d.value.decision !== 'NotReviewed');
  const at = nowIso(deps);
  const entry = {
    actorId: caller.objectId,
    action: 'resetReviewDecisions',
    entityType: 'accessReviewInstance',
    entityId: instanceId,
    before: { decisions: reviewed.map((d) => ({ id: d.value.id, decision: d.value.decision, reviewedById: d.value.reviewedById })).slice(0, 1000) },
    after: { reset: reviewed.length },
  };
  const [first] = reviewed;
  if (!first) {
    await deps.audit.record(entry);
    return;
  }
  // Written ahead; it shows once the first item is reset (the rest follow in the same run, or the reset is called again).
  await audited(deps, entry, { ...shownIn('accessReviews', first, 'changed'), was: first.value }, async () => {
    for (let i = 0; i < reviewed.length; i += WRITES_PER_TRANSACTION) {
      const writes = reviewed.slice(i, i + WRITES_PER_TRANSACTION).map((d) => deps.reviews.decisions.replacement(d, { ...decided(d.value, 'NotReviewed', null, null, at), reviewedByDisplayName: null, reviewedByUserPrincipalName: null }));
      await deps.reviews.decisions.together(writes);
    }
  });
}
