import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { applyEmployeeChange } from '../../shared/operations/hrEvents/applyEmployeeChange';
import { leaverEvent } from '../support/employeeChanges';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { autoGroupPackage, groupMembers, patchUser, sweepDays } from '../support/packageWorld';

/**
 * A leaver's overrides after a rehire made in the directory alone (no HR joiner event; the account never disabled):
 * only the departure (account, leave date) outlasts the 7 days, and a hire date since ends it.
 */
jest.setTimeout(120_000);

const JONI = 'a30354ef-398b-4edf-a326-3c49440a9a11'; // Operations
const TOMAS = 'a1a58ce8-3556-473a-94f6-9a60f9d97768'; // Operations
const HR_CONFIDENTIAL = '65ce110a-2689-4e92-b29b-c6b33ac4414b';
const LEGAL_HOLD = '993bb873-540b-442e-8a6e-83734bc9404e';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const days = (count: number) => sweepDays(world, count);

it('a leaver rehired two months later in the directory alone (new department and hire date) gets the rule\'s access again', async () => {
  await autoGroupPackage(deps, 'Ops HR', HR_CONFIDENTIAL, '(user.accountEnabled -eq true) -and (user.department -eq "Operations")', 'P3D');
  await days(1);
  expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).toContain(JONI);
  expect(await applyEmployeeChange(deps, leaverEvent(world.now(), 'rehire-leaver-1', JONI))).toMatchObject({ status: 'applied' });
  await patchUser(world.emulator, JONI, { department: 'Former staff' });
  await days(4);
  expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).not.toContain(JONI);
  // 60 days later IT rehires her in the directory: Operations again, a new hire date; her account was never disabled.
  world.advance({ days: 60 });
  await patchUser(world.emulator, JONI, { department: 'Operations', employeeHireDate: world.now().toISO() });
  await days(2);
  expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).toContain(JONI);
  // The departure is kept (to order late events), no longer counting.
  expect((await deps.overrides.forUsers([JONI])).get(JONI)?.value.attributes['accountenabled']).toMatchObject({ eventId: 'rehire-leaver-1', value: false });
});

it("a leaver event's snapshot of the department counts for 7 days only, not for good", async () => {
  await autoGroupPackage(deps, 'Ops legal hold', LEGAL_HOLD, 'user.department -eq "Operations"', 'P3D');
  await days(1);
  expect(await groupMembers(world.emulator, LEGAL_HOLD)).toContain(TOMAS);
  // The directory moves him to "Former staff"; HR's leaver event, sent after, carries the department he had.
  await patchUser(world.emulator, TOMAS, { department: 'Former staff' });
  expect(await applyEmployeeChange(deps, leaverEvent(world.now(), 'rehire-leaver-2', TOMAS, { attributes: { department: 'Operations' } }))).toMatchObject({ status: 'applied' });
  await days(6);
  expect(await groupMembers(world.emulator, LEGAL_HOLD)).toContain(TOMAS);
  // Past the 7 days the directory's department counts again, the next time the delta reports him.
  await days(2);
  await patchUser(world.emulator, TOMAS, { department: 'Alumni' });
  await days(4);
  expect(await groupMembers(world.emulator, LEGAL_HOLD)).not.toContain(TOMAS);
});
