import { registerTimer } from '../shared/hosting/registry';
import { sweepHandler } from '../shared/hosting/sweepHandler';
import { sweepExpirations } from '../shared/operations/lifecycle/expirationSweep';

/** Does everything that is due by time: assignment ends, scheduled starts, approval timeouts and escalations, reminders. */
export const expirationSweep = sweepHandler('expirationSweep', sweepExpirations);

registerTimer('expirationSweep', { schedule: '0 * * * * *', handler: expirationSweep });
