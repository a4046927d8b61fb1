import { parseHrEvents } from '../../shared/domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { sweepAutoAssignments } from '../../shared/operations/autoAssignment/autoAssignmentSweep';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { autoGroupPackage } from '../support/packageWorld';
import { GLOBAL_ADMIN, scheduledOn } from '../support/workflowDefinitions';

/** A joiner or leaver delivered late, after a newer leaver or joiner (a rehire), runs none of its workflows. */
jest.setTimeout(120_000);

const ENABLE_ACCOUNT = '6fc52c9d-398b-4305-9763-15f42c1676fc';
const DISABLE_ACCOUNT = '1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950';
const GRADY = '764ae4d4-359e-4d02-9cb2-5c12903c3ad2'; // Finance
const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((w) => ({ deps } = world = w));
const accountEnabled = async (userId: string) => ((await (await fetch(`${world.emulator.url}/v1.0/users/${userId}?$select=accountEnabled`)).json()) as { accountEnabled: boolean }).accountEnabled;

const scheduled = (category: 'joiner' | 'leaver', displayName: string, tasks: object[]) =>
  createWorkflow(deps, GLOBAL_ADMIN, scheduledOn(category, displayName, "department eq 'Finance'", category === 'joiner' ? 'employeeHireDate' : 'employeeLeaveDateTime', tasks));

beforeAll(async () => {
  await autoGroupPackage(deps, 'Finance auto', FALCON, '(user.department -eq "Finance") -and (user.accountEnabled -eq true)');
  await scheduled('leaver', 'Finance leavers', [{ displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT }]);
  await scheduled('joiner', 'Finance joiners', [{ displayName: 'Enable user account', taskDefinitionId: ENABLE_ACCOUNT }]);
});

it('a joiner event delivered 8 days late does not enable again the account of a leaver since', async () => {
  // The joiner happened first, but its delivery is held up (an HR connector's backlog).
  const joiner = parseHrEvents({ eventId: 'lj8-joiner-4', eventType: 'joiner', occurredAt: world.now().minus({ seconds: 30 }).toISO(), employee: { userId: GRADY, attributes: { employeeHireDate: world.now().toUTC().toISO() } } }, world.now());
  world.advance({ minutes: 1 });
  await receiveHrEvents(deps, parseHrEvents({ eventId: 'lj8-leaver-4', eventType: 'leaver', occurredAt: world.now().minus({ seconds: 30 }).toISO(), employee: { userId: GRADY } }, world.now()), 'msg_lj8_4');
  expect(await accountEnabled(GRADY)).toBe(false);
  // The sweep reads the directory, which shows the account disabled: the leaver's entry settles.
  await sweepAutoAssignments(deps, { holder: 'lj8-auto-1', budgetMs: 60_000 });
  const entry = (await deps.overrides.forUsers([GRADY])).get(GRADY)!.value.attributes['accountenabled']!;
  expect(entry.settled).toBe(true);
  world.advance({ days: 8 });
  await receiveHrEvents(deps, joiner, 'msg_lj8_4b');
  expect(await accountEnabled(GRADY)).toBe(false);
});

const ev = (eventId: string, eventType: 'joiner' | 'leaver' | 'mover', attributes?: Record<string, unknown>) =>
  parseHrEvents({ eventId, eventType, occurredAt: world.now().minus({ seconds: 30 }).toISO(), employee: { userId: GRADY, ...(attributes ? { attributes } : {}) } }, world.now());

it.each([
  ['a day late (a mover naming the account in between)', 1, true],
  ['8 days late (past the joiner\'s 7 days)', 8, false],
  ['8 days late (a mover naming the account in between)', 8, true],
])('a leaver delivered %s after the rehire\'s joiner does not disable the rehired account', async (_name, daysLate, withMover) => {
  const n = `${daysLate}${withMover ? 'm' : ''}`;
  // The leaver happened first, but its delivery is held up (an HR connector's backlog).
  const leaver = ev(`f3-leaver-${n}`, 'leaver');
  world.advance({ hours: 1 });
  await receiveHrEvents(deps, ev(`f3-joiner-${n}`, 'joiner', { employeeHireDate: world.now().toUTC().toISO() }), `msg_f3_j_${n}`);
  if (withMover) {
    world.advance({ hours: 1 });
    await receiveHrEvents(deps, ev(`f3-mover-${n}`, 'mover', { jobTitle: 'Controller', accountEnabled: true }), `msg_f3_m_${n}`);
  }
  expect(await accountEnabled(GRADY)).toBe(true);
  world.advance({ days: daysLate });
  await receiveHrEvents(deps, leaver, `msg_f3_l_${n}`);
  expect(await accountEnabled(GRADY)).toBe(true);
});
