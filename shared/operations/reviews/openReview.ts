import { audited, shownIn } from '../audit/auditedChange';
import { DateTime } from 'luxon';
import { deterministicId } from '../../domain/deterministicId';
import { isDomainError } from '../../domain/errors';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import { recommend, type ReviewDecision, type ReviewInstance } from '../../domain/reviews/accessReview';
import { occurrenceAt, type ReviewOccurrence } from '../../domain/reviews/reviewSchedule';
import { mapConcurrently } from '../../concurrently';
import type { Assignment } from '../../domain/assignments/assignment';
import type { StoredDocument } from '../../store/documentTable';
import type { StoredPolicy } from '../../store/entitlementStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import type { ItemOutcome } from '../lifecycle/sweepDueWork';
import { mailReviewers } from './reviewMail';
import { planInstance, planNextReview } from './planReviews';
import { reviewerResolver } from './reviewers';

/** One instance per policy and occurrence: its id follows from both, so a second opening finds the first. */
export const instanceIdOf = (policyId: string, start: DateTime) => deterministicId('accessReviewInstance', policyId, start.toUTC().toISO()!);
const decisionIdOf = (instanceId: string, assignmentId: string) => deterministicId('accessReviewDecision', instanceId, assignmentId);

/**
 * Opens the occurrence an item names, if the policy's schedule still has it: the instance is inserted once
 * (`Initializing`), its items written (one per assignment active now, reviewers resolved now, recommendations from
 * sign-ins), its reminder, end and the next occurrence planned, and only then does it become `InProgress` (on its
 * ETag), is audited and mailed. An opening cut off midway is taken up again by the next run from the start; one
 * already `InProgress` is not opened again.
 */
export async function openReview(deps: EntitlementDeps, policyId: string, detail: string): Promise<ItemOutcome> {
  const opening = await openingInstance(deps, policyId, detail);
  if (!opening) return 'stale';
  await openAtOnce(deps, opening);
  return 'processed';
}

/** Every item of an opening written by this run, then the opening finished. */
export async function openAtOnce(deps: EntitlementDeps, opening: Opening): Promise<void> {
  const items = await decisionItems(deps, opening.stored.value, await deps.grants.assignmentsOfPackage(opening.stored.value.accessPackageId));
  await deps.reviews.writeOpening(items);
  await finishOpening(deps, opening, items);
}

/** An occurrence being opened: its policy, its place in the schedule, and its instance, still `Initializing`. */
export interface Opening {
  policy: StoredPolicy;
  occurrence: ReviewOccurrence;
  stored: StoredDocument<ReviewInstance>;
}

/**
 * The instance of the occurrence an item names (`index|start`), inserted `Initializing` the first time; undefined
 * when the policy's schedule no longer has the occurrence, or its instance has opened already.
 */
export async function openingInstance(deps: EntitlementDeps, policyId: string, detail: string): Promise<Opening | undefined> {
  const [indexText = '', startIso = ''] = detail.split('|');
  const policy = await deps.store.policies.find(policyId);
  const settings = policy?.value.reviewSettings;
  const occurrence = settings ? occurrenceAt(settings, Number(indexText)) : undefined;
  if (!policy || !occurrence || occurrence.start.toMillis() !== DateTime.fromISO(startIso).toMillis()) return undefined;
  const stored = await insertedOrFound(deps, await newInstance(deps, policy.value, occurrence));
  return stored.value.status === 'Initializing' ? { policy: policy.value, occurrence, stored } : undefined;
}

/**
 * Once every item is written: the instance's reminder, end and the next occurrence planned, and only then does it
 * become `InProgress` (on its ETag), audited, and its reviewers mailed.
 */
export async function finishOpening(deps: EntitlementDeps, { policy, occurrence, stored }: Opening, items: readonly ReviewDecision[]): Promise<void> {
  await planInstance(deps, stored.value, occurrence.start, occurrence.end);
  await planNextReview(deps, policy, occurrence);
  const opened: ReviewInstance = { ...stored.value, status: 'InProgress', itemCount: items.length };
  const entry = { actorId: SYSTEM_ACTOR, action: 'startAccessReview', entityType: 'accessReviewInstance', entityId: opened.id, before: stored.value, after: opened };
  await audited(deps, entry, shownIn('accessReviews', stored, 'changed'), () => deps.reviews.instances.replace(stored, opened));
  await mailReviewers(deps, opened, items, 'start');
}

async function newInstance(deps: EntitlementDeps, policy: StoredPolicy, occurrence: ReviewOccurrence): Promise<ReviewInstance> {
  const accessPackage = await deps.store.accessPackages.find(policy.accessPackageId);
  return {
    id: instanceIdOf(policy.id, occurrence.start),
    definitionId: policy.id,
    policyId: policy.id,
    accessPackageId: policy.accessPackageId,
    catalogId: accessPackage?.value.catalogId ?? '',
    startDateTime: occurrence.start.toUTC().toISO()!,
    endDateTime: occurrence.end.toUTC().toISO()!,
    status: 'Initializing',
    settings: policy.reviewSettings!,
    itemCount: 0,
    stoppedById: null,
    completedDateTime: null,
    appliedDateTime: null,
  };
}

async function insertedOrFound(deps: EntitlementDeps, instance: ReviewInstance): Promise<StoredDocument<ReviewInstance>> {
  try {
    return await deps.reviews.insertInstance(instance);
  } catch (error) {
    if (!(isDomainError(error) && error.code === 'alreadyExists')) throw error;
    const found = await deps.reviews.instance(instance.definitionId, instance.id);
    if (!found) throw error;
    return found;
  }
}

/** One item per assignment (of `assignments`) of the instance's policy active when the review opens. */
export async function decisionItems(deps: EntitlementDeps, instance: ReviewInstance, ofPackage: readonly StoredDocument<Assignment>[]): Promise<ReviewDecision[]> {
  const assignments = ofPackage.map((a) => a.value).filter((a) => a.assignmentPolicyId === instance.policyId && a.state !== 'expired');
  const signIns = await deps.directory.getLastSignIns(assignments.map((a) => a.targetId));
  const reviewersOf = reviewerResolver(deps.directory, instance.settings);
  const openedAt = DateTime.fromISO(instance.startDateTime, { zone: 'utc' });
  return mapConcurrently(assignments, async (assignment): Promise<ReviewDecision> => {
    const user = signIns.get(assignment.targetId);
    return {
      id: decisionIdOf(instance.id, assignment.id),
      instanceId: instance.id,
      definitionId: instance.definitionId,
      assignmentId: assignment.id,
      principalId: assignment.targetId,
      principalDisplayName: user?.displayName ?? null,
      principalUserPrincipalName: user?.userPrincipalName ?? null,
      accessPackageId: instance.accessPackageId,
      policyId: instance.policyId,
      reviewerIds: await reviewersOf(assignment.targetId),
      decision: 'NotReviewed',
      recommendation: instance.settings.isRecommendationEnabled ? recommend(user?.lastSignInDateTime, openedAt) : 'NoInfoAvailable',
      justification: null,
      reviewedById: null,
      reviewedDateTime: null,
      applyResult: 'New',
      appliedById: null,
      appliedDateTime: null,
    };
  });
}
