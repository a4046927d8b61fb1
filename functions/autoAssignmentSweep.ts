import type { InvocationContext, Timer } from '@azure/functions';
import { getDeps } from '../shared/composition';
import { registerTimer } from '../shared/hosting/registry';
import { sweepAutoAssignments } from '../shared/operations/autoAssignment/autoAssignmentSweep';
import { SWEEP_BUDGET_MS } from '../shared/operations/lifecycle/sweepBudget';

/** Assigns the users an auto-assignment policy's rule matches and removes those who stopped matching. */
export async function autoAssignmentSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  const result = await sweepAutoAssignments(getDeps().entitlements, { holder: context.invocationId, budgetMs: SWEEP_BUDGET_MS });
  context.log(result ? `autoAssignmentSweep: ${JSON.stringify(result)}` : 'autoAssignmentSweep: another instance is running it.');
}

registerTimer('autoAssignmentSweep', { schedule: '0 */5 * * * *', handler: autoAssignmentSweep });
