import { activeOverrides } from '../../shared/domain/hrEvents/attributeOverrides';
import { parseHrEvents } from '../../shared/domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepAutoAssignments } from '../../shared/operations/autoAssignment/autoAssignmentSweep';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { autoGroupPackage, groupMembers, groupPackage, patchUser, sweepEnds, type TestPackage } from '../support/packageWorld';
import { GLOBAL_ADMIN, scheduledOn } from '../support/workflowDefinitions';

/**
 * Joiner workflows of HR events: an event delivered late keeps its own hire date; a rehire's joiner is employed again;
 * a late, older joiner against a newer leaver runs nothing: the newer event stands, settled in the directory or not.
 */
jest.setTimeout(120_000);

const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const IT_ADMINS = 'b2256110-d660-413b-bd70-3b61aa80bb6c';

let world: InProcessOperations;
let deps: EntitlementDeps;
let pkg: TestPackage;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const sweepAll = () => sweepEnds(deps);
const activeFalcon = async (userId: string) => (await deps.grants.assignmentsOf(userId)).filter((a) => a.value.accessPackageId === pkg.packageId && a.value.state !== 'expired');
const hrEvent = (eventId: string, eventType: 'joiner' | 'leaver', userId: string, minutesAgo: number, attributes: Record<string, unknown> = {}) =>
  parseHrEvents({ eventId, eventType, occurredAt: world.now().minus({ minutes: minutesAgo }).toISO(), employee: { userId, attributes } }, world.now());

const joinerWorkflow = (displayName: string, rule: string) =>
  createWorkflow(deps, GLOBAL_ADMIN, scheduledOn('joiner', displayName, rule, 'employeeHireDate', [
    { displayName: 'Falcon', taskDefinitionId: 'c1ec1e76-f374-4375-aaa6-0bb6bd4c60be', arguments: [{ name: 'accessPackageId', value: pkg.packageId }, { name: 'assignmentPolicyId', value: pkg.policyId }] },
  ]));

beforeAll(async () => {
  pkg = await groupPackage(deps, 'Falcon', FALCON);
  await joinerWorkflow('Legal hires', "department eq 'Legal'");
  await joinerWorkflow('Operations hires still employed', "(accountEnabled eq true) and (department eq 'Operations')");
  // An auto-assignment policy: its sweeps are what settle overrides the directory has come to show.
  await autoGroupPackage(deps, 'Active Operations', IT_ADMINS, '(user.accountEnabled -eq true) -and (user.department -eq "Operations")', 'PT0S');
});

it('a joiner event delivered 8 days late runs its workflow at the hire date it gives, not at once', async () => {
  const NOAH = 'a736357e-8e82-4020-9048-83eb74645968'; // Legal
  await patchUser(world.emulator, NOAH, { employeeHireDate: null });
  expect((await deps.directory.getUser(NOAH))?.employeeHireDate ?? null).toBeNull();
  const hire = world.now().plus({ days: 21 }).toISO();
  expect(await receiveHrEvents(deps, hrEvent('hj-joiner-1', 'joiner', NOAH, 8 * 24 * 60, { employeeHireDate: hire }), 'msg_hj_1')).toEqual([{ eventId: 'hj-joiner-1', status: 'accepted' }]);
  // Three weeks before the start date: no joiner workflow yet.
  expect(await activeFalcon(NOAH)).toEqual([]);
  world.advance({ days: 21, minutes: 1 });
  await sweepAll();
  expect(await activeFalcon(NOAH)).toHaveLength(1);
});

it('a rehire within 7 days of leaving gets the joiner workflow (at the event, or once the leaver mark lapses)', async () => {
  const JONI = 'a30354ef-398b-4edf-a326-3c49440a9a11'; // Operations
  expect(await receiveHrEvents(deps, hrEvent('hj-leaver-2', 'leaver', JONI, 3 * 24 * 60), 'msg_hj_2a')).toEqual([{ eventId: 'hj-leaver-2', status: 'accepted' }]);
  expect(Object.fromEntries(activeOverrides((await deps.overrides.find(JONI))?.value, {}, world.now()))).toMatchObject({ accountenabled: false });
  // Rehired: HR sends the joiner event, starting today; the directory shows the account enabled.
  expect(await receiveHrEvents(deps, hrEvent('hj-joiner-2', 'joiner', JONI, 1, { employeeHireDate: world.now().toISO() }), 'msg_hj_2b')).toEqual([{ eventId: 'hj-joiner-2', status: 'accepted' }]);
  for (let day = 0; day < 8; day++) {
    world.advance({ days: 1 });
    await sweepAll();
  }
  expect(await activeFalcon(JONI)).toHaveLength(1);
});

describe('a late, older joiner HR event against a newer leaver', () => {
  const TOMAS = 'a1a58ce8-3556-473a-94f6-9a60f9d97768'; // Operations, enabled
  const NESTOR = '400cb70f-964e-43c0-b4a3-165de1ab3e01'; // Operations, enabled

  it('an older joiner arriving after a newer leaver (settled: the directory shows the account disabled) runs no joiner workflow', async () => {
    expect(await receiveHrEvents(deps, hrEvent('lj-leaver-1', 'leaver', TOMAS, 60), 'msg_lj_1a')).toEqual([{ eventId: 'lj-leaver-1', status: 'accepted' }]);
    // The account is disabled in the directory (the leaver's own workflow, or HR provisioning); the sweeps settle the mark.
    await patchUser(world.emulator, TOMAS, { accountEnabled: false });
    await sweepAutoAssignments(deps, { holder: 'lj-auto-1', budgetMs: 60_000 });
    await sweepAutoAssignments(deps, { holder: 'lj-auto-2', budgetMs: 60_000 });
    expect((await deps.overrides.find(TOMAS))?.value.attributes.accountenabled).toMatchObject({ value: false, settled: true });
    // The joiner HR sent two days earlier (hire date then, the account enabled then) reaches us only now.
    const twoDaysAgo = world.now().minus({ days: 2 }).toISO();
    expect(await receiveHrEvents(deps, hrEvent('lj-joiner-1', 'joiner', TOMAS, 2 * 24 * 60, { employeeHireDate: twoDaysAgo, accountEnabled: true }), 'msg_lj_1b')).toEqual([{ eventId: 'lj-joiner-1', status: 'accepted' }]);
    await sweepAll();
    // The user left after that joiner, and the directory shows the account disabled: no joiner access.
    expect(await activeFalcon(TOMAS)).toEqual([]);
  });

  it('an older joiner after a newer, unsettled leaver does not make an enabled-only auto-assignment grant again', async () => {
    await sweepAutoAssignments(deps, { holder: 'lj-auto-3', budgetMs: 60_000 });
    expect(await groupMembers(world.emulator, IT_ADMINS)).toContain(NESTOR);
    expect(await receiveHrEvents(deps, hrEvent('lj-leaver-2', 'leaver', NESTOR, 60), 'msg_lj_2a')).toEqual([{ eventId: 'lj-leaver-2', status: 'accepted' }]);
    expect(await groupMembers(world.emulator, IT_ADMINS)).not.toContain(NESTOR);
    // The directory still shows the account enabled; an older joiner arrives late.
    expect(await receiveHrEvents(deps, hrEvent('lj-joiner-2', 'joiner', NESTOR, 120), 'msg_lj_2b')).toEqual([{ eventId: 'lj-joiner-2', status: 'accepted' }]);
    await sweepAutoAssignments(deps, { holder: 'lj-auto-4', budgetMs: 60_000 });
    await sweepAll();
    expect((await deps.overrides.find(NESTOR))?.value.attributes.accountenabled).toMatchObject({ value: false, eventId: 'lj-leaver-2' });
    expect(await groupMembers(world.emulator, IT_ADMINS)).not.toContain(NESTOR);
  });
});
