import { DirectoryError } from '../../shared/directory/directoryError';
import { parseHrEvents } from '../../shared/domain/hrEvents/hrEvent';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { activateWorkflow } from '../../shared/operations/workflows/activateWorkflow';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { planWorkflowsForChangedUsers } from '../../shared/operations/workflows/planWorkflowTriggers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { assign, assignmentState, groupMembers, groupPackage, hooked, patchUser, refuseDirectoryChanges, setFaults, sweepEnds, type TestPackage } from '../support/packageWorld';
import { GLOBAL_ADMIN, movedInto, scheduledForDepartment } from '../support/workflowDefinitions';

/**
 * A workflow task that takes access away (remove assignments, remove from groups, disable the account) and fails for
 * now (a storage blip, a Graph outage) is tried again by what carried the run: the HR event's recovery item, the
 * trigger's due item, the caller of `activate`. Its results are recorded as they were; the occurrence is left
 * unfinished, so the retry runs it. Leakhunt L1 (review-leakhunt.md). A task that grants, failing, is final as before.
 * A retry never acts against what happened since: a newer HR event overtaking the one that failed runs it no more.
 */
jest.setTimeout(120_000);

const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515'; // Project Falcon: none of the Sales users is a member
const VPN = 'e644c315-c2cb-4187-b62e-7330ba45cd54'; // VPN Users
const FINANCE_APPROVERS = '1e036ff5-150f-47fd-9da7-e515e33a2538'; // Grady Archie, Allan Deyoung
const NS = '#microsoft.graph.identityGovernance.';
const REMOVE_ALL = '42ae2956-193d-4f39-be06-691b8ac4fa1d';
const ENABLE_ACCOUNT = '6fc52c9d-398b-4305-9763-15f42c1676fc';
const DISABLE_ACCOUNT = '1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950';
const REMOVE_FROM_GROUPS = '1953a66c-751c-45e5-8bfe-01462c70da3c';
const ADD_TO_GROUPS = '22085229-5809-45e8-97fd-270d28d66910';
const TRANSIENT = 'Table Storage answered 503 (transient)';

let world: InProcessOperations;
let deps: EntitlementDeps;
let falcon: TestPackage;
let vpn: TestPackage;
let runs = 0;
inProcessOperationsForFile((w) => ({ deps } = world = w));

const sweepAll = () => sweepEnds(deps);
/** The sweeps after the HR event's recovery delay (5 minutes): the first chance of a retry. */
const sweepAfterRecoveryDelay = async () => {
  world.advance({ minutes: 6 });
  await sweepAll();
};
const stateOf = (targetId: string, assignmentId: string) => assignmentState(deps, targetId, assignmentId);
const leaver = (eventId: string, userId: string) =>
  parseHrEvents({ eventId, eventType: 'leaver', occurredAt: world.now().minus({ minutes: 1 }).toISO(), employee: { userId, attributes: {} } }, world.now());
const eventState = async (eventId: string) => (await deps.hrEvents.find(eventId))!.value.state;
/** Grants whose `claimOf` read fails once for the user: the removal of one of their assignments fails for now. */
const failingOnceFor = (userId: string) => hooked(deps.grants, 'claimOf', () => Promise.reject(new Error(TRANSIENT)), (targetId) => targetId.toLowerCase() === userId).part;
const workflowNamed = async (name: string) => (await deps.workflows.all()).find((w) => w.displayName === name)!.id;
const resultsFor = async (workflow: string, userId: string) => (await deps.workflows.userResultsOf(await workflowNamed(workflow))).filter((r) => r.subjectId.toLowerCase() === userId);
const accountEnabled = async (userId: string) => ((await (await fetch(`${world.emulator.url}/v1.0/users/${userId}?$select=accountEnabled`)).json()) as { accountEnabled: boolean }).accountEnabled;

/** A leaver workflow (on the leave date, or a signed HR leaver event) for one department, with its tasks in order. */
const leaverWorkflow = (displayName: string, department: string, ...tasks: object[]) =>
  scheduledForDepartment(deps, 'leaver', displayName, department, 'employeeLeaveDateTime', ...tasks);

beforeAll(async () => {
  falcon = await groupPackage(deps, 'Falcon', FALCON);
  vpn = await groupPackage(deps, 'VPN', VPN);
  // The README's leaver workflows: remove every assignment (Sales), disable the account (Marketing).
  await leaverWorkflow('Sales leavers', 'Sales', { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL });
  await leaverWorkflow('Marketing leavers', 'Marketing', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT });
  await leaverWorkflow('Finance leavers', 'Finance', {
    displayName: 'Remove user from selected groups',
    taskDefinitionId: REMOVE_FROM_GROUPS,
    arguments: [{ name: 'groupID', value: FINANCE_APPROVERS }],
  });
});

describe('a signed HR leaver event whose leaver workflow fails for now', () => {
  it('(control) ends the assignment at once when nothing fails, and the event is applied', async () => {
    const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65'; // Sales
    const assignmentId = await assign(deps, SOFIA, falcon);
    expect(await receiveHrEvents(deps, leaver('retry-leaver-0', SOFIA), 'msg_retry_0')).toEqual([{ eventId: 'retry-leaver-0', status: 'accepted' }]);
    expect(await stateOf(SOFIA, assignmentId)).toBe('expired');
    expect(await groupMembers(world.emulator, FALCON)).not.toContain(SOFIA);
    expect(await eventState('retry-leaver-0')).toBe('applied');
  });

  it('ends the assignment when one storage read fails as it is removed: the event stays pending and its recovery item runs the workflow again', async () => {
    const CHLOE = 'c10c2788-a8e1-4980-86f6-d2e1c91d6da3'; // Sales
    const assignmentId = await assign(deps, CHLOE, falcon);
    expect(await receiveHrEvents({ ...deps, grants: failingOnceFor(CHLOE) }, leaver('retry-leaver-1', CHLOE), 'msg_retry_1')).toEqual([{ eventId: 'retry-leaver-1', status: 'accepted' }]);
    // The attempt is recorded as it went: the task failed on the fault. The event is not applied yet.
    expect((await resultsFor('Sales leavers', CHLOE)).map((r) => [r.processingStatus, r.taskProcessingResults[0]!.failureReason])).toEqual([['failed', TRANSIENT]]);
    expect(await stateOf(CHLOE, assignmentId)).toBe('delivered');
    expect(await eventState('retry-leaver-1')).toBe('pending');

    await sweepAfterRecoveryDelay();
    expect(await stateOf(CHLOE, assignmentId)).toBe('expired');
    expect(await groupMembers(world.emulator, FALCON)).not.toContain(CHLOE);
    expect(await eventState('retry-leaver-1')).toBe('applied');
    expect((await resultsFor('Sales leavers', CHLOE)).map((r) => r.processingStatus).sort()).toEqual(['completed', 'failed']);
    // Done: later sweeps run it no more.
    world.advance({ days: 1 });
    await sweepAll();
    expect(await resultsFor('Sales leavers', CHLOE)).toHaveLength(2);
  });

  it("tries every assignment before it fails: one removal failing does not keep the user's other assignments", async () => {
    const CAMILLE = 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83'; // Sales
    const held = [await assign(deps, CAMILLE, falcon), await assign(deps, CAMILLE, vpn)];
    await receiveHrEvents({ ...deps, grants: failingOnceFor(CAMILLE) }, leaver('retry-leaver-2', CAMILLE), 'msg_retry_2');
    // One removal failed; the other was made all the same, in the same attempt.
    expect((await Promise.all(held.map((id) => stateOf(CAMILLE, id)))).sort()).toEqual(['delivered', 'expired']);
    await sweepAfterRecoveryDelay();
    expect(await Promise.all(held.map((id) => stateOf(CAMILLE, id)))).toEqual(['expired', 'expired']);
    expect(await groupMembers(world.emulator, FALCON)).not.toContain(CAMILLE);
    expect(await groupMembers(world.emulator, VPN)).not.toContain(CAMILLE);
  });

  it('disables the account when Graph refuses the change for a while as the workflow runs', async () => {
    const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4'; // Marketing
    expect(await accountEnabled(LIAM)).toBe(true);
    // Graph answers 503 to every change of Liam's account while the event is applied (past the adapter's retries).
    await setFaults(world.emulator, [{ pathPattern: `^/v1.0/users/${LIAM}`, method: 'PATCH', status: 503, rate: 1, retryAfterSeconds: 0 }]);
    try {
      expect(await receiveHrEvents(deps, leaver('retry-leaver-3', LIAM), 'msg_retry_3')).toEqual([{ eventId: 'retry-leaver-3', status: 'accepted' }]);
    } finally {
      await setFaults(world.emulator, []);
    }
    expect(await resultsFor('Marketing leavers', LIAM)).toEqual([expect.objectContaining({ processingStatus: 'failed' })]);
    expect(await eventState('retry-leaver-3')).toBe('pending');
    await sweepAfterRecoveryDelay();
    expect(await accountEnabled(LIAM)).toBe(false);
    expect(await eventState('retry-leaver-3')).toBe('applied');
  });

  it('removes the user from the selected groups when Graph refuses the change for a while as the workflow runs', async () => {
    const GRADY = '764ae4d4-359e-4d02-9cb2-5c12903c3ad2'; // Finance, in Finance Approvers
    expect(await groupMembers(world.emulator, FINANCE_APPROVERS)).toContain(GRADY);
    await refuseDirectoryChanges(world.emulator);
    try {
      await receiveHrEvents(deps, leaver('retry-leaver-4', GRADY), 'msg_retry_4');
    } finally {
      await setFaults(world.emulator, []);
    }
    const [result] = await resultsFor('Finance leavers', GRADY);
    expect(result).toMatchObject({ processingStatus: 'failed' });
    expect(result!.taskProcessingResults[0]!.failureReason).toMatch(/^Group '1e036ff5-150f-47fd-9da7-e515e33a2538': /);
    expect(await groupMembers(world.emulator, FINANCE_APPROVERS)).toContain(GRADY);
    await sweepAfterRecoveryDelay();
    expect(await groupMembers(world.emulator, FINANCE_APPROVERS)).not.toContain(GRADY);
    expect(await eventState('retry-leaver-4')).toBe('applied');
  });
});

describe('a signed HR leaver event with two leaver workflows, one failing for now', () => {
  it("runs the other in the same attempt, and the failed one on the event's retry", async () => {
    const CHRISTIE = 'a5240b60-20d0-429c-8cf1-97f45625871b'; // Legal
    const removal = await leaverWorkflow('Legal leavers: access', 'Legal', { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL });
    const disable = await leaverWorkflow('Legal leavers: account', 'Legal', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT });
    const assignmentId = await assign(deps, CHRISTIE, falcon);
    // Whichever of the two runs first is made to fail for now: the second must run all the same.
    const removalFirst = (await deps.workflows.all()).find((w) => w.id === removal.id || w.id === disable.id)!.id === removal.id;
    if (!removalFirst) await setFaults(world.emulator, [{ pathPattern: `^/v1.0/users/${CHRISTIE}`, method: 'PATCH', status: 503, rate: 1, retryAfterSeconds: 0 }]);
    try {
      await receiveHrEvents(removalFirst ? { ...deps, grants: failingOnceFor(CHRISTIE) } : deps, leaver('retry-leaver-5', CHRISTIE), 'msg_retry_5');
    } finally {
      await setFaults(world.emulator, []);
    }
    expect([await stateOf(CHRISTIE, assignmentId), await accountEnabled(CHRISTIE)]).toEqual(removalFirst ? ['delivered', false] : ['expired', true]);
    await sweepAfterRecoveryDelay();
    expect([await stateOf(CHRISTIE, assignmentId), await accountEnabled(CHRISTIE)]).toEqual(['expired', false]);
    expect(await eventState('retry-leaver-5')).toBe('applied');
  });
});

describe('a signed HR mover event whose mover workflow fails for now', () => {
  const moveToMarketing = (eventId: string, userId: string) =>
    parseHrEvents({ eventId, eventType: 'mover', occurredAt: world.now().minus({ minutes: 1 }).toISO(), employee: { userId, attributes: { department: 'Marketing' } } }, world.now());

  beforeAll(async () => {
    // Movers into Marketing lose Falcon.
    await createWorkflow(deps, GLOBAL_ADMIN, movedInto('Into Marketing', "department eq 'Marketing'", [
      { displayName: 'Leave Falcon', taskDefinitionId: '4a0b64f2-c7ec-46ba-b117-18f262946c50', arguments: [{ name: 'accessPackageId', value: falcon.packageId }] },
    ]));
    // Planned in the background: the sweep records every user's department, so a move is told from a first sighting.
    await sweepAll();
  });

  it('ends the assignment: the due item the move planned carries the retry', async () => {
    const ADELE = 'e085b021-e0d4-4f2b-935a-b03d8de49eb1'; // Sales
    const assignmentId = await assign(deps, ADELE, falcon);
    await receiveHrEvents({ ...deps, grants: failingOnceFor(ADELE) }, moveToMarketing('retry-mover-1', ADELE), 'msg_retry_m1');
    expect(await resultsFor('Into Marketing', ADELE)).toEqual([expect.objectContaining({ processingStatus: 'failed' })]);
    expect(await stateOf(ADELE, assignmentId)).toBe('delivered');
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(ADELE, assignmentId)).toBe('expired');
    await sweepAfterRecoveryDelay();
    expect(await eventState('retry-mover-1')).toBe('applied');
    expect((await resultsFor('Into Marketing', ADELE)).map((r) => r.processingStatus).sort()).toEqual(['completed', 'failed']);
  });

  it('ends the assignment of a user first seen by that event (no watched values kept yet): a due item carries the retry', async () => {
    // Hired after the workflow was made: no watched values of hers are kept yet.
    const created = await fetch(`${world.emulator.url}/v1.0/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accountEnabled: true, displayName: 'Rosa Novel', mailNickname: 'rosa', userPrincipalName: 'rosa@contoso.com', passwordProfile: { password: 'xWwvJ]6NMw+bWH-d' }, department: 'Sales' }),
    });
    const ROSA = ((await created.json()) as { id: string }).id;
    const assignmentId = await assign(deps, ROSA, falcon);
    await receiveHrEvents({ ...deps, grants: failingOnceFor(ROSA) }, moveToMarketing('retry-mover-0', ROSA), 'msg_retry_m0');
    expect(await resultsFor('Into Marketing', ROSA)).toEqual([expect.objectContaining({ processingStatus: 'failed' })]);
    expect(await stateOf(ROSA, assignmentId)).toBe('delivered');
    await sweepAfterRecoveryDelay();
    expect(await stateOf(ROSA, assignmentId)).toBe('expired');
    expect(await eventState('retry-mover-0')).toBe('applied');
    // Run once more, and no more.
    world.advance({ days: 1 });
    await sweepAll();
    expect((await resultsFor('Into Marketing', ROSA)).map((r) => r.processingStatus).sort()).toEqual(['completed', 'failed']);
  });
});

describe('a removal that fails for good', () => {
  it('is recorded failed and not tried again: Graph refuses to disable the account (403)', async () => {
    const NOAH = 'a736357e-8e82-4020-9048-83eb74645968'; // Legal; moved to a department of his own
    await patchUser(world.emulator, NOAH, { department: 'Legal Archive' });
    await leaverWorkflow('Archive leavers', 'Legal Archive', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT });
    const refusing = hooked(deps.directory, 'setAccountEnabled', () => Promise.reject(new DirectoryError('permanent', 'Insufficient privileges to complete the operation.', { status: 403 }))).part;
    await receiveHrEvents({ ...deps, directory: refusing }, leaver('retry-leaver-6', NOAH), 'msg_retry_6');
    expect(await resultsFor('Archive leavers', NOAH)).toEqual([expect.objectContaining({ processingStatus: 'failed' })]);
    expect(await eventState('retry-leaver-6')).toBe('applied');
    await sweepAfterRecoveryDelay();
    expect(await resultsFor('Archive leavers', NOAH)).toHaveLength(1);
    expect(await accountEnabled(NOAH)).toBe(true);
  });
});

describe('a leave date whose scheduled run fails for now', () => {
  it('ends the assignment: the due item is kept and tried again by the next sweep', async () => {
    const LEE = '428474c1-5e9e-4ba7-a6a8-6bd5a7550d23'; // Sales
    const assignmentId = await assign(deps, LEE, falcon);
    await patchUser(world.emulator, LEE, { employeeLeaveDateTime: world.now().plus({ hours: 1 }).toISO() });
    await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(LEE))!]);
    world.advance({ minutes: 61 });
    const first = await sweepExpirations({ ...deps, grants: failingOnceFor(LEE) }, { holder: `retry-exp-${++runs}`, budgetMs: 60_000 });
    expect(first).toMatchObject({ failed: 1 });
    expect((await resultsFor('Sales leavers', LEE)).map((r) => r.processingStatus)).toEqual(['failed']);
    expect(await stateOf(LEE, assignmentId)).toBe('delivered');

    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(LEE, assignmentId)).toBe('expired');
    expect(await groupMembers(world.emulator, FALCON)).not.toContain(LEE);
    expect((await resultsFor('Sales leavers', LEE)).map((r) => r.processingStatus).sort()).toEqual(['completed', 'failed']);
  });
});

describe('a retry after some of the tasks completed', () => {
  it('runs only those that did not: a group the first attempt added, and an administrator took him out of since, is not added again', async () => {
    const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d'; // Sales; moved to a department of his own
    await patchUser(world.emulator, OWEN, { department: 'Sales Alumni' });
    // Leavers join the alumni group (VPN Users stands for it), then lose their assignments.
    await leaverWorkflow(
      'Alumni leavers',
      'Sales Alumni',
      { displayName: 'Into the alumni group', taskDefinitionId: ADD_TO_GROUPS, arguments: [{ name: 'groupID', value: VPN }] },
      { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL },
    );
    const assignmentId = await assign(deps, OWEN, falcon);
    await patchUser(world.emulator, OWEN, { employeeLeaveDateTime: world.now().plus({ hours: 1 }).toISO() });
    await planWorkflowsForChangedUsers(deps, [(await deps.directory.getUser(OWEN))!]);
    world.advance({ minutes: 61 });
    expect(await sweepExpirations({ ...deps, grants: failingOnceFor(OWEN) }, { holder: `retry-exp-${++runs}`, budgetMs: 60_000 })).toMatchObject({ failed: 1 });
    const [first] = await resultsFor('Alumni leavers', OWEN);
    expect(first!.taskProcessingResults.map((t) => t.processingStatus)).toEqual(['completed', 'failed']);
    expect(await groupMembers(world.emulator, VPN)).toContain(OWEN);
    expect(await stateOf(OWEN, assignmentId)).toBe('delivered');

    // An administrator takes him out of the group before the retry.
    expect((await fetch(`${world.emulator.url}/v1.0/groups/${VPN}/members/${OWEN}/$ref`, { method: 'DELETE' })).status).toBe(204);
    world.advance({ minutes: 1 });
    await sweepAll();
    expect(await stateOf(OWEN, assignmentId)).toBe('expired');
    expect(await groupMembers(world.emulator, VPN)).not.toContain(OWEN);
    // The retry records the group task completed when it was, by the first attempt.
    const retry = (await resultsFor('Alumni leavers', OWEN)).find((r) => r.runId !== first!.runId)!;
    expect(retry).toMatchObject({ processingStatus: 'completed' });
    const [added, removed] = retry.taskProcessingResults;
    expect(added).toMatchObject({ processingStatus: 'completed', startedDateTime: first!.taskProcessingResults[0]!.startedDateTime, completedDateTime: first!.taskProcessingResults[0]!.completedDateTime });
    expect(removed).toMatchObject({ processingStatus: 'completed', startedDateTime: world.now().toUTC().toISO() });
  });
});

describe('an on-demand run whose removal fails for now', () => {
  it('answers as Graph does, its run recorded failed for that user (a client retrying an error would run every subject again); activated again, it finishes', async () => {
    const NESTOR = '400cb70f-964e-43c0-b4a3-165de1ab3e01'; // Operations: out of every scope here
    const assignmentId = await assign(deps, NESTOR, falcon);
    const workflow = await createWorkflow(deps, GLOBAL_ADMIN, {
      category: 'leaver',
      displayName: 'Leave now',
      isEnabled: true,
      executionConditions: { '@odata.type': `${NS}onDemandExecutionOnly` },
      tasks: [{ displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL }],
    });
    const subjects = { subjects: [{ id: NESTOR }] };
    expect(await activateWorkflow({ ...deps, grants: failingOnceFor(NESTOR) }, { objectId: GLOBAL_ADMIN.objectId }, workflow.id, subjects)).toMatchObject({ failedUsersCount: 1 });
    expect(await deps.workflows.runsOf(workflow.id)).toEqual([expect.objectContaining({ processingStatus: 'failed', failedUsersCount: 1, completedDateTime: expect.any(String) })]);
    expect(await stateOf(NESTOR, assignmentId)).toBe('delivered');

    expect(await activateWorkflow(deps, { objectId: GLOBAL_ADMIN.objectId }, workflow.id, subjects)).toMatchObject({ processingStatus: 'completed' });
    expect(await stateOf(NESTOR, assignmentId)).toBe('expired');
  });
});

describe('a task that grants, failing for now', () => {
  it('is recorded failed and not tried again, as before: the HR event is applied', async () => {
    const JONI = 'a30354ef-398b-4edf-a326-3c49440a9a11'; // Operations
    await scheduledForDepartment(deps, 'joiner', 'Operations joiners', 'Operations', 'employeeHireDate',
      { displayName: 'VPN', taskDefinitionId: ADD_TO_GROUPS, arguments: [{ name: 'groupID', value: VPN }] });
    const joiner = parseHrEvents({ eventId: 'retry-joiner-0', eventType: 'joiner', occurredAt: world.now().minus({ minutes: 1 }).toISO(), employee: { userId: JONI, attributes: {} } }, world.now());
    await refuseDirectoryChanges(world.emulator);
    try {
      await receiveHrEvents(deps, joiner, 'msg_retry_j0');
    } finally {
      await setFaults(world.emulator, []);
    }
    expect(await resultsFor('Operations joiners', JONI)).toEqual([expect.objectContaining({ processingStatus: 'failed' })]);
    expect(await eventState('retry-joiner-0')).toBe('applied');
    await sweepAfterRecoveryDelay();
    expect(await resultsFor('Operations joiners', JONI)).toHaveLength(1);
    expect(await groupMembers(world.emulator, VPN)).not.toContain(JONI);
  });
});

describe('a retry overtaken by a newer HR event', () => {
  const hrEvent = (eventId: string, eventType: 'joiner' | 'leaver', userId: string, attributes: Record<string, unknown> = {}) =>
    parseHrEvents({ eventId, eventType, occurredAt: world.now().minus({ seconds: 30 }).toISO(), employee: { userId, attributes } }, world.now());

  beforeAll(async () => {
    // Finance leavers also lose their account; Finance joiners get it back, and stay out of Finance Approvers until trained.
    await leaverWorkflow('Finance leavers: account', 'Finance', { displayName: 'Disable user account', taskDefinitionId: DISABLE_ACCOUNT });
    await scheduledForDepartment(deps, 'joiner', 'Finance joiners', 'Finance', 'employeeHireDate',
      { displayName: 'Enable user account', taskDefinitionId: ENABLE_ACCOUNT },
      { displayName: 'Out of Finance Approvers until trained', taskDefinitionId: REMOVE_FROM_GROUPS, arguments: [{ name: 'groupID', value: FINANCE_APPROVERS }] });
  });

  it('a leaver retry does not take away access granted after a newer joiner (rehire) event', async () => {
    const MARCUS = '26b8e5ba-2d10-49f2-a2f5-6763d5236ac1'; // Sales
    const before = await assign(deps, MARCUS, falcon);
    await receiveHrEvents({ ...deps, grants: failingOnceFor(MARCUS) }, hrEvent('wr-leaver-1', 'leaver', MARCUS), 'msg_wr_1');
    expect(await eventState('wr-leaver-1')).toBe('pending');
    expect(await stateOf(MARCUS, before)).toBe('delivered');
    // Two minutes on, HR corrects it: he is (re)hired; his new access is granted after that.
    world.advance({ minutes: 2 });
    await receiveHrEvents(deps, hrEvent('wr-joiner-1', 'joiner', MARCUS, { employeeHireDate: world.now().toISO() }), 'msg_wr_1b');
    expect(await eventState('wr-joiner-1')).toBe('applied');
    const after = await assign(deps, MARCUS, vpn);
    // The older leaver event's recovery item comes due.
    world.advance({ minutes: 6 });
    await sweepAll();
    expect(await stateOf(MARCUS, after)).toBe('delivered');
    expect(await groupMembers(world.emulator, VPN)).toContain(MARCUS);
  });

  it('a joiner retry (its removal failed for now) does not enable again an account a leaver event disabled since', async () => {
    const ALLAN = '9e8c1878-d546-4ac5-a48f-cff28cc334f4'; // Finance, in Finance Approvers
    // The joiner's group removal is refused by Graph for now ($batch 503); "Enable user account" (a PATCH) goes through.
    await setFaults(world.emulator, [{ pathPattern: '^/v1.0/\\$batch', status: 503, rate: 1, retryAfterSeconds: 0 }]);
    try {
      await receiveHrEvents(deps, hrEvent('wr-joiner-2', 'joiner', ALLAN, { employeeHireDate: world.now().toISO() }), 'msg_wr_2');
    } finally {
      await setFaults(world.emulator, []);
    }
    // A joiner's removal failing for now is recorded, not retried: its tasks may give access back.
    expect(await eventState('wr-joiner-2')).toBe('applied');
    // A minute on, the hire is rescinded: a leaver event; the leaver workflow disables the account.
    world.advance({ minutes: 1 });
    await receiveHrEvents(deps, hrEvent('wr-leaver-2', 'leaver', ALLAN), 'msg_wr_2b');
    expect(await accountEnabled(ALLAN)).toBe(false);
    // The joiner event's recovery item comes due: its retry runs "Enable user account" again.
    world.advance({ minutes: 6 });
    await sweepAll();
    expect(await accountEnabled(ALLAN)).toBe(false);
  });
});
