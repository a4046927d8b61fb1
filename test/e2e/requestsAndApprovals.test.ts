import { randomBytes } from 'node:crypto';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/** Demo tenant identities and objects (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874'; // Marketing Manager; her manager is Miriam
const MIRIAM = '88718c96-6f3d-48f7-b4b1-b64633be40f5';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4';
const LYNNE = '79c8c292-6b94-45b5-b498-82321e35049e'; // the CEO: nobody above her
const ZOE = '9713b936-62cb-4300-ba5f-9ccdad9a6f2d'; // in the Marketing group, with Megan and Emily
const EMILY = '2f62323b-3622-4fad-82d1-4e0a57e101e1';
const GRADY = '764ae4d4-359e-4d02-9cb2-5c12903c3ad2'; // Finance Approvers: Grady and Allan
const ALLAN = '9e8c1878-d546-4ac5-a48f-cff28cc334f4';
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d';
const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb';
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const ENGINEERING_GROUP = '509c2530-0367-4f48-a429-6461beddd096';
const MARKETING_GROUP = '787b1186-31fd-4a9d-851d-62b5bd703358';
const FINANCE_APPROVERS = '1e036ff5-150f-47fd-9da7-e515e33a2538';
const EXPENSES_APP = '0e30277e-50b7-484f-8fda-60dc99517a7e';
const EM = '/identityGovernance/entitlementManagement';

let host: RunningHost;
let admin: Client;
let prefix: string;
let emulator: string;
let catalogId: string;

const as = (userId: string) => graphClientFor(host.url, clientPrincipal(userId, TENANT));

beforeAll(async () => {
  prefix = `r${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  admin = as(ADMIN);
  emulator = host.emulatorUrl!;
  catalogId = (await admin.api(`${EM}/catalogs`).post({ displayName: 'Requests', state: 'published' })).id;
  for (const group of [FALCON_GROUP, ENGINEERING_GROUP]) {
    await admin.api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: group, originSystem: 'AadGroup' }, catalog: { id: catalogId } });
  }
  await admin.api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: EXPENSES_APP, originSystem: 'AadApplication' }, catalog: { id: catalogId } });
});
afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

async function emulatorJson(path: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${emulator}${path}`, { ...init, headers: { 'content-type': 'application/json' } });
  return response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>);
}

async function memberIds(groupId: string): Promise<string[]> {
  const members = await emulatorJson(`/v1.0/groups/${groupId}/members?$select=id&$top=999`);
  return (members.value as Array<{ id: string }>).map((m) => m.id);
}

/** A package granting the given group's Member role (and optionally more), with one policy. */
async function packageWith(name: string, groupIds: string[], policy: Record<string, unknown>): Promise<{ packageId: string; policyId: string }> {
  const { id: packageId } = await admin.api(`${EM}/accessPackages`).post({ displayName: name, catalog: { id: catalogId } });
  for (const groupId of groupIds) {
    await admin.api(`${EM}/accessPackages/${packageId}/resourceRoleScopes`).post({ role: { originId: `Member_${groupId}`, originSystem: 'AadGroup' }, scope: { originId: groupId, originSystem: 'AadGroup' } });
  }
  const { id: policyId } = await admin.api(`${EM}/assignmentPolicies`).post({ displayName: `${name} policy`, expiration: { type: 'afterDuration', duration: 'P30D' }, ...policy, accessPackage: { id: packageId } });
  return { packageId, policyId };
}

const selfService = (approval: Record<string, unknown> = { isApprovalRequiredForAdd: false, stages: [] }) => ({
  allowedTargetScope: 'allMemberUsers',
  requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true },
  requestApprovalSettings: approval,
});

const adminOnly = { allowedTargetScope: 'notSpecified', requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] } };

const userAdd = (client: Client, packageId: string, extra: Record<string, unknown> = {}) =>
  client.api(`${EM}/assignmentRequests`).post({ requestType: 'userAdd', assignment: { accessPackageId: packageId }, ...extra });

const adminAdd = (targetId: string, packageId: string, policyId: string) =>
  admin.api(`${EM}/assignmentRequests`).post({ requestType: 'adminAdd', assignment: { targetId, assignmentPolicyId: policyId, accessPackageId: packageId } });

const requestOf = (id: string) => admin.api(`${EM}/assignmentRequests/${id}`).get();

async function activeAssignment(packageId: string, targetId: string): Promise<{ id: string; state: string }> {
  const found = await admin.api(`${EM}/assignments`).filter(`accessPackage/id eq '${packageId}' and target/objectId eq '${targetId}' and state ne 'expired'`).get();
  return found.value[0];
}

describe("Graph's tutorial, requestor steps: userAdd delivered, then adminRemove", () => {
  const state: Record<string, string> = {};

  it("2 the requestor's userAdd is accepted as submitted", async () => {
    const { packageId, policyId } = await packageWith('Marketing Campaign', [FALCON_GROUP], {
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: LIAM }],
      requestorSettings: { enableTargetsToSelfAddAccess: true },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    });
    Object.assign(state, { packageId, policyId });
    const request = await as(LIAM).api(`${EM}/assignmentRequests`).post({ requestType: 'userAdd', assignment: { targetId: LIAM, assignmentPolicyId: policyId, accessPackageId: packageId } });
    expect(request).toMatchObject({ requestType: 'userAdd', state: 'submitted', status: 'Accepted' });
    state.requestId = request.id;
  });

  it('3.1 the request is delivered, with its completion time', async () => {
    const request = await as(LIAM).api(`${EM}/assignmentRequests/${state.requestId}`).get();
    expect(request).toMatchObject({ state: 'delivered', status: 'Delivered', completedDateTime: expect.any(String) });
  });

  it("3.2 the assignment is listed by policy with its target, ending after the policy's 30 days", async () => {
    const assignments = await admin.api(`${EM}/assignments`).filter(`assignmentPolicy/id eq '${state.policyId}'`).expand('target').get();
    expect(assignments.value).toEqual([expect.objectContaining({ state: 'delivered', target: expect.objectContaining({ objectId: LIAM, principalName: 'liam.obrien@contoso.com' }) })]);
    const { startDateTime, expiration } = assignments.value[0].schedule;
    expect(Date.parse(expiration.endDateTime) - Date.parse(startDateTime)).toBe(30 * 24 * 3600 * 1000);
    state.assignmentId = assignments.value[0].id;
  });

  it('3.3 the requestor is a member of the group in the directory', async () => {
    expect(await memberIds(FALCON_GROUP)).toContain(LIAM);
  });

  it('the requestor sees their own request and assignment; another user sees neither', async () => {
    const mine = await as(LIAM).api(`${EM}/assignmentRequests/filterByCurrentUser(on='target')`).get();
    expect(mine.value.map((r: { id: string }) => r.id)).toEqual([state.requestId]);
    const assignments = await as(LIAM).api(`${EM}/assignments/filterByCurrentUser(on='target')`).expand('accessPackage').get();
    expect(assignments.value).toEqual([expect.objectContaining({ id: state.assignmentId, accessPackage: expect.objectContaining({ displayName: 'Marketing Campaign' }) })]);
    await expect(as(OWEN).api(`${EM}/assignmentRequests/${state.requestId}`).get()).rejects.toMatchObject({ statusCode: 403 });
    expect((await as(OWEN).api(`${EM}/assignments`).get()).value).toEqual([]);
  });

  it('4a adminRemove takes the membership away and ends the assignment', async () => {
    const removal = await admin.api(`${EM}/assignmentRequests`).post({ requestType: 'adminRemove', assignment: { id: state.assignmentId } });
    expect(removal).toMatchObject({ requestType: 'adminRemove' });
    expect(await requestOf(removal.id)).toMatchObject({ state: 'delivered' });
    expect(await memberIds(FALCON_GROUP)).not.toContain(LIAM);
    expect(await admin.api(`${EM}/assignments/${state.assignmentId}`).get()).toMatchObject({ state: 'expired', expiredDateTime: expect.any(String) });
  });

  it('4b–4c the policy and package can then be deleted, in that order', async () => {
    await admin.api(`${EM}/assignmentPolicies/${state.policyId}`).delete();
    await admin.api(`${EM}/accessPackages/${state.packageId}`).delete();
  });
});

describe('approvals', () => {
  let twoStage: { packageId: string; policyId: string };

  beforeAll(async () => {
    twoStage = await packageWith(
      'Engineering access',
      [ENGINEERING_GROUP],
      selfService({
        isApprovalRequiredForAdd: true,
        isRequestorJustificationRequired: true,
        stages: [
          { durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }] },
          { durationBeforeAutomaticDenial: 'P2D', isApproverJustificationRequired: true, primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] },
        ],
      }),
    );
  });

  it('refuses a request without the justification the policy requires (400), writing nothing', async () => {
    const before = await storageSnapshot(prefix);
    await expect(userAdd(as(MEGAN), twoStage.packageId)).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('justification') });
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('runs two stages in order: the manager, then a named approver who must justify', async () => {
    const { id } = await userAdd(as(MEGAN), twoStage.packageId, { justification: 'Joining the platform team' });
    expect(await requestOf(id)).toMatchObject({ state: 'pendingApproval' });

    const pending = await as(MIRIAM).api(`${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`).get();
    expect(pending.value.map((a: { id: string }) => a.id)).toContain(id);
    const [stage] = (await as(MIRIAM).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages`).get()).value;
    expect(stage).toMatchObject({ status: 'InProgress', reviewResult: 'NotReviewed', assignedToMe: true });

    // Debra decides the second stage only; Megan never decides her own request.
    await expect(as(DEBRA).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages/${stage.id}`).patch({ reviewResult: 'Approve' })).rejects.toMatchObject({ statusCode: 403 });
    await expect(as(MEGAN).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages/${stage.id}`).patch({ reviewResult: 'Approve' })).rejects.toMatchObject({ statusCode: 403 });
    await as(MIRIAM).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages/${stage.id}`).patch({ reviewResult: 'Approve', justification: 'Fine by me' });

    const stages = (await as(DEBRA).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages`).get()).value;
    expect(stages).toEqual([
      expect.objectContaining({ id: stage.id, status: 'Completed', reviewResult: 'Approved', reviewedBy: expect.objectContaining({ id: MIRIAM }) }),
      expect.objectContaining({ status: 'InProgress', assignedToMe: true }),
    ]);
    const second = stages[1].id;
    await expect(as(DEBRA).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages/${second}`).patch({ reviewResult: 'Approve' })).rejects.toMatchObject({ statusCode: 400 });
    await as(DEBRA).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages/${second}`).patch({ reviewResult: 'Approve', justification: 'Budget confirmed' });

    expect(await requestOf(id)).toMatchObject({ state: 'delivered' });
    expect(await memberIds(ENGINEERING_GROUP)).toContain(MEGAN);
    // Nothing waits for Miriam any more; her approvals still list the one she decided, as her history.
    expect((await as(MIRIAM).api(`${EM}/assignmentRequests/filterByCurrentUser(on='approver')`).get()).value).toEqual([]);
    const mine = (await as(MIRIAM).api(`${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`).get()).value;
    expect(mine.find((a: { id: string }) => a.id === id).stages).toEqual([
      expect.objectContaining({ status: 'Completed', reviewResult: 'Approved', justification: 'Fine by me', reviewedBy: expect.objectContaining({ id: MIRIAM }), reviewedDateTime: expect.any(String) }),
      expect.objectContaining({ status: 'Completed', assignedToMe: false }),
    ]);
  });

  it('a denial ends the request without access, and the user may ask again', async () => {
    const { id } = await userAdd(as(LYNNE), twoStage.packageId, { justification: 'Curious' });
    // Lynne has no manager and the stage no fallback approvers: nobody can decide, so the request is denied at once.
    expect(await requestOf(id)).toMatchObject({ state: 'denied', status: 'NoApproverAvailable' });

    const denyable = await packageWith('Finance reports', [], selfService({ isApprovalRequiredForAdd: true, stages: [{ primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }] }));
    const first = await userAdd(as(OWEN), denyable.packageId);
    const [stage] = (await as(DEBRA).api(`${EM}/accessPackageAssignmentApprovals/${first.id}/stages`).get()).value;
    await as(DEBRA).api(`${EM}/accessPackageAssignmentApprovals/${first.id}/stages/${stage.id}`).patch({ reviewResult: 'Deny', justification: 'Not in finance' });
    expect(await requestOf(first.id)).toMatchObject({ state: 'denied', completedDateTime: expect.any(String) });
    expect(await activeAssignment(denyable.packageId, OWEN)).toBeUndefined();
    await expect(as(DEBRA).api(`${EM}/accessPackageAssignmentApprovals/${first.id}/stages/${stage.id}`).patch({ reviewResult: 'Approve' })).rejects.toMatchObject({ statusCode: 409 });
    const again = await userAdd(as(OWEN), denyable.packageId);
    expect(await requestOf(again.id)).toMatchObject({ state: 'pendingApproval' });
    await as(OWEN).api(`${EM}/assignmentRequests/${again.id}/cancel`).post({});
    expect(await requestOf(again.id)).toMatchObject({ state: 'canceled' });
  });

  it('leaves the requestor out of an approver group: they cannot approve themselves, the others can', async () => {
    const marketing = await packageWith('Campaign tools', [FALCON_GROUP], selfService({
      isApprovalRequiredForAdd: true,
      stages: [{ primaryApprovers: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: MARKETING_GROUP }] }],
    }));
    const { id } = await userAdd(as(ZOE), marketing.packageId);
    const stageOf = async (client: Client) => (await client.api(`${EM}/accessPackageAssignmentApprovals/${id}/stages`).get()).value[0];
    expect(await stageOf(as(ZOE))).toMatchObject({ assignedToMe: false });
    await expect(as(ZOE).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages/${(await stageOf(as(EMILY))).id}`).patch({ reviewResult: 'Approve' })).rejects.toMatchObject({ statusCode: 403 });
    await as(EMILY).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages/${(await stageOf(as(EMILY))).id}`).patch({ reviewResult: 'Approve' });
    expect(await requestOf(id)).toMatchObject({ state: 'delivered' });
  });

  it('two approvers deciding at once: one 204, the other 409, and one outcome', async () => {
    const finance = await packageWith('Expense approvals', [], selfService({
      isApprovalRequiredForAdd: true,
      stages: [{ primaryApprovers: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: FINANCE_APPROVERS }] }],
    }));
    const { id } = await userAdd(as(HANNAH), finance.packageId);
    const [stage] = (await as(GRADY).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages`).get()).value;
    const decide = (approver: string, reviewResult: string) =>
      fetch(`${host.url}/v1.0${EM}/accessPackageAssignmentApprovals/${id}/stages/${stage.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'x-ms-client-principal': clientPrincipal(approver, TENANT) },
        body: JSON.stringify({ reviewResult }),
      });
    const answers = await Promise.all([decide(GRADY, 'Approve'), decide(ALLAN, 'Deny')]);
    expect(answers.map((a) => a.status).sort()).toEqual([204, 409]);
    const final = await requestOf(id);
    expect(final.state).toBe(answers[0]!.status === 204 ? 'delivered' : 'denied');
    const conflict = answers.find((a) => a.status === 409)!;
    expect(await conflict.json()).toMatchObject({ error: { code: 'conflict' } });
  });
});

describe('assignments and delivery', () => {
  it('refuses a second request for the same package while one is active, also when two arrive at once', async () => {
    const pkg = await packageWith('Falcon docs', [FALCON_GROUP], selfService());
    const outcomes = await Promise.allSettled([userAdd(as(OWEN), pkg.packageId), userAdd(as(OWEN), pkg.packageId)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ statusCode: 409 });
    await expect(userAdd(as(OWEN), pkg.packageId)).rejects.toMatchObject({ statusCode: 409, message: expect.stringContaining('active assignment') });
    const requests = (await as(OWEN).api(`${EM}/assignmentRequests/filterByCurrentUser(on='target')`).get()).value.filter((r: { requestType: string }) => r.requestType === 'userAdd');
    expect(requests.filter((r: { state: string }) => r.state === 'delivered')).toHaveLength(1);
  });

  it('keeps a role held through another package when one assignment is removed', async () => {
    const first = await packageWith('Falcon A', [FALCON_GROUP], adminOnly);
    const second = await packageWith('Falcon B', [FALCON_GROUP], adminOnly);
    await adminAdd(HANNAH, first.packageId, first.policyId);
    await adminAdd(HANNAH, second.packageId, second.policyId);
    expect(await memberIds(FALCON_GROUP)).toContain(HANNAH);
    await admin.api(`${EM}/assignmentRequests`).post({ requestType: 'adminRemove', assignment: { id: (await activeAssignment(first.packageId, HANNAH)).id } });
    expect(await memberIds(FALCON_GROUP)).toContain(HANNAH);
    await admin.api(`${EM}/assignmentRequests`).post({ requestType: 'adminRemove', assignment: { id: (await activeAssignment(second.packageId, HANNAH)).id } });
    expect(await memberIds(FALCON_GROUP)).not.toContain(HANNAH);
  });

  it('refuses a package incompatible with one the target holds (separation of duties)', async () => {
    const held = await packageWith('Payments maker', [], adminOnly);
    const other = await packageWith('Payments checker', [], adminOnly);
    await admin.api(`${EM}/accessPackages/${other.packageId}/incompatibleAccessPackages/$ref`).post({ '@odata.id': `https://graph.microsoft.com/v1.0${EM}/accessPackages/${held.packageId}` });
    await adminAdd(GRADY, held.packageId, held.policyId);
    await expect(adminAdd(GRADY, other.packageId, other.policyId)).rejects.toMatchObject({ statusCode: 403, message: expect.stringContaining('incompatible') });
  });

  it('delivers a role added to a package to its current assignees, and takes a removed one away', async () => {
    const pkg = await packageWith('Expenses users', [], adminOnly);
    await adminAdd(ALLAN, pkg.packageId, pkg.policyId);
    const roles = (await admin.api(`${EM}/catalogs/${catalogId}/resourceRoles`).filter(`originId eq '${EXPENSES_APP}' or displayName eq 'Submitter'`).get()).value as Array<{ id: string; displayName: string; originId: string }>;
    const submitter = roles.find((r) => r.displayName === 'Submitter')!;
    const roleScope = await admin.api(`${EM}/accessPackages/${pkg.packageId}/resourceRoleScopes`).post({ role: { id: submitter.id } });
    const held = async () => ((await emulatorJson(`/v1.0/servicePrincipals/${EXPENSES_APP}/appRoleAssignedTo?$top=999`)).value as Array<{ principalId: string; appRoleId: string }>).filter((a) => a.principalId === ALLAN && a.appRoleId === submitter.originId);
    expect(await held()).toHaveLength(1);
    await admin.api(`${EM}/accessPackages/${pkg.packageId}/resourceRoleScopes/${roleScope.id}`).delete();
    expect(await held()).toHaveLength(0);
  });

  it('delivers under injected Graph faults once reprocessed, never twice', async () => {
    const pkg = await packageWith('Engineering (faulty)', [ENGINEERING_GROUP], adminOnly);
    await emulatorJson('/_emulator/faults', { method: 'PUT', body: JSON.stringify({ rules: [{ pathPattern: '^/v1.0/groups', method: 'PATCH', status: 503, rate: 1, retryAfterSeconds: 0 }, { pathPattern: '^/v1.0/groups/.*/members/\\$ref', method: 'POST', status: 503, rate: 1, retryAfterSeconds: 0 }] }) });
    let request: { id: string };
    try {
      request = await adminAdd(OWEN, pkg.packageId, pkg.policyId);
      expect(await requestOf(request.id)).toMatchObject({ state: 'deliveryFailed' });
      expect(await activeAssignment(pkg.packageId, OWEN)).toMatchObject({ state: 'deliveryFailed' });
    } finally {
      await emulatorJson('/_emulator/faults', { method: 'DELETE' });
    }
    await admin.api(`${EM}/assignmentRequests/${request.id}/reprocess`).post({});
    expect(await requestOf(request.id)).toMatchObject({ state: 'delivered' });
    expect((await memberIds(ENGINEERING_GROUP)).filter((id) => id === OWEN)).toHaveLength(1);
    await admin.api(`${EM}/assignmentRequests/${request.id}/reprocess`).post({}).catch((error: { statusCode: number }) => expect(error.statusCode).toBe(400));
  });

  it('tells a requestor which policies apply to them and what they ask', async () => {
    const pkg = await packageWith('Self-service', [], selfService());
    const requirements = await as(OWEN).api(`${EM}/accessPackages/${pkg.packageId}/getApplicablePolicyRequirements`).post({});
    expect(requirements.value).toEqual([expect.objectContaining({ policyId: pkg.policyId, isApprovalRequiredForAdd: false })]);
    const adminOnlyPackage = await packageWith('Admin only', [], adminOnly);
    expect((await as(OWEN).api(`${EM}/accessPackages/${adminOnlyPackage.packageId}/getApplicablePolicyRequirements`).post({})).value).toEqual([]);
    await expect(userAdd(as(OWEN), adminOnlyPackage.packageId)).rejects.toMatchObject({ statusCode: 403 });
  });

  it('records each transition in the audit table', async () => {
    const audit = TableClient.fromConnectionString(testStorageConnectionString(), `${prefix}auditEvents`, { allowInsecureConnection: true });
    const actions = new Set<string>();
    for await (const row of audit.listEntities<{ action: string }>()) actions.add(row.action);
    for (const action of ['submitRequest', 'startApprovalStage', 'decideApprovalStage.approved', 'decideApprovalStage.denied', 'createAssignment', 'deliverRequest', 'endAssignment', 'cancelRequest', 'reprocessRequest']) {
      expect(actions).toContain(action);
    }
  });
});

describe('bad input and callers without the right: a clear 4xx, and nothing stored changes', () => {
  let pkg: { packageId: string; policyId: string };
  let pendingId: string;
  let pendingStageId: string;
  let deliveredId: string;
  let openPackageId: string;

  beforeAll(async () => {
    pkg = await packageWith('Guarded', [], selfService({ isApprovalRequiredForAdd: true, stages: [{ primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }] }));
    pendingId = (await userAdd(as(OWEN), pkg.packageId)).id;
    pendingStageId = (await as(DEBRA).api(`${EM}/accessPackageAssignmentApprovals/${pendingId}/stages`).get()).value[0].id;
    const open = await packageWith('Open', [], selfService());
    openPackageId = open.packageId;
    deliveredId = (await userAdd(as(OWEN), open.packageId)).id;
  });

  const UNKNOWN = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
  type Case = [name: string, caller: string | null, method: string, path: () => string, body: () => unknown, status: number];
  const cases: Case[] = [
    ['no caller', null, 'POST', () => 'assignmentRequests', () => ({ requestType: 'userAdd', assignment: { accessPackageId: UNKNOWN } }), 401],
    ['a user asking as an administrator', OWEN, 'POST', () => 'assignmentRequests', () => ({ requestType: 'adminAdd', assignment: { targetId: OWEN, accessPackageId: pkg.packageId } }), 403],
    ['a user deleting a request', OWEN, 'DELETE', () => `assignmentRequests/${deliveredId}`, () => (undefined), 403],
    ['a user reprocessing a request', OWEN, 'POST', () => `assignmentRequests/${deliveredId}/reprocess`, () => (undefined), 403],
    ["a user canceling someone else's request", HANNAH, 'POST', () => `assignmentRequests/${pendingId}/cancel`, () => (undefined), 403],
    ['a non-approver deciding', HANNAH, 'PATCH', () => `accessPackageAssignmentApprovals/${pendingId}/stages/${pendingStageId}`, () => ({ reviewResult: 'Approve' }), 403],
    ["a user reading someone else's request", HANNAH, 'GET', () => `assignmentRequests/${pendingId}`, () => (undefined), 403],
    ['an empty body', ADMIN, 'POST', () => 'assignmentRequests', () => ({}), 400],
    ['a body that is not JSON', ADMIN, 'POST', () => 'assignmentRequests', () => ('requestType=userAdd'), 400],
    ['an unknown request type', ADMIN, 'POST', () => 'assignmentRequests', () => ({ requestType: 'userBorrow', assignment: { accessPackageId: pkg.packageId } }), 400],
    ['a package id that is no GUID', OWEN, 'POST', () => 'assignmentRequests', () => ({ requestType: 'userAdd', assignment: { accessPackageId: 'marketing' } }), 400],
    ['a package that does not exist', OWEN, 'POST', () => 'assignmentRequests', () => ({ requestType: 'userAdd', assignment: { accessPackageId: UNKNOWN } }), 400],
    ['a target that does not exist', ADMIN, 'POST', () => 'assignmentRequests', () => ({ requestType: 'adminAdd', assignment: { targetId: UNKNOWN, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } }), 400],
    ['a start more than a year ahead, from an administrator', ADMIN, 'POST', () => 'assignmentRequests', () => ({ requestType: 'adminAdd', assignment: { targetId: HANNAH, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId }, schedule: { startDateTime: new Date(Date.now() + 2 * 365 * 86_400_000).toISOString() } }), 400],
    ['a policy of another package', ADMIN, 'POST', () => 'assignmentRequests', () => ({ requestType: 'adminAdd', assignment: { targetId: HANNAH, accessPackageId: pkg.packageId, assignmentPolicyId: UNKNOWN } }), 400],
    ['a user asking for someone else', OWEN, 'POST', () => 'assignmentRequests', () => ({ requestType: 'userAdd', assignment: { targetId: HANNAH, accessPackageId: pkg.packageId } }), 403],
    ['a schedule the policy does not allow', HANNAH, 'POST', () => 'assignmentRequests', () => ({ requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId }, schedule: { startDateTime: '2030-01-01T00:00:00Z' } }), 400],
    ['removing an assignment that does not exist', ADMIN, 'POST', () => 'assignmentRequests', () => ({ requestType: 'adminRemove', assignment: { id: UNKNOWN } }), 404],
    ['a second request for a package already assigned', OWEN, 'POST', () => 'assignmentRequests', () => ({ requestType: 'userAdd', assignment: { accessPackageId: openPackageId } }), 409],
    ['an outsider probing an approval stage that does not exist', HANNAH, 'PATCH', () => `accessPackageAssignmentApprovals/${pendingId}/stages/${UNKNOWN}`, () => ({ reviewResult: 'Approve' }), 403],
    ['the approval of a request that needs none', OWEN, 'GET', () => `accessPackageAssignmentApprovals/${deliveredId}`, () => (undefined), 404],
    ['a decision that is neither Approve nor Deny', DEBRA, 'PATCH', () => `accessPackageAssignmentApprovals/${pendingId}/stages/${pendingStageId}`, () => ({ reviewResult: 'Maybe' }), 400],
    ['a stage that does not exist', DEBRA, 'PATCH', () => `accessPackageAssignmentApprovals/${pendingId}/stages/${UNKNOWN}`, () => ({ reviewResult: 'Approve' }), 404],
    ['canceling a delivered request', OWEN, 'POST', () => `assignmentRequests/${deliveredId}/cancel`, () => (undefined), 400],
    ['deleting a pending request', ADMIN, 'DELETE', () => `assignmentRequests/${pendingId}`, () => (undefined), 400],
    ['reprocessing a delivered request', ADMIN, 'POST', () => `assignmentRequests/${deliveredId}/reprocess`, () => (undefined), 400],
    ['a request that does not exist', ADMIN, 'GET', () => `assignmentRequests/${UNKNOWN}`, () => (undefined), 404],
    ['filterByCurrentUser with an unknown option', OWEN, 'GET', () => "assignmentRequests/filterByCurrentUser(on='everyone')", () => (undefined), 400],
    ['an unknown filter property', ADMIN, 'GET', () => "assignments?$filter=colour eq 'blue'", () => (undefined), 400],
  ];

  it.each(cases)('%s → %i', async (_name, caller, method, path, bodyOf, status) => {
    const body = bodyOf();
    const before = await storageSnapshot(prefix);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (caller) headers['x-ms-client-principal'] = clientPrincipal(caller, TENANT);
    const response = await fetch(`${host.url}/v1.0${EM}/${path()}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(response.status).toBe(status);
    const answer = (await response.json()) as { error?: { code?: string; message?: string } };
    expect(answer.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    expect(await storageSnapshot(prefix)).toBe(before);
  });
});
