import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import { ACCESS_PACKAGE_MANAGER, CATALOG_OWNER, catalogScope } from '../../shared/auth/entitlementRoles';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * Rule-based access is an administrator's: a catalog's package manager neither previews who matches a rule they wrote
 * (in a request-based policy) nor changes an auto-assignment policy into another kind, nor deletes one.
 */

const EM = '/v1.0/identityGovernance/entitlementManagement';
const RBAC = '/v1.0/roleManagement/entitlementManagement';
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const PRADEEP = 'eb7a7995-9588-432d-8242-aadbc8f429a4'; // owns catalog A
const LEE = '428474c1-5e9e-4ba7-a6a8-6bd5a7550d23'; // manages packages in A, nothing more
const HR_RULE = 'user.department -eq "Human Resources"';

let host: RunningHost;
let prefix: string;
const f: Record<string, string> = {};

interface Answer {
  status: number;
  body: any;
}

async function call(userId: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { 'x-ms-client-principal': clientPrincipal(userId, TENANT) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${host.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function asAdmin(method: string, path: string, body?: unknown): Promise<any> {
  const answer = await call(ADMIN, method, path, body);
  if (answer.status >= 300) throw new Error(`Set-up call ${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Refused with this status in Graph's error shape, and nothing stored changed. */
async function refusedWith(status: number, act: () => Promise<Answer>): Promise<Answer> {
  const before = await storageSnapshot(prefix);
  const answer = await act();
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  expect(await storageSnapshot(prefix)).toBe(before);
  return answer;
}

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
  prefix = `r${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  f.catalogA = (await asAdmin('POST', `${EM}/catalogs`, { displayName: 'Authz: A', state: 'published' })).id;
  await asAdmin('POST', `${RBAC}/roleAssignments`, { principalId: PRADEEP, roleDefinitionId: CATALOG_OWNER, appScopeId: catalogScope(f.catalogA!) });
  await asAdmin('POST', `${RBAC}/roleAssignments`, { principalId: LEE, roleDefinitionId: ACCESS_PACKAGE_MANAGER, appScopeId: catalogScope(f.catalogA!) });
  f.packageA = (await asAdmin('POST', `${EM}/accessPackages`, { displayName: 'Authz: package in A', catalog: { id: f.catalogA } })).id;
  f.packageA2 = (await asAdmin('POST', `${EM}/accessPackages`, { displayName: 'Authz: second package in A', catalog: { id: f.catalogA } })).id;
  f.packageA3 = (await asAdmin('POST', `${EM}/accessPackages`, { displayName: 'Authz: third package in A', catalog: { id: f.catalogA } })).id;
});

afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe('rule previews (POST /api/policies/preview) are for administrators, except an auto-assignment policy\'s own rule', () => {
  it('a package manager trying a rule of their own is refused with 403', async () => {
    await refusedWith(403, () => call(LEE, 'POST', '/api/policies/preview', { membershipRule: HR_RULE }));
  });

  it('a package manager cannot learn who matches an arbitrary rule by saving it in a request-based policy first', async () => {
    const saved = await call(LEE, 'POST', `${EM}/assignmentPolicies`, rulePolicy(f.packageA!, HR_RULE, false));
    expect(saved.status).toBe(201);
    const leaked = await call(LEE, 'POST', '/api/policies/preview', { policyId: saved.body.id });
    expect(leaked.status).toBe(403);
  });
});

describe('only an administrator may change or delete an auto-assignment policy', () => {
  beforeAll(async () => {
    f.autoPolicy = (await asAdmin('POST', `${EM}/assignmentPolicies`, rulePolicy(f.packageA2!, 'user.department -eq "Sales"', true))).id;
    f.idleAutoPolicy = (await asAdmin('POST', `${EM}/assignmentPolicies`, rulePolicy(f.packageA3!, 'user.department -eq "Nobody at all"', true))).id;
  });

  it('a package manager changing the rule of an auto-assignment policy is refused with 403', async () => {
    await refusedWith(403, () => call(LEE, 'PUT', `${EM}/assignmentPolicies/${f.autoPolicy}`, rulePolicy(f.packageA2!, 'user.department -eq "Legal"', true)));
  });

  it("a package manager cannot turn an administrator's auto-assignment policy into a request-based one", async () => {
    const manual = { ...rulePolicy(f.packageA2!, 'user.department -eq "Sales"', false), allowedTargetScope: 'allMemberUsers', specificAllowedTargets: [] };
    await refusedWith(403, () => call(LEE, 'PUT', `${EM}/assignmentPolicies/${f.autoPolicy}`, manual));
  });

  it("a package manager cannot delete an administrator's auto-assignment policy", async () => {
    await refusedWith(403, () => call(LEE, 'DELETE', `${EM}/assignmentPolicies/${f.idleAutoPolicy}`));
  });
});
