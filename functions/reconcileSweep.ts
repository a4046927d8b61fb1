import type { InvocationContext, Timer } from '@azure/functions';
import { registerTimer } from '../shared/hosting/registry';

/** Re-drives pending or failed delivery and repairs drift between assignments and the directory. */
export async function reconcileSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  context.log('reconcileSweep: not built yet; failed deliveries are re-driven with assignmentRequests/{id}/reprocess.');
}

registerTimer('reconcileSweep', { schedule: '0 */15 * * * *', handler: reconcileSweep });
