import { audited, shownIn } from '../audit/auditedChange';
import type { DirectoryUser } from '../../directory/directoryPort';
import { mapConcurrently } from '../../concurrently';
import type { Caller } from '../../auth/caller';
import { DomainError } from '../../domain/errors';
import { decided, type DecisionValue, type ReviewDecision, type ReviewInstance } from '../../domain/reviews/accessReview';
import { parseBatchDecision, parseDecision, type DecisionInput } from '../../domain/reviews/decisionInput';
import type { StoredDocument } from '../../store/documentTable';
import { nowIso, type EntitlementDeps } from '../entitlements/entitlementDeps';
import { decisionsOfReviewer, findDecision, findInstance, requireReview } from './reviewQueries';

const AUDIT_ACTIONS: Record<DecisionValue, string> = {
  Approve: 'approveReviewDecision',
  Deny: 'denyReviewDecision',
  DontKnow: 'dontKnowReviewDecision',
  NotReviewed: 'resetReviewDecision',
};

/** Decisions are taken while the review is open; the last one before its end counts. */
async function openInstance(deps: EntitlementDeps, definitionId: string, instanceId: string): Promise<StoredDocument<ReviewInstance>> {
  const stored = await findInstance(deps, definitionId, instanceId);
  if (stored.value.status !== 'InProgress') throw new DomainError('conflict', `Access review instance '${instanceId}' is ${stored.value.status}: its decisions can no longer change.`);
  return stored;
}

/**
 * An item the review's end has applied (or is applying) takes no decision: its instance was open when checked, but
 * ended before the item was read, and a decision written now would never be applied. An item still `New` is written
 * on its ETag, so an application under way meanwhile fails on it, and is retried with the decision.
 */
function requireUnapplied(items: readonly StoredDocument<ReviewDecision>[], instanceId: string): void {
  if (items.some((item) => item.value.applyResult !== 'New')) {
    throw new DomainError('conflict', `Access review instance '${instanceId}' has ended: its decisions can no longer change.`);
  }
}

function requireJustification(instance: ReviewInstance, input: DecisionInput): void {
  if (instance.settings.isReviewerJustificationRequired && input.decision === 'Approve' && !input.justification?.trim()) {
    throw new DomainError('invalidRequest', 'Invalid decision: justification: is required to approve in this review.');
  }
}

/** PATCH of one decision item, by one of its reviewers. The body is checked before anything is read or written. */
export async function recordDecision(deps: EntitlementDeps, caller: Caller, definitionId: string, instanceId: string, decisionId: string, body: unknown): Promise<void> {
  const input = parseDecision(body);
  const instance = await openInstance(deps, definitionId, instanceId);
  const item = await findDecision(deps, instanceId, decisionId);
  requireReview('decide', { readsCatalog: false, reviews: item.value.reviewerIds.includes(caller.objectId), isApplication: caller.isApplication });
  requireJustification(instance.value, input);
  requireUnapplied([item], instanceId);
  await writeDecision(deps, await reviewerOf(deps, caller), item, input.decision, input.justification);
}

/**
 * batchRecordDecisions: the caller's items in the instance (of one assignee, or one resource, when named) all get
 * the decision. Only items the caller reviews are touched.
 */
export async function batchRecordDecisions(deps: EntitlementDeps, caller: Caller, definitionId: string, instanceId: string, body: unknown): Promise<void> {
  const input = parseBatchDecision(body);
  const instance = await openInstance(deps, definitionId, instanceId);
  requireJustification(instance.value, input);
  const items = (await callersItems(deps, caller, definitionId, instanceId)).filter(
    (i) => (!input.principalId || i.value.principalId === input.principalId) && (!input.resourceId || i.value.policyId === input.resourceId),
  );
  requireUnapplied(items, instanceId);
  const reviewer = await reviewerOf(deps, caller);
  await mapConcurrently(items, (item) => writeDecision(deps, reviewer, item, input.decision, input.justification));
}

/** acceptRecommendations: each of the caller's undecided items takes its recommendation, where there is one. */
export async function acceptRecommendations(deps: EntitlementDeps, caller: Caller, definitionId: string, instanceId: string): Promise<void> {
  await openInstance(deps, definitionId, instanceId);
  const items = (await callersItems(deps, caller, definitionId, instanceId)).filter((i) => i.value.decision === 'NotReviewed' && i.value.recommendation !== 'NoInfoAvailable');
  requireUnapplied(items, instanceId);
  const reviewer = await reviewerOf(deps, caller);
  await mapConcurrently(items, (item) => writeDecision(deps, reviewer, item, item.value.recommendation as 'Approve' | 'Deny', 'Accepted the recommendation (sign-in activity).'));
}

async function callersItems(deps: EntitlementDeps, caller: Caller, definitionId: string, instanceId: string): Promise<StoredDocument<ReviewDecision>[]> {
  const mine = await decisionsOfReviewer(deps, caller.objectId, { definitionId, instanceId });
  requireReview('decide', { readsCatalog: false, reviews: mine.length > 0, isApplication: caller.isApplication });
  // Reread for their ETags: a decision is written on what it replaces.
  const stored = await mapConcurrently(mine, (item) => deps.reviews.decision(instanceId, item.id));
  return stored.filter((d): d is StoredDocument<ReviewDecision> => d !== undefined);
}

/** The reviewer as decisions show them: read from the directory once per call, however many items it decides. */
interface Reviewer {
  objectId: string;
  user: DirectoryUser | undefined;
}

async function reviewerOf(deps: EntitlementDeps, caller: Caller): Promise<Reviewer> {
  return { objectId: caller.objectId, user: await deps.directory.getUser(caller.objectId) };
}

/** Writes a decision on the item's ETag (a concurrent one gets 409), with its audit event. */
async function writeDecision(deps: EntitlementDeps, reviewer: Reviewer, item: StoredDocument<ReviewDecision>, decision: DecisionValue, justification: string | null): Promise<void> {
  const shown = decision === 'NotReviewed' ? undefined : reviewer.user;
  const after: ReviewDecision = {
    ...decided(item.value, decision, justification, decision === 'NotReviewed' ? null : reviewer.objectId, nowIso(deps)),
    reviewedByDisplayName: shown?.displayName ?? null,
    reviewedByUserPrincipalName: shown?.userPrincipalName ?? null,
  };
  const entry = { actorId: reviewer.objectId, action: AUDIT_ACTIONS[decision], entityType: 'accessReviewDecision', entityId: item.value.id, before: item.value, after };
  await audited(deps, entry, shownIn('accessReviews', item, 'changed'), () => deps.reviews.decisions.replace(item, after));
}
