import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { ReviewDecision, ReviewInstance } from '../../domain/reviews/accessReview';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { notify } from '../notifications/notify';
import { reviewReminder, reviewStarted } from '../notifications/reviewMessages';

/** Recipients of one mail: Graph's sendMail takes at most 500; fewer keeps one failure small. */
const RECIPIENTS_PER_MAIL = 100;

/**
 * Mails an instance's reviewers through MAIL_SENDER: all of them when it opens; at the midpoint (and on
 * `sendReminder`) those who still have an item nobody decided, so a reviewer who is done is not nagged.
 */
export async function mailReviewers(deps: EntitlementDeps, instance: ReviewInstance, items: readonly ReviewDecision[], why: 'start' | 'reminder'): Promise<void> {
  const waiting = why === 'start' ? items : items.filter((i) => i.decision === 'NotReviewed');
  const reviewers = [...new Set(waiting.flatMap((i) => i.reviewerIds))];
  for (let i = 0; i < reviewers.length; i += RECIPIENTS_PER_MAIL) {
    const to = reviewers.slice(i, i + RECIPIENTS_PER_MAIL);
    // The mail is about the package; nobody in particular is its subject.
    await notify(deps, { packageId: instance.accessPackageId, personId: SYSTEM_ACTOR }, (s) =>
      why === 'start' ? reviewStarted(to, s, instance.endDateTime) : reviewReminder(to, s, instance.endDateTime),
    );
  }
}
