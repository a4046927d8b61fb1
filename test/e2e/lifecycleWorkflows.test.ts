import { randomBytes } from 'node:crypto';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { mapConcurrently } from '../../shared/concurrently';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { deliver, webhookSecret } from '../support/hrWebhook';
import { startHost, TIMERS_DISABLED, type RunningHost, runTimerNow } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const GLOBAL_ADMIN = '82b9bfbc-91ba-4257-9abe-22cad37b17c6'; // Irvin Sayers: Global Administrator
const GOVERNANCE_ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4'; // Identity Governance Administrator only
const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65'; // Sales: the new hire
const CHLOE = 'c10c2788-a8e1-4980-86f6-d2e1c91d6da3'; // Sales: moves to Marketing
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4'; // Marketing: out of the joiner scope
const EMILY = '2f62323b-3622-4fad-82d1-4e0a57e101e1'; // Marketing: the failing task's subject
const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb'; // Sales: leaves through an HR event
const MARCUS = '26b8e5ba-2d10-49f2-a2f5-6763d5236ac1'; // Sales: leaves on the leave date the directory shows
const HR_KEY = randomBytes(32);
const LEGAL_GROUP = '993bb873-540b-442e-8a6e-83734bc9404e';
const VPN_GROUP = 'e644c315-c2cb-4187-b62e-7330ba45cd54';
const EM = '/identityGovernance/entitlementManagement';
const LW = '/identityGovernance/lifecycleWorkflows';
const REQUEST_TASK = 'c1ec1e76-f374-4375-aaa6-0bb6bd4c60be';
const REMOVE_ALL_TASK = '42ae2956-193d-4f39-be06-691b8ac4fa1d';
const DISABLE_TASK = '1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950';
const ADD_TO_GROUPS_TASK = '22085229-5809-45e8-97fd-270d28d66910';
const NS = '#microsoft.graph.identityGovernance.';

let host: RunningHost;
let admin: Client;
let prefix: string;
let emulator: string;
let packageId: string;
let policyId: string;
let autoPackageId: string;
let autoPolicyId: string;

beforeAll(async () => {
  prefix = `w${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix, HR_WEBHOOK_SECRET: webhookSecret(HR_KEY), MAIL_SENDER: 'irvin.sayers@contoso.com' });
  admin = graphClientFor(host.url, clientPrincipal(GLOBAL_ADMIN, TENANT));
  emulator = host.emulatorUrl!;
  const catalogId = (await admin.api(`${EM}/catalogs`).post({ displayName: 'Joiners' })).id;
  // The two packages are made side by side.
  const starter = async () => {
    await admin.api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: LEGAL_GROUP, originSystem: 'AadGroup' }, catalog: { id: catalogId } });
    packageId = (await admin.api(`${EM}/accessPackages`).post({ displayName: 'Sales starter', catalog: { id: catalogId } })).id;
    await admin.api(`${EM}/accessPackages/${packageId}/resourceRoleScopes`).post({ role: { originId: `Member_${LEGAL_GROUP}`, originSystem: 'AadGroup' }, scope: { originId: LEGAL_GROUP, originSystem: 'AadGroup' } });
    policyId = (await admin.api(`${EM}/assignmentPolicies`).post({
      displayName: 'Direct assignment',
      allowedTargetScope: 'notSpecified',
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'noExpiration' },
      accessPackage: { id: packageId },
    })).id;
  };
  // A package whose only policy assigns by rule: a workflow may not assign it directly.
  const byRuleOnly = async () => {
    autoPackageId = (await admin.api(`${EM}/accessPackages`).post({ displayName: 'By rule only', catalog: { id: catalogId } })).id;
    autoPolicyId = (await admin.api(`${EM}/assignmentPolicies`).post({
      displayName: 'Nobody by rule',
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: 'user.department -eq "Nobody"', description: 'none' }],
      automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'noExpiration' },
      accessPackage: { id: autoPackageId },
    })).id;
  };
  await Promise.all([starter(), byRuleOnly()]);
}, 120_000);

afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

async function patchUser(id: string, changes: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${emulator}/v1.0/users/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(changes) });
  expect(response.status).toBe(204);
}

async function directoryUser(id: string): Promise<{ accountEnabled: boolean; department: string }> {
  return (await (await fetch(`${emulator}/v1.0/users/${id}?$select=accountEnabled,department`)).json()) as { accountEnabled: boolean; department: string };
}

async function members(groupId: string): Promise<string[]> {
  const answer = (await (await fetch(`${emulator}/v1.0/groups/${groupId}/members?$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
  return answer.value.map((m) => m.id);
}

const runSweep = (name: string) => runTimerNow(host, name);

async function assignmentsOf(userId: string): Promise<Array<{ state: string; accessPackageId?: string }>> {
  return (await admin.api(`${EM}/assignments`).filter(`target/objectId eq '${userId}'`).get()).value;
}

const requestTask = (overrides: Record<string, unknown> = {}) => ({
  displayName: 'Request the starter package',
  taskDefinitionId: REQUEST_TASK,
  arguments: [
    { name: 'accessPackageId', value: packageId },
    { name: 'assignmentPolicyId', value: policyId },
  ],
  ...overrides,
});

const joinerBody = (overrides: Record<string, unknown> = {}) => ({
  category: 'joiner',
  displayName: 'Sales joiners',
  description: 'Gives new Sales hires their starter access on their hire date',
  isEnabled: true,
  isSchedulingEnabled: true,
  executionConditions: {
    '@odata.type': `${NS}triggerAndScopeBasedConditions`,
    scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: "(department eq 'Sales')" },
    trigger: { '@odata.type': `${NS}timeBasedAttributeTrigger`, timeBasedAttribute: 'employeeHireDate', offsetInDays: 0 },
  },
  tasks: [requestTask()],
  ...overrides,
});

const leaverBody = () => ({
  category: 'leaver',
  displayName: 'Sales leavers',
  isEnabled: true,
  isSchedulingEnabled: true,
  executionConditions: {
    '@odata.type': `${NS}triggerAndScopeBasedConditions`,
    scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: "(department eq 'Sales')" },
    trigger: { '@odata.type': `${NS}timeBasedAttributeTrigger`, timeBasedAttribute: 'employeeLeaveDateTime', offsetInDays: 0 },
  },
  tasks: [
    { displayName: 'Remove all access package assignments', taskDefinitionId: REMOVE_ALL_TASK, arguments: [] },
    { displayName: 'Disable the account', taskDefinitionId: DISABLE_TASK, arguments: [] },
  ],
});

let joinerId: string;
let leaverId: string;

describe('lifecycle workflows: bad input', () => {
  const refused = async (body: object, pattern: RegExp, status = 400) => {
    const before = await storageSnapshot(prefix);
    await expect(admin.api(`${LW}/workflows`).post(body)).rejects.toMatchObject({ statusCode: status, message: expect.stringMatching(pattern) });
    expect(await storageSnapshot(prefix)).toBe(before);
  };

  it('refuses an unknown task definition, naming the supported ones, and writes nothing', async () => {
    await refused(joinerBody({ tasks: [{ displayName: 'Teams', taskDefinitionId: 'e440ed8d-25a1-4618-84ce-091ed5be5594', arguments: [] }] }), /not a supported task definition.*c1ec1e76-f374-4375-aaa6-0bb6bd4c60be/);
  }, 60_000);

  it('refuses a task without a required argument', async () => {
    await refused(joinerBody({ tasks: [requestTask({ arguments: [{ name: 'accessPackageId', value: packageId }] })] }), /assignmentPolicyId' is required/);
  }, 60_000);

  it('refuses an offset beyond 180 days', async () => {
    const body = joinerBody();
    (body.executionConditions as { trigger: { offsetInDays: number } }).trigger.offsetInDays = 181;
    await refused(body, /offsetInDays: must be a whole number from -180 to 180/);
  }, 60_000);

  it('refuses scheduling while disabled', async () => {
    await refused(joinerBody({ isEnabled: false, isSchedulingEnabled: true }), /isSchedulingEnabled: cannot be true while isEnabled is false/);
  }, 60_000);

  it('refuses a malformed scope rule, through the OData filter parser', async () => {
    const body = joinerBody();
    (body.executionConditions as { scope: { rule: string } }).scope.rule = "(department eq 'Sales'";
    await refused(body, /scope\.rule/);
    (body.executionConditions as { scope: { rule: string } }).scope.rule = "favouriteColour eq 'blue'";
    await refused(body, /unknown property 'favouriteColour'/);
  }, 60_000);

  it('refuses callers who are not workflow administrators: 403, nothing written', async () => {
    const before = await storageSnapshot(prefix);
    // An Identity Governance Administrator administers entitlement management, not lifecycle workflows.
    const governance = graphClientFor(host.url, clientPrincipal(GOVERNANCE_ADMIN, TENANT));
    await expect(governance.api(`${LW}/workflows`).post(joinerBody())).rejects.toMatchObject({ statusCode: 403 });
    await expect(governance.api(`${LW}/workflows`).get()).rejects.toMatchObject({ statusCode: 403 });
    const employee = graphClientFor(host.url, clientPrincipal(SOFIA, TENANT));
    await expect(employee.api(`${LW}/workflows`).post(joinerBody())).rejects.toMatchObject({ statusCode: 403 });
    const anonymous = await fetch(`${host.url}/v1.0${LW}/workflows`);
    expect(anonymous.status).toBe(401);
    expect(await storageSnapshot(prefix)).toBe(before);
  }, 60_000);
});

describe('lifecycle workflows: the seed scenario', () => {
  it('creates the joiner and leaver workflows (version 1) and lists them', async () => {
    const joiner = await admin.api(`${LW}/workflows`).post(joinerBody());
    expect(joiner).toMatchObject({ category: 'joiner', version: 1, isEnabled: true, isSchedulingEnabled: true, deletedDateTime: null });
    joinerId = joiner.id;
    leaverId = (await admin.api(`${LW}/workflows`).post(leaverBody())).id;
    const listed = await admin.api(`${LW}/workflows`).filter("category eq 'leaver'").get();
    expect(listed.value.map((w: { id: string }) => w.id)).toEqual([leaverId]);
    const withTasks = await admin.api(`${LW}/workflows/${joinerId}`).expand('tasks').get();
    expect(withTasks.tasks).toEqual([expect.objectContaining({ taskDefinitionId: REQUEST_TASK, executionSequence: 1, continueOnError: false })]);
    const definitions = await admin.api(`${LW}/taskDefinitions`).get();
    expect(definitions.value.map((d: { id: string }) => d.id)).toContain(REQUEST_TASK);
  }, 60_000);

  it('refuses PATCH of tasks (createNewVersion changes them), and scheduling a disabled workflow', async () => {
    const before = await storageSnapshot(prefix);
    await expect(admin.api(`${LW}/workflows/${joinerId}`).patch({ tasks: [] })).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('createNewVersion') });
    await expect(admin.api(`${LW}/workflows/${joinerId}`).patch({ isEnabled: false, isSchedulingEnabled: true })).rejects.toMatchObject({ statusCode: 400 });
    expect(await storageSnapshot(prefix)).toBe(before);
  }, 60_000);

  it('delivers the package to a Sales user whose hire date comes, within a sweep', async () => {
    await runSweep('autoAssignmentSweep'); // the users delta's first round
    expect(await assignmentsOf(SOFIA)).toEqual([]);
    await patchUser(SOFIA, { employeeHireDate: new Date().toISOString() });
    await runSweep('autoAssignmentSweep'); // reads the change from the delta, plans the trigger
    await runSweep('expirationSweep'); // runs what is due
    expect(await assignmentsOf(SOFIA)).toEqual([expect.objectContaining({ state: 'delivered' })]);
    expect(await members(LEGAL_GROUP)).toContain(SOFIA);

    const runs = (await admin.api(`${LW}/workflows/${joinerId}/runs`).get()).value;
    expect(runs).toEqual([expect.objectContaining({ processingStatus: 'completed', workflowExecutionType: 'scheduled', totalUsersCount: 1, successfulUsersCount: 1, failedUsersCount: 0, failedTasksCount: 0, totalTasksCount: 1 })]);
    const users = (await admin.api(`${LW}/workflows/${joinerId}/runs/${runs[0].id}/userProcessingResults`).get()).value;
    expect(users).toEqual([expect.objectContaining({ subject: { id: SOFIA }, processingStatus: 'completed', workflowVersion: 1, totalTasksCount: 1, failedTasksCount: 0 })]);
    const tasks = (await admin.api(`${LW}/workflows/${joinerId}/userProcessingResults/${users[0].id}/taskProcessingResults`).get()).value;
    expect(tasks).toEqual([expect.objectContaining({ processingStatus: 'completed', failureReason: null, subject: { id: SOFIA }, task: expect.objectContaining({ taskDefinitionId: REQUEST_TASK }) })]);
  }, 120_000);

  it('does not run a user again for the same hire date after a new version', async () => {
    const version = await admin.api(`${LW}/workflows/${joinerId}/createNewVersion`).post({
      workflow: joinerBody({ tasks: [requestTask(), { displayName: 'VPN', taskDefinitionId: ADD_TO_GROUPS_TASK, arguments: [{ name: 'groupID', value: VPN_GROUP }] }] }),
    });
    expect(version.version).toBe(2);
    await runSweep('autoAssignmentSweep');
    await runSweep('expirationSweep');
    const users = (await admin.api(`${LW}/workflows/${joinerId}/userProcessingResults`).get()).value;
    expect(users).toHaveLength(1);
    expect(await members(VPN_GROUP)).not.toContain(SOFIA);
    const versions = (await admin.api(`${LW}/workflows/${joinerId}/versions`).get()).value;
    expect(versions.map((v: { versionNumber: number }) => v.versionNumber)).toEqual([1, 2]);
  }, 120_000);

  it('runs on activate for a user out of scope', async () => {
    await admin.api(`${LW}/workflows/${joinerId}/activate`).post({ subjects: [{ id: LIAM }] });
    expect(await assignmentsOf(LIAM)).toEqual([expect.objectContaining({ state: 'delivered' })]);
    expect(await members(VPN_GROUP)).toContain(LIAM);
    const runs = (await admin.api(`${LW}/workflows/${joinerId}/runs`).filter("workflowExecutionType eq 'onDemand'").get()).value;
    expect(runs).toEqual([expect.objectContaining({ processingStatus: 'completed', totalUsersCount: 1, totalTasksCount: 2 })]);
  }, 60_000);

  it('ends the assignments and disables the account of a leaver', async () => {
    await admin.api(`${LW}/workflows/${leaverId}/activate`).post({ subjects: [{ id: SOFIA }] });
    expect((await assignmentsOf(SOFIA)).filter((a) => a.state !== 'expired')).toEqual([]);
    expect(await members(LEGAL_GROUP)).not.toContain(SOFIA);
    expect((await directoryUser(SOFIA)).accountEnabled).toBe(false);
    const users = (await admin.api(`${LW}/workflows/${leaverId}/userProcessingResults`).expand('taskProcessingResults').get()).value;
    expect(users[0].taskProcessingResults.map((t: { processingStatus: string }) => t.processingStatus)).toEqual(['completed', 'completed']);
  }, 60_000);

  it('soft-deletes a workflow into deletedItems and restores it', async () => {
    await admin.api(`${LW}/workflows/${leaverId}`).delete();
    await expect(admin.api(`${LW}/workflows/${leaverId}`).get()).rejects.toMatchObject({ statusCode: 404 });
    expect((await admin.api(`${LW}/deletedItems/workflows`).get()).value.map((w: { id: string }) => w.id)).toEqual([leaverId]);
    await admin.api(`${LW}/deletedItems/workflows/${leaverId}/restore`).post({});
    expect((await admin.api(`${LW}/workflows/${leaverId}`).get()).deletedDateTime).toBeNull();
  }, 60_000);
});

describe('lifecycle workflows: odd input to every write', () => {
  it('answers each with a 4xx in Graph error shape and writes nothing', async () => {
    const before = await storageSnapshot(prefix);
    const writes: Array<[string, string]> = [
      ['POST', `${LW}/workflows`],
      ['PATCH', `${LW}/workflows/${joinerId}`],
      ['POST', `${LW}/workflows/${joinerId}/createNewVersion`],
      ['POST', `${LW}/workflows/${joinerId}/microsoft.graph.identityGovernance.activate`],
      ['PATCH', `${LW}/settings`],
      ['POST', `${LW}/workflows/not-a-workflow/activate`],
      ['POST', `${LW}/deletedItems/workflows/${joinerId}/restore`],
    ];
    const bodies = ['null', '[]', '"text"', '{', '{"workflow":null}', '{"subjects":"all"}', '{"subjects":[{"id":"00000000-0000-0000-0000-000000000000"}]}', '{"workflowScheduleIntervalInHours":0}', '{"displayName":""}', JSON.stringify({ ...joinerBody(), tasks: [{ taskDefinitionId: 7 }] })];
    // Each call on its own: none may write, so they go at once (a few at a time), and storage is compared after all.
    const calls = writes.flatMap(([method, path]) => bodies.map((body) => ({ method, path, body })));
    await mapConcurrently(calls, async ({ method, path, body }) => {
      const response = await fetch(`${host.url}/v1.0${path}`, { method, headers: { 'content-type': 'application/json', 'x-ms-client-principal': clientPrincipal(GLOBAL_ADMIN, TENANT) }, body });
      const answer = (await response.json()) as { error?: { code: string; message: string } };
      expect(response.status >= 400 && response.status < 500 ? 'a 4xx' : `${response.status} for ${method} ${path} ${body}`).toBe('a 4xx');
      expect(answer.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    });
    expect(await storageSnapshot(prefix)).toBe(before);
  }, 120_000);
});

describe('lifecycle workflows: the leave date', () => {
  it('runs the leaver workflow when the leave date the directory shows comes', async () => {
    await admin.api(`${LW}/workflows/${joinerId}/activate`).post({ subjects: [{ id: MARCUS }] });
    expect(await assignmentsOf(MARCUS)).toEqual([expect.objectContaining({ state: 'delivered' })]);
    await patchUser(MARCUS, { employeeLeaveDateTime: new Date().toISOString() });
    await runSweep('autoAssignmentSweep');
    await runSweep('expirationSweep');
    expect((await assignmentsOf(MARCUS)).every((a) => a.state === 'expired')).toBe(true);
    expect((await directoryUser(MARCUS)).accountEnabled).toBe(false);
    const results = (await admin.api(`${LW}/workflows/${leaverId}/userProcessingResults`).get()).value;
    expect(results.filter((r: { subject: { id: string } }) => r.subject.id === MARCUS)).toEqual([expect.objectContaining({ processingStatus: 'completed', workflowExecutionType: 'scheduled' })]);
  }, 120_000);
});

describe('lifecycle workflows: HR events', () => {
  it('ends the assignments and disables the account within seconds of a signed HR leaver event', async () => {
    await admin.api(`${LW}/workflows/${joinerId}/activate`).post({ subjects: [{ id: HANNAH }] });
    expect(await assignmentsOf(HANNAH)).toEqual([expect.objectContaining({ state: 'delivered' })]);
    const started = Date.now();
    const leaving = { eventId: `leaver-${randomBytes(4).toString('hex')}`, eventType: 'leaver', occurredAt: new Date(Date.now() - 60_000).toISOString(), employee: { userId: HANNAH, attributes: {} } };
    expect(await deliver(host.url, { body: leaving, key: HR_KEY })).toMatchObject({ status: 202 });
    const ended = async () => (await assignmentsOf(HANNAH)).every((a) => a.state === 'expired') && !(await directoryUser(HANNAH)).accountEnabled;
    while (!(await ended()) && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await ended()).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await members(LEGAL_GROUP)).not.toContain(HANNAH);
    const results = (await admin.api(`${LW}/workflows/${leaverId}/userProcessingResults`).get()).value;
    expect(results.filter((r: { subject: { id: string } }) => r.subject.id === HANNAH)).toEqual([expect.objectContaining({ processingStatus: 'completed', workflowExecutionType: 'scheduled' })]);
    // The same event again is a duplicate: nothing runs twice.
    expect(await deliver(host.url, { body: leaving, key: HR_KEY })).toMatchObject({ status: 202, body: { value: [{ status: 'duplicate' }] } });
  }, 60_000);

  it('audited every workflow change and run', async () => {
    const audit = TableClient.fromConnectionString(testStorageConnectionString(), `${prefix}auditEvents`, { allowInsecureConnection: true });
    const actions: string[] = [];
    for await (const row of audit.listEntities<{ action: string }>()) actions.push(row.action);
    expect(actions).toEqual(expect.arrayContaining(['createWorkflow', 'createWorkflowVersion', 'deleteWorkflow', 'restoreWorkflow', 'runWorkflow.onDemand', 'runWorkflow.scheduled']));
  }, 60_000);
});

describe('lifecycle workflows: movers and failures', () => {
  it('runs a mover workflow when a user moves department', async () => {
    const mover = await admin.api(`${LW}/workflows`).post({
      category: 'mover',
      displayName: 'Into Marketing',
      isEnabled: true,
      isSchedulingEnabled: true,
      executionConditions: {
        '@odata.type': `${NS}triggerAndScopeBasedConditions`,
        scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: "(department eq 'Marketing')" },
        trigger: { '@odata.type': `${NS}attributeChangeTrigger`, triggerAttributes: [{ name: 'department' }] },
      },
      tasks: [{ displayName: 'VPN', taskDefinitionId: ADD_TO_GROUPS_TASK, arguments: [{ name: 'groupID', value: VPN_GROUP }] }],
    });
    // Planned in the background: the expiration sweep records every user's department, so a move is told from a first sighting.
    await runSweep('expirationSweep');
    await patchUser(CHLOE, { department: 'Marketing' });
    await runSweep('autoAssignmentSweep');
    await runSweep('expirationSweep');
    expect(await members(VPN_GROUP)).toContain(CHLOE);
    const users = (await admin.api(`${LW}/workflows/${mover.id}/userProcessingResults`).get()).value;
    expect(users).toEqual([expect.objectContaining({ subject: { id: CHLOE }, processingStatus: 'completed' })]);
    // Seen once: the next sweeps do not run it again.
    await runSweep('autoAssignmentSweep');
    await runSweep('expirationSweep');
    expect((await admin.api(`${LW}/workflows/${mover.id}/userProcessingResults`).get()).value).toHaveLength(1);
  }, 120_000);

  const onDemand = (continueOnError: boolean) => ({
    category: 'joiner',
    displayName: `A failing task, continueOnError ${continueOnError}`,
    isEnabled: true,
    executionConditions: { '@odata.type': `${NS}onDemandExecutionOnly` },
    tasks: [
      { displayName: 'Request by rule only', taskDefinitionId: REQUEST_TASK, continueOnError, arguments: [{ name: 'accessPackageId', value: autoPackageId }, { name: 'assignmentPolicyId', value: autoPolicyId }] },
      { displayName: 'VPN', taskDefinitionId: ADD_TO_GROUPS_TASK, arguments: [{ name: 'groupID', value: VPN_GROUP }] },
    ],
  });

  it('records a failed task and stops there without continueOnError', async () => {
    const workflow = await admin.api(`${LW}/workflows`).post(onDemand(false));
    await admin.api(`${LW}/workflows/${workflow.id}/activate`).post({ subjects: [{ id: EMILY }] });
    const [user] = (await admin.api(`${LW}/workflows/${workflow.id}/userProcessingResults`).get()).value;
    expect(user).toMatchObject({ processingStatus: 'failed', failedTasksCount: 1, totalUnprocessedTasksCount: 1 });
    const tasks = (await admin.api(`${LW}/workflows/${workflow.id}/userProcessingResults/${user.id}/taskProcessingResults`).get()).value;
    expect(tasks.map((t: { processingStatus: string }) => t.processingStatus)).toEqual(['failed', 'canceled']);
    expect(tasks[0].failureReason).toMatch(/does not allow direct assignment/);
    expect(await members(VPN_GROUP)).not.toContain(EMILY);
    expect(await assignmentsOf(EMILY)).toEqual([]);
  }, 60_000);

  it('mails the welcome through MAIL_SENDER, and removes one package for a mover', async () => {
    const welcome = await admin.api(`${LW}/workflows`).post({
      category: 'joiner',
      displayName: 'Welcome',
      executionConditions: { '@odata.type': `${NS}onDemandExecutionOnly` },
      tasks: [{ displayName: 'Welcome', taskDefinitionId: '70b29d51-b59a-4773-9280-8841dfd3f2ea', arguments: [{ name: 'customSubject', value: 'Welcome aboard, {{userDisplayName}}' }] }],
    });
    await admin.api(`${LW}/workflows/${welcome.id}/activate`).post({ subjects: [{ id: EMILY }] });
    const outbox = (await (await fetch(`${emulator}/_emulator/outbox`)).json()) as { value: Array<{ to: string[]; subject: string }> };
    expect(outbox.value).toContainEqual(expect.objectContaining({ to: ['emily.braun@contoso.com'], subject: 'Welcome aboard, Emily Braun' }));

    const removal = await admin.api(`${LW}/workflows`).post({
      category: 'mover',
      displayName: 'Leave the starter package',
      executionConditions: { '@odata.type': `${NS}onDemandExecutionOnly` },
      tasks: [{ displayName: 'Remove', taskDefinitionId: '4a0b64f2-c7ec-46ba-b117-18f262946c50', arguments: [{ name: 'accessPackageId', value: packageId }] }],
    });
    expect(await assignmentsOf(LIAM)).toEqual([expect.objectContaining({ state: 'delivered' })]);
    await admin.api(`${LW}/workflows/${removal.id}/activate`).post({ subjects: [{ id: LIAM }] });
    expect((await assignmentsOf(LIAM)).every((a) => a.state === 'expired')).toBe(true);
    expect(await members(LEGAL_GROUP)).not.toContain(LIAM);
  }, 60_000);

  it('answers 204 as Graph does to an activate whose removal failed for now, its run recorded failed; activated again, it finishes', async () => {
    const NESTOR = '400cb70f-964e-43c0-b4a3-165de1ab3e01'; // Operations
    const workflow = await admin.api(`${LW}/workflows`).post({
      category: 'leaver',
      displayName: 'Disable now',
      executionConditions: { '@odata.type': `${NS}onDemandExecutionOnly` },
      tasks: [{ displayName: 'Disable the account', taskDefinitionId: DISABLE_TASK }],
    });
    const activate = () =>
      fetch(`${host.url}/v1.0${LW}/workflows/${workflow.id}/activate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ms-client-principal': clientPrincipal(GLOBAL_ADMIN, TENANT) },
        body: JSON.stringify({ subjects: [{ id: NESTOR }] }),
      });
    // Graph refuses every change of his account for as long as the call takes (past the adapter's retries).
    await fetch(`${emulator}/_emulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [{ pathPattern: `^/v1.0/users/${NESTOR}`, method: 'PATCH', status: 503, rate: 1, retryAfterSeconds: 0 }] }) });
    let answered: Response;
    try {
      answered = await activate();
    } finally {
      await fetch(`${emulator}/_emulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [] }) });
    }
    expect(answered!.status).toBe(204);
    expect((await admin.api(`${LW}/workflows/${workflow.id}/runs`).get()).value).toEqual([expect.objectContaining({ processingStatus: 'failed', failedUsersCount: 1 })]);
    expect((await directoryUser(NESTOR)).accountEnabled).toBe(true);

    expect((await activate()).status).toBe(204);
    expect((await directoryUser(NESTOR)).accountEnabled).toBe(false);
    expect((await admin.api(`${LW}/workflows/${workflow.id}/runs`).get()).value.map((r: { processingStatus: string }) => r.processingStatus).sort()).toEqual(['completed', 'failed']);
  }, 60_000);

  it('records a failed task and goes on with continueOnError', async () => {
    const workflow = await admin.api(`${LW}/workflows`).post(onDemand(true));
    await admin.api(`${LW}/workflows/${workflow.id}/activate`).post({ subjects: [{ id: EMILY }] });
    const [run] = (await admin.api(`${LW}/workflows/${workflow.id}/runs`).get()).value;
    expect(run).toMatchObject({ processingStatus: 'completedWithErrors', failedTasksCount: 1, failedUsersCount: 1, totalTasksCount: 2 });
    const [user] = (await admin.api(`${LW}/workflows/${workflow.id}/userProcessingResults`).get()).value;
    expect(user).toMatchObject({ processingStatus: 'completedWithErrors', failedTasksCount: 1, totalUnprocessedTasksCount: 0 });
    expect(await members(VPN_GROUP)).toContain(EMILY);
  }, 60_000);
});
