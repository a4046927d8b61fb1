import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { testStorageConnectionString } from '../support/testStorage';

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const REQUESTOR = '5b08acc2-13a5-4f07-9a1b-195060c40eb7'; // Debra
const OWNER = 'e085b021-e0d4-4f2b-935a-b03d8de49eb1'; // Adele: made owner of the second catalog
const MARKETING_GROUP = '787b1186-31fd-4a9d-851d-62b5bd703358';
const CATALOG_OWNER = 'ae79f266-94d4-4dab-b730-feca7e132178';
const EM = '/v1.0/identityGovernance/entitlementManagement';
const AUDITS = '/v1.0/auditLogs/directoryAudits';

interface DirectoryAudit {
  id: string;
  category: string;
  correlationId: string;
  activityDisplayName: string;
  activityDateTime: string;
  result: string;
  initiatedBy: { user: { id: string } | null; app: { servicePrincipalId: string } | null };
  targetResources: Array<{ id: string; type: string; modifiedProperties: Array<{ displayName: string; oldValue: string | null; newValue: string | null }> }>;
}

let host: RunningHost;
let prefix: string;
const ids: Record<string, string> = {};

async function call(who: string | undefined, method: string, path: string, body?: unknown) {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(who ? { 'x-ms-client-principal': clientPrincipal(who, TENANT) } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, requestId: response.headers.get('request-id') ?? '', json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function made(path: string, body: unknown, who = ADMIN): Promise<{ id: string; requestId: string }> {
  const answer = await call(who, 'POST', path, body);
  if (answer.status !== 201) throw new Error(`POST ${path}: ${answer.status} ${JSON.stringify(answer.json)}`);
  return { id: answer.json.id as string, requestId: answer.requestId };
}

/** Every page of a listing, following @odata.nextLink. */
async function audits(who: string, query = ''): Promise<DirectoryAudit[]> {
  const found: DirectoryAudit[] = [];
  let next: string | undefined = `${AUDITS}${query}`;
  while (next) {
    const page = await call(who, 'GET', next.replace(host.url, ''));
    if (page.status !== 200) throw new Error(`GET ${next}: ${page.status} ${JSON.stringify(page.json)}`);
    found.push(...(page.json.value as DirectoryAudit[]));
    next = page.json['@odata.nextLink'] as string | undefined;
  }
  return found;
}
const filtered = (filter: string, extra = '') => `?$filter=${encodeURIComponent(filter)}${extra}`;

beforeAll(async () => {
  prefix = `a${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  ids.before = new Date().toISOString();
  ids.catalog = (await made(`${EM}/catalogs`, { displayName: 'Audited', state: 'published' })).id;
  await made(`${EM}/resourceRequests`, { requestType: 'adminAdd', resource: { originId: MARKETING_GROUP, originSystem: 'AadGroup' }, catalog: { id: ids.catalog } });
  ids.package = (await made(`${EM}/accessPackages`, { displayName: 'Audited package', catalog: { id: ids.catalog } })).id;
  await made(`${EM}/accessPackages/${ids.package}/resourceRoleScopes`, { role: { originId: `Member_${MARKETING_GROUP}`, originSystem: 'AadGroup' }, scope: { originId: MARKETING_GROUP, originSystem: 'AadGroup' } });
  ids.policy = (
    await made(`${EM}/assignmentPolicies`, {
      displayName: 'Anyone',
      allowedTargetScope: 'allMemberUsers',
      requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'afterDuration', duration: 'P30D' },
      accessPackage: { id: ids.package },
    })
  ).id;
  ids.otherCatalog = (await made(`${EM}/catalogs`, { displayName: 'Other', state: 'published' })).id;
  ids.otherPackage = (await made(`${EM}/accessPackages`, { displayName: 'Other package', catalog: { id: ids.otherCatalog } })).id;
  await made('/v1.0/roleManagement/entitlementManagement/roleAssignments', { principalId: OWNER, roleDefinitionId: CATALOG_OWNER, appScopeId: `/AccessPackageCatalog/${ids.otherCatalog}` });
  ids.afterSetUp = new Date().toISOString();
  const request = await made(`${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { targetId: REQUESTOR, assignmentPolicyId: ids.policy, accessPackageId: ids.package } }, REQUESTOR);
  ids.request = request.id;
  ids.correlation = request.requestId;
}, 90_000);

afterAll(async () => {
  await host?.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe('GET /v1.0/auditLogs/directoryAudits through the local host', () => {
  it("answers a user's request as Entra names it, newest first, every event carrying the request's correlation id and the requestor", async () => {
    const trail = await audits(ADMIN, filtered(`correlationId eq '${ids.correlation}'`));

    expect(trail.map((e) => e.activityDisplayName).reverse()).toEqual([
      'User requests access package assignment',
      'Ready to fulfill access package assignment request',
      'Auto approve access package assignment request',
      'Fulfill access package assignment request',
    ]);
    const times = trail.map((e) => e.activityDateTime);
    expect([...times].sort().reverse()).toEqual(times);
    for (const event of trail) {
      expect(event).toMatchObject({ category: 'EntitlementManagement', correlationId: ids.correlation, result: 'success', initiatedBy: { user: { id: REQUESTOR }, app: null } });
    }
    const submitted = trail.at(-1)!;
    expect(submitted.targetResources[0]).toMatchObject({ id: ids.request, type: 'assignmentRequest' });
    expect(submitted.targetResources[0]!.modifiedProperties).toContainEqual({ displayName: 'requestType', oldValue: null, newValue: '"userAdd"' });
  });

  it('lists everything newest first by default and in pages that together are the whole list', async () => {
    const all = await audits(ADMIN);
    const paged = await audits(ADMIN, '?$top=3');

    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all.map((e) => e.activityDateTime)).toEqual([...all.map((e) => e.activityDateTime)].sort().reverse());
    expect(all.map((e) => e.activityDisplayName)).toEqual(expect.arrayContaining(['Create access package catalog', 'Create resource request', 'Create access package', 'Create access package assignment policy', 'Add Entitlement Management role assignment']));
  });

  it('narrows by each filter', async () => {
    const all = await audits(ADMIN);
    const names = async (filter: string) => (await audits(ADMIN, filtered(filter))).map((e) => e.activityDisplayName);

    expect(await names("activityDisplayName eq 'Create access package'")).toEqual(['Create access package', 'Create access package']);
    expect(new Set(await names("startswith(activityDisplayName, 'Create access package')"))).toEqual(new Set(['Create access package', 'Create access package catalog', 'Create access package assignment policy']));
    expect(await audits(ADMIN, filtered("category eq 'EntitlementManagement'"))).toHaveLength(all.filter((e) => e.category === 'EntitlementManagement').length);
    expect((await audits(ADMIN, filtered(`initiatedBy/user/id eq '${REQUESTOR}'`))).map((e) => e.correlationId)).toEqual(Array(4).fill(ids.correlation));
    const ofPackage = await audits(ADMIN, filtered(`targetResources/any(t: t/id eq '${ids.otherPackage}')`));
    expect(ofPackage.map((e) => e.activityDisplayName)).toEqual(['Create access package']);
    const later = await audits(ADMIN, filtered(`activityDateTime ge ${ids.afterSetUp}`));
    expect(later.map((e) => e.correlationId)).toEqual(Array(4).fill(ids.correlation));
    const earlier = await audits(ADMIN, filtered(`activityDateTime le ${ids.afterSetUp} and activityDateTime ge ${ids.before}`));
    expect(earlier.length + later.length).toBe(all.length);
  });

  it('reads one event by its id', async () => {
    const [newest] = await audits(ADMIN, '?$top=1');
    const one = await call(ADMIN, 'GET', `${AUDITS}/${newest!.id}`);
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ id: newest!.id, activityDisplayName: newest!.activityDisplayName });
    expect((await call(ADMIN, 'GET', `${AUDITS}/00000000-0000-4000-8000-000000000000_1`)).status).toBe(404);
    expect((await call(ADMIN, 'GET', `${AUDITS}/nonsense`)).status).toBe(404);
  });

  it("shows a catalog owner only their catalog's events, and another catalog's event by id as missing", async () => {
    const seen = await audits(OWNER);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.map((e) => e.targetResources[0]!.id)).toEqual(expect.arrayContaining([ids.otherCatalog, ids.otherPackage]));
    expect(seen.map((e) => e.targetResources[0]!.id)).not.toContain(ids.package);
    const [elsewhere] = await audits(ADMIN, filtered(`targetResources/any(t: t/id eq '${ids.package}')`));
    expect((await call(OWNER, 'GET', `${AUDITS}/${elsewhere!.id}`)).status).toBe(404);
  });

  it('refuses a caller without an audit role (403) and one without a principal (401)', async () => {
    const refused = await call(REQUESTOR, 'GET', AUDITS);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    expect((await call(undefined, 'GET', AUDITS)).status).toBe(401);
  });

  it('answers bad filters, orders and tokens with a Graph-shaped 400', async () => {
    for (const query of [
      filtered('nonsense eq 1'),
      filtered("activityDisplayName eq"),
      '?$orderby=activityDateTime asc',
      '?$orderby=category',
      '?$skiptoken=abc',
      '?$top=0',
    ]) {
      const answer = await call(ADMIN, 'GET', `${AUDITS}${query}`);
      expect({ query, status: answer.status }).toEqual({ query, status: 400 });
      expect(answer.json).toMatchObject({ error: { code: expect.any(String), innerError: expect.objectContaining({ 'request-id': expect.any(String) }) } });
    }
    const first = await call(ADMIN, 'GET', `${AUDITS}?$top=1`);
    const token = new URL(first.json['@odata.nextLink'] as string).searchParams.get('$skiptoken')!;
    const [body, signature] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), c: '0' })).toString('base64url')}.${signature}`;
    expect((await call(ADMIN, 'GET', `${AUDITS}?$top=1&$skiptoken=${forged}`)).status).toBe(400);
    expect((await call(ADMIN, 'GET', `${AUDITS}?$top=1&$filter=${encodeURIComponent("category eq 'x'")}&$skiptoken=${token}`)).status).toBe(400);
  });
});
