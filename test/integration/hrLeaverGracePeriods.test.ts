import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { applyEmployeeChange, type EmployeeChange } from '../../shared/operations/hrEvents/applyEmployeeChange';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { autoGroupPackage, groupMembers, sweepEnds } from '../support/packageWorld';

/**
 * The README's way to end auto-assigned access on leave —
 * `(user.accountEnabled -eq true) -and (…)` — with a grace period longer than an HR override's 7-day lifetime.
 */
jest.setTimeout(120_000);

const JONI = 'a30354ef-398b-4edf-a326-3c49440a9a11'; // Operations
const NESTOR = '400cb70f-964e-43c0-b4a3-165de1ab3e01'; // Operations
const LEGAL_HOLD = '993bb873-540b-442e-8a6e-83734bc9404e';
const HR_CONFIDENTIAL = '65ce110a-2689-4e92-b29b-c6b33ac4414b';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const hrEvent = (eventType: EmployeeChange['eventType'], eventId: string, userId = JONI): EmployeeChange => ({
  eventId,
  eventType,
  occurredAt: world.now().minus({ minutes: 1 }).toUTC().toISO()!,
  employee: { userId, attributes: {} },
});
const sweepAll = () => sweepEnds(deps);

it('(control) a leaver loses access that needs an enabled account when its 3-day grace period ends', async () => {
  await autoGroupPackage(deps, 'Ops HR', HR_CONFIDENTIAL, '(user.accountEnabled -eq true) -and (user.department -eq "Operations") -and (user.jobTitle -ne "nobody")', 'P3D');
  expect(await applyEmployeeChange(deps, hrEvent('joiner', 'control-joiner', NESTOR))).toMatchObject({ status: 'applied' });
  expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).toContain(NESTOR);
  expect(await applyEmployeeChange(deps, hrEvent('leaver', 'control-leaver', NESTOR))).toMatchObject({ status: 'applied' });
  for (let day = 1; day <= 4; day++) {
    world.advance({ days: 1 });
    await sweepAll();
  }
  expect(await groupMembers(world.emulator, HR_CONFIDENTIAL)).not.toContain(NESTOR);
});

it('a leaver loses access that needs an enabled account when its 14-day grace period ends', async () => {
  await autoGroupPackage(deps, 'Ops legal hold', LEGAL_HOLD, '(user.accountEnabled -eq true) -and (user.department -eq "Operations")', 'P14D');
  expect(await applyEmployeeChange(deps, hrEvent('joiner', 'grace-joiner'))).toMatchObject({ status: 'applied' });
  expect(await groupMembers(world.emulator, LEGAL_HOLD)).toContain(JONI);

  expect(await applyEmployeeChange(deps, hrEvent('leaver', 'grace-leaver'))).toMatchObject({ status: 'applied' });
  // The directory is never changed by HR events; nothing else disables her account. Sweeps run daily for 15 days.
  for (let day = 1; day <= 15; day++) {
    world.advance({ days: 1 });
    await sweepAll();
  }
  expect(await groupMembers(world.emulator, LEGAL_HOLD)).not.toContain(JONI);
});
