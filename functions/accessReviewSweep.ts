import { registerTimer } from '../shared/hosting/registry';
import { sweepHandler } from '../shared/hosting/sweepHandler';
import { sweepAccessReviews } from '../shared/operations/reviews/accessReviewSweep';

/** Opens, reminds and closes access reviews of assignments, and applies their decisions. */
export const accessReviewSweep = sweepHandler('accessReviewSweep', sweepAccessReviews);

registerTimer('accessReviewSweep', { schedule: '0 */5 * * * *', handler: accessReviewSweep });
