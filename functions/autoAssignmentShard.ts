import { registerQueue } from '../shared/hosting/registry';
import { queueHandler } from '../shared/hosting/queueHandler';
import { autoAssignmentShardMessage, processAutoAssignmentShard } from '../shared/operations/autoAssignment/autoAssignmentFanOut';
import { SWEEP_BUDGET_MS } from '../shared/operations/lifecycle/sweepBudget';
import { QUEUE_NAMES } from '../shared/queues/queueNames';

/** One shard of the auto-assignment sweep's full evaluation (a run of users by id), sent by its timer. */
export const autoAssignmentShard = queueHandler('autoAssignmentShard', QUEUE_NAMES.autoAssignmentShards, autoAssignmentShardMessage, (shard, deps, context) =>
  processAutoAssignmentShard(deps.entitlements, shard, { holder: context.invocationId, budgetMs: SWEEP_BUDGET_MS }),
);

registerQueue('autoAssignmentShard', { queueName: QUEUE_NAMES.autoAssignmentShards, handler: autoAssignmentShard });
