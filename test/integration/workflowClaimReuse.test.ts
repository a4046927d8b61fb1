import { parseHrEvents } from '../../shared/domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { planWorkflowsForChangedUsers } from '../../shared/operations/workflows/planWorkflowTriggers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { assign, assignmentState, groupMembers, groupPackage, hooked, patchUser, sweepEnds, type TestPackage } from '../support/packageWorld';
import { scheduledForDepartment } from '../support/workflowDefinitions';

/**
 * The workflow occurrence's claim, given up by a run that failed for now, keeps what its next attempt must not undo or
 * skip; and a leave-date occurrence after a rehire the same day, as time zones and hire dates to come make it.
 */
jest.setTimeout(180_000);

const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const VPN = 'e644c315-c2cb-4187-b62e-7330ba45cd54';
const REMOVE_ALL = '42ae2956-193d-4f39-be06-691b8ac4fa1d';
const ENABLE_ACCOUNT = '6fc52c9d-398b-4305-9763-15f42c1676fc';
const DISABLE_ACCOUNT = '1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950';
const ADD_TO_GROUPS = '22085229-5809-45e8-97fd-270d28d66910';
const TRANSIENT = 'Table Storage answered 503 (transient)';

let world: InProcessOperations;
let deps: EntitlementDeps;
let falcon: TestPackage;
let runs = 0;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const stateOf = (targetId: string, assignmentId: string) => assignmentState(deps, targetId, assignmentId);
const failingOnceFor = (userId: string) => hooked(deps.grants, 'claimOf', () => Promise.reject(new Error(TRANSIENT)), (targetId) => targetId.toLowerCase() === userId).part;
const accountEnabled = async (userId: string) => ((await (await fetch(`${world.emulator.url}/v1.0/users/${userId}?$select=accountEnabled`)).json()) as { accountEnabled: boolean }).accountEnabled;
const eventState = async (eventId: string) => (await deps.hrEvents.find(eventId))!.value.state;
const hrEvent = (eventId: string, eventType: 'joiner' | 'leaver', userId: string, attributes: Record<string, unknown> = {}) =>
  parseHrEvents({ eventId, eventType, occurredAt: world.now().minus({ seconds: 30 }).toISO(), employee: { userId, attributes } }, world.now());
/** 01:00 UTC tomorrow: what follows stays within one day, so both departures have the same occurrence key. */
const earlyTomorrow = () => world.advance({ milliseconds: world.now().plus({ days: 1 }).startOf('day').plus({ hours: 1 }).diff(world.now()).toMillis() });
const planChange = async (userId: string, changes: Record<string, unknown>) => {
  await patchUser(world.emulator, userId, changes);
  await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(userId))!]);
};
const leaverRuns = async (workflowId: string, userId: string) => (await deps.workflows.userResultsOf(workflowId)).filter((r) => r.subjectId.toLowerCase() === userId).length;

beforeAll(async () => {
  falcon = await groupPackage(deps, 'Falcon', FALCON);
});

describe('a released claim reused by a later occurrence with the same key', () => {
  it('runs a removing task again: a leaver event, rescinded by a rehire, then entered again the same day disables the account', async () => {
    const PATTI = '515c6123-6c88-4537-bcf3-bd58da60fb1c';
    await patchUser(world.emulator, PATTI, { department: 'Rehire Dept' });
    await scheduledForDepartment(deps, 'leaver', 'Rehire leavers', 'Rehire Dept', 'employeeLeaveDateTime', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT }, { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL });
    await scheduledForDepartment(deps, 'joiner', 'Rehire joiners', 'Rehire Dept', 'employeeHireDate', { displayName: 'Enable user account', taskDefinitionId: ENABLE_ACCOUNT });
    const first = await assign(deps, PATTI, falcon);
    // Leaver E1: the account is disabled, the removal fails for now: the claim is released with [Disable] completed.
    await receiveHrEvents({ ...deps, grants: failingOnceFor(PATTI) }, hrEvent('rehire-leaver-1', 'leaver', PATTI), 'msg_rehire_1');
    expect(await accountEnabled(PATTI)).toBe(false);
    expect(await eventState('rehire-leaver-1')).toBe('pending');
    // Minutes later HR rescinds it: a joiner (rehire); the joiner workflow enables the account. E1 is overtaken.
    world.advance({ minutes: 2 });
    await receiveHrEvents(deps, hrEvent('rehire-joiner-1', 'joiner', PATTI, { employeeHireDate: world.now().toISO() }), 'msg_rehire_2');
    expect(await accountEnabled(PATTI)).toBe(true);
    world.advance({ minutes: 6 });
    await sweepEnds(deps);
    expect(await eventState('rehire-leaver-1')).toBe('applied');
    expect(await stateOf(PATTI, first)).toBe('delivered');
    // An hour later the rehire is rescinded after all: a new leaver event, the same day.
    world.advance({ hours: 1 });
    await receiveHrEvents(deps, hrEvent('rehire-leaver-2', 'leaver', PATTI), 'msg_rehire_3');
    await sweepEnds(deps);
    expect(await stateOf(PATTI, first)).toBe('expired');
    // The leaver's "Disable user account" must run for this departure.
    expect(await accountEnabled(PATTI)).toBe(false);
  });
});

describe('a retry that takes the released claim over and then stops before releasing it', () => {
  it('keeps the completed tasks: one storage failure at saveRun in the retry does not add again, 15 minutes later, the group an administrator took him out of', async () => {
    const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d';
    await patchUser(world.emulator, OWEN, { department: 'Alumni' });
    await scheduledForDepartment(deps, 'leaver', 'Alumni leavers', 'Alumni', 'employeeLeaveDateTime',
      { displayName: 'Into the alumni group', taskDefinitionId: ADD_TO_GROUPS, arguments: [{ name: 'groupID', value: VPN }] },
      { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL });
    // The workflow planned for every user (in the background) before his leave date is entered: one trigger item.
    await sweepEnds(deps);
    const assignmentId = await assign(deps, OWEN, falcon);
    await patchUser(world.emulator, OWEN, { employeeLeaveDateTime: world.now().plus({ hours: 1 }).toISO() });
    await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(OWEN))!]);
    world.advance({ minutes: 61 });
    expect(await sweepExpirations({ ...deps, grants: failingOnceFor(OWEN) }, { holder: `alumni-${++runs}`, budgetMs: 60_000 })).toMatchObject({ failed: 1 });
    expect(await groupMembers(world.emulator, VPN)).toContain(OWEN);
    // An administrator takes him out of the alumni group.
    expect((await fetch(`${world.emulator.url}/v1.0/groups/${VPN}/members/${OWEN}/$ref`, { method: 'DELETE' })).status).toBe(204);
    // The retry claims the released row, then one storage write fails (the run's record): the run stops there.
    world.advance({ minutes: 1 });
    const blip = hooked(deps.workflows, 'saveRun', () => Promise.reject(new Error(TRANSIENT))).part;
    expect(await sweepExpirations({ ...deps, workflows: blip }, { holder: `alumni-${++runs}`, budgetMs: 60_000 })).toMatchObject({ failed: 1 });
    // The next retries find the claim busy, then take it over once it is 15 minutes old.
    for (const minutes of [2, 4, 8, 15]) {
      world.advance({ minutes });
      await sweepEnds(deps);
    }
    expect(await stateOf(OWEN, assignmentId)).toBe('expired');
    expect(await groupMembers(world.emulator, VPN)).not.toContain(OWEN);
  });
});

describe('a completed claim, and a departure on the same day after a rehire', () => {
  it('a leaver event, rescinded by a rehire (joiner event), then entered again the same day: the account is disabled and the new access ends, and the leave date the directory then shows runs nothing more', async () => {
    const MATEO = 'fd39265b-b32e-4ea1-9439-f75f10c01d5d'; // hired 2020
    earlyTomorrow();
    await patchUser(world.emulator, MATEO, { department: 'Same Day Dept' });
    const leavers = await scheduledForDepartment(deps, 'leaver', 'Same day leavers', 'Same Day Dept', 'employeeLeaveDateTime', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT }, { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL });
    await scheduledForDepartment(deps, 'joiner', 'Same day joiners', 'Same Day Dept', 'employeeHireDate', { displayName: 'Enable user account', taskDefinitionId: ENABLE_ACCOUNT });
    await receiveHrEvents(deps, hrEvent('same-day-leaver-1', 'leaver', MATEO), 'msg_same_day_1');
    expect(await accountEnabled(MATEO)).toBe(false);
    world.advance({ minutes: 2 });
    await receiveHrEvents(deps, hrEvent('same-day-joiner-1', 'joiner', MATEO, { employeeHireDate: world.now().toISO() }), 'msg_same_day_2');
    expect(await accountEnabled(MATEO)).toBe(true);
    const rehired = await assign(deps, MATEO, falcon);
    // An hour later HR sends a leaver again: the same leave day, so the same occurrence key as the first departure's.
    world.advance({ hours: 1 });
    await receiveHrEvents(deps, hrEvent('same-day-leaver-2', 'leaver', MATEO), 'msg_same_day_3');
    await sweepEnds(deps);
    expect([await accountEnabled(MATEO), await stateOf(MATEO, rehired)]).toEqual([false, 'expired']);
    // The directory comes to show that departure's leave date: the same departure, not run a third time.
    await planChange(MATEO, { employeeLeaveDateTime: world.now().minus({ seconds: 30 }).toISO() });
    world.advance({ minutes: 1 });
    await sweepEnds(deps);
    expect(await leaverRuns(leavers.id, MATEO)).toBe(2);
  });

  it('a leave date cleared by a rehire in the directory alone (a new hire date), then set again to the same day: the leaver workflow runs again', async () => {
    const NOAH = 'a736357e-8e82-4020-9048-83eb74645968'; // hired 2022
    earlyTomorrow();
    await patchUser(world.emulator, NOAH, { department: 'Same Day Directory Dept' });
    const leavers = await scheduledForDepartment(deps, 'leaver', 'Same day directory leavers', 'Same Day Directory Dept', 'employeeLeaveDateTime', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT }, { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL });
    await planChange(NOAH, { employeeLeaveDateTime: world.now().plus({ hours: 1 }).toISO() });
    world.advance({ minutes: 61 });
    await sweepEnds(deps);
    expect(await accountEnabled(NOAH)).toBe(false);
    // Rehired at once, in the directory only: a new hire date, the leave date cleared, the account enabled.
    world.advance({ minutes: 5 });
    await planChange(NOAH, { employeeHireDate: world.now().toISO(), employeeLeaveDateTime: null, accountEnabled: true });
    const rehired = await assign(deps, NOAH, falcon);
    // The rehire is rescinded: the leave date set again, later the same day.
    world.advance({ hours: 1 });
    await planChange(NOAH, { employeeLeaveDateTime: world.now().plus({ minutes: 30 }).toISO() });
    world.advance({ minutes: 31 });
    await sweepEnds(deps);
    expect([await accountEnabled(NOAH), await stateOf(NOAH, rehired)]).toEqual([false, 'expired']);
    expect(await leaverRuns(leavers.id, NOAH)).toBe(2);
  });
});

describe('a rehire whose hire date is local midnight east of UTC (the previous UTC day)', () => {
  it('a leaver event, a rehire the same local day (hire date 00:00+01:00), a leaver again: the second departure runs', async () => {
    const CHLOE = 'c10c2788-a8e1-4980-86f6-d2e1c91d6da3'; // hired 2020; no test above changes her
    earlyTomorrow(); // D 01:00Z = D 02:00 in Paris
    await patchUser(world.emulator, CHLOE, { department: 'Paris Dept' });
    await scheduledForDepartment(deps, 'leaver', 'Paris leavers', 'Paris Dept', 'employeeLeaveDateTime', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT }, { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL });
    await scheduledForDepartment(deps, 'joiner', 'Paris joiners', 'Paris Dept', 'employeeHireDate', { displayName: 'Enable user account', taskDefinitionId: ENABLE_ACCOUNT });
    await receiveHrEvents(deps, hrEvent('paris-leaver-1', 'leaver', CHLOE), 'msg_paris_1');
    expect(await accountEnabled(CHLOE)).toBe(false);
    world.advance({ minutes: 2 });
    // HR in Paris rehires them today: the hire date is today's local midnight, 23:00 UTC the day before.
    const localMidnight = world.now().setZone('Europe/Paris').startOf('day').toISO();
    await receiveHrEvents(deps, hrEvent('paris-joiner-1', 'joiner', CHLOE, { employeeHireDate: localMidnight }), 'msg_paris_2');
    expect(await accountEnabled(CHLOE)).toBe(true);
    const rehired = await assign(deps, CHLOE, falcon);
    world.advance({ hours: 1 });
    await receiveHrEvents(deps, hrEvent('paris-leaver-2', 'leaver', CHLOE), 'msg_paris_3');
    await sweepEnds(deps);
    expect([await accountEnabled(CHLOE), await stateOf(CHLOE, rehired)]).toEqual([false, 'expired']);
  });
});

describe('one departure, a future rehire entered within the day', () => {
  it('a leaver run; hours later the directory shows next month\'s hire date (the leave date still shown): the leaver workflow does not run again', async () => {
    const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb'; // no test above changes her
    earlyTomorrow();
    await patchUser(world.emulator, HANNAH, { department: 'Future Rehire Dept' });
    const leavers = await scheduledForDepartment(deps, 'leaver', 'Future rehire leavers', 'Future Rehire Dept', 'employeeLeaveDateTime', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT }, { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL });
    await planChange(HANNAH, { employeeLeaveDateTime: world.now().plus({ hours: 1 }).toISO() });
    world.advance({ minutes: 61 });
    await sweepEnds(deps);
    expect(await leaverRuns(leavers.id, HANNAH)).toBe(1);
    // HR enters the rehire for next month; until then the directory keeps showing the departure's leave date.
    world.advance({ hours: 3 });
    await planChange(HANNAH, { employeeHireDate: world.now().plus({ days: 30 }).startOf('day').toISO() });
    world.advance({ minutes: 1 });
    await sweepEnds(deps);
    expect(await leaverRuns(leavers.id, HANNAH)).toBe(1);
  });
});
