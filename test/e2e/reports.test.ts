import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import { parse } from 'csv-parse/sync';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The reports of DESIGN §2.8 through the local host, after a scripted scenario: assignments made and removed, then an
 * incompatibility declared after people already held both sides. JSON and CSV must agree with each other and with the
 * state; a catalog owner sees only their catalog; a caller with no reporting role is refused.
 */

const EM = '/v1.0/identityGovernance/entitlementManagement';
const RBAC = '/v1.0/roleManagement/entitlementManagement';
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const PATTI = '515c6123-6c88-4537-bcf3-bd58da60fb1c'; // owner of catalog B
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d'; // no role at all
const LEE = '428474c1-5e9e-4ba7-a6a8-6bd5a7550d23'; // access package manager in A: reads A, not its reports
const LYNNE = '79c8c292-6b94-45b5-b498-82321e35049e';
const MIRIAM = '88718c96-6f3d-48f7-b4b1-b64633be40f5';
const HENRIETTA = '4a894db7-e48f-42b9-aa5d-670af9a3638e';
const NESTOR = '400cb70f-964e-43c0-b4a3-165de1ab3e01';
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const CATALOG_OWNER = 'ae79f266-94d4-4dab-b730-feca7e132178';
const ACCESS_PACKAGE_MANAGER = '7f480852-ebdc-47d4-87de-0d8498384a83';

/** The columns DESIGN §2.8 fixes, written out here so the test checks the contract rather than the code's constants. */
const ASSIGNMENT_COLUMNS = 'accessPackageId,accessPackageDisplayName,targetObjectId,targetDisplayName,targetPrincipalName,targetEmail,state,assignmentPolicyId,startDateTime,expirationDateTime'.split(',');
const RESOURCE_ROLE_COLUMNS = 'resourceOriginId,resourceDisplayName,roleDisplayName,accessPackageId,accessPackageDisplayName,assignmentId'.split(',');
const VIOLATION_COLUMNS = 'userId,userDisplayName,accessPackageId,conflictingType,conflictingId'.split(',');
const REQUEST_COLUMNS = 'requestId,requestType,state,status,accessPackageId,targetObjectId,requestorId,createdDateTime,completedDateTime'.split(',');

type Row = Record<string, string | null>;

let host: RunningHost;
let prefix: string;
/** What the scenario made, by name. */
const s = {} as Record<'catalogA' | 'catalogB' | 'falcon' | 'payments' | 'audit', string>;
const assignmentOf: Record<string, string> = {};
let started: string;
let injected: string;

const principal = (objectId: string, claims?: Array<{ typ: string; val: string }>) => clientPrincipal(objectId, TENANT, claims);
const asAdminPrincipal = principal(ADMIN);

async function call(who: string | undefined, path: string, headers: Record<string, string> = {}, method = 'GET', body?: unknown) {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: { ...(who ? { 'x-ms-client-principal': who } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function admin<T = Record<string, any>>(method: string, path: string, body?: unknown): Promise<T> {
  const { status, text } = await call(asAdminPrincipal, path, {}, method, body);
  if (status >= 300) throw new Error(`Set-up ${method} ${path} answered ${status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** Every row of a JSON report, following next links to the end; also how many pages it took. */
async function allPages(who: string, path: string): Promise<{ rows: Row[]; pages: number }> {
  const rows: Row[] = [];
  let next: string | undefined = `${host.url}${path}`;
  let pages = 0;
  while (next) {
    const response = await fetch(next, { headers: { 'x-ms-client-principal': who } });
    const text = await response.text();
    expect({ status: response.status, text: text.slice(0, 300) }).toMatchObject({ status: 200 });
    const page = JSON.parse(text) as { value: Row[]; '@odata.nextLink'?: string };
    rows.push(...page.value);
    next = page['@odata.nextLink'];
    pages++;
    expect(pages).toBeLessThan(100);
  }
  return { rows, pages };
}

/** The CSV of a report, parsed by csv-parse: the header and the rows as records (empty cells are null, as in JSON). */
async function csvOf(who: string, path: string, how: 'accept' | 'query' = 'accept'): Promise<{ header: string[]; rows: Row[] }> {
  const url = how === 'query' ? `${path}${path.includes('?') ? '&' : '?'}format=csv` : path;
  const { status, headers, text } = await call(who, url, how === 'accept' ? { accept: 'text/csv' } : {});
  expect({ status, text: text.slice(0, 300) }).toMatchObject({ status: 200 });
  expect(headers.get('content-type')).toMatch(/^text\/csv/);
  const [header, ...records] = parse(text) as string[][];
  return { header: header!, rows: records.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] === '' ? null : r[i]!]))) };
}

const byKey = (...keys: string[]) => (a: Row, b: Row) => keys.map((k) => a[k] ?? '').join('|').localeCompare(keys.map((k) => b[k] ?? '').join('|'));
const sorted = (rows: Row[], ...keys: string[]) => [...rows].sort(byKey(...keys));

const policy = (packageId: string) => ({
  displayName: 'Reports: direct',
  allowedTargetScope: 'notSpecified',
  expiration: { type: 'afterDuration', duration: 'P30D' },
  requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
  accessPackage: { id: packageId },
});

async function directPackage(catalogId: string, name: string): Promise<{ id: string; policy: string }> {
  const id = (await admin('POST', `${EM}/accessPackages`, { displayName: name, catalog: { id: catalogId } })).id as string;
  return { id, policy: (await admin('POST', `${EM}/assignmentPolicies`, policy(id))).id as string };
}

async function assign(pkg: { id: string; policy: string }, targetId: string): Promise<string> {
  await admin('POST', `${EM}/assignmentRequests`, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.id, assignmentPolicyId: pkg.policy } });
  const found = await admin<{ value: Array<{ id: string }> }>('GET', `${EM}/assignments?$filter=accessPackage/id eq '${pkg.id}' and target/objectId eq '${targetId}' and state ne 'expired'`);
  return found.value[0]!.id;
}

beforeAll(async () => {
  prefix = `r${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  started = new Date(Date.now() - 60_000).toISOString();

  // A user whose name a spreadsheet would run as a formula.
  const created = await fetch(`${host.emulatorUrl}/v1.0/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accountEnabled: true, displayName: '=HYPERLINK("http://evil.example","x")', mailNickname: 'formula', userPrincipalName: 'formula@contoso.com', passwordProfile: { password: 'x' } }),
  });
  injected = ((await created.json()) as { id: string }).id;

  s.catalogA = (await admin('POST', `${EM}/catalogs`, { displayName: 'Reports: A', state: 'published' })).id;
  s.catalogB = (await admin('POST', `${EM}/catalogs`, { displayName: 'Reports: B', state: 'published' })).id;
  await admin('POST', `${EM}/resourceRequests`, { requestType: 'adminAdd', resource: { originId: FALCON_GROUP, originSystem: 'AadGroup' }, catalog: { id: s.catalogA } });
  await admin('POST', `${RBAC}/roleAssignments`, { principalId: PATTI, roleDefinitionId: CATALOG_OWNER, appScopeId: `/AccessPackageCatalog/${s.catalogB}` });
  await admin('POST', `${RBAC}/roleAssignments`, { principalId: LEE, roleDefinitionId: ACCESS_PACKAGE_MANAGER, appScopeId: `/AccessPackageCatalog/${s.catalogA}` });

  const falcon = await directPackage(s.catalogA, 'Reports: Falcon');
  await admin('POST', `${EM}/accessPackages/${falcon.id}/resourceRoleScopes`, {
    role: { originId: `Member_${FALCON_GROUP}`, originSystem: 'AadGroup' },
    scope: { originId: FALCON_GROUP, originSystem: 'AadGroup' },
  });
  const payments = await directPackage(s.catalogA, 'Reports: Payments');
  const audit = await directPackage(s.catalogB, 'Reports: Audit');
  Object.assign(s, { falcon: falcon.id, payments: payments.id, audit: audit.id });

  for (const user of [LYNNE, MIRIAM, HENRIETTA, NESTOR, injected]) assignmentOf[`falcon/${user}`] = await assign(falcon, user);
  for (const user of [LYNNE, HENRIETTA]) assignmentOf[`payments/${user}`] = await assign(payments, user);
  assignmentOf[`audit/${LYNNE}`] = await assign(audit, LYNNE);
  // Miriam's Falcon access is taken away.
  await admin('POST', `${EM}/assignmentRequests`, { requestType: 'adminRemove', assignment: { id: assignmentOf[`falcon/${MIRIAM}`] } });
  // Only now are the packages declared incompatible, and the Audit package with the Falcon group Lynne is in.
  await admin('POST', `${EM}/accessPackages/${falcon.id}/incompatibleAccessPackages/$ref`, { '@odata.id': `https://graph.microsoft.com${EM}/accessPackages/${payments.id}` });
  await admin('POST', `${EM}/accessPackages/${audit.id}/incompatibleGroups/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/groups/${FALCON_GROUP}` });
}, 120_000);

afterAll(async () => {
  await host?.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe('the reports agree with the state after the scenario, as JSON and as CSV', () => {
  it("lists a package's current assignees (the removed one left), with names from the directory, the same in JSON and CSV", async () => {
    const path = `/api/reports/accessPackages/${s.falcon}/assignments`;
    const { rows } = await allPages(asAdminPrincipal, path);
    expect(sorted(rows, 'targetObjectId').map((r) => [r.targetObjectId, r.state, r.accessPackageDisplayName])).toEqual(
      [LYNNE, HENRIETTA, NESTOR, injected].sort().map((id) => [id, 'delivered', 'Reports: Falcon']),
    );
    const lynne = rows.find((r) => r.targetObjectId === LYNNE)!;
    expect(Object.keys(lynne)).toEqual(ASSIGNMENT_COLUMNS);
    expect(lynne).toMatchObject({ targetDisplayName: 'Lynne Robbins', targetEmail: 'lynne.robbins@contoso.com', accessPackageId: s.falcon, expirationDateTime: expect.stringMatching(/^\d{4}-/) });

    for (const how of ['accept', 'query'] as const) {
      const csv = await csvOf(asAdminPrincipal, path, how);
      expect(csv.header).toEqual(ASSIGNMENT_COLUMNS);
      // The formula-like name is escaped for spreadsheets: csv-parse gives it back with the leading quote.
      const escaped = csv.rows.map((r) => (r.targetObjectId === injected ? { ...r, targetDisplayName: r.targetDisplayName!.replace(/^'/, '') } : r));
      expect(csv.rows.find((r) => r.targetObjectId === injected)!.targetDisplayName).toBe(`'=HYPERLINK("http://evil.example","x")`);
      expect(sorted(escaped, 'targetObjectId')).toEqual(sorted(rows, 'targetObjectId'));
    }
  });

  it("pages by $top following @odata.nextLink to the end, with neither a duplicate nor a loss; an altered or borrowed link is refused", async () => {
    const path = `/api/reports/accessPackages/${s.falcon}/assignments`;
    const whole = (await allPages(asAdminPrincipal, path)).rows;
    const paged = await allPages(asAdminPrincipal, `${path}?$top=1`);
    expect(paged.pages).toBeGreaterThanOrEqual(4);
    expect(new Set(paged.rows.map((r) => r.targetObjectId)).size).toBe(paged.rows.length);
    expect(sorted(paged.rows, 'targetObjectId')).toEqual(sorted(whole, 'targetObjectId'));

    const first = JSON.parse((await call(asAdminPrincipal, `${path}?$top=1`)).text) as { '@odata.nextLink': string };
    const link = new URL(first['@odata.nextLink']);
    const token = link.searchParams.get('$skiptoken')!;
    const [payload, mac] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ index: 'x' })).toString('base64url')}.${mac}`;
    for (const bad of [forged, `${payload}.${mac!.slice(1)}`, 'garbage', `${payload}`]) {
      const answer = await call(asAdminPrincipal, `${path}?$top=1&$skiptoken=${encodeURIComponent(bad)}`);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text)).toEqual({ error: expect.objectContaining({ code: 'invalidRequest', message: expect.stringContaining('$skiptoken') }) });
    }
    // The same token on another report, or by another caller, is not theirs to follow.
    expect((await call(asAdminPrincipal, `/api/reports/accessPackages/${s.payments}/assignments?$skiptoken=${encodeURIComponent(token)}`)).status).toBe(400);
    const app = principal('c43ae8dd-fba0-408f-baaa-d0810748850f', [{ typ: 'idtyp', val: 'app' }, { typ: 'roles', val: 'AuditLog.Read.All' }]);
    expect((await call(app, `${link.pathname}${link.search}`)).status).toBe(400);
  });

  it("lists a user's assignments, the ended one too, and the resource roles each active one grants", async () => {
    const lynne = (await allPages(asAdminPrincipal, `/api/reports/users/${LYNNE}/accessPackages`)).rows;
    expect(sorted(lynne, 'accessPackageId').map((r) => [r.accessPackageId, r.state])).toEqual(
      [s.falcon!, s.payments!, s.audit!].sort().map((id) => [id, 'delivered']),
    );
    const miriam = (await allPages(asAdminPrincipal, `/api/reports/users/${MIRIAM}/accessPackages`)).rows;
    expect(miriam.map((r) => [r.accessPackageId, r.state, r.targetDisplayName])).toEqual([[s.falcon, 'expired', 'Miriam Graham']]);
    const csv = await csvOf(asAdminPrincipal, `/api/reports/users/${LYNNE}/accessPackages`);
    expect(csv.header).toEqual(ASSIGNMENT_COLUMNS);
    expect(sorted(csv.rows, 'accessPackageId')).toEqual(sorted(lynne, 'accessPackageId'));

    const roles = (await allPages(asAdminPrincipal, `/api/reports/users/${LYNNE}/resourceRoles`)).rows;
    expect(roles).toEqual([
      { resourceOriginId: FALCON_GROUP, resourceDisplayName: 'Project Falcon', roleDisplayName: 'Member', accessPackageId: s.falcon, accessPackageDisplayName: 'Reports: Falcon', assignmentId: assignmentOf[`falcon/${LYNNE}`] },
    ]);
    const rolesCsv = await csvOf(asAdminPrincipal, `/api/reports/users/${LYNNE}/resourceRoles`, 'query');
    expect(rolesCsv.header).toEqual(RESOURCE_ROLE_COLUMNS);
    expect(rolesCsv.rows).toEqual(roles);
    // Miriam's assignment ended: it grants nothing any more.
    expect((await allPages(asAdminPrincipal, `/api/reports/users/${MIRIAM}/resourceRoles`)).rows).toEqual([]);
  });

  it('finds the separation-of-duties violations of an incompatibility declared after access was given, from both sides and through a group', async () => {
    const expected = [
      { userId: LYNNE, userDisplayName: 'Lynne Robbins', accessPackageId: s.falcon, conflictingType: 'accessPackage', conflictingId: s.payments },
      { userId: LYNNE, userDisplayName: 'Lynne Robbins', accessPackageId: s.payments, conflictingType: 'accessPackage', conflictingId: s.falcon },
      { userId: HENRIETTA, userDisplayName: 'Henrietta Mueller', accessPackageId: s.falcon, conflictingType: 'accessPackage', conflictingId: s.payments },
      { userId: HENRIETTA, userDisplayName: 'Henrietta Mueller', accessPackageId: s.payments, conflictingType: 'accessPackage', conflictingId: s.falcon },
      { userId: LYNNE, userDisplayName: 'Lynne Robbins', accessPackageId: s.audit, conflictingType: 'group', conflictingId: FALCON_GROUP },
    ];
    const keys = ['userId', 'accessPackageId', 'conflictingId'];
    const { rows } = await allPages(asAdminPrincipal, '/api/reports/separationOfDutiesViolations?$top=1');
    expect(sorted(rows, ...keys)).toEqual(sorted(expected, ...keys));
    expect(Object.keys(rows[0]!)).toEqual(VIOLATION_COLUMNS);
    const csv = await csvOf(asAdminPrincipal, '/api/reports/separationOfDutiesViolations');
    expect(csv.header).toEqual(VIOLATION_COLUMNS);
    expect(sorted(csv.rows, ...keys)).toEqual(sorted(expected, ...keys));
  });

  it('lists the requests created in a period, each once, and none outside it', async () => {
    const period = `from=${encodeURIComponent(started)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
    const { rows } = await allPages(asAdminPrincipal, `/api/reports/requests?${period}&$top=2`);
    expect(rows).toHaveLength(9); // 8 adminAdd, 1 adminRemove
    expect(new Set(rows.map((r) => r.requestId)).size).toBe(9);
    expect(rows.filter((r) => r.requestType === 'adminRemove').map((r) => [r.targetObjectId, r.accessPackageId, r.state])).toEqual([[MIRIAM, s.falcon, 'delivered']]);
    expect(Object.keys(rows[0]!)).toEqual(REQUEST_COLUMNS);
    const csv = await csvOf(asAdminPrincipal, `/api/reports/requests?${period}`);
    expect(csv.header).toEqual(REQUEST_COLUMNS);
    expect(sorted(csv.rows, 'requestId')).toEqual(sorted(rows, 'requestId'));
    const before = `from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`;
    expect((await allPages(asAdminPrincipal, `/api/reports/requests?${before}`)).rows).toEqual([]);
  });
});

describe('who reads which report', () => {
  it("shows a catalog owner only their catalog's rows, and tells them another catalog's package is not there", async () => {
    const owner = principal(PATTI);
    expect((await allPages(owner, `/api/reports/users/${LYNNE}/accessPackages`)).rows.map((r) => r.accessPackageId)).toEqual([s.audit]);
    expect((await allPages(owner, `/api/reports/users/${LYNNE}/resourceRoles`)).rows).toEqual([]);
    expect((await allPages(owner, '/api/reports/separationOfDutiesViolations')).rows.map((r) => [r.userId, r.accessPackageId, r.conflictingId])).toEqual([[LYNNE, s.audit, FALCON_GROUP]]);
    expect((await csvOf(owner, `/api/reports/accessPackages/${s.audit}/assignments`)).rows.map((r) => r.targetObjectId)).toEqual([LYNNE]);
    const period = `from=${encodeURIComponent(started)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;
    expect((await allPages(owner, `/api/reports/requests?${period}`)).rows.map((r) => r.accessPackageId)).toEqual([s.audit]);
    const other = await call(owner, `/api/reports/accessPackages/${s.falcon}/assignments`);
    expect([other.status, JSON.parse(other.text).error.code]).toEqual([404, 'itemNotFound']);
    expect((await call(owner, `/api/reports/accessPackages/${s.falcon}/assignments`, { accept: 'text/csv' })).status).toBe(404);
  });

  it('refuses every report to a caller with no reporting role (403), a package manager too, and anyone unsigned (401), changing nothing', async () => {
    const before = await storageSnapshot(prefix);
    const paths = [
      `/api/reports/accessPackages/${s.falcon}/assignments`,
      `/api/reports/users/${LYNNE}/accessPackages`,
      `/api/reports/users/${LYNNE}/resourceRoles`,
      '/api/reports/separationOfDutiesViolations',
      `/api/reports/requests?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`,
    ];
    for (const path of paths) {
      for (const [who, status] of [[principal(OWEN), 403], [principal(LEE), 403], [undefined, 401]] as const) {
        for (const headers of [{}, { accept: 'text/csv' }] as Array<Record<string, string>>) {
          const answer = await call(who, path, headers);
          expect({ path, status: answer.status }).toEqual({ path, status });
          expect(JSON.parse(answer.text)).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
        }
      }
    }
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('lets an application with AuditLog.Read.All read the whole tenant', async () => {
    const app = principal('c43ae8dd-fba0-408f-baaa-d0810748850f', [{ typ: 'idtyp', val: 'app' }, { typ: 'roles', val: 'AuditLog.Read.All' }]);
    expect((await allPages(app, `/api/reports/accessPackages/${s.falcon}/assignments`)).rows).toHaveLength(4);
  });
});

describe('bad input is a 400 in Graph error shape', () => {
  it.each([
    ['no period', '/api/reports/requests'],
    ['no end', '/api/reports/requests?from=2026-01-01T00:00:00Z'],
    ['not a date', '/api/reports/requests?from=yesterday&to=2026-01-01T00:00:00Z'],
    ['from after to', '/api/reports/requests?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z'],
    ['from equal to to', '/api/reports/requests?from=2026-02-01T00:00:00Z&to=2026-02-01T00:00:00Z'],
    ['a span over a year', '/api/reports/requests?from=2024-01-01T00:00:00Z&to=2025-06-01T00:00:00Z'],
    ['a user id that is no GUID', '/api/reports/users/not-a-guid/accessPackages'],
    ['a $top of 0', `/api/reports/users/${LYNNE}/resourceRoles?$top=0`],
    ['a $top too large', '/api/reports/separationOfDutiesViolations?$top=100000'],
    ['an unknown format', '/api/reports/separationOfDutiesViolations?format=xml'],
  ])('%s', async (_name, path) => {
    const answer = await call(asAdminPrincipal, path);
    expect({ status: answer.status, text: answer.text.slice(0, 200) }).toMatchObject({ status: 400 });
    expect(JSON.parse(answer.text)).toEqual({ error: expect.objectContaining({ code: 'invalidRequest', message: expect.any(String), innerError: expect.any(Object) }) });
  });
});
