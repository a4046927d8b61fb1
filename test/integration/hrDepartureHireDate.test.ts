import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { applyEmployeeChange, type EmployeeChange } from '../../shared/operations/hrEvents/applyEmployeeChange';
import { sweepAutoAssignments } from '../../shared/operations/autoAssignment/autoAssignmentSweep';
import { leaverEvent } from '../support/employeeChanges';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { autoGroupPackage, groupMembers, patchUser, sweepDays } from '../support/packageWorld';

/** A leaver's departure is not ended by a hire date the directory already showed when the event was applied. */
jest.setTimeout(300_000);

const JONI = 'a30354ef-398b-4edf-a326-3c49440a9a11'; // Operations
const TOMAS = 'a1a58ce8-3556-473a-94f6-9a60f9d97768'; // Operations
const HR_CONFIDENTIAL = '65ce110a-2689-4e92-b29b-c6b33ac4414b';
const LEGAL_HOLD = '993bb873-540b-442e-8a6e-83734bc9404e';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const days = (count: number) => sweepDays(world, count);

it('an offer withdrawn before the start (leaver event, hire date already ahead) gets no access once that date comes', async () => {
  // Pre-provisioned: she starts in 10 days; access only once started (a rule reading the time: evaluated hourly in full).
  await patchUser(world.emulator, JONI, { employeeHireDate: world.now().plus({ days: 10 }).toUTC().toISO() });
  await autoGroupPackage(deps, 'Ops starters', HR_CONFIDENTIAL, '(user.accountEnabled -eq true) -and (user.department -eq "Operations") -and (user.employeeHireDate -le system.now)', 'P3D');
  await days(1);
  expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).not.toContain(JONI);
  // The offer is withdrawn: HR sends a leaver. Nothing disables the pre-provisioned account (no leaver workflow).
  expect(await applyEmployeeChange(deps, leaverEvent(world.now(), 'withdrawn-offer', JONI))).toMatchObject({ status: 'applied' });
  await days(8);
  expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).not.toContain(JONI);
  await days(6);
  expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).not.toContain(JONI);
});

it('without the leaver she gets the access once her hire date comes', async () => {
  await patchUser(world.emulator, TOMAS, { employeeHireDate: world.now().plus({ days: 10 }).toUTC().toISO() });
  await autoGroupPackage(deps, 'Ops starters 2', LEGAL_HOLD, '(user.accountEnabled -eq true) -and (user.department -eq "Operations") -and (user.employeeHireDate -le system.now)', 'P3D');
  await days(1);
  expect(await groupMembers(world.emulator, LEGAL_HOLD)).not.toContain(TOMAS);
  await days(14);
  expect(await groupMembers(world.emulator, LEGAL_HOLD)).toContain(TOMAS);
});


it('a day-one leaver (HR dates the leave at midnight, the directory hire date at 09:00 that day) loses the access', async () => {
  const NESTOR = '400cb70f-964e-43c0-b4a3-165de1ab3e01'; // Operations
  const VPN_USERS = 'e644c315-c2cb-4187-b62e-7330ba45cd54';
  const startOfDay = world.now().toUTC().startOf('day');
  world.advance({ milliseconds: startOfDay.plus({ days: 1, hours: 12 }).toMillis() - world.now().toMillis() }); // noon
  await patchUser(world.emulator, NESTOR, { employeeHireDate: world.now().toUTC().startOf('day').plus({ hours: 9 }).toISO() });
  await autoGroupPackage(deps, 'Ops VPN', VPN_USERS, '(user.accountEnabled -eq true) -and (user.department -eq "Operations")', 'PT0S');
  await sweepAutoAssignments(deps, { holder: 'day-one-rules', budgetMs: 60_000 });
  expect(await groupMembers(world.emulator, VPN_USERS)).toContain(NESTOR);
  // A no-show: HR's leaver is dated the day, at midnight (a date-only feed); no leaver workflow disables the account.
  const dayOne: EmployeeChange = { eventId: 'day-one-leaver', eventType: 'leaver', occurredAt: world.now().toUTC().startOf('day').toISO()!, employee: { userId: NESTOR, attributes: {} } };
  expect(await applyEmployeeChange(deps, dayOne)).toMatchObject({ status: 'applied' });
  await days(1);
  expect(await groupMembers(world.emulator, VPN_USERS)).not.toContain(NESTOR);
});
