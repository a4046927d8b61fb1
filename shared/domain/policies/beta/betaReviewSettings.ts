import { expected, isJsonObject, type JsonObject } from '../graphValues';
import { take, type BetaRewrite } from './betaRewrite';

/** The recurrences of beta access reviews (recurrenceType) as v1.0 recurrence patterns; a one-time review has none. */
const RECURRENCES: Record<string, JsonObject | null> = {
  onetime: null,
  weekly: { type: 'weekly', interval: 1 },
  monthly: { type: 'absoluteMonthly', interval: 1 },
  quarterly: { type: 'absoluteMonthly', interval: 3 },
  halfyearly: { type: 'absoluteMonthly', interval: 6 },
  annual: { type: 'absoluteYearly', interval: 1 },
};

/** Beta assignmentReviewSettings properties that keep their meaning under a v1.0 name. */
const RENAMED = {
  isEnabled: 'isEnabled',
  accessReviewTimeoutBehavior: 'expirationBehavior',
  isAccessRecommendationEnabled: 'isRecommendationEnabled',
  isApprovalJustificationRequired: 'isReviewerJustificationRequired',
  reviewers: 'primaryReviewers',
} as const;
const RESHAPED = ['reviewerType', 'startDateTime', 'durationInDays', 'recurrenceType'];

/** Beta accessReviewSettings becomes v1.0 reviewSettings, with its schedule. */
export function normaliseBetaReviewSettings(policy: JsonObject, rewrite: BetaRewrite): void {
  const at = ['accessReviewSettings'];
  const beta = take(policy, 'accessReviewSettings');
  if (beta === undefined || beta === null || !rewrite.isFree(policy, 'reviewSettings', at)) return;
  if (!isJsonObject(beta)) {
    rewrite.problem(at, expected('an object (assignmentReviewSettings)')({ input: beta }));
    return;
  }
  const unknown = Object.keys(beta).filter((key) => !key.includes('@') && !(key in RENAMED) && !RESHAPED.includes(key));
  if (unknown.length > 0) rewrite.problem(at, `unknown properties ${unknown.map((key) => `'${key}'`).join(', ')} (not in assignmentReviewSettings)`);

  const review: JsonObject = {};
  rewrite.alias(['reviewSettings'], at);
  for (const [betaKey, key] of Object.entries(RENAMED)) {
    if (beta[betaKey] === undefined) continue;
    review[key] = beta[betaKey];
    rewrite.alias(['reviewSettings', key], [...at, betaKey]);
  }
  const reviewerType = beta.reviewerType;
  if (typeof reviewerType === 'string' && reviewerType.toLowerCase() === 'self') review.isSelfReview = true;
  else if (!(reviewerType === undefined || reviewerType === null || (typeof reviewerType === 'string' && reviewerType.toLowerCase() === 'reviewers'))) {
    rewrite.problem([...at, 'reviewerType'], "expected 'Self' or 'Reviewers'");
  }

  const schedule: JsonObject = {};
  if (beta.startDateTime !== undefined && beta.startDateTime !== null) {
    schedule.startDateTime = beta.startDateTime;
    rewrite.alias(['reviewSettings', 'schedule', 'startDateTime'], [...at, 'startDateTime']);
  }
  if (beta.durationInDays !== undefined && beta.durationInDays !== null) {
    const days = rewrite.wholeNumber(beta.durationInDays, 1, [...at, 'durationInDays']);
    if (days !== undefined) schedule.expiration = { type: 'afterDuration', duration: `P${days}D` };
    rewrite.alias(['reviewSettings', 'schedule', 'expiration'], [...at, 'durationInDays']);
    rewrite.alias(['reviewSettings', 'schedule', 'expiration', 'duration'], [...at, 'durationInDays']);
  }
  if (beta.recurrenceType !== undefined && beta.recurrenceType !== null) {
    const pattern = typeof beta.recurrenceType === 'string' ? RECURRENCES[beta.recurrenceType.toLowerCase()] : undefined;
    if (pattern === undefined) rewrite.problem([...at, 'recurrenceType'], `expected one of ${Object.keys(RECURRENCES).join(', ')}`);
    else schedule.recurrence = pattern && { pattern, range: { type: 'noEnd' } };
  }
  if (Object.keys(schedule).length > 0) review.schedule = schedule;
  policy.reviewSettings = review;
}
