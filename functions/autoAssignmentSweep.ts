import type { InvocationContext, Timer } from '@azure/functions';
import { registerTimer } from '../shared/hosting/registry';

/** Evaluates auto-assignment policies' rules, then adds and removes assignments (DESIGN §2.7). */
export async function autoAssignmentSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  context.log('autoAssignmentSweep: no auto-assignment policies exist yet, so there is no work to do.');
}

registerTimer('autoAssignmentSweep', { schedule: '0 */5 * * * *', handler: autoAssignmentSweep });
