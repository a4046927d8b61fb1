import type { InvocationContext, Timer } from '@azure/functions';
import { getDeps } from '../composition';
import type { EntitlementDeps } from '../operations/entitlements/entitlementDeps';
import { SWEEP_BUDGET_MS } from '../operations/lifecycle/sweepBudget';
import type { SweepOptions } from '../operations/lifecycle/sweepDueWork';

/**
 * A timer function that runs one sweep within the sweep budget and logs what it did, or that another instance is
 * running it (the sweep answers undefined when its lease is held).
 */
export function sweepHandler(name: string, sweep: (deps: EntitlementDeps, options: SweepOptions) => Promise<object | undefined>) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const result = await sweep(getDeps().entitlements, { holder: context.invocationId, budgetMs: SWEEP_BUDGET_MS });
    context.log(result ? `${name}: ${JSON.stringify(result)}` : `${name}: another instance is running it.`);
  };
}
