import { activeOverrides } from '../../shared/domain/hrEvents/attributeOverrides';
import { parseHrEvents } from '../../shared/domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { planWorkflowsForChangedUsers } from '../../shared/operations/workflows/planWorkflowTriggers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { assign, assignmentState, groupMembers, groupPackage, patchUser, sweepEnds, type TestPackage } from '../support/packageWorld';
import { GLOBAL_ADMIN, movedInto, SALES_LEAVERS } from '../support/workflowDefinitions';

/**
 * Workflows see a user as HR events describe them, the newest event winning attribute by attribute (as rule
 * evaluation does), on Azurite and the Graph emulator with a clock the test moves: a leaver event's leave date over
 * the one the directory still shows, and a leaver's disabled account over an older move, whether the workflow runs
 * for the event itself or through its due item.
 */
jest.setTimeout(120_000);

const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515'; // Project Falcon: no one below is a member

let world: InProcessOperations;
let deps: EntitlementDeps;
let pkg: TestPackage;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const sweepAll = () => sweepEnds(deps);
const stateOf = (targetId: string, assignmentId: string) => assignmentState(deps, targetId, assignmentId);
const activeFalcon = async (userId: string) => (await deps.grants.assignmentsOf(userId)).filter((a) => a.value.accessPackageId === pkg.packageId && a.value.state !== 'expired');
const overridesOf = async (userId: string) => Object.fromEntries(activeOverrides((await deps.overrides.find(userId))?.value, {}, world.now()));
const hrEvent = (eventId: string, eventType: 'mover' | 'leaver', userId: string, minutesAgo: number, attributes: Record<string, unknown> = {}) =>
  parseHrEvents({ eventId, eventType, occurredAt: world.now().minus({ minutes: minutesAgo }).toISO(), employee: { userId, attributes } }, world.now());

beforeAll(async () => {
  pkg = await groupPackage(deps, 'Falcon', FALCON);
  // The README's leaver workflow: on the leave date (or a signed HR leaver event), remove every assignment.
  await createWorkflow(deps, GLOBAL_ADMIN, SALES_LEAVERS);
  // Movers into Sales who are still employed (the scope says so) get the Falcon package.
  await createWorkflow(deps, GLOBAL_ADMIN, movedInto('Into Sales', "(accountEnabled eq true) and (department eq 'Sales')", [
    { displayName: 'Falcon', taskDefinitionId: 'c1ec1e76-f374-4375-aaa6-0bb6bd4c60be', arguments: [{ name: 'accessPackageId', value: pkg.packageId }, { name: 'assignmentPolicyId', value: pkg.policyId }] },
  ]));
  // Planned in the background: the sweep records every user's leave date and department as they are now.
  await sweepAll();
});

describe('a leaver event and the leave date the directory shows', () => {
  it('(control) ends the assignment of a leaver the directory shows no leave date for, at once', async () => {
    const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65'; // Sales
    const assignmentId = await assign(deps, SOFIA, pkg);
    expect(await receiveHrEvents(deps, hrEvent('hr-wf-leaver-0', 'leaver', SOFIA, 1), 'msg_hr_wf_0')).toEqual([{ eventId: 'hr-wf-leaver-0', status: 'accepted' }]);
    expect(await stateOf(SOFIA, assignmentId)).toBe('expired');
    expect(await groupMembers(world.emulator, FALCON)).not.toContain(SOFIA);
  });

  it('ends the assignment at once when the directory still shows a later leave date (a notice period cut short)', async () => {
    const MARCUS = '26b8e5ba-2d10-49f2-a2f5-6763d5236ac1'; // Sales
    // Resigned with notice: the directory shows a leave date a month ahead. Dismissed today: HR sends a leaver event
    // now, without effectiveAt (applied now; the leave is now).
    await patchUser(world.emulator, MARCUS, { employeeLeaveDateTime: world.now().plus({ days: 30 }).toISO() });
    const assignmentId = await assign(deps, MARCUS, pkg);
    expect(await receiveHrEvents(deps, hrEvent('hr-wf-leaver-1', 'leaver', MARCUS, 1), 'msg_hr_wf_1')).toEqual([{ eventId: 'hr-wf-leaver-1', status: 'accepted' }]);
    expect(await stateOf(MARCUS, assignmentId)).toBe('expired');
    expect(await groupMembers(world.emulator, FALCON)).not.toContain(MARCUS);
  });

  it('ends the assignment of a rehired leaver whose old leave date the directory still shows', async () => {
    const CAMILLE = 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83'; // Sales
    // Left once: the directory shows that departure's leave date (never cleared on rehire); the workflow ran for it.
    await patchUser(world.emulator, CAMILLE, { employeeLeaveDateTime: world.now().minus({ days: 200 }).toISO() });
    const first = await assign(deps, CAMILLE, pkg);
    await receiveHrEvents(deps, hrEvent('hr-wf-leaver-2a', 'leaver', CAMILLE, 1), 'msg_hr_wf_2a');
    expect(await stateOf(CAMILLE, first)).toBe('expired');
    // Rehired a month later and given the package again; two months on she leaves again, and HR says so.
    world.advance({ days: 30 });
    const second = await assign(deps, CAMILLE, pkg);
    expect(await groupMembers(world.emulator, FALCON)).toContain(CAMILLE);
    world.advance({ days: 60 });
    expect(await receiveHrEvents(deps, hrEvent('hr-wf-leaver-2b', 'leaver', CAMILLE, 1), 'msg_hr_wf_2b')).toEqual([{ eventId: 'hr-wf-leaver-2b', status: 'accepted' }]);
    // Each departure is its own occurrence (its own leave date): the second runs too.
    expect(await stateOf(CAMILLE, second)).toBe('expired');
    expect(await groupMembers(world.emulator, FALCON)).not.toContain(CAMILLE);
  });
});

describe('a leaver and an older move (events out of order, or the directory catching up)', () => {
  it('(control) a mover into Sales gets the package', async () => {
    const INGRID = '670c22f0-5c9c-40ad-968a-fe5e7d671459'; // Finance
    await receiveHrEvents(deps, hrEvent('hr-wf-mover-0', 'mover', INGRID, 1, { department: 'Sales' }), 'msg_hr_wf_m0');
    expect(await activeFalcon(INGRID)).toHaveLength(1);
  });

  it('gives a leaver nothing when the older move event arrives after the leaver event', async () => {
    const DANIEL = '52bd78ee-9ff2-4d16-b697-99bacbebb741'; // Finance
    expect(await receiveHrEvents(deps, hrEvent('hr-wf-leaver-3', 'leaver', DANIEL, 1), 'msg_hr_wf_3')).toEqual([{ eventId: 'hr-wf-leaver-3', status: 'accepted' }]);
    expect(await receiveHrEvents(deps, hrEvent('hr-wf-mover-3', 'mover', DANIEL, 10, { department: 'Sales' }), 'msg_hr_wf_m3')).toEqual([{ eventId: 'hr-wf-mover-3', status: 'accepted' }]);
    // Rule evaluation sees him as the newest events say: left (account disabled), in Sales; so do the workflows.
    expect(await overridesOf(DANIEL)).toMatchObject({ accountenabled: false, department: 'Sales' });
    world.advance({ minutes: 6 });
    await sweepAll();
    expect(await activeFalcon(DANIEL)).toEqual([]);
    expect(await groupMembers(world.emulator, FALCON)).not.toContain(DANIEL);
  });

  it('gives a leaver nothing when the directory shows the move after the leaver event (the due item)', async () => {
    const ALLAN = '9e8c1878-d546-4ac5-a48f-cff28cc334f4'; // Finance
    expect(await receiveHrEvents(deps, hrEvent('hr-wf-leaver-4', 'leaver', ALLAN, 1), 'msg_hr_wf_4')).toEqual([{ eventId: 'hr-wf-leaver-4', status: 'accepted' }]);
    // Provisioning catches up with an earlier move: the directory shows him in Sales, his account still enabled there
    // (HR events never change the directory). The users delta reports him changed, which plans the mover workflow.
    await patchUser(world.emulator, ALLAN, { department: 'Sales' });
    await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(ALLAN))!]);
    expect(await overridesOf(ALLAN)).toMatchObject({ accountenabled: false });
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await activeFalcon(ALLAN)).toEqual([]);
    expect(await groupMembers(world.emulator, FALCON)).not.toContain(ALLAN);
  });
});

// Last: it moves the clock a month on.
describe('a notice period cut short, and the leave date the directory shows', () => {
  it('runs the leaver workflow once for a notice period cut short, not again at the leave date the directory shows', async () => {
    const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb'; // Sales
    // Resigned with a month's notice: the users delta plans the workflow for the leave date the directory shows.
    await patchUser(world.emulator, HANNAH, { employeeLeaveDateTime: world.now().plus({ days: 30 }).toISO() });
    await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(HANNAH))!]);
    // Dismissed today: the leaver event runs the workflow at once; the leaver's overrides outlast that leave date.
    expect(await receiveHrEvents(deps, hrEvent('hr-wf-notice-cut', 'leaver', HANNAH, 1), 'msg_hr_wf_notice_cut')).toEqual([{ eventId: 'hr-wf-notice-cut', status: 'accepted' }]);
    world.advance({ days: 31 });
    await sweepAll();
    const leavers = (await deps.workflows.all()).find((w) => w.displayName === 'Sales leavers')!;
    expect((await deps.workflows.userResultsOf(leavers.id)).filter((r) => r.subjectId.toLowerCase() === HANNAH)).toHaveLength(1);
  });
});
