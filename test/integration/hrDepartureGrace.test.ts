import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { applyEmployeeChange } from '../../shared/operations/hrEvents/applyEmployeeChange';
import { leaverEvent } from '../support/employeeChanges';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { autoGroupPackage, groupMembers, sweepDays } from '../support/packageWorld';

/** A leaver's departure outlasts any grace period of up to 90 days, the event delivered on time or up to a week late. */
jest.setTimeout(300_000);

const JONI = 'a30354ef-398b-4edf-a326-3c49440a9a11'; // Operations
const NESTOR = '400cb70f-964e-43c0-b4a3-165de1ab3e01'; // Operations
const PROJECT_FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const VPN_USERS = 'e644c315-c2cb-4187-b62e-7330ba45cd54';
const IT_ADMINS = 'b2256110-d660-413b-bd70-3b61aa80bb6c';
const TOMAS = 'a1a58ce8-3556-473a-94f6-9a60f9d97768'; // Operations

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const modes: string[] = [];
/** Daily sweeps; the users delta's mode of each day, for the last test. */
const days = async (count: number) => {
  modes.push(...(await sweepDays(world, count)));
};

it.each([
  ['(control) P60D, the leaver delivered on time', 'P60D', 0, TOMAS],
  ['P90D, the leaver delivered on time', 'P90D', 0, JONI],
  ['P85D, the leaver delivered 6 days late', 'P85D', 6, NESTOR],
])('a leaver loses access that needs an enabled account when a grace period of up to 90 days ends (%s)', async (_, grace, lateDays, user) => {
  const group = user === JONI ? PROJECT_FALCON : user === NESTOR ? VPN_USERS : IT_ADMINS;
  expect(await groupMembers(world.emulator, group)).not.toContain(user);
  await autoGroupPackage(deps, `Ops long grace ${grace}`, group, '(user.accountEnabled -eq true) -and (user.department -eq "Operations") -and (user.jobTitle -ne "' + grace + '")', grace);
  await days(1);
  expect(await groupMembers(world.emulator, group)).toContain(user);
  expect(await applyEmployeeChange(deps, leaverEvent(world.now(), `long-grace-${grace}`, user, { lateDays }))).toMatchObject({ status: 'applied' });
  // The directory never disables the account (no leaver workflow, no provisioning). Daily sweeps.
  const graceDays = Number(grace.slice(1, -1));
  await days(graceDays - lateDays - 1);
  expect(await groupMembers(world.emulator, group)).toContain(user); // still in the grace period
  await days(lateDays + 10);
  expect(await groupMembers(world.emulator, group)).not.toContain(user);
});

it('the users delta grows to the hire date once, then runs incremental', () => {
  expect(modes.slice(-5).every((m) => m === 'incremental')).toBe(true);
});
