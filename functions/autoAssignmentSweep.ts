import { getDeps } from '../shared/composition';
import { registerTimer } from '../shared/hosting/registry';
import { sweepHandler } from '../shared/hosting/sweepHandler';
import { sweepAutoAssignments } from '../shared/operations/autoAssignment/autoAssignmentSweep';

/**
 * Assigns the users an auto-assignment policy's rule matches and removes those who stopped matching. A full
 * evaluation fans out by runs of users over the `auto-assignment-shards` queue (functions/autoAssignmentShard.ts).
 */
export const autoAssignmentSweep = sweepHandler('autoAssignmentSweep', (deps, options) => sweepAutoAssignments(deps, options, { queue: getDeps().queues.autoAssignmentShards }));

registerTimer('autoAssignmentSweep', { schedule: '0 */5 * * * *', handler: autoAssignmentSweep });
