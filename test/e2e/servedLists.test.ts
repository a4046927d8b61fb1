import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import { CATALOG_OWNER } from '../../shared/auth/entitlementRoles';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * Administrators' lists of assignments and requests served by the storage query, through the local host: `$top`
 * pages follow Table Storage's continuation in a signed `$skiptoken`, filters on package, policy, target and state
 * narrow the query, a changed or foreign token is a 400 that changes nothing, and `$count` counts every match; a
 * catalog role holder is served a list narrowed to a catalog of theirs.
 */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const PEOPLE = ['94a2de50-ff54-4939-a9d6-bd800bc49874', '88718c96-6f3d-48f7-b4b1-b64633be40f5', '5b08acc2-13a5-4f07-9a1b-195060c40eb7', '2e3d6a63-40ed-467e-8564-f1dc632417c4', '9713b936-62cb-4300-ba5f-9ccdad9a6f2d'];
const EM = '/v1.0/identityGovernance/entitlementManagement';

let host: RunningHost;
let prefix: string;
let catalogId: string;
const packages: Array<{ packageId: string; policyId: string }> = [];

async function call(method: string, path: string, body?: unknown, as = ADMIN): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(path.startsWith('http') ? path : `${host.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-ms-client-principal': clientPrincipal(as, TENANT) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function packageWithPolicy(inCatalog: string, name: string): Promise<{ packageId: string; policyId: string }> {
  const packageId = (await call('POST', `${EM}/accessPackages`, { displayName: name, catalog: { id: inCatalog } })).json.id as string;
  const policy = { displayName: `${name} policy`, allowedTargetScope: 'notSpecified', expiration: { type: 'noExpiration' }, requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] }, accessPackage: { id: packageId } };
  const policyId = (await call('POST', `${EM}/assignmentPolicies`, policy)).json.id as string;
  return { packageId, policyId };
}

const ids = (json: Record<string, unknown>) => (json.value as Array<{ id: string }>).map((v) => v.id);

/** Every page of a list, following nextLink; the ids in order. */
async function allPagesOf(path: string, as = ADMIN): Promise<{ ids: string[]; pages: number }> {
  const found: string[] = [];
  let next: string | undefined = path;
  let pages = 0;
  while (next) {
    const { status, json } = await call('GET', next, undefined, as);
    expect(status).toBe(200);
    found.push(...ids(json));
    next = json['@odata.nextLink'] as string | undefined;
    pages++;
  }
  return { ids: found, pages };
}

beforeAll(async () => {
  prefix = `s${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  catalogId = (await call('POST', `${EM}/catalogs`, { displayName: 'Served lists', state: 'published' })).json.id as string;
  for (const name of ['Served A', 'Served B']) {
    packages.push(await packageWithPolicy(catalogId, name));
  }
  // Five people in package A, two of them in package B as well.
  for (const [i, person] of PEOPLE.entries()) {
    for (const { packageId, policyId } of i < 2 ? packages : packages.slice(0, 1)) {
      const { status } = await call('POST', `${EM}/assignmentRequests`, { requestType: 'adminAdd', assignment: { targetId: person, accessPackageId: packageId, assignmentPolicyId: policyId } });
      expect(status).toBe(201);
    }
  }
});
afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe("administrators' lists served by the storage query", () => {
  it('pages assignments two at a time with signed tokens, each once, the same as the whole list', async () => {
    const whole = await allPagesOf(`${EM}/assignments`);
    const paged = await allPagesOf(`${EM}/assignments?$top=2`);
    expect(whole.ids).toHaveLength(7);
    expect(paged.ids).toEqual(whole.ids);
    expect(paged.pages).toBe(4);
  });

  it('narrows by package, policy, target and state, alone and together, and counts with $count', async () => {
    const [a, b] = packages;
    expect((await allPagesOf(`${EM}/assignments?$filter=accessPackage/id eq '${a!.packageId}'`)).ids).toHaveLength(5);
    expect((await allPagesOf(`${EM}/assignments?$filter=assignmentPolicy/id eq '${b!.policyId.toUpperCase()}'&$top=1`)).ids).toHaveLength(2);
    expect((await allPagesOf(`${EM}/assignments?$filter=target/objectId eq '${PEOPLE[0]}' and accessPackage/id eq '${b!.packageId}'`)).ids).toHaveLength(1);
    expect((await allPagesOf(`${EM}/assignments?$filter=state eq 'expired'`)).ids).toHaveLength(0);
    const counted = await call('GET', `${EM}/assignmentRequests?$filter=accessPackage/id eq '${a!.packageId}' and requestor/objectId eq '${ADMIN}'&$top=2&$count=true`);
    expect(counted.status).toBe(200);
    expect(counted.json['@odata.count']).toBe(5);
    expect(ids(counted.json)).toHaveLength(2);
  });

  it('refuses a changed token, and one from another filter, with 400 in Graph shape, changing nothing', async () => {
    const first = await call('GET', `${EM}/assignments?$top=2`);
    const next = new URL(first.json['@odata.nextLink'] as string);
    const token = next.searchParams.get('$skiptoken')!;
    const before = await storageSnapshot(prefix);
    const [payload, signature] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ c: 'x', q: 'y' })).toString('base64url')}.${signature}`;
    for (const bad of [forged, `${payload}.${'A'.repeat(signature!.length)}`, 'not-a-token']) {
      const { status, json } = await call('GET', `${EM}/assignments?$top=2&$skiptoken=${encodeURIComponent(bad)}`);
      expect(status).toBe(400);
      expect(json).toMatchObject({ error: { code: expect.any(String), message: expect.stringContaining('$skiptoken') } });
    }
    const other = await call('GET', `${EM}/assignments?$top=2&$filter=state eq 'delivered'&$skiptoken=${encodeURIComponent(token)}`);
    expect(other.status).toBe(400);
    expect(await storageSnapshot(prefix)).toEqual(before);
  });

  it('lists for someone who is no administrator only their own assignments, as before', async () => {
    const { status, json } = await call('GET', `${EM}/assignments?$top=10`, undefined, PEOPLE[0]);
    expect(status).toBe(200);
    expect(ids(json)).toHaveLength(2);
  });

  it("serves a catalog owner a list narrowed to their catalog, and keeps another catalog's to what they may see", async () => {
    // A second catalog owned by PEOPLE[3], who holds package A of the first catalog only.
    const owner = PEOPLE[3]!;
    const ownCatalog = (await call('POST', `${EM}/catalogs`, { displayName: 'Served lists, owned', state: 'published' })).json.id as string;
    const c = await packageWithPolicy(ownCatalog, 'Served C');
    for (const person of [PEOPLE[0]!, PEOPLE[4]!]) {
      const { status } = await call('POST', `${EM}/assignmentRequests`, { requestType: 'adminAdd', assignment: { targetId: person, accessPackageId: c.packageId, assignmentPolicyId: c.policyId } });
      expect(status).toBe(201);
    }
    const roleAssignment = { principalId: owner, roleDefinitionId: CATALOG_OWNER, appScopeId: `/AccessPackageCatalog/${ownCatalog}`, directoryScopeId: '/' };
    expect((await call('POST', '/v1.0/roleManagement/entitlementManagement/roleAssignments', roleAssignment)).status).toBe(201);

    const asOwner = (path: string) => allPagesOf(path, owner);
    const ofOwnCatalog = await asOwner(`${EM}/assignments?$filter=accessPackage/catalog/id eq '${ownCatalog}'&$top=1`);
    expect(ofOwnCatalog.ids).toHaveLength(2);
    expect(ofOwnCatalog.pages).toBeGreaterThanOrEqual(2);
    // Served by the storage query: its token is a signed continuation (payload.signature), not an offset in a scan.
    const firstPage = await call('GET', `${EM}/assignments?$filter=accessPackage/catalog/id eq '${ownCatalog}'&$top=1`, undefined, owner);
    expect(new URL(firstPage.json['@odata.nextLink'] as string).searchParams.get('$skiptoken')).toMatch(/^[\w-]+\.[\w-]+$/);
    expect((await asOwner(`${EM}/assignmentRequests?$filter=accessPackage/catalog/id eq '${ownCatalog}'`)).ids).toHaveLength(2);
    // Of the first catalog, only their own assignment; the administrator sees all seven of it.
    expect((await asOwner(`${EM}/assignments?$filter=accessPackage/catalog/id eq '${catalogId}'`)).ids).toHaveLength(1);
    expect((await allPagesOf(`${EM}/assignments?$filter=accessPackage/catalog/id eq '${catalogId}'&$top=3`)).ids).toHaveLength(7);
  });
});
