import { parseHrEvents } from '../../shared/domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { planWorkflowsForChangedUsers } from '../../shared/operations/workflows/planWorkflowTriggers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { assign, assignmentState, groupPackage, patchUser, sweepEnds, type TestPackage } from '../support/packageWorld';
import { GLOBAL_ADMIN, SALES_LEAVERS } from '../support/workflowDefinitions';

/** A rehire who leaves again: the second leave date counts, whatever an earlier leaver event said. */
jest.setTimeout(120_000);

const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const PATTI = '515c6123-6c88-4537-bcf3-bd58da60fb1c'; // Sales
const ADELE = 'e085b021-e0d4-4f2b-935a-b03d8de49eb1'; // Sales
const LEE = '428474c1-5e9e-4ba7-a6a8-6bd5a7550d23'; // Sales

let world: InProcessOperations;
let deps: EntitlementDeps;
let pkg: TestPackage;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const sweepAll = () => sweepEnds(deps);
const stateOf = (targetId: string, assignmentId: string) => assignmentState(deps, targetId, assignmentId);
async function reportChange(userId: string, changes: Record<string, unknown>): Promise<void> {
  await patchUser(world.emulator, userId, changes);
  await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(userId))!]);
}
const hrEvent = (eventId: string, eventType: 'joiner' | 'leaver', userId: string, attributes: Record<string, unknown>) =>
  parseHrEvents({ eventId, eventType, occurredAt: world.now().minus({ seconds: 30 }).toISO(), employee: { userId, attributes } }, world.now());

beforeAll(async () => {
  pkg = await groupPackage(deps, 'Falcon', FALCON);
  await createWorkflow(deps, GLOBAL_ADMIN, SALES_LEAVERS);
  // Planned in the background: the sweep records every user's leave date as it is now.
  await sweepAll();
});

describe('a rehire who leaves again, the second time by the directory leave date', () => {
  it('(control) a user who never had an HR leaver event loses the access on the directory leave date', async () => {
    const assignmentId = await assign(deps, ADELE, pkg);
    await reportChange(ADELE, { employeeLeaveDateTime: world.now().plus({ days: 1 }).toISO() });
    world.advance({ days: 1, minutes: 1 });
    await sweepAll();
    expect(await stateOf(ADELE, assignmentId)).toBe('expired');
  });

  it('loses the access on the second leave date, after an HR leaver and an HR joiner (rehire) months before', async () => {
    const first = await assign(deps, PATTI, pkg);
    await receiveHrEvents(deps, hrEvent('rf-leaver-1', 'leaver', PATTI, {}), 'msg_rf_1');
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(PATTI, first)).toBe('expired');
    // Rehired 30 days later: HR sends a joiner, the directory shows the new hire date.
    world.advance({ days: 30 });
    await patchUser(world.emulator, PATTI, { employeeHireDate: world.now().toISO(), accountEnabled: true });
    await receiveHrEvents(deps, hrEvent('rf-joiner-1', 'joiner', PATTI, { department: 'Sales' }), 'msg_rf_2');
    world.advance({ minutes: 1 });
    await sweepAll();
    const second = await assign(deps, PATTI, pkg);
    // 100 days on she leaves again; this time only the directory's leave date says so.
    world.advance({ days: 100 });
    await reportChange(PATTI, { employeeLeaveDateTime: world.now().plus({ days: 1 }).toISO() });
    world.advance({ days: 1, minutes: 1 });
    await sweepAll();
    const stored = (await deps.overrides.forUsers([PATTI])).get(PATTI)?.value;
    console.log(JSON.stringify(stored));
    expect(await stateOf(PATTI, second)).toBe('expired');
  });

  it('loses the access on the second leave date, after an HR leaver and a rehire made in the directory alone weeks before', async () => {
    const first = await assign(deps, LEE, pkg);
    await receiveHrEvents(deps, hrEvent('rf-leaver-2', 'leaver', LEE, {}), 'msg_rf_3');
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(LEE, first)).toBe('expired');
    // Rehired 10 days later, in the directory only: a new hire date, no HR joiner event.
    world.advance({ days: 10 });
    await reportChange(LEE, { employeeHireDate: world.now().toISO() });
    const second = await assign(deps, LEE, pkg);
    // 30 days on she leaves again, by the directory's leave date (well within the leaver's 90 days).
    world.advance({ days: 30 });
    await reportChange(LEE, { employeeLeaveDateTime: world.now().plus({ days: 1 }).toISO() });
    world.advance({ days: 1, minutes: 1 });
    await sweepAll();
    expect(await stateOf(LEE, second)).toBe('expired');
  });
});
