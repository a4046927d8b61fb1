import type { InvocationContext, Timer } from '@azure/functions';
import { registerTimer } from '../shared/hosting/registry';

/** Does everything that is due by time: assignment ends, scheduled starts, approval timeouts, reminders. */
export async function expirationSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  context.log('expirationSweep: no time-indexed work exists yet, so there is no work to do.');
}

registerTimer('expirationSweep', { schedule: '0 * * * * *', handler: expirationSweep });
