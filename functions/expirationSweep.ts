import { getDeps } from '../shared/composition';
import { registerTimer } from '../shared/hosting/registry';
import { sweepHandler } from '../shared/hosting/sweepHandler';
import { dispatchExpirations } from '../shared/operations/lifecycle/expirationSweep';

/**
 * Does everything that is due by time: assignment ends, scheduled starts, approval timeouts and escalations,
 * reminders. More than one shard of work fans out over the `expiration-shards` queue (functions/expirationShard.ts).
 */
export const expirationSweep = sweepHandler('expirationSweep', (deps, options) => dispatchExpirations(deps, getDeps().queues.expirationShards, options));

registerTimer('expirationSweep', { schedule: '0 * * * * *', handler: expirationSweep });
