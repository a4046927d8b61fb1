import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { DomainError } from '../../shared/domain/errors';
import { createNewVersion, createWorkflow, updateWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { parseItemDetail } from '../../shared/operations/workflows/planWorkflowTriggers';
import type { CountingProxy } from '../../tools/bench/countingProxy';
import { countedOperationsForFile } from '../support/countedOperations';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { patchUser } from '../support/packageWorld';
import { PROCESS_STOPPED, stopAtWrite } from '../support/stopAtWrite';
import { GLOBAL_ADMIN, scheduledOn, SALES_LEAVERS } from '../support/workflowDefinitions';

/**
 * A lifecycle workflow is planned for every user in the background (workflowPlan.ts), not in the call that creates
 * it: the call writes one due item, and the expiration sweep plans the directory's users a part at a time, on
 * Azurite and the Graph emulator's demo tenant (55 users; Sales and Marketing hired two days from now).
 */
const VPN_GROUP = 'e644c315-c2cb-4187-b62e-7330ba45cd54';
const hiresIn = (department: string) =>
  scheduledOn('joiner', `VPN for ${department} hires`, `department eq '${department}'`, 'employeeHireDate', [
    { displayName: 'VPN', taskDefinitionId: '22085229-5809-45e8-97fd-270d28d66910', arguments: [{ name: 'groupID', value: VPN_GROUP }] },
  ]);
/**
 * The create call's Table round trips, whatever the number of users: the workflows listed (the tenant's limit), the
 * plan's item, the audit event written ahead, the workflow and its version, the event appended, its item deleted.
 */
const CREATE_ROUND_TRIPS = 7;
/** Users a part of a plan takes on in the tests that cut plans short: 55 users make 11 parts. */
const SMALL_PARTS = { ms: 0, users: 5 };

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((w) => {
  world = w;
  deps = w.deps;
});
let proxy: CountingProxy;
let counted: EntitlementDeps;
countedOperationsForFile(() => world, (started) => ({ proxy, deps: counted } = started));

let runs = 0;
const sweep = (on: EntitlementDeps = deps) => sweepExpirations(on, { holder: `plan-${++runs}`, budgetMs: 60_000 });
const kindOf = (item: { value: { kind: string } }) => item.value.kind;
const ahead = () => deps.due.dueBy(world.now().plus({ days: 3 }), undefined);
/** The users the workflow's trigger items are planned for. */
const plannedUsers = async (workflowId: string) =>
  new Set((await ahead()).filter((i) => kindOf(i) === 'workflowTrigger' && i.value.entityId === workflowId).map((i) => parseItemDetail(i.value.detail).userId));
const planItems = async (workflowId: string) => (await ahead()).filter((i) => kindOf(i) === 'workflowPlan' && i.value.entityId === workflowId);
/** Sweeps until the workflow's plan is done; answers how many runs that took. */
async function sweepUntilPlanned(workflowId: string, on: EntitlementDeps): Promise<number> {
  let n = 0;
  while ((await planItems(workflowId)).length > 0 && n < 30) {
    await sweep(on);
    n++;
  }
  return n;
}

const idsIn = new Map<string, string[]>();
beforeAll(async () => {
  const users = (await deps.directory.listUsers()).items;
  for (const department of ['Sales', 'Marketing']) {
    const ids = users.filter((u) => u.department === department).map((u) => u.id.toLowerCase());
    idsIn.set(department, ids);
    for (const id of ids) await patchUser(world.emulator, id, { employeeHireDate: world.now().plus({ days: 2 }).toISO() });
  }
});
afterEach(() => jest.restoreAllMocks());

it(`the create call takes ${CREATE_ROUND_TRIPS} Table round trips and no Graph request, whatever the number of users; the sweep then plans them`, async () => {
  await fetch(`${world.emulator.url}/_emulator/requests`, { method: 'DELETE' });
  proxy.reset();
  const workflow = await createWorkflow(counted, GLOBAL_ADMIN, SALES_LEAVERS);
  const byRoute = proxy.routes();
  // A fresh process creates the tables it first uses: not the call's cost.
  expect(proxy.counts().roundTrips - (byRoute['POST Tables'] ?? 0)).toBeLessThanOrEqual(CREATE_ROUND_TRIPS);
  const graph = (await (await fetch(`${world.emulator.url}/_emulator/requests`)).json()) as { roundTrips: number };
  expect(graph.roundTrips).toBe(0);
  // Each user's leave date is recorded by the plan, in the background.
  const someone = idsIn.get('Sales')![0]!;
  expect(await deps.workflows.watchedOf(someone)).toBeUndefined();
  expect(await planItems(workflow.id)).toHaveLength(1);
  await sweep();
  expect(await planItems(workflow.id)).toHaveLength(0);
  expect(await deps.workflows.watchedOf(someone)).toBeDefined();
});

it('completes a plan cut into parts across several sweep runs, each going on where the last stopped', async () => {
  const small = { ...deps, workflowPlanSlice: SMALL_PARTS };
  const workflow = await createWorkflow(small, GLOBAL_ADMIN, hiresIn('Sales'));
  await sweep(small);
  const afterOne = await plannedUsers(workflow.id);
  expect(afterOne.size).toBeLessThan(idsIn.get('Sales')!.length);
  expect(await planItems(workflow.id)).toEqual([expect.objectContaining({ value: expect.objectContaining({ planFrom: { skip: SMALL_PARTS.users } }) })]);
  const more = await sweepUntilPlanned(workflow.id, small);
  expect(more).toBeGreaterThanOrEqual(9);
  expect([...(await plannedUsers(workflow.id))].sort()).toEqual([...idsIn.get('Sales')!].sort());
});

it('stops the plan of a version a newer one replaced midway; the newer version is planned in full', async () => {
  const small = { ...deps, workflowPlanSlice: SMALL_PARTS };
  const workflow = await createWorkflow(small, GLOBAL_ADMIN, hiresIn('Sales'));
  await sweep(small);
  const firstPart = await plannedUsers(workflow.id);
  expect(firstPart.size).toBeLessThan(idsIn.get('Sales')!.length);
  const v2 = await createNewVersion(small, GLOBAL_ADMIN, workflow.id, { workflow: hiresIn('Marketing') });
  // Version 1's next part and version 2's plan are both due: the first is stale.
  expect(await planItems(workflow.id)).toHaveLength(2);
  const result = await sweep(small);
  expect(result!.stale).toBeGreaterThanOrEqual(1);
  await sweepUntilPlanned(workflow.id, small);
  const planned = await plannedUsers(workflow.id);
  // Version 1's Sales users past its first part are not planned; version 2's Marketing users all are.
  expect(idsIn.get('Sales')!.filter((id) => planned.has(id)).sort()).toEqual([...firstPart].filter((id) => idsIn.get('Sales')!.includes(id)).sort());
  expect(idsIn.get('Marketing')!.every((id) => planned.has(id))).toBe(true);
  expect(v2.version).toBe(2);
});

it('plans a workflow whose call stopped right after saving it: its plan was written ahead', async () => {
  stopAtWrite('workflowVersions', () => true, 'after');
  await expect(createWorkflow(deps, GLOBAL_ADMIN, hiresIn('Marketing'))).rejects.toThrow(PROCESS_STOPPED);
  jest.restoreAllMocks();
  const saved = (await deps.workflows.all()).find((w) => w.displayName === 'VPN for Marketing hires' && w.version === 1);
  expect(saved).toBeDefined();
  await sweep();
  expect([...(await plannedUsers(saved!.id))].sort()).toEqual([...idsIn.get('Marketing')!].sort());
});

it('keeps the plan of a workflow whose save has not shown, and drops it once the save could have landed', async () => {
  stopAtWrite('workflows', () => true, 'before');
  await expect(createWorkflow(deps, GLOBAL_ADMIN, hiresIn('Finance'))).rejects.toThrow(PROCESS_STOPPED);
  jest.restoreAllMocks();
  const written = (await ahead()).filter((i) => kindOf(i) === 'workflowPlan');
  expect(written).toHaveLength(1);
  const [item] = written;
  expect(await deps.workflows.find(item!.value.entityId)).toBeUndefined();
  expect(await sweep()).toMatchObject({ failed: 1 });
  world.advance({ minutes: 16 });
  expect(await sweep()).toMatchObject({ failed: 0 });
  expect(await planItems(item!.value.entityId)).toHaveLength(0);
});

it('stops the plan of a workflow whose scheduling is turned off midway, and plans it in full when it is turned on again', async () => {
  const small = { ...deps, workflowPlanSlice: SMALL_PARTS };
  const workflow = await createWorkflow(small, GLOBAL_ADMIN, hiresIn('Sales'));
  await sweep(small);
  expect((await plannedUsers(workflow.id)).size).toBeLessThan(idsIn.get('Sales')!.length);
  await updateWorkflow(small, GLOBAL_ADMIN, workflow.id, { isSchedulingEnabled: false });
  expect(await sweep(small)).toMatchObject({ stale: 1, failed: 0 });
  expect(await planItems(workflow.id)).toHaveLength(0);
  await updateWorkflow(small, GLOBAL_ADMIN, workflow.id, { isSchedulingEnabled: true });
  await sweepUntilPlanned(workflow.id, small);
  expect([...(await plannedUsers(workflow.id))].sort()).toEqual([...idsIn.get('Sales')!].sort());
});

it('takes the plan back when storage refuses the save (another change came first): nothing is left to sweep', async () => {
  const workflow = await createWorkflow(deps, GLOBAL_ADMIN, hiresIn('Legal'));
  await sweep();
  jest.spyOn(deps.workflows.workflows, 'replace').mockRejectedValueOnce(new DomainError('concurrencyConflict', 'workflow was changed by someone else; read it again and retry.'));
  await expect(createNewVersion(deps, GLOBAL_ADMIN, workflow.id, { workflow: hiresIn('Legal') })).rejects.toMatchObject({ code: 'concurrencyConflict' });
  expect(await planItems(workflow.id)).toHaveLength(0);
});

it('starts a plan over from the first page when the page link its part kept has expired', async () => {
  const workflow = await createWorkflow(deps, GLOBAL_ADMIN, hiresIn('Sales'));
  const [first] = await planItems(workflow.id);
  // The part as a run that stopped on the second page would have left it, its link's token no longer valid.
  const expiredLink = `${world.emulator.url}/v1.0/users?$top=999&$skiptoken=expired`;
  await deps.due.schedule({ ...first!.value, detail: first!.value.detail.replace(/\|0$/, '|1'), planFrom: { page: expiredLink, skip: 3 } });
  await deps.due.done(first!);
  expect(await sweep()).toMatchObject({ processed: 1, failed: 0 });
  expect([...(await plannedUsers(workflow.id))].sort()).toEqual([...idsIn.get('Sales')!].sort());
});
