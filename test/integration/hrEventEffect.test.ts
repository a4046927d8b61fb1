import { DateTime } from 'luxon';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepAutoAssignments } from '../../shared/operations/autoAssignment/autoAssignmentSweep';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { applyEmployeeChange, type EmployeeChange } from '../../shared/operations/hrEvents/applyEmployeeChange';
import { activeOverrides } from '../../shared/domain/hrEvents/attributeOverrides';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { autoGroupPackage, groupMembers } from '../support/packageWorld';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';

/**
 * The effect of HR events in-process, on Azurite and the Graph emulator's demo tenant, with a clock the test moves:
 * attribute overrides ordered by occurredAt whatever the arrival order, dropped once the directory shows them;
 * joiners, movers and leavers changing group membership in the emulator through the auto-assignment path; a joiner
 * held until its account is created (POST /v1.0/users).
 */
jest.setTimeout(120_000);

const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4'; // Marketing, employeeId E1037
const ZOE = '9713b936-62cb-4300-ba5f-9ccdad9a6f2d'; // Marketing, Product Marketing Manager
const HR_CONFIDENTIAL = '65ce110a-2689-4e92-b29b-c6b33ac4414b';
const LEGAL_HOLD = '993bb873-540b-442e-8a6e-83734bc9404e';
const IT_ADMINS = 'b2256110-d660-413b-bd70-3b61aa80bb6c';

let world: InProcessOperations;
let emulator: GraphEmulator;
let deps: EntitlementDeps;
let sequence = 0;

beforeAll(async () => {
  world = await startInProcessOperations();
  ({ emulator, deps } = world);
  // Research (an hour's grace), Analysts (no grace: PT0S), active Auditors (leavers lose it at once).
  await autoGroupPackage(deps, 'Research', HR_CONFIDENTIAL, '(user.department -eq "Research")', 'PT1H');
  await autoGroupPackage(deps, 'Analysts', LEGAL_HOLD, '(user.jobTitle -eq "Data Analyst")', 'PT0S');
  await autoGroupPackage(deps, 'Auditors', IT_ADMINS, '(user.accountEnabled -eq true) -and (user.department -eq "Audit")', 'PT0S');
});
afterAll(() => world.stop());

/** An event about `employee`, occurred `minutesAgo` before the test's now. */
function hrEvent(eventType: EmployeeChange['eventType'], employee: EmployeeChange['employee'], minutesAgo = 0): EmployeeChange {
  return { eventId: `evt-${++sequence}`, eventType, occurredAt: world.now().minus({ minutes: minutesAgo }).toUTC().toISO()!, employee };
}

async function graph(method: string, path: string, body?: object): Promise<unknown> {
  const response = await fetch(`${emulator.url}/v1.0${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  expect(response.ok).toBe(true);
  return response.status === 204 ? undefined : response.json();
}

const overridesOf = async (userId: string) => Object.fromEntries(activeOverrides((await deps.overrides.find(userId))?.value, {}, world.now()));
// The audit log keeps the real time (its clock is not the test's).
const audited = async (action: string) => (await deps.audit.ofDay(DateTime.utc().toISODate()!)).filter((e) => e.action === action);
let runs = 0;
const sweepDue = () => sweepExpirations(deps, { holder: `hr-test-${++runs}`, budgetMs: 60_000 });

test('a joiner event gives the user at once what the rules give their new attributes: the assignment is delivered and they are in the group', async () => {
  const outcome = await applyEmployeeChange(deps, hrEvent('joiner', { userId: LIAM, attributes: { department: 'Research' } }, 10));

  expect(outcome).toEqual({ status: 'applied', userId: LIAM, assigned: 1, removed: 0, removalsPlanned: 0 });
  expect(await groupMembers(emulator, HR_CONFIDENTIAL)).toContain(LIAM);
  expect(await overridesOf(LIAM)).toEqual({ department: 'Research', employeeleavedatetime: null });
  expect((await audited('overrideUserAttributes')).filter((e) => e.entityId === LIAM)).toHaveLength(1);
});

test('an older event arriving after a newer one changes nothing: the newest wins whatever the arrival order', async () => {
  const outcome = await applyEmployeeChange(deps, hrEvent('mover', { employeeId: 'E1037', attributes: { department: 'Marketing', jobTitle: 'Brand Lead' } }, 20));

  // Its department is older than the joiner's; its job title is the only news about that attribute, so it counts.
  expect(outcome).toMatchObject({ status: 'applied', assigned: 0, removed: 0, removalsPlanned: 0 });
  expect(await overridesOf(LIAM)).toEqual({ department: 'Research', jobtitle: 'Brand Lead', employeeleavedatetime: null });
  expect(await groupMembers(emulator, HR_CONFIDENTIAL)).toContain(LIAM);
});

test('two events about one user at once, newest applied first or last: the newest wins (ETag read-modify-write)', async () => {
  const newer = hrEvent('mover', { userId: ZOE, attributes: { jobTitle: 'Data Analyst' } }, 1);
  const older = hrEvent('mover', { userId: ZOE, attributes: { jobTitle: 'Copywriter' } }, 2);

  await Promise.all([applyEmployeeChange(deps, older), applyEmployeeChange(deps, newer), applyEmployeeChange(deps, older)]);

  expect(await overridesOf(ZOE)).toEqual({ jobtitle: 'Data Analyst' });
  expect(await groupMembers(emulator, LEGAL_HOLD)).toContain(ZOE);
});

test('an override the directory comes to show is dropped: the sweep that sees the change settles it, and access stays', async () => {
  await graph('PATCH', `/users/${LIAM}`, { department: 'Research' });

  await sweepAutoAssignments(deps, { holder: 'hr-test-sweep-1', budgetMs: 60_000 });
  await sweepAutoAssignments(deps, { holder: 'hr-test-sweep-2', budgetMs: 60_000 });

  expect(await overridesOf(LIAM)).toEqual({ jobtitle: 'Brand Lead', employeeleavedatetime: null });
  expect((await deps.overrides.find(LIAM))?.value.attributes.department).toMatchObject({ value: 'Research', settled: true });
  expect(await groupMembers(emulator, HR_CONFIDENTIAL)).toContain(LIAM);
  expect((await audited('settleUserAttributes')).some((e) => e.entityId === LIAM)).toBe(true);
  // The settled entry still orders events: an older one cannot bring back another department.
  await applyEmployeeChange(deps, hrEvent('mover', { userId: LIAM, attributes: { department: 'Sales' } }, 30));
  expect(await overridesOf(LIAM)).toEqual({ jobtitle: 'Brand Lead', employeeleavedatetime: null });
});

test('a mover out of a rule starts the grace period; the access goes when it is over, if they still do not match', async () => {
  const outcome = await applyEmployeeChange(deps, hrEvent('mover', { userPrincipalName: 'liam.obrien@contoso.com', attributes: { department: 'Marketing' } }));

  expect(outcome).toMatchObject({ status: 'applied', assigned: 0, removed: 0, removalsPlanned: 1 });
  expect(await groupMembers(emulator, HR_CONFIDENTIAL)).toContain(LIAM);
  world.advance({ minutes: 30 });
  await sweepDue();
  expect(await groupMembers(emulator, HR_CONFIDENTIAL)).toContain(LIAM);

  world.advance({ minutes: 31 });
  await sweepDue();
  // The directory still says Research: the override, newer, decides.
  expect(await groupMembers(emulator, HR_CONFIDENTIAL)).not.toContain(LIAM);
});

test('a mover out of a rule with no grace period (PT0S) loses the access at once', async () => {
  const outcome = await applyEmployeeChange(deps, hrEvent('mover', { userId: ZOE, attributes: { jobTitle: 'Copywriter' } }));

  expect(outcome).toMatchObject({ status: 'applied', removed: 1, removalsPlanned: 0 });
  expect(await groupMembers(emulator, LEGAL_HOLD)).not.toContain(ZOE);
});

test('a leaver is marked leaving (account disabled, leave date) and loses at once what needs an enabled account', async () => {
  await applyEmployeeChange(deps, hrEvent('mover', { userId: ZOE, attributes: { department: 'Audit' } }, 1));
  expect(await groupMembers(emulator, IT_ADMINS)).toContain(ZOE);
  const leaver = hrEvent('leaver', { userId: ZOE, attributes: {} });

  const outcome = await applyEmployeeChange(deps, leaver);

  expect(outcome).toMatchObject({ status: 'applied', removed: 1 });
  expect(await groupMembers(emulator, IT_ADMINS)).not.toContain(ZOE);
  expect(await overridesOf(ZOE)).toMatchObject({ accountenabled: false, employeeleavedatetime: leaver.occurredAt, department: 'Audit' });
  // The directory itself is not changed by the event: that is provisioning's job.
  expect(await graph('GET', `/users/${ZOE}?$select=accountEnabled`)).toMatchObject({ accountEnabled: true });
});

test('a mover or leaver for nobody fails, changing nothing', async () => {
  expect(await applyEmployeeChange(deps, hrEvent('mover', { employeeId: "x' or employeeId ne 'y", attributes: { department: 'Research' } }))).toEqual({
    status: 'failed',
    reason: `No user has employeeId 'x' or employeeId ne 'y'.`,
  });
  expect(await applyEmployeeChange(deps, hrEvent('leaver', { userPrincipalName: 'nobody@contoso.com', attributes: {} }))).toMatchObject({ status: 'failed' });
});

test('a joiner whose account does not exist yet is held, and applied by the due-time index once the account is created', async () => {
  const joiner = hrEvent('joiner', { employeeId: 'E9001', attributes: { department: 'Research' } });

  const outcome = await applyEmployeeChange(deps, joiner);

  expect(outcome).toEqual({ status: 'held', retryAt: world.now().plus({ minutes: 1 }).toUTC().toISO() });
  world.advance({ minutes: 2 });
  await sweepDue(); // still no account: the next retry waits twice as long
  expect((await deps.heldChanges.find(joiner.eventId))?.value.attempts).toBe(1);

  const created = (await graph('POST', '/users', {
    accountEnabled: true,
    displayName: 'Nina Newhire',
    mailNickname: 'nina',
    userPrincipalName: 'nina.newhire@contoso.com',
    passwordProfile: { password: 'xWwvJ]6NMw+bWH-d' },
    employeeId: 'E9001',
  })) as { id: string };
  world.advance({ minutes: 2 });
  await sweepDue();

  expect(await groupMembers(emulator, HR_CONFIDENTIAL)).toContain(created.id);
  expect(await deps.heldChanges.find(joiner.eventId)).toBeUndefined();
  expect((await audited('applyHeldEmployeeChange')).map((e) => [e.entityId, (e.after as { status: string }).status])).toEqual([[joiner.eventId, 'applied']]);
});

test('a joiner whose account never comes is recorded failed and audited after seven days', async () => {
  const joiner = hrEvent('joiner', { userPrincipalName: 'never.comes@contoso.com', attributes: { department: 'Research' } });
  expect(await applyEmployeeChange(deps, joiner)).toMatchObject({ status: 'held' });

  world.advance({ days: 7, minutes: 1 });
  await sweepDue();

  expect(await deps.heldChanges.find(joiner.eventId)).toBeUndefined();
  const failed = (await audited('employeeChangeFailed')).filter((e) => e.entityId === joiner.eventId);
  expect(failed.map((e) => e.after)).toEqual([{ status: 'failed', reason: "No user has userPrincipalName 'never.comes@contoso.com', P7D after the event took effect." }]);
});
