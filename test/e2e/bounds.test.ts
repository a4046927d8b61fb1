import { randomBytes, randomUUID } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import { ACCESS_PACKAGE_MANAGER, CATALOG_OWNER, CATALOG_READER, catalogScope } from '../../shared/auth/entitlementRoles';
import { mapConcurrently } from '../../shared/concurrently';
import { EntitlementStore } from '../../shared/store/entitlementStore';
import { tableKey } from '../../shared/store/tableKeys';
import { Tables } from '../../shared/store/tables';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * What one caller can make the service read, write or tell: incompatibility links across catalogs, the caps on
 * links, approvers and request sizes, rule previews, and answers that must not tell one catalog's secrets to another.
 */

const EM = '/v1.0/identityGovernance/entitlementManagement';
const RBAC = '/v1.0/roleManagement/entitlementManagement';

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const PRADEEP = 'eb7a7995-9588-432d-8242-aadbc8f429a4'; // owns catalog A
const PATTI = '515c6123-6c88-4537-bcf3-bd58da60fb1c'; // owns catalog B
const LEE = '428474c1-5e9e-4ba7-a6a8-6bd5a7550d23'; // manages packages in A, reads B
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874'; // her manager is Miriam
const ZOE = '9713b936-62cb-4300-ba5f-9ccdad9a6f2d';
const LEGAL_GROUP = '993bb873-540b-442e-8a6e-83734bc9404e';
const VPN_GROUP = 'e644c315-c2cb-4187-b62e-7330ba45cd54';

let host: RunningHost;
let prefix: string;
let store: EntitlementStore;
const f: Record<string, string> = {};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function call(userId: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { 'x-ms-client-principal': clientPrincipal(userId, TENANT) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${host.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function asAdmin(method: string, path: string, body?: unknown): Promise<any> {
  const answer = await call(ADMIN, method, path, body);
  if (answer.status >= 300) throw new Error(`Set-up call ${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function emulatorCall(method: string, path: string): Promise<any> {
  const response = await fetch(`${host.emulatorUrl}${path}`, { method });
  return response.status === 204 ? undefined : response.json();
}

/** Graph calls on one route (`GET /v1.0/groups/{id}`) since the counters were last reset. */
async function graphCallsTo(route: string): Promise<number> {
  const counts = (await emulatorCall('GET', '/_emulator/requests')) as { byRoute: Record<string, number> };
  return counts.byRoute[route] ?? 0;
}

const packageRef = (packageId: string) => ({ '@odata.id': `https://graph.microsoft.com${EM}/accessPackages/${packageId}` });
const groupRef = (groupId: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/groups/${groupId}` });
const newPackage = async (catalogId: string, displayName: string): Promise<string> => (await asAdmin('POST', `${EM}/accessPackages`, { displayName, catalog: { id: catalogId } })).id;

/** Refused with this status in Graph's error shape, and nothing stored changed. */
async function refusedWith(status: number, act: () => Promise<Answer>): Promise<Answer> {
  const before = await storageSnapshot(prefix);
  const answer = await act();
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  expect(await storageSnapshot(prefix)).toBe(before);
  return answer;
}

beforeAll(async () => {
  prefix = `b${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  store = new EntitlementStore(new Tables(testStorageConnectionString(), prefix));
  f.catalogA = (await asAdmin('POST', `${EM}/catalogs`, { displayName: 'Bounds: A', state: 'published' })).id;
  f.catalogB = (await asAdmin('POST', `${EM}/catalogs`, { displayName: 'Bounds: B', state: 'unpublished', description: 'Secret plans' })).id;
  await asAdmin('POST', `${RBAC}/roleAssignments`, { principalId: PRADEEP, roleDefinitionId: CATALOG_OWNER, appScopeId: catalogScope(f.catalogA!) });
  await asAdmin('POST', `${RBAC}/roleAssignments`, { principalId: PATTI, roleDefinitionId: CATALOG_OWNER, appScopeId: catalogScope(f.catalogB!) });
  await asAdmin('POST', `${RBAC}/roleAssignments`, { principalId: LEE, roleDefinitionId: ACCESS_PACKAGE_MANAGER, appScopeId: catalogScope(f.catalogA!) });
  await asAdmin('POST', `${RBAC}/roleAssignments`, { principalId: LEE, roleDefinitionId: CATALOG_READER, appScopeId: catalogScope(f.catalogB!) });
  f.packageA = await newPackage(f.catalogA!, 'Bounds: package in A');
  f.packageB = await newPackage(f.catalogB!, 'Bounds: package in B');
});

afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe('incompatibility links across catalogs', () => {
  it("an owner of one catalog cannot mark another catalog's package incompatible: as if missing without read rights, 403 with them", async () => {
    const missing = await refusedWith(404, () => call(PRADEEP, 'POST', `${EM}/accessPackages/${f.packageA}/incompatibleAccessPackages/$ref`, packageRef(randomUUID())));
    const notYours = await refusedWith(404, () => call(PRADEEP, 'POST', `${EM}/accessPackages/${f.packageA}/incompatibleAccessPackages/$ref`, packageRef(f.packageB!)));
    expect(notYours.body.error.message).toBe(missing.body.error.message.replace(/'[^']+'/, `'${f.packageB}'`));
    await refusedWith(403, () => call(LEE, 'POST', `${EM}/accessPackages/${f.packageA}/incompatibleAccessPackages/$ref`, packageRef(f.packageB!)));
    expect((await asAdmin('GET', `${EM}/accessPackages/${f.packageB}/accessPackagesIncompatibleWith`)).value).toEqual([]);
  });

  it("with rights in both catalogs the link is made, and the other package's owner may remove it", async () => {
    const linked = await call(ADMIN, 'POST', `${EM}/accessPackages/${f.packageA}/incompatibleAccessPackages/$ref`, packageRef(f.packageB!));
    expect(linked.status).toBe(204);
    expect((await asAdmin('GET', `${EM}/accessPackages/${f.packageB}/accessPackagesIncompatibleWith`)).value.map((p: { id: string }) => p.id)).toEqual([f.packageA]);
    // Owning neither side is still refused.
    await refusedWith(403, () => call(MEGAN, 'DELETE', `${EM}/accessPackages/${f.packageA}/incompatibleAccessPackages/${f.packageB}/$ref`));

    const removed = await call(PATTI, 'DELETE', `${EM}/accessPackages/${f.packageA}/incompatibleAccessPackages/${f.packageB}/$ref`);
    expect(removed.status).toBe(204);
    expect(await store.incompatibilities.list({ partitionKey: tableKey(f.packageA!) })).toEqual([]);
    expect(await store.incompatibilities.list({ partitionKey: tableKey('incompatibleWith', f.packageB!) })).toEqual([]);
  });
});

describe('incompatibilities per package are capped', () => {
  it('a package with 100 incompatibilities refuses another with 400 naming the cap, and stores nothing', async () => {
    const packageId = await newPackage(f.catalogA!, 'Bounds: full of incompatibilities');
    await mapConcurrently(range(100), async () => {
      const otherId = randomUUID();
      await store.incompatibilities.insert(tableKey(packageId), tableKey('group', otherId), { packageId, kind: 'group', otherId });
    });
    const refused = await refusedWith(400, () => call(PRADEEP, 'POST', `${EM}/accessPackages/${packageId}/incompatibleGroups/$ref`, groupRef(LEGAL_GROUP)));
    expect(refused.body.error.message).toContain('100 incompatibilities');
  });

  it('a package marked incompatible by 100 others refuses another link to it', async () => {
    const packageId = await newPackage(f.catalogA!, 'Bounds: marked by many');
    await mapConcurrently(range(100), async () => {
      const otherId = randomUUID();
      await store.incompatibilities.insert(tableKey('incompatibleWith', packageId), tableKey(otherId), { packageId: otherId, kind: 'accessPackage', otherId: packageId });
    });
    await refusedWith(400, () => call(PRADEEP, 'POST', `${EM}/accessPackages/${f.packageA}/incompatibleAccessPackages/$ref`, packageRef(packageId)));
  });

  it('$expand of incompatible groups reads no more links than it shows, even where more were stored before the cap', async () => {
    const packageId = await newPackage(f.catalogA!, 'Bounds: legacy links');
    await mapConcurrently(range(150), async () => {
      const otherId = randomUUID();
      await store.incompatibilities.insert(tableKey(packageId), tableKey('group', otherId), { packageId, kind: 'group', otherId });
    });
    await emulatorCall('DELETE', '/_emulator/requests');
    const expanded = await call(PRADEEP, 'GET', `${EM}/accessPackages/${packageId}?$expand=incompatibleGroups`);
    expect(expanded.status).toBe(200);
    expect(await graphCallsTo('GET /v1.0/groups/{id}')).toBeLessThanOrEqual(100);
  });

  it('a real group link still works within the cap', async () => {
    const added = await call(PRADEEP, 'POST', `${EM}/accessPackages/${f.packageA}/incompatibleGroups/$ref`, groupRef(VPN_GROUP));
    expect(added.status).toBe(204);
    const groups = await call(PRADEEP, 'GET', `${EM}/accessPackages/${f.packageA}/incompatibleGroups`);
    expect(groups.body.value.map((g: { id: string }) => g.id)).toEqual([VPN_GROUP]);
  });
});

describe('rule previews', () => {
  const HR_RULE = 'user.department -eq "Human Resources"';
  const preview = (userId: string, body: unknown) => call(userId, 'POST', '/api/policies/preview', body);

  beforeAll(async () => {
    const packageId = await newPackage(f.catalogA!, 'Bounds: by rule');
    f.rulePolicy = (
      await asAdmin('POST', `${EM}/assignmentPolicies`, {
        displayName: 'Sales by rule',
        allowedTargetScope: 'specificDirectoryUsers',
        specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: 'user.department -eq "Sales"', description: 'Sales' }],
        automaticRequestSettings: { requestAccessForAllowedTargets: true },
        requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
        expiration: { type: 'noExpiration' },
        accessPackage: { id: packageId },
      })
    ).id;
    const otherPackage = await newPackage(f.catalogB!, 'Bounds: by rule in B');
    f.rulePolicyB = (
      await asAdmin('POST', `${EM}/assignmentPolicies`, {
        displayName: 'Legal by rule',
        allowedTargetScope: 'specificDirectoryUsers',
        specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: 'user.department -eq "Legal"', description: 'Legal' }],
        automaticRequestSettings: { requestAccessForAllowedTargets: true },
        requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
        expiration: { type: 'noExpiration' },
        accessPackage: { id: otherPackage },
      })
    ).id;
  });

  it("a package manager previews their policy's own rule, and is refused any other rule with 403", async () => {
    const own = await preview(PRADEEP, { policyId: f.rulePolicy });
    expect(own.status).toBe(200);
    expect(own.body.membershipRule).toBe('user.department -eq "Sales"');
    const refused = await refusedWith(403, () => preview(PRADEEP, { policyId: f.rulePolicy, membershipRule: HR_RULE }));
    expect(refused.body.error.code).toBe('accessDenied');
    await refusedWith(403, () => preview(PRADEEP, { membershipRule: HR_RULE }));
  });

  it("a policy of a catalog the caller cannot read is answered as a missing one, without naming the catalog", async () => {
    const missing = await refusedWith(404, () => preview(PRADEEP, { policyId: randomUUID() }));
    const hidden = await refusedWith(404, () => preview(PRADEEP, { policyId: f.rulePolicyB }));
    expect(hidden.body.error.message).not.toContain(f.catalogB);
    expect(hidden.body.error.message.replace(f.rulePolicyB!, 'X')).toBe(missing.body.error.message.replace(/'[^']+'/, "'X'"));
  });

  it('an administrator may try any rule, a few at once, then gets 429 with Retry-After in Graph shape', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await preview(ADMIN, { membershipRule: HR_RULE }));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const limited = answers[5]!;
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { code: 'TooManyRequests', message: expect.stringContaining('try again') } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another caller has a bucket of their own.
    expect((await preview(PRADEEP, { policyId: f.rulePolicy })).status).toBe(200);
  });
});

describe("rule-based access is an administrator's", () => {
  const HR_RULE = 'user.department -eq "Human Resources"';
  const rulePolicy = (packageId: string, membershipRule: string, automatic: boolean) => ({
    displayName: automatic ? 'By rule' : 'Requestable by those the rule admits',
    allowedTargetScope: 'specificDirectoryUsers',
    specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule, description: 'rule' }],
    ...(automatic ? { automaticRequestSettings: { requestAccessForAllowedTargets: true } } : { requestorSettings: { enableTargetsToSelfAddAccess: true } }),
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    expiration: { type: 'noExpiration' },
    accessPackage: { id: packageId },
  });

  beforeAll(async () => {
    f.requestablePackage = await newPackage(f.catalogA!, 'Bounds: requestable by rule');
    f.autoPackage = await newPackage(f.catalogA!, 'Bounds: assigned by rule');
    f.idlePackage = await newPackage(f.catalogA!, 'Bounds: assigned by a rule nobody matches');
    f.autoPolicy = (await asAdmin('POST', `${EM}/assignmentPolicies`, rulePolicy(f.autoPackage!, 'user.department -eq "Sales"', true))).id;
    f.idleAutoPolicy = (await asAdmin('POST', `${EM}/assignmentPolicies`, rulePolicy(f.idlePackage!, 'user.department -eq "Nobody at all"', true))).id;
  });

  it('a package manager cannot learn who matches a rule by saving it in a request-based policy first', async () => {
    const saved = await call(LEE, 'POST', `${EM}/assignmentPolicies`, rulePolicy(f.requestablePackage!, HR_RULE, false));
    expect(saved.status).toBe(201);
    await refusedWith(403, () => call(LEE, 'POST', '/api/policies/preview', { policyId: saved.body.id }));
  });

  it("a package manager may neither change an auto-assignment policy's rule nor make it a request-based one", async () => {
    await refusedWith(403, () => call(LEE, 'PUT', `${EM}/assignmentPolicies/${f.autoPolicy}`, rulePolicy(f.autoPackage!, 'user.department -eq "Legal"', true)));
    const manual = { ...rulePolicy(f.autoPackage!, 'user.department -eq "Sales"', false), allowedTargetScope: 'allMemberUsers', specificAllowedTargets: [] };
    await refusedWith(403, () => call(LEE, 'PUT', `${EM}/assignmentPolicies/${f.autoPolicy}`, manual));
  });

  it("a package manager cannot delete an administrator's auto-assignment policy", async () => {
    await refusedWith(403, () => call(LEE, 'DELETE', `${EM}/assignmentPolicies/${f.idleAutoPolicy}`));
  });
});

describe('answers tell only what the caller may see', () => {
  const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d';
  const selfServicePolicy = (packageId: string) => ({
    displayName: 'Anyone, no approval',
    allowedTargetScope: 'allMemberUsers',
    expiration: { type: 'afterDuration', duration: 'P30D' },
    requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfUpdateAccess: true, enableTargetsToSelfRemoveAccess: true },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, isApprovalRequiredForUpdate: false, stages: [] },
    accessPackage: { id: packageId },
  });
  const request = (userId: string, body: unknown) => call(userId, 'POST', `${EM}/assignmentRequests`, body);
  /** The message with every quoted id replaced, to compare answers about different ids. */
  const shape = (answer: Answer) => `${answer.status} ${answer.body.error.code} ${String(answer.body.error.message).replace(/'[^']*'/g, "'…'")}`;

  beforeAll(async () => {
    f.openPackage = await newPackage(f.catalogA!, 'Bounds: open to all');
    await asAdmin('POST', `${EM}/assignmentPolicies`, selfServicePolicy(f.openPackage));
    const asked = await request(MEGAN, { requestType: 'userAdd', assignment: { accessPackageId: f.openPackage } });
    expect(asked.status).toBe(201);
    const assignments = await asAdmin('GET', `${EM}/assignments?$filter=accessPackage/id eq '${f.openPackage}' and target/objectId eq '${MEGAN}'`);
    f.megansAssignment = assignments.value[0].id;
    f.hiddenPackage = await newPackage(f.catalogB!, 'Bounds: in an unpublished catalog');
    f.hiddenPolicy = (await asAdmin('POST', `${EM}/assignmentPolicies`, selfServicePolicy(f.hiddenPackage))).id;
  });

  it("a userUpdate or userRemove of someone else's assignment is answered as one of a missing assignment", async () => {
    for (const requestType of ['userUpdate', 'userRemove']) {
      const missing = await refusedWith(404, () => request(OWEN, { requestType, assignment: { id: randomUUID() } }));
      const notYours = await refusedWith(404, () => request(OWEN, { requestType, assignment: { id: f.megansAssignment } }));
      expect(shape(notYours)).toBe(shape(missing));
    }
    const nobodys = await refusedWith(404, () => request(OWEN, { requestType: 'userUpdate', assignment: { accessPackageId: f.openPackage, targetId: PATTI } }));
    const megans = await refusedWith(404, () => request(OWEN, { requestType: 'userUpdate', assignment: { accessPackageId: f.openPackage, targetId: MEGAN } }));
    expect(shape(megans)).toBe(shape(nobodys));
  });

  it("an adminRemove by someone who cannot read the assignment's catalog is answered as a missing one", async () => {
    const missing = await refusedWith(404, () => request(PATTI, { requestType: 'adminRemove', assignment: { id: randomUUID() } }));
    const elsewhere = await refusedWith(404, () => request(PATTI, { requestType: 'adminRemove', assignment: { id: f.megansAssignment } }));
    expect(shape(elsewhere)).toBe(shape(missing));
  });

  it('the requirements of a package in an unpublished catalog are shown to its readers only; to others it is missing', async () => {
    const missing = await refusedWith(404, () => call(MEGAN, 'POST', `${EM}/accessPackages/${randomUUID()}/getApplicablePolicyRequirements`));
    const hidden = await refusedWith(404, () => call(MEGAN, 'POST', `${EM}/accessPackages/${f.hiddenPackage}/getApplicablePolicyRequirements`));
    expect(shape(hidden)).toBe(shape(missing));
    const reader = await call(LEE, 'POST', `${EM}/accessPackages/${f.hiddenPackage}/getApplicablePolicyRequirements`);
    expect(reader.status).toBe(200);
    expect(reader.body.value.map((r: { policyId: string }) => r.policyId)).toEqual([f.hiddenPolicy]);
    // A published catalog's package still tells anyone in scope what to give.
    const open = await call(OWEN, 'POST', `${EM}/accessPackages/${f.openPackage}/getApplicablePolicyRequirements`);
    expect(open.body.value).toHaveLength(1);
  });

  it("a refusal does not name the catalog the thing in the path belongs to", async () => {
    const refused = await refusedWith(403, () => call(PATTI, 'PATCH', `${EM}/accessPackages/${f.packageA}`, { description: 'mine now' }));
    expect(refused.body.error.message).not.toContain(f.catalogA);
  });
});

describe('approvers of a stage', () => {
  const managers = (count: number, managerLevel: number) => Array.from({ length: count }, () => ({ '@odata.type': '#microsoft.graph.requestorManager', managerLevel }));
  const approvalPolicy = (packageId: string, stage: Record<string, unknown>) => ({
    displayName: 'Approved by managers',
    allowedTargetScope: 'allMemberUsers',
    expiration: { type: 'afterDuration', duration: 'P30D' },
    requestorSettings: { enableTargetsToSelfAddAccess: true },
    requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [stage] },
    accessPackage: { id: packageId },
  });

  it('a policy naming more than 25 approvers in a stage is refused with 400 naming the field, and nothing is stored', async () => {
    const packageId = await newPackage(f.catalogA!, 'Bounds: too many approvers');
    const refused = await refusedWith(400, () =>
      call(PRADEEP, 'POST', `${EM}/assignmentPolicies`, approvalPolicy(packageId, { primaryApprovers: managers(500, 1), fallbackPrimaryApprovers: managers(500, 2) })),
    );
    expect(refused.body.error.message).toContain('requestApprovalSettings.stages[0].primaryApprovers: a stage names at most 25 approvers');
  });

  it('a userAdd whose stage names the managers many times reads the manager chain once', async () => {
    const packageId = await newPackage(f.catalogA!, 'Bounds: repeated managers');
    await asAdmin('POST', `${EM}/assignmentPolicies`, approvalPolicy(packageId, { primaryApprovers: [...managers(12, 1), ...managers(13, 2)] }));
    await emulatorCall('DELETE', '/_emulator/requests');
    const asked = await call(ZOE, 'POST', `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { accessPackageId: packageId } });
    expect(asked.status).toBe(201);
    const request = await asAdmin('GET', `${EM}/assignmentRequests/${asked.body.id}`);
    expect(request.state).toBe('pendingApproval');
    // The target, the chain Zoe → manager → their manager read once, the two approvers' mail addresses: not one per entry.
    expect(await graphCallsTo('GET /v1.0/users/{id}')).toBeLessThanOrEqual(6);
  });
});

describe('a request stays within one stored row', () => {
  const EMILY = '2f62323b-3622-4fad-82d1-4e0a57e101e1';
  const textQuestion = (n: number) => ({ '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', id: `q${n}`, text: `Question ${n}`, isRequired: false });
  const askingPolicy = (packageId: string, approval: Record<string, unknown>) => ({
    displayName: 'Asks a lot',
    allowedTargetScope: 'allMemberUsers',
    expiration: { type: 'afterDuration', duration: 'P30D' },
    requestorSettings: { enableTargetsToSelfAddAccess: true },
    requestApprovalSettings: approval,
    questions: [1, 2, 3, 4, 5, 6].map(textQuestion),
    accessPackage: { id: packageId },
  });
  const ask = (userId: string, packageId: string, extra: Record<string, unknown>) =>
    call(userId, 'POST', `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { accessPackageId: packageId }, ...extra });

  beforeAll(async () => {
    f.askingPackage = await newPackage(f.catalogA!, 'Bounds: asks a lot');
    await asAdmin('POST', `${EM}/assignmentPolicies`, askingPolicy(f.askingPackage, { isApprovalRequiredForAdd: false, stages: [] }));
    f.approvedPackage = await newPackage(f.catalogA!, 'Bounds: approved by Lee');
    await asAdmin('POST', `${EM}/assignmentPolicies`, askingPolicy(f.approvedPackage, { isApprovalRequiredForAdd: true, stages: [{ isApproverJustificationRequired: false, primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: LEE }] }] }));
  });

  it('answers that would take more than 40,000 characters as stored are refused with 400 naming answers, storing nothing', async () => {
    const answers = [1, 2, 3, 4, 5, 6].map((n) => ({ value: 'a'.repeat(4000), answeredQuestion: { id: `q${n}` } }));
    const refused = await refusedWith(400, () => ask(EMILY, f.askingPackage!, { answers }));
    expect(refused.body.error.message).toMatch(/answers: take \d+ characters as stored, more than the 40000/);
    // Within the bound, the same questions are answered.
    expect((await ask(EMILY, f.askingPackage!, { answers: answers.slice(0, 4) })).status).toBe(201);
  });

  it('a justification of 2,000 control characters (12,000 as stored) is refused with 400 naming justification', async () => {
    const refused = await refusedWith(400, () => ask(ZOE, f.askingPackage!, { justification: '\u0001'.repeat(2000) }));
    expect(refused.body.error.message).toContain('justification: takes 12000 characters as stored, more than 8000');
  });

  it("an approver's justification too large as stored is refused with 400 and decides nothing", async () => {
    const asked = await ask(ZOE, f.approvedPackage!, {});
    expect(asked.status).toBe(201);
    const stages = await call(LEE, 'GET', `${EM}/accessPackageAssignmentApprovals/${asked.body.id}/stages`);
    const stageId = stages.body.value[0].id;
    const refused = await refusedWith(400, () =>
      call(LEE, 'PATCH', `${EM}/accessPackageAssignmentApprovals/${asked.body.id}/stages/${stageId}`, { reviewResult: 'Approve', justification: '\u0001'.repeat(1400) }),
    );
    expect(refused.body.error.message).toContain('justification takes 8400 characters as stored, more than 8000');
    const decided = await call(LEE, 'PATCH', `${EM}/accessPackageAssignmentApprovals/${asked.body.id}/stages/${stageId}`, { reviewResult: 'Approve', justification: 'ok\n'.repeat(100) });
    expect(decided.status).toBe(204);
  });
});

describe('a package nobody may request yet', () => {
  it("is, to a userAdd from someone who cannot read its catalog, as missing as one that does not exist", async () => {
    const shape = (answer: Answer) => `${answer.status} ${answer.body.error.code} ${String(answer.body.error.message).replace(/'[^']*'/g, "'…'")}`;
    const userAdd = (userId: string, accessPackageId: string) => call(userId, 'POST', `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { accessPackageId } });
    const missing = await refusedWith(400, () => userAdd(MEGAN, randomUUID()));
    const unpublished = await refusedWith(400, () => userAdd(MEGAN, f.hiddenPackage!));
    expect(shape(unpublished)).toBe(shape(missing));
    // Its catalog's reader is told why.
    const reader = await refusedWith(403, () => userAdd(LEE, f.hiddenPackage!));
    expect(reader.body.error.message).toContain('its catalog is not published');
  });
});
