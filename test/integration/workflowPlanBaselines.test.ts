import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { inProcessOperationsForFile } from '../support/inProcessOperations';
import { GLOBAL_ADMIN, INTO_SALES, SALES_LEAVERS } from '../support/workflowDefinitions';

/**
 * Two workflows planned in the background by the same sweep pass (workflowPlan.ts), a leave-date one and a mover,
 * on Azurite and the Graph emulator's demo tenant: their parts run at once, so each user's record of what was seen
 * is written by one plan while the other writes it too. Neither plan's baseline may be lost to the other.
 */

let deps: EntitlementDeps;
inProcessOperationsForFile((w) => (deps = w.deps));

it("records every user's leave date and department when a leave-date and a mover workflow are planned in the same sweep", async () => {
  await createWorkflow(deps, GLOBAL_ADMIN, SALES_LEAVERS);
  await createWorkflow(deps, GLOBAL_ADMIN, INTO_SALES);
  expect(await sweepExpirations(deps, { holder: 'baselines', budgetMs: 60_000 })).toMatchObject({ processed: 2, failed: 0 });
  const missing: string[] = [];
  for (const user of (await deps.directory.listUsers()).items) {
    const values = (await deps.workflows.watchedOf(user.id))?.value.values ?? {};
    // A value the user does not have is recorded only by whichever plan writes the user's record first.
    if ((user.department && values.department !== user.department) || !('employeeLeaveDateTime' in values)) missing.push(user.id);
  }
  expect(missing).toEqual([]);
});
