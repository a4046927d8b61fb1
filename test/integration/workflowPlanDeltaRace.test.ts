import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { parseItemDetail, planWorkflowForUsers, planWorkflowsForChangedUsers } from '../../shared/operations/workflows/planWorkflowTriggers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { patchUser } from '../support/packageWorld';
import { GLOBAL_ADMIN, INTO_SALES, SALES_LEAVERS } from '../support/workflowDefinitions';

/**
 * The users delta reports a mover while a leave-date workflow's background plan records the same user's leave-date
 * baseline, its write landing between the delta's read and the delta's ETag write: the move is still planned (the
 * delta link has moved on, so the user is not reported again).
 */

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((w) => {
  world = w;
  deps = w.deps;
});

it('plans the move the delta reports while a leave-date plan records the same user', async () => {
  const mover = await createWorkflow(deps, GLOBAL_ADMIN, INTO_SALES);
  await sweepExpirations(deps, { holder: 'race-1', budgetMs: 60_000 }); // every user's department recorded
  const leavers = await createWorkflow(deps, GLOBAL_ADMIN, SALES_LEAVERS); // its plan not run yet
  const user = (await deps.directory.listUsers()).items.find((u) => u.department === 'Marketing')!;
  const asListed = (await deps.directory.getUser(user.id))!; // what the plan's page holds
  await patchUser(world.emulator, user.id, { department: 'Sales' });

  const records = deps.workflows;
  const recordWatched = records.recordWatched.bind(records);
  jest.spyOn(records, 'recordWatched').mockImplementationOnce(async (...args: Parameters<typeof recordWatched>) => {
    await planWorkflowForUsers(deps, leavers, [asListed]); // the background plan's part reaches this user now
    return recordWatched(...args);
  });
  await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(user.id))!]);
  jest.restoreAllMocks();

  const moves = (await deps.due.dueBy(world.now().plus({ minutes: 5 }), undefined)).filter(
    (i) => i.value.kind === 'workflowTrigger' && i.value.entityId === mover.id && parseItemDetail(i.value.detail).userId.toLowerCase() === user.id.toLowerCase(),
  );
  expect(moves).toHaveLength(1);
});
