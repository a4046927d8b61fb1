import { registerTimer } from '../shared/hosting/registry';
import { sweepHandler } from '../shared/hosting/sweepHandler';
import { sweepAutoAssignments } from '../shared/operations/autoAssignment/autoAssignmentSweep';

/** Assigns the users an auto-assignment policy's rule matches and removes those who stopped matching. */
export const autoAssignmentSweep = sweepHandler('autoAssignmentSweep', sweepAutoAssignments);

registerTimer('autoAssignmentSweep', { schedule: '0 */5 * * * *', handler: autoAssignmentSweep });
