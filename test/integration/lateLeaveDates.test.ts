import { parseHrEvents } from '../../shared/domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepAutoAssignments } from '../../shared/operations/autoAssignment/autoAssignmentSweep';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { planWorkflowsForChangedUsers } from '../../shared/operations/workflows/planWorkflowTriggers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { assign, assignmentState, groupMembers, groupPackage, hooked, patchUser, sweepEnds, type TestPackage } from '../support/packageWorld';
import { GLOBAL_ADMIN, SALES_LEAVERS, VPN_FOR_SALES_HIRES } from '../support/workflowDefinitions';

/**
 * A leave date the directory comes to show late (a termination entered after the fact, leakhunt L9) still runs the
 * leaver workflow: the users delta reports the leave date changed, and a changed leave date up to 180 days past is
 * planned at once. A leave date that did not change does not: a rehired employee whose old leave date the directory
 * still shows keeps their access when the leaver workflow is created and when another attribute of theirs changes, and
 * when that old date (before the rehire) is corrected or filled in again. A mover event during a leaver event's notice
 * period does not cancel the leave. Hire dates keep the one-day window. Azurite and the Graph emulator, with a clock the test moves.
 */
jest.setTimeout(120_000);

const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515'; // Project Falcon: none of the users below is a member
const VPN_GROUP = 'e644c315-c2cb-4187-b62e-7330ba45cd54';
const PATTI = '515c6123-6c88-4537-bcf3-bd58da60fb1c'; // Sales
const ADELE = 'e085b021-e0d4-4f2b-935a-b03d8de49eb1'; // Sales
const LEE = '428474c1-5e9e-4ba7-a6a8-6bd5a7550d23'; // Sales: rehired, the directory still shows her old leave date
const MATEO = 'fd39265b-b32e-4ea1-9439-f75f10c01d5d'; // Sales
const GRACE = '616273cd-d6a1-4e4f-8ca4-c608ef605abf'; // Sales
const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb'; // Sales
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d'; // Sales
const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65'; // Sales
const CHLOE = 'c10c2788-a8e1-4980-86f6-d2e1c91d6da3'; // Sales
const MARCUS = '26b8e5ba-2d10-49f2-a2f5-6763d5236ac1'; // Sales
// The fixture's last Sales user, and three moved to Sales in beforeAll: users no other test here touches.
const CAMILLE = 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83'; // Sales
const TOMAS = 'a1a58ce8-3556-473a-94f6-9a60f9d97768'; // Operations
const KENJI = 'a37f115c-6a44-43cc-8df2-d1aff1067dbd'; // Engineering
const LUCAS = '5043796d-4061-4823-9b39-320448410fe3'; // Engineering

let world: InProcessOperations;
let deps: EntitlementDeps;
let pkg: TestPackage;
let leeAssignment: string;
const held: Record<string, string> = {};
let runs = 0;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const sweepAll = () => sweepEnds(deps);
const stateOf = (targetId: string, assignmentId: string) => assignmentState(deps, targetId, assignmentId);
const leaverWorkflowId = async () => (await deps.workflows.all()).find((w) => w.displayName === 'Sales leavers')!.id;
const resultsFor = async (userId: string) => (await deps.workflows.userResultsOf(await leaverWorkflowId())).filter((r) => r.subjectId.toLowerCase() === userId);

/** Changes the user in the directory, then plans as when the users delta reports the change. */
async function reportChange(userId: string, changes: Record<string, unknown>): Promise<void> {
  await patchUser(world.emulator, userId, changes);
  await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(userId))!]);
}
const hrEvent = (eventId: string, eventType: 'mover' | 'leaver', userId: string, attributes: Record<string, unknown>, effectiveAt?: string) =>
  parseHrEvents({ eventId, eventType, occurredAt: world.now().minus({ seconds: 30 }).toISO(), ...(effectiveAt ? { effectiveAt } : {}), employee: { userId, attributes } }, world.now());

beforeAll(async () => {
  pkg = await groupPackage(deps, 'Falcon', FALCON);
  // Lee left 60 days ago and was rehired; the directory still shows that leave date. She holds the package now.
  await patchUser(world.emulator, LEE, { employeeLeaveDateTime: world.now().minus({ days: 60 }).toISO() });
  leeAssignment = await assign(deps, LEE, pkg);
  for (const id of [TOMAS, KENJI, LUCAS]) await patchUser(world.emulator, id, { department: 'Sales' });
  // Camille left 60 days ago, was rehired 10 days ago; the directory still shows the old leave date.
  await patchUser(world.emulator, CAMILLE, { employeeHireDate: world.now().minus({ days: 10 }).toISO(), employeeLeaveDateTime: world.now().minus({ days: 60 }).toISO() });
  // Tomas too, but his leave date was cleared on rehire.
  await patchUser(world.emulator, TOMAS, { employeeHireDate: world.now().minus({ days: 10 }).toISO() });
  for (const id of [CAMILLE, TOMAS, KENJI, LUCAS]) held[id] = await assign(deps, id, pkg);
  // The README's leaver workflow: on the leave date, remove every assignment.
  await createWorkflow(deps, GLOBAL_ADMIN, SALES_LEAVERS);
  // Planned in the background: the sweep records every user's leave date as it is now (Lee's and Camille's old ones).
  await sweepAll();
});

describe('a leave date the directory shows only after it has passed (a termination entered late)', () => {
  it('(control) runs the leaver workflow for a leave date entered 12 hours late', async () => {
    const assignmentId = await assign(deps, PATTI, pkg);
    await reportChange(PATTI, { employeeLeaveDateTime: world.now().minus({ hours: 12 }).toISO() });
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(PATTI, assignmentId)).toBe('expired');
  });

  it('runs the leaver workflow for a leave date entered three days late', async () => {
    const assignmentId = await assign(deps, ADELE, pkg);
    await reportChange(ADELE, { employeeLeaveDateTime: world.now().minus({ days: 3 }).toISO() });
    for (const minutes of [1, 60 * 24]) {
      world.advance({ minutes });
      await sweepAll();
    }
    expect(await stateOf(ADELE, assignmentId)).toBe('expired');
    expect(await groupMembers(world.emulator, FALCON)).not.toContain(ADELE);
  });

  it('runs it once, however often the late date is reported', async () => {
    const assignmentId = await assign(deps, MATEO, pkg);
    await reportChange(MATEO, { employeeLeaveDateTime: world.now().minus({ days: 40 }).toISO() });
    await reportChange(MATEO, { jobTitle: 'Account Executive (leaving)' });
    world.advance({ minutes: 1 });
    await sweepAll();
    await reportChange(MATEO, { jobTitle: 'Account Executive (left)' });
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(MATEO, assignmentId)).toBe('expired');
    expect((await resultsFor(MATEO)).map((r) => r.processingStatus)).toEqual(['completed']);
  });

  it('runs it for a late date the auto-assignment sweep finds in the users delta', async () => {
    await sweepAutoAssignments(deps, { holder: `late-auto-${++runs}`, budgetMs: 60_000 });
    const assignmentId = await assign(deps, GRACE, pkg);
    await patchUser(world.emulator, GRACE, { employeeLeaveDateTime: world.now().minus({ days: 5 }).toISO() });
    world.advance({ minutes: 5 });
    await sweepAutoAssignments(deps, { holder: `late-auto-${++runs}`, budgetMs: 60_000 });
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(GRACE, assignmentId)).toBe('expired');
  });

  it('reads what was last seen of each reported user once, and writes only a leave date that changed', async () => {
    await patchUser(world.emulator, MARCUS, { employeeLeaveDateTime: world.now().minus({ days: 2 }).toISO() });
    const reported = await Promise.all([SOFIA, CHLOE, MARCUS].map(async (id) => (await deps.directory.getUser(id))!));
    const reads = hooked(deps.workflows, 'watchedOf', async () => undefined);
    const writes = hooked(reads.part, 'recordWatched', async () => undefined);
    await planWorkflowsForChangedUsers({ ...deps, workflows: writes.part }, reported);
    expect(reads.calls.map(([id]) => id).sort()).toEqual([SOFIA, CHLOE, MARCUS].sort());
    expect(writes.calls.map(([, id]) => id)).toEqual([MARCUS]);
  });

  it('leaves a date more than 180 days past alone', async () => {
    const assignmentId = await assign(deps, HANNAH, pkg);
    await reportChange(HANNAH, { employeeLeaveDateTime: world.now().minus({ days: 181 }).toISO() });
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(HANNAH, assignmentId)).toBe('delivered');
  });
});

describe('a rehired employee whose old leave date the directory still shows', () => {
  it('keeps their access when the leaver workflow is created', async () => {
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(LEE, leeAssignment)).toBe('delivered');
    expect(await resultsFor(LEE)).toEqual([]);
  });

  it('keeps their access when another attribute of theirs changes', async () => {
    await reportChange(LEE, { jobTitle: 'Sales Director, Americas (rehired)' });
    world.advance({ minutes: 1 });
    await sweepAll();
    await sweepAutoAssignments(deps, { holder: `late-auto-${++runs}`, budgetMs: 60_000 });
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(LEE, leeAssignment)).toBe('delivered');
    expect(await groupMembers(world.emulator, FALCON)).toContain(LEE);
    expect(await resultsFor(LEE)).toEqual([]);
  });
});

describe('a rehired employee whose historical leave date (before the rehire) changes', () => {
  it('keeps their access when HR corrects the old leave date by a day', async () => {
    await reportChange(CAMILLE, { employeeLeaveDateTime: world.now().minus({ days: 61 }).toISO() });
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(CAMILLE, held[CAMILLE]!)).toBe('delivered');
  });

  it('keeps their access when the old leave date, cleared on rehire, is filled in again (a backfill)', async () => {
    await reportChange(TOMAS, { employeeLeaveDateTime: world.now().minus({ days: 50 }).toISO() });
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(TOMAS, held[TOMAS]!)).toBe('delivered');
  });
});

describe('a leaver event with a notice period, and a mover event during it that names accountEnabled', () => {
  it('(control) without the mover, the leaver workflow runs when the leaver event takes effect', async () => {
    const effective = world.now().plus({ days: 3 }).toUTC().toISO()!;
    await receiveHrEvents(deps, hrEvent('lw-leaver-c', 'leaver', KENJI, {}, effective), 'msg_lw_c');
    world.advance({ days: 3, minutes: 1 });
    await sweepAll();
    expect((await deps.hrEvents.find('lw-leaver-c'))!.value.state).toBe('applied');
    expect(await stateOf(KENJI, held[KENJI]!)).toBe('expired');
  });

  it('runs the leaver workflow when the leaver event takes effect, although a mover came in between', async () => {
    const effective = world.now().plus({ days: 3 }).toUTC().toISO()!;
    await receiveHrEvents(deps, hrEvent('lw-leaver-1', 'leaver', LUCAS, {}, effective), 'msg_lw_1');
    // During the notice period HR sends a mover (a full snapshot: still employed, account enabled, new title).
    world.advance({ days: 1 });
    await receiveHrEvents(deps, hrEvent('lw-mover-1', 'mover', LUCAS, { jobTitle: 'Account Executive (handover)', accountEnabled: true }), 'msg_lw_2');
    world.advance({ days: 2, minutes: 1 });
    await sweepAll();
    expect((await deps.hrEvents.find('lw-leaver-1'))!.value.state).toBe('applied');
    expect(await stateOf(LUCAS, held[LUCAS]!)).toBe('expired');
  });
});

describe('a hire date entered late', () => {
  it('keeps the one-day window: a joiner hired three days ago is not new any more', async () => {
    await createWorkflow(deps, GLOBAL_ADMIN, VPN_FOR_SALES_HIRES);
    await sweepAll();
    await reportChange(OWEN, { employeeHireDate: world.now().minus({ days: 3 }).toISO() });
    world.advance({ minutes: 1 });
    await sweepAll();
    const vpn = (await (await fetch(`${world.emulator.url}/v1.0/groups/${VPN_GROUP}/members?$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
    expect(vpn.value.map((m) => m.id)).not.toContain(OWEN);
  });
});
