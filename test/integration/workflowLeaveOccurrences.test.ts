import { parseHrEvents } from '../../shared/domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { planWorkflowsForChangedUsers } from '../../shared/operations/workflows/planWorkflowTriggers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { assign, assignmentState, groupPackage, patchUser, sweepEnds, type TestPackage } from '../support/packageWorld';
import { GLOBAL_ADMIN } from '../support/workflowDefinitions';

/** A leave-date occurrence after a rehire the same day, as time zones and hire dates to come make it. */
jest.setTimeout(180_000);

const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const NS = '#microsoft.graph.identityGovernance.';
const REMOVE_ALL = '42ae2956-193d-4f39-be06-691b8ac4fa1d';
const ENABLE_ACCOUNT = '6fc52c9d-398b-4305-9763-15f42c1676fc';
const DISABLE_ACCOUNT = '1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950';

let world: InProcessOperations;
let deps: EntitlementDeps;
let falcon: TestPackage;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const stateOf = (targetId: string, assignmentId: string) => assignmentState(deps, targetId, assignmentId);
const accountEnabled = async (userId: string) => ((await (await fetch(`${world.emulator.url}/v1.0/users/${userId}?$select=accountEnabled`)).json()) as { accountEnabled: boolean }).accountEnabled;
const scheduled = (category: 'joiner' | 'leaver', displayName: string, department: string, attribute: string, ...tasks: object[]) =>
  createWorkflow(deps, GLOBAL_ADMIN, {
    category,
    displayName,
    isEnabled: true,
    isSchedulingEnabled: true,
    executionConditions: {
      '@odata.type': `${NS}triggerAndScopeBasedConditions`,
      scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: `department eq '${department}'` },
      trigger: { '@odata.type': `${NS}timeBasedAttributeTrigger`, timeBasedAttribute: attribute, offsetInDays: 0 },
    },
    tasks,
  });
const hrEvent = (eventId: string, eventType: 'joiner' | 'leaver', userId: string, attributes: Record<string, unknown> = {}) =>
  parseHrEvents({ eventId, eventType, occurredAt: world.now().minus({ seconds: 30 }).toISO(), employee: { userId, attributes } }, world.now());

beforeAll(async () => {
  falcon = await groupPackage(deps, 'Falcon', FALCON);
});

/** 01:00 UTC tomorrow: what follows stays within one day, so both departures have the same occurrence key. */
const earlyTomorrow = () => world.advance({ milliseconds: world.now().plus({ days: 1 }).startOf('day').plus({ hours: 1 }).diff(world.now()).toMillis() });
const planChange = async (userId: string, changes: Record<string, unknown>) => {
  await patchUser(world.emulator, userId, changes);
  await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(userId))!]);
};
const leaverRuns = async (workflowId: string, userId: string) => (await deps.workflows.userResultsOf(workflowId)).filter((r) => r.subjectId.toLowerCase() === userId).length;

describe('a rehire whose hire date is local midnight east of UTC (the previous UTC day)', () => {
  it('a leaver event, a rehire the same local day (hire date 00:00+01:00), a leaver again: the second departure runs', async () => {
    const MATEO = 'fd39265b-b32e-4ea1-9439-f75f10c01d5d'; // hired 2020
    earlyTomorrow(); // D 01:00Z = D 02:00 in Paris
    await patchUser(world.emulator, MATEO, { department: 'Paris Dept' });
    await scheduled('leaver', 'Paris leavers', 'Paris Dept', 'employeeLeaveDateTime', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT }, { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL });
    await scheduled('joiner', 'Paris joiners', 'Paris Dept', 'employeeHireDate', { displayName: 'Enable user account', taskDefinitionId: ENABLE_ACCOUNT });
    await receiveHrEvents(deps, hrEvent('paris-leaver-1', 'leaver', MATEO), 'msg_paris_1');
    expect(await accountEnabled(MATEO)).toBe(false);
    world.advance({ minutes: 2 });
    // HR in Paris rehires them today: the hire date is today's local midnight, 23:00 UTC the day before.
    const localMidnight = world.now().setZone('Europe/Paris').startOf('day').toISO();
    await receiveHrEvents(deps, hrEvent('paris-joiner-1', 'joiner', MATEO, { employeeHireDate: localMidnight }), 'msg_paris_2');
    expect(await accountEnabled(MATEO)).toBe(true);
    const rehired = await assign(deps, MATEO, falcon);
    world.advance({ hours: 1 });
    await receiveHrEvents(deps, hrEvent('paris-leaver-2', 'leaver', MATEO), 'msg_paris_3');
    await sweepEnds(deps);
    expect([await accountEnabled(MATEO), await stateOf(MATEO, rehired)]).toEqual([false, 'expired']);
  });
});

describe('one departure, a future rehire entered within the day', () => {
  it('a leaver run; hours later the directory shows next month\'s hire date (the leave date still shown): the leaver workflow does not run again', async () => {
    const PATTI = '515c6123-6c88-4537-bcf3-bd58da60fb1c';
    earlyTomorrow();
    await patchUser(world.emulator, PATTI, { department: 'Future Rehire Dept' });
    const leavers = await scheduled('leaver', 'Future rehire leavers', 'Future Rehire Dept', 'employeeLeaveDateTime', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT }, { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL });
    await planChange(PATTI, { employeeLeaveDateTime: world.now().plus({ hours: 1 }).toISO() });
    world.advance({ minutes: 61 });
    await sweepEnds(deps);
    expect(await leaverRuns(leavers.id, PATTI)).toBe(1);
    // HR enters the rehire for next month; until then the directory keeps showing the departure's leave date.
    world.advance({ hours: 3 });
    await planChange(PATTI, { employeeHireDate: world.now().plus({ days: 30 }).startOf('day').toISO() });
    world.advance({ minutes: 1 });
    await sweepEnds(deps);
    expect(await leaverRuns(leavers.id, PATTI)).toBe(1);
  });
});
