import type { InvocationContext, Timer } from '@azure/functions';
import { registerTimer } from '../shared/hosting/registry';

/** Does everything that is due by time: assignment ends, scheduled starts, approval timeouts, reminders. */
export async function expirationSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  context.log('expirationSweep: not built yet; assignment ends, scheduled starts and approval timeouts are not acted on.');
}

registerTimer('expirationSweep', { schedule: '0 * * * * *', handler: expirationSweep });
