import { registerQueue } from '../shared/hosting/registry';
import { queueHandler } from '../shared/hosting/queueHandler';
import { SWEEP_BUDGET_MS } from '../shared/operations/lifecycle/sweepBudget';
import { openReviewShard, reviewOpeningMessage } from '../shared/operations/reviews/openReviewInShards';
import { QUEUE_NAMES } from '../shared/queues/queueNames';

/** One shard of a large access review's opening, sent by accessReviewSweep: its decision items written. */
export const reviewOpeningShard = queueHandler('reviewOpeningShard', QUEUE_NAMES.reviewOpeningShards, reviewOpeningMessage, (shard, deps, context) =>
  openReviewShard(deps.entitlements, shard, { holder: context.invocationId, budgetMs: SWEEP_BUDGET_MS }),
);

registerQueue('reviewOpeningShard', { queueName: QUEUE_NAMES.reviewOpeningShards, handler: reviewOpeningShard });
