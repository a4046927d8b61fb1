import type { InvocationContext, Timer } from '@azure/functions';
import { getDeps } from '../shared/composition';
import { registerTimer } from '../shared/hosting/registry';
import { reconcile } from '../shared/operations/lifecycle/reconcileSweep';
import { SWEEP_BUDGET_MS } from '../shared/operations/lifecycle/sweepBudget';

/** Re-drives pending or failed delivery and repairs drift between assignments and the directory. */
export async function reconcileSweep(_timer: Timer, context: InvocationContext): Promise<void> {
  const result = await reconcile(getDeps().entitlements, { holder: context.invocationId, budgetMs: SWEEP_BUDGET_MS });
  context.log(result ? `reconcileSweep: ${JSON.stringify(result)}` : 'reconcileSweep: another instance is running it.');
}

registerTimer('reconcileSweep', { schedule: '0 */15 * * * *', handler: reconcileSweep });
