import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { createWorkflow, findWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { planWorkflowsForChangedUsers } from '../../shared/operations/workflows/planWorkflowTriggers';
import { runWorkflow } from '../../shared/operations/workflows/runWorkflow';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { GLOBAL_ADMIN, VPN_FOR_SALES_HIRES } from '../support/workflowDefinitions';

/**
 * Time-based triggers on Azurite and the Graph emulator, with a clock the test moves: a hire date ahead runs at its
 * time and not before, a changed date leaves the old item stale, and one occurrence runs once however many
 * runners reach it, at once or later (its claim is a row in storage); a run that stopped unfinished is taken over.
 */
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d'; // Sales
const VPN_GROUP = 'e644c315-c2cb-4187-b62e-7330ba45cd54';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((w) => {
  world = w;
  deps = w.deps;
});

async function patchUser(id: string, changes: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${world.emulator.url}/v1.0/users/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(changes) });
  expect(response.status).toBe(204);
}

async function vpnMembers(): Promise<string[]> {
  const answer = (await (await fetch(`${world.emulator.url}/v1.0/groups/${VPN_GROUP}/members?$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
  return answer.value.map((m) => m.id);
}

const sweep = () => sweepExpirations(deps, { holder: 'test', budgetMs: 30_000 });

describe('a time-based trigger', () => {
  let workflowId: string;

  it('plans a hire date two days ahead and runs it at that time, not before', async () => {
    await patchUser(OWEN, { employeeHireDate: world.now().plus({ days: 2 }).toISO() });
    const workflow = await createWorkflow(deps, GLOBAL_ADMIN, VPN_FOR_SALES_HIRES);
    workflowId = workflow.id;
    world.advance({ days: 1 });
    await sweep();
    expect(await vpnMembers()).not.toContain(OWEN);
    world.advance({ days: 1, seconds: 30 });
    await sweep();
    expect(await vpnMembers()).toContain(OWEN);
    expect(await deps.workflows.userResultsOf(workflowId)).toEqual([expect.objectContaining({ subjectId: OWEN, processingStatus: 'completed', workflowExecutionType: 'scheduled' })]);
  }, 60_000);

  it('leaves the item of a hire date that changed stale', async () => {
    const other = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb'; // Hannah, Sales
    await patchUser(other, { employeeHireDate: world.now().plus({ hours: 2 }).toISO() });
    const user = (await deps.directory.getUser(other))!;
    await planWorkflowsForChangedUsers(deps, [user]);
    await patchUser(other, { employeeHireDate: world.now().plus({ days: 30 }).toISO() });
    world.advance({ hours: 3 });
    const result = await sweep();
    expect(result).toMatchObject({ processed: 0, failed: 0 });
    expect(result!.stale).toBeGreaterThanOrEqual(1);
    expect(await vpnMembers()).not.toContain(other);
    expect((await deps.workflows.userResultsOf(workflowId)).map((r) => r.subjectId)).toEqual([OWEN]);
  }, 60_000);

  it('runs one occurrence once, for concurrent runners and any later one', async () => {
    const workflow = (await findWorkflow(deps, workflowId)).value;
    const user = (await deps.directory.getUser('fd39265b-b32e-4ea1-9439-f75f10c01d5d'))!; // Mateo, Sales
    const occurrence = 'employeeHireDate@2026-12-24';
    const options = { type: 'scheduled' as const, reason: 'test', actorId: 'system' };
    const runs = await Promise.allSettled([1, 2, 3].map(() => runWorkflow(deps, workflow, [{ user, occurrence }], options)));
    // One runs it; the others find it done, or still running (they throw, so their caller tries again later).
    expect(runs.filter((r) => r.status === 'fulfilled' && r.value !== undefined)).toHaveLength(1);
    for (const r of runs) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'conflict' });
    // Later (a restart, another sweep's item for it) the claim row still stands.
    expect(await runWorkflow(deps, workflow, [{ user, occurrence }], options)).toBeUndefined();
    expect((await deps.workflows.userResultsOf(workflowId)).filter((r) => r.subjectId === user.id)).toHaveLength(1);
  }, 60_000);

  it('takes over a run that stopped unfinished, once it is 15 minutes old, and only then', async () => {
    const workflow = (await findWorkflow(deps, workflowId)).value;
    const user = (await deps.directory.getUser('616273cd-d6a1-4e4f-8ca4-c608ef605abf'))!; // Grace, Sales
    const occurrence = 'employeeHireDate@2026-12-31';
    // A run that claimed her and stopped before her tasks ran.
    expect(await deps.workflows.claim({ workflowId, userId: user.id, occurrence, workflowVersion: 1, runId: 'stopped', claimedDateTime: world.now().toUTC().toISO()! }, world.now().minus({ minutes: 15 }).toUTC().toISO()!)).toEqual({ status: 'claimed', completedTasks: [] });
    const options = { type: 'scheduled' as const, reason: 'test', actorId: 'system' };
    await expect(runWorkflow(deps, workflow, [{ user, occurrence }], options)).rejects.toMatchObject({ code: 'conflict' });
    expect(await vpnMembers()).not.toContain(user.id);
    world.advance({ minutes: 16 });
    expect(await runWorkflow(deps, workflow, [{ user, occurrence }], options)).toMatchObject({ processingStatus: 'completed' });
    expect(await vpnMembers()).toContain(user.id);
    expect(await runWorkflow(deps, workflow, [{ user, occurrence }], options)).toBeUndefined();
  }, 60_000);
});
