import { getDeps } from '../shared/composition';
import { registerTimer } from '../shared/hosting/registry';
import { sweepHandler } from '../shared/hosting/sweepHandler';
import { dispatchAccessReviews } from '../shared/operations/reviews/accessReviewSweep';

/**
 * Opens, reminds and closes access reviews of assignments, and applies their decisions. A large review's opening
 * fans out in shards over the `review-opening-shards` queue (functions/reviewOpeningShard.ts).
 */
export const accessReviewSweep = sweepHandler('accessReviewSweep', (deps, options) => dispatchAccessReviews(deps, getDeps().queues.reviewOpeningShards, options));

registerTimer('accessReviewSweep', { schedule: '0 */5 * * * *', handler: accessReviewSweep });
