import type { InvocationContext, Timer } from '@azure/functions';
import { registerTimer } from '../shared/hosting/registry';

/** Opens, reminds and closes access reviews of assignments, and applies their decisions. */
export async function accessReviewSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  context.log('accessReviewSweep: access reviews are not built yet, so there is no work to do.');
}

registerTimer('accessReviewSweep', { schedule: '0 5 * * * *', handler: accessReviewSweep });
