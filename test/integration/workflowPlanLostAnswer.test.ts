import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { DomainError } from '../../shared/domain/errors';
import { runsOnSchedule } from '../../shared/domain/workflows/workflow';
import { createWorkflow, updateWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { parseItemDetail, planWorkflowsForChangedUsers } from '../../shared/operations/workflows/planWorkflowTriggers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { patchUser } from '../support/packageWorld';
import { GLOBAL_ADMIN, SALES_LEAVERS } from '../support/workflowDefinitions';

/**
 * A save that landed but whose answer was lost (the SDK retries the replace, which then meets its own new ETag: 412,
 * concurrencyConflict) keeps its plan item: the workflow runs on schedule, so it must be planned for the users.
 */
let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((w) => {
  world = w;
  deps = w.deps;
});
let runs = 0;
const sweep = () => sweepExpirations(deps, { holder: `lost-answer-${++runs}`, budgetMs: 60_000 });
const ahead = () => deps.due.dueBy(world.now().plus({ days: 3 }), undefined);

it('scheduling turned on by a save whose answer was lost still plans the leaver entered while it was off', async () => {
  const workflow = await createWorkflow(deps, GLOBAL_ADMIN, SALES_LEAVERS);
  await sweep();
  await updateWorkflow(deps, GLOBAL_ADMIN, workflow.id, { isSchedulingEnabled: false });
  const leaver = (await deps.directory.listUsers()).items.find((u) => u.department === 'Sales' && !u.employeeLeaveDateTime)!;
  await patchUser(world.emulator, leaver.id, { employeeLeaveDateTime: world.now().plus({ days: 1 }).toISO() });
  await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(leaver.id))!]);

  const table = deps.workflows.workflows;
  const replace = table.replace.bind(table);
  jest.spyOn(table, 'replace').mockImplementationOnce(async (...args: Parameters<typeof replace>) => {
    await replace(...args); // landed
    throw new DomainError('concurrencyConflict', 'workflow was changed by someone else; read it again and retry.'); // the SDK's retry met its own ETag
  });
  await expect(updateWorkflow(deps, GLOBAL_ADMIN, workflow.id, { isSchedulingEnabled: true })).rejects.toMatchObject({ code: 'concurrencyConflict' });
  jest.restoreAllMocks();
  expect(runsOnSchedule((await deps.workflows.find(workflow.id))!.value)).toBe(true); // the save is there

  for (let i = 0; i < 3; i++) await sweep();
  const triggers = (await ahead()).filter(
    (i) => i.value.kind === 'workflowTrigger' && i.value.entityId === workflow.id && parseItemDetail(i.value.detail).userId.toLowerCase() === leaver.id.toLowerCase(),
  );
  expect(triggers).toHaveLength(1);
});
