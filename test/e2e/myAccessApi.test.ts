import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * What the My Access portal's newer views need from the API, over HTTP against the compiled local host and its
 * Graph emulator: an approver's history, when a stage is due, answers with their questions, requests on behalf of a
 * direct report, direct reports and suggested packages. Each refusal is checked for Graph's error shape and for
 * leaving storage as it was.
 */
jest.setTimeout(120_000);

const EM = '/v1.0/identityGovernance/entitlementManagement';
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
// Pradeep manages Alex and Johanna (demo tenant); Lynne manages Pradeep.
const PRADEEP = 'eb7a7995-9588-432d-8242-aadbc8f429a4';
const ALEX = '83d8e92d-f2ad-4c0e-a683-acdf2060d7c4';
const JOHANNA = 'b039ee16-9646-4718-8f3d-9a4de6cf02bb';
const LYNNE = '79c8c292-6b94-45b5-b498-82321e35049e';
const MIRIAM = '88718c96-6f3d-48f7-b4b1-b64633be40f5';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const DIEGO = '67c8765c-5781-4ce8-98f0-1733d942b204'; // Alex's report, manager of nobody

let host: RunningHost;
let prefix: string;
let catalogId: string;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(as: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (as) headers['x-ms-client-principal'] = clientPrincipal(as, TENANT);
  const response = await fetch(`${host.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Json) : {} };
}

async function ok(as: string, method: string, path: string, body?: unknown): Promise<Json> {
  const { status, json } = await call(as, method, path, body);
  if (status >= 300) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(json)}`);
  return json;
}

/** Graph's error shape, with the status and code the refusal must have. */
function expectGraphError(answer: { status: number; json: Json }, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.json).toEqual({ error: { code, message: expect.any(String), innerError: { 'request-id': expect.any(String), date: expect.any(String) } } });
}

async function packageWith(name: string, policy: Json, isHidden = false): Promise<{ packageId: string; policyId: string }> {
  const { id: packageId } = await ok(ADMIN, 'POST', `${EM}/accessPackages`, { displayName: name, isHidden, catalog: { id: catalogId } });
  const { id: policyId } = await ok(ADMIN, 'POST', `${EM}/assignmentPolicies`, {
    displayName: `${name} policy`,
    allowedTargetScope: 'allMemberUsers',
    expiration: { type: 'afterDuration', duration: 'P30D' },
    requestorSettings: { enableTargetsToSelfAddAccess: true },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    ...policy,
    accessPackage: { id: packageId },
  });
  return { packageId, policyId };
}

const stage = (extra: Json = {}) => ({
  durationBeforeAutomaticDenial: 'P7D',
  isApproverJustificationRequired: false,
  primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: MIRIAM }, { '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }],
  ...extra,
});

const userAdd = (as: string, packageId: string, extra: Json = {}) => ok(as, 'POST', `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { accessPackageId: packageId }, ...extra });
const approvalsOf = async (as: string) => (await ok(as, 'GET', `${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`)).value as Json[];
const pendingRequestsOf = async (as: string) => (await ok(as, 'GET', `${EM}/assignmentRequests/filterByCurrentUser(on='approver')`)).value as Json[];

beforeAll(async () => {
  prefix = `m${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  catalogId = (await ok(ADMIN, 'POST', `${EM}/catalogs`, { displayName: 'My Access API', state: 'published' })).id;
});

afterAll(async () => {
  await host?.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe("an approver's history: approvals filterByCurrentUser(on='approver') lists what they decided", () => {
  it('a decided approval stays in the deciding approver\'s approvals with the decision, reason and date, and leaves the pending lists', async () => {
    const { packageId } = await packageWith('History', { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [stage()] } });
    const { id } = await userAdd(ALEX, packageId, { justification: 'For the audit' });
    expect((await pendingRequestsOf(MIRIAM)).map((r) => r.id)).toContain(id);
    const [current] = (await approvalsOf(MIRIAM)).find((a) => a.id === id)!.stages;

    await ok(MIRIAM, 'PATCH', `${EM}/accessPackageAssignmentApprovals/${id}/stages/${current.id}`, { reviewResult: 'Deny', justification: 'Not this quarter' });

    const mine = (await approvalsOf(MIRIAM)).find((a) => a.id === id);
    expect(mine?.stages).toEqual([
      expect.objectContaining({ status: 'Completed', reviewResult: 'Denied', justification: 'Not this quarter', assignedToMe: true, reviewedBy: expect.objectContaining({ id: MIRIAM }), reviewedDateTime: expect.any(String) }),
    ]);
    // A decided stage is due no more.
    expect(Object.keys(mine!.stages[0])).not.toContain('@portcullis.expirationDateTime');
    // Graph documents the request list as pending only; Debra, who did not decide, has no history of it.
    expect((await pendingRequestsOf(MIRIAM)).map((r) => r.id)).not.toContain(id);
    expect((await approvalsOf(DEBRA)).map((a) => a.id)).not.toContain(id);
    // The decider reads the request behind it (the portal's history does).
    expect((await ok(MIRIAM, 'GET', `${EM}/assignmentRequests/${id}`)).state).toBe('denied');
  });

  it('a decision that is refused (the stage was decided already) leaves no history for the refused approver', async () => {
    const { packageId } = await packageWith('Raced', { requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [stage()] } });
    const { id } = await userAdd(JOHANNA, packageId);
    const [current] = (await approvalsOf(MIRIAM)).find((a) => a.id === id)!.stages;
    await ok(MIRIAM, 'PATCH', `${EM}/accessPackageAssignmentApprovals/${id}/stages/${current.id}`, { reviewResult: 'Approve' });
    expectGraphError(await call(DEBRA, 'PATCH', `${EM}/accessPackageAssignmentApprovals/${id}/stages/${current.id}`, { reviewResult: 'Deny' }), 409, 'conflict');
    expect((await approvalsOf(DEBRA)).map((a) => a.id)).not.toContain(id);
  });

  it('needs a signed-in caller (401) and a known on-value (400), changing nothing', async () => {
    const before = await storageSnapshot(prefix);
    expectGraphError(await call(undefined, 'GET', `${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`), 401, 'unauthenticated');
    expect((await call(MIRIAM, 'GET', `${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='everyone')`)).status).toBe(400);
    expect(await storageSnapshot(prefix)).toBe(before);
  });
});

describe('when a stage is due, and the questions beside the answers', () => {
  it('a pending stage carries its automatic denial and escalation times; each answer carries its question', async () => {
    const { packageId, policyId } = await packageWith('Due', {
      requestApprovalSettings: {
        isApprovalRequiredForAdd: true,
        stages: [stage({ durationBeforeAutomaticDenial: 'P7D', isEscalationEnabled: true, durationBeforeEscalation: 'PT36H', escalationApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: LYNNE }] })],
      },
      questions: [{ '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', text: 'Which cost centre?', isRequired: true, isSingleLineQuestion: true }],
    });
    const policy = await ok(ADMIN, 'GET', `${EM}/assignmentPolicies/${policyId}`);
    const questionId = policy.questions[0].id as string;
    const before = Date.now();
    const { id } = await userAdd(ALEX, packageId, { answers: [{ value: 'CC-1201', answeredQuestion: { id: questionId } }] });

    const [pending] = (await ok(MIRIAM, 'GET', `${EM}/accessPackageAssignmentApprovals/${id}/stages`)).value as Json[];
    const expires = Date.parse(pending!['@portcullis.expirationDateTime']);
    const escalates = Date.parse(pending!['@portcullis.escalationDateTime']);
    expect(expires - before).toBeGreaterThanOrEqual(7 * 86_400_000 - 1_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    expect(expires - escalates).toBe(7 * 86_400_000 - 36 * 3_600_000);
    expect((await approvalsOf(MIRIAM)).find((a) => a.id === id)?.stages[0]['@portcullis.expirationDateTime']).toBe(pending!['@portcullis.expirationDateTime']);

    const [request] = (await pendingRequestsOf(MIRIAM)).filter((r) => r.id === id);
    expect(request!.answers).toEqual([
      expect.objectContaining({ value: 'CC-1201', answeredQuestion: expect.objectContaining({ id: questionId, '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', text: 'Which cost centre?' }) }),
    ]);
  });
});

describe('a request on behalf of a direct report (policy onBehalfRequestors)', () => {
  const managerMay = {
    requestorSettings: {
      enableTargetsToSelfAddAccess: true,
      enableOnBehalfRequestorsToAddAccess: true,
      onBehalfRequestors: [{ '@odata.type': '#microsoft.graph.targetManager', managerLevel: 1 }],
    },
  };

  it("the manager requests for their report: the request is the report's, made by the manager", async () => {
    const { packageId } = await packageWith('For my team', managerMay);
    const requirements = (await ok(PRADEEP, 'POST', `${EM}/accessPackages/${packageId}/getApplicablePolicyRequirements`, { subject: { objectId: ALEX } })).value as Json[];
    expect(requirements).toHaveLength(1);

    const request = await ok(PRADEEP, 'POST', `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { accessPackageId: packageId, targetId: ALEX }, justification: 'Joining the project' });
    expect(request).toMatchObject({ requestType: 'userAdd', state: 'submitted' });
    const read = await ok(ADMIN, 'GET', `${EM}/assignmentRequests/${request.id}?$expand=requestor,assignment($expand=target)`);
    expect(read).toMatchObject({ requestor: { objectId: PRADEEP }, assignment: { target: { objectId: ALEX } } });
    expect((await ok(ALEX, 'GET', `${EM}/assignmentRequests/filterByCurrentUser(on='target')`)).value.map((r: Json) => r.id)).toContain(request.id);
    expect((await ok(PRADEEP, 'GET', `${EM}/assignmentRequests/filterByCurrentUser(on='createdBy')`)).value.map((r: Json) => r.id)).toContain(request.id);
  });

  it('someone who is not their manager, or a policy that does not allow it, is refused (403) and nothing is stored', async () => {
    const { packageId } = await packageWith('Not for others', managerMay);
    const { packageId: selfOnly } = await packageWith('Self only', {});
    const before = await storageSnapshot(prefix);
    expectGraphError(await call(JOHANNA, 'POST', `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { accessPackageId: packageId, targetId: ALEX } }), 403, 'accessDenied');
    expectGraphError(await call(PRADEEP, 'POST', `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { accessPackageId: selfOnly, targetId: ALEX } }), 403, 'accessDenied');
    expect((await ok(JOHANNA, 'POST', `${EM}/accessPackages/${packageId}/getApplicablePolicyRequirements`, { subject: { objectId: ALEX } })).value).toEqual([]);
    expect((await ok(PRADEEP, 'POST', `${EM}/accessPackages/${selfOnly}/getApplicablePolicyRequirements`, { subject: { objectId: ALEX } })).value).toEqual([]);
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it("the package's link opens for a manager whom only a request on behalf lets ask for it, and for nobody else", async () => {
    const { packageId } = await packageWith('Only for Alex', {
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: ALEX }],
      ...managerMay,
    });
    expect((await ok(PRADEEP, 'POST', `${EM}/accessPackages/${packageId}/getApplicablePolicyRequirements`, {})).value).toEqual([]);
    expect((await ok(PRADEEP, 'GET', `${EM}/accessPackages/${packageId}`)).displayName).toBe('Only for Alex');
    expect((await ok(PRADEEP, 'POST', `${EM}/accessPackages/${packageId}/getApplicablePolicyRequirements`, { subject: { objectId: ALEX } })).value).toHaveLength(1);
    expect((await call(LYNNE, 'GET', `${EM}/accessPackages/${packageId}`)).status).toBe(403);
  });

  it('a subject that is not an object id, or an unknown property, is a 400 naming it', async () => {
    const { packageId } = await packageWith('Bad subject', managerMay);
    const before = await storageSnapshot(prefix);
    const bad = await call(PRADEEP, 'POST', `${EM}/accessPackages/${packageId}/getApplicablePolicyRequirements`, { subject: { objectId: 'alex' } });
    expectGraphError(bad, 400, 'invalidRequest');
    expect(bad.json.error.message).toContain('subject.objectId');
    expectGraphError(await call(PRADEEP, 'POST', `${EM}/accessPackages/${packageId}/getApplicablePolicyRequirements`, { target: {} }), 400, 'invalidRequest');
    expect((await call(PRADEEP, 'POST', `${EM}/accessPackages/${packageId}/getApplicablePolicyRequirements`)).status).toBe(200);
    expect(await storageSnapshot(prefix)).toBe(before);
  });
});

describe('/api/myAccess: direct reports and suggested packages', () => {
  it('lists the caller\'s direct reports; 401 without a caller', async () => {
    expectGraphError(await call(undefined, 'GET', '/api/myAccess/directReports'), 401, 'unauthenticated');
    const reports = (await ok(PRADEEP, 'GET', '/api/myAccess/directReports')).value as Json[];
    expect(reports.map((r) => r.id).sort()).toEqual([ALEX, JOHANNA].sort());
    expect(reports[0]).toEqual({ id: expect.any(String), displayName: expect.any(String), userPrincipalName: expect.any(String), mail: expect.anything() });
    expect((await ok(DIEGO, 'GET', '/api/myAccess/directReports')).value).toEqual([]);
  });

  it("suggests what a peer (same manager) holds and the caller may request, not hidden packages nor what they hold", async () => {
    expectGraphError(await call(undefined, 'GET', '/api/myAccess/suggestedAccessPackages'), 401, 'unauthenticated');
    const held = await packageWith('Peer tools', {});
    const hidden = await packageWith('Peer secret', {}, true);
    const both = await packageWith('Everyone has it', {});
    for (const p of [held, hidden, both]) await userAdd(JOHANNA, p.packageId);
    await userAdd(ALEX, both.packageId);

    const suggested = (await ok(ALEX, 'GET', '/api/myAccess/suggestedAccessPackages')).value as Json[];
    const names = suggested.map((s) => s.displayName);
    expect(suggested.find((s) => s.id === held.packageId)).toEqual({ id: held.packageId, displayName: 'Peer tools', description: null, peersWithAccess: 1 });
    expect(names).not.toContain('Peer secret');
    expect(names).not.toContain('Everyone has it');
    // Lynne has no manager: no peers, no suggestions.
    expect((await ok(LYNNE, 'GET', '/api/myAccess/suggestedAccessPackages')).value).toEqual([]);
  });

  it('takes GET only (405 with Allow)', async () => {
    const answer = await call(PRADEEP, 'POST', '/api/myAccess/directReports', {});
    expect(answer.status).toBe(405);
  });
});
