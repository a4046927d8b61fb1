import { registerQueue } from '../shared/hosting/registry';
import { queueHandler } from '../shared/hosting/queueHandler';
import { SWEEP_BUDGET_MS } from '../shared/operations/lifecycle/sweepBudget';
import { dueRangeMessage } from '../shared/operations/lifecycle/fanOutDueWork';
import { processExpirationShard } from '../shared/operations/lifecycle/expirationSweep';
import { QUEUE_NAMES } from '../shared/queues/queueNames';

/** One shard of the expiration sweep's due work, sent by its timer: processed on whichever instance takes it. */
export const expirationShard = queueHandler('expirationShard', QUEUE_NAMES.expirationShards, dueRangeMessage, (shard, deps, context) =>
  processExpirationShard(deps.entitlements, shard, { holder: context.invocationId, budgetMs: SWEEP_BUDGET_MS }),
);

registerQueue('expirationShard', { queueName: QUEUE_NAMES.expirationShards, handler: expirationShard });
