import { getDeps } from '../shared/composition';
import { registerTimer } from '../shared/hosting/registry';
import { sweepHandler } from '../shared/hosting/sweepHandler';
import { dispatchReconcile } from '../shared/operations/lifecycle/reconcileFanOut';

/**
 * Re-drives pending or failed delivery and repairs drift between assignments and the directory. The comparison
 * fans out per application role and per set of groups over the `reconcile-shards` queue (functions/reconcileShard.ts).
 */
export const reconcileSweep = sweepHandler('reconcileSweep', (deps, options) => dispatchReconcile(deps, getDeps().queues.reconcileShards, options));

registerTimer('reconcileSweep', { schedule: '0 */15 * * * *', handler: reconcileSweep });
