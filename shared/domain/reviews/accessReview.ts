import { DateTime } from 'luxon';
import type { ReviewSettings } from '../policies';

/** What a reviewer may record (accessReviewInstanceDecisionItem.decision, less `NotReviewed`). */
export const REVIEWER_DECISIONS = ['Approve', 'Deny', 'DontKnow'] as const;
export type ReviewerDecision = (typeof REVIEWER_DECISIONS)[number];
export type DecisionValue = ReviewerDecision | 'NotReviewed';
export type Recommendation = 'Approve' | 'Deny' | 'NoInfoAvailable';
export type ApplyResult = 'New' | 'AppliedSuccessfully' | 'AppliedWithUnknownFailure' | 'AppliedSuccessfullyButObjectNotFound' | 'ApplyNotSupported';
/**
 * accessReviewInstance.status as Portcullis uses it: `Initializing` while its items are written (invisible to
 * reviewers), `InProgress` while open, `Completed` once ended (input closed), `Applied` once its decisions changed
 * the directory.
 */
export type InstanceStatus = 'Initializing' | 'InProgress' | 'Completed' | 'Applied';

/** Entra recommends approving when the assignee signed in within this long before the review opened. */
export const RECOMMENDATION_LOOK_BACK_DAYS = 30;

/** One occurrence of a policy's review. Its settings are the policy's when it opened: a later change affects later occurrences. */
export interface ReviewInstance {
  id: string;
  /** The definition is the policy's review: one per reviewed policy, with the policy's id. */
  definitionId: string;
  policyId: string;
  accessPackageId: string;
  catalogId: string;
  startDateTime: string;
  endDateTime: string;
  status: InstanceStatus;
  settings: ReviewSettings;
  /** How many decision items it has (one per assignment active when it opened). */
  itemCount: number;
  /** Who ended it early (`stop`), if anyone. */
  stoppedById: string | null;
  completedDateTime: string | null;
  appliedDateTime: string | null;
}

/** One assignment under review. */
export interface ReviewDecision {
  id: string;
  instanceId: string;
  definitionId: string;
  assignmentId: string;
  /** The assignee, with their names as the directory had them when the review opened. */
  principalId: string;
  principalDisplayName: string | null;
  principalUserPrincipalName: string | null;
  accessPackageId: string;
  policyId: string;
  /** Who may decide it, resolved when the review opened. */
  reviewerIds: string[];
  decision: DecisionValue;
  recommendation: Recommendation;
  justification: string | null;
  reviewedById: string | null;
  reviewedByDisplayName?: string | null;
  reviewedByUserPrincipalName?: string | null;
  reviewedDateTime: string | null;
  applyResult: ApplyResult;
  appliedById: string | null;
  appliedDateTime: string | null;
}

/**
 * Approve when the assignee signed in during the look-back before the review opened, Deny when not; no information
 * when the directory does not say (no sign-in recorded, or the user is gone).
 */
export function recommend(lastSignInDateTime: string | null | undefined, openedAt: DateTime): Recommendation {
  if (!lastSignInDateTime) return 'NoInfoAvailable';
  const signedIn = DateTime.fromISO(lastSignInDateTime, { zone: 'utc' });
  if (!signedIn.isValid) return 'NoInfoAvailable';
  return signedIn >= openedAt.minus({ days: RECOMMENDATION_LOOK_BACK_DAYS }) ? 'Approve' : 'Deny';
}

/**
 * Whether an item's assignment is removed when its review is applied: a denial removes; approval and "don't know"
 * keep; an item nobody decided follows the policy's `expirationBehavior`.
 */
export function removesAccess(item: Pick<ReviewDecision, 'decision' | 'recommendation'>, settings: Pick<ReviewSettings, 'expirationBehavior'>): boolean {
  if (item.decision !== 'NotReviewed') return item.decision === 'Deny';
  switch (settings.expirationBehavior) {
    case 'keepAccess':
      return false;
    case 'removeAccess':
      return true;
    case 'acceptAccessRecommendation':
      return item.recommendation === 'Deny';
  }
}

/** An item whose decision a reviewer records now, or resets; `reviewedBy` null for a reset. */
export function decided(item: ReviewDecision, decision: DecisionValue, justification: string | null, reviewedById: string | null, at: string): ReviewDecision {
  return { ...item, decision, justification, reviewedById, reviewedDateTime: reviewedById ? at : null };
}
