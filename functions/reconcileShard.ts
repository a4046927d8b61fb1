import { registerQueue } from '../shared/hosting/registry';
import { queueHandler } from '../shared/hosting/queueHandler';
import { processReconcileShard, reconcileShardMessage } from '../shared/operations/lifecycle/reconcileFanOut';
import { SWEEP_BUDGET_MS } from '../shared/operations/lifecycle/sweepBudget';
import { QUEUE_NAMES } from '../shared/queues/queueNames';

/** One shard of the reconcile sweep's comparison (an application role, or a set of groups), sent by its timer. */
export const reconcileShard = queueHandler('reconcileShard', QUEUE_NAMES.reconcileShards, reconcileShardMessage, (shard, deps, context) =>
  processReconcileShard(deps.entitlements, shard, { holder: context.invocationId, budgetMs: SWEEP_BUDGET_MS }),
);

registerQueue('reconcileShard', { queueName: QUEUE_NAMES.reconcileShards, handler: reconcileShard });
