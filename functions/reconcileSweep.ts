import { registerTimer } from '../shared/hosting/registry';
import { sweepHandler } from '../shared/hosting/sweepHandler';
import { reconcile } from '../shared/operations/lifecycle/reconcileSweep';

/** Re-drives pending or failed delivery and repairs drift between assignments and the directory. */
export const reconcileSweep = sweepHandler('reconcileSweep', reconcile);

registerTimer('reconcileSweep', { schedule: '0 */15 * * * *', handler: reconcileSweep });
