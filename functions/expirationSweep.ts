import type { InvocationContext, Timer } from '@azure/functions';
import { getDeps } from '../shared/composition';
import { registerTimer } from '../shared/hosting/registry';
import { sweepExpirations } from '../shared/operations/lifecycle/expirationSweep';
import { SWEEP_BUDGET_MS } from '../shared/operations/lifecycle/sweepBudget';

/** Does everything that is due by time: assignment ends, scheduled starts, approval timeouts and escalations, reminders. */
export async function expirationSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  const result = await sweepExpirations(getDeps().entitlements, { holder: context.invocationId, budgetMs: SWEEP_BUDGET_MS });
  context.log(result ? `expirationSweep: ${JSON.stringify(result)}` : 'expirationSweep: another instance is running it.');
}

registerTimer('expirationSweep', { schedule: '0 * * * * *', handler: expirationSweep });
