import type { z } from 'zod';
import { ACCESS_REVIEW_EXPIRATION_BEHAVIORS, type ReviewSettings } from './assignmentPolicy';
import { enumIgnoringCase, flag, graphObject, orNull } from './graphValues';
import { entitlementManagementSchedule } from './schedule';
import { subjectSets } from './subjectSets';
import { REVIEW_RECURRENCE_TYPES } from '../reviews/reviewSchedule';

/**
 * accessPackageAssignmentReviewSettings. Recommendations and reviewer justification default to on, as documented;
 * an unanswered review keeps access, as Entra's "no change" default does.
 */
export const reviewSettings: z.ZodType<ReviewSettings, unknown> = graphObject('accessPackageAssignmentReviewSettings', {
  isEnabled: flag(false),
  expirationBehavior: enumIgnoringCase(ACCESS_REVIEW_EXPIRATION_BEHAVIORS, 'keepAccess'),
  isRecommendationEnabled: flag(true),
  isReviewerJustificationRequired: flag(true),
  isSelfReview: flag(false),
  primaryReviewers: subjectSets('reviewers'),
  fallbackReviewers: subjectSets('reviewers'),
  schedule: orNull(entitlementManagementSchedule),
}).superRefine((settings, ctx) => {
  if (!settings.isEnabled) return;
  if (!settings.isSelfReview && settings.primaryReviewers.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['primaryReviewers'], message: 'is required when reviews are enabled and isSelfReview is false' });
  }
  const pattern = settings.schedule?.recurrence?.pattern.type;
  if (pattern && !(REVIEW_RECURRENCE_TYPES as readonly string[]).includes(pattern)) {
    ctx.addIssue({ code: 'custom', path: ['schedule', 'recurrence', 'pattern', 'type'], message: `must be ${REVIEW_RECURRENCE_TYPES.join(' or ')} for reviews (leave recurrence out for a one-time review)` });
  }
  if (!settings.schedule?.startDateTime) {
    ctx.addIssue({ code: 'custom', path: ['schedule', 'startDateTime'], message: 'is required when reviews are enabled' });
  }
});
