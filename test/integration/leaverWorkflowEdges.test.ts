import type { Caller } from '../../shared/auth/caller';
import { parseHrEvents } from '../../shared/domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { planWorkflowsForChangedUsers } from '../../shared/operations/workflows/planWorkflowTriggers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { assign, groupPackage, type TestPackage } from '../support/packageWorld';

/** Leaver workflows: a rehire's old leave date corrected runs nothing; a mover during a notice period does not cancel the leave. */
jest.setTimeout(120_000);

const GLOBAL_ADMIN: Caller = { objectId: '82b9bfbc-91ba-4257-9abe-22cad37b17c6', tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined };
const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const NS = '#microsoft.graph.identityGovernance.';
const LEE = '428474c1-5e9e-4ba7-a6a8-6bd5a7550d23'; // Sales
const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65'; // Sales
const MATEO = 'fd39265b-b32e-4ea1-9439-f75f10c01d5d'; // Sales
const GRACE = '616273cd-d6a1-4e4f-8ca4-c608ef605abf'; // Sales

let world: InProcessOperations;
let deps: EntitlementDeps;
let pkg: TestPackage;
let runs = 0;
const held: Record<string, string> = {};
inProcessOperationsForFile((w) => ({ deps } = world = w));

const sweepAll = async () => {
  await sweepExpirations(deps, { holder: `lw-exp-${++runs}`, budgetMs: 60_000 });
  await reconcile(deps, { holder: `lw-rec-${runs}`, budgetMs: 60_000 });
};
const stateOf = async (targetId: string, assignmentId: string) => (await deps.grants.assignmentOf(targetId, assignmentId))?.value.state;
async function patchUser(id: string, changes: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${world.emulator.url}/v1.0/users/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(changes) });
  expect(response.status).toBe(204);
}
async function reportChange(userId: string, changes: Record<string, unknown>): Promise<void> {
  await patchUser(userId, changes);
  await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(userId))!]);
}
const hrEvent = (eventId: string, eventType: 'mover' | 'leaver', userId: string, attributes: Record<string, unknown>, effectiveAt?: string) =>
  parseHrEvents({ eventId, eventType, occurredAt: world.now().minus({ seconds: 30 }).toISO(), ...(effectiveAt ? { effectiveAt } : {}), employee: { userId, attributes } }, world.now());

beforeAll(async () => {
  pkg = await groupPackage(deps, 'Falcon', FALCON);
  // Lee left 60 days ago, was rehired 10 days ago; the directory still shows the old leave date.
  await patchUser(LEE, { employeeHireDate: world.now().minus({ days: 10 }).toISO(), employeeLeaveDateTime: world.now().minus({ days: 60 }).toISO() });
  // Sofia too, but her leave date was cleared on rehire.
  await patchUser(SOFIA, { employeeHireDate: world.now().minus({ days: 10 }).toISO() });
  for (const id of [LEE, SOFIA, MATEO, GRACE]) held[id] = await assign(deps, id, pkg);
  await createWorkflow(deps, GLOBAL_ADMIN, {
    category: 'leaver',
    displayName: 'Sales leavers',
    isEnabled: true,
    isSchedulingEnabled: true,
    executionConditions: {
      '@odata.type': `${NS}triggerAndScopeBasedConditions`,
      scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: "department eq 'Sales'" },
      trigger: { '@odata.type': `${NS}timeBasedAttributeTrigger`, timeBasedAttribute: 'employeeLeaveDateTime', offsetInDays: 0 },
    },
    tasks: [{ displayName: 'Remove all access package assignments', taskDefinitionId: '42ae2956-193d-4f39-be06-691b8ac4fa1d' }],
  });
});

describe('a rehired employee whose historical leave date (before the rehire) changes', () => {
  it('keeps their access when HR corrects the old leave date by a day', async () => {
    await reportChange(LEE, { employeeLeaveDateTime: world.now().minus({ days: 61 }).toISO() });
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(LEE, held[LEE]!)).toBe('delivered');
  });

  it('keeps their access when the old leave date, cleared on rehire, is filled in again (a backfill)', async () => {
    await reportChange(SOFIA, { employeeLeaveDateTime: world.now().minus({ days: 50 }).toISO() });
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(SOFIA, held[SOFIA]!)).toBe('delivered');
  });
});

describe('a leaver event with a notice period, and a mover event during it that names accountEnabled', () => {
  it('(control) without the mover, the leaver workflow runs when the leaver event takes effect', async () => {
    const effective = world.now().plus({ days: 3 }).toUTC().toISO()!;
    await receiveHrEvents(deps, hrEvent('lw-leaver-c', 'leaver', GRACE, {}, effective), 'msg_lw_c');
    world.advance({ days: 3, minutes: 1 });
    await sweepAll();
    expect((await deps.hrEvents.find('lw-leaver-c'))!.value.state).toBe('applied');
    expect(await stateOf(GRACE, held[GRACE]!)).toBe('expired');
  });

  it('runs the leaver workflow when the leaver event takes effect, although a mover came in between', async () => {
    const effective = world.now().plus({ days: 3 }).toUTC().toISO()!;
    await receiveHrEvents(deps, hrEvent('lw-leaver-1', 'leaver', MATEO, {}, effective), 'msg_lw_1');
    // During the notice period HR sends a mover (a full snapshot: still employed, account enabled, new title).
    world.advance({ days: 1 });
    await receiveHrEvents(deps, hrEvent('lw-mover-1', 'mover', MATEO, { jobTitle: 'Account Executive (handover)', accountEnabled: true }), 'msg_lw_2');
    world.advance({ days: 2, minutes: 1 });
    await sweepAll();
    expect((await deps.hrEvents.find('lw-leaver-1'))!.value.state).toBe('applied');
    expect(await stateOf(MATEO, held[MATEO]!)).toBe('expired');
  });
});
