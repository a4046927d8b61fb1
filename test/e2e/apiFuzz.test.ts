import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import fc from 'fast-check';
import { ENTITLEMENT_ROUTES } from '../../shared/api/entitlementManagement/routes';
import { ROLE_ROUTES } from '../../shared/api/roleManagement/roleRoutes';
import { ACCESS_REVIEW_ROUTES } from '../../shared/api/accessReviews/reviewRoutes';
import { AUDIT_ROUTES } from '../../shared/api/auditLogs/auditRoutes';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * API fuzzing through the local host: random and mutated paths, ids, query options, headers, methods and bodies for
 * every route, as every kind of caller. Whatever comes in: never a 5xx, a 4xx changes nothing stored, and a plain
 * user never sees another user's requests or assignments. `PORTCULLIS_FUZZ_SEED` replays a reported run.
 */

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const REQUESTOR = '2e3d6a63-40ed-467e-8564-f1dc632417c4'; // Liam: holds the one assignment
const REQUESTOR_NAME = 'liam.obrien';
const PLAIN_USER = 'bb9d2ebe-f476-492f-80fc-275e69b5220d'; // Owen: no role, no request, never sees Liam's
const OTHER_USERS = ['94a2de50-ff54-4939-a9d6-bd800bc49874', '88718c96-6f3d-48f7-b4b1-b64633be40f5', '5b08acc2-13a5-4f07-9a1b-195060c40eb7'];
const MARKETING_GROUP = '787b1186-31fd-4a9d-851d-62b5bd703358';
const APP = '63c7fe35-2f6d-4f84-9d1d-95e1ad61682b';
const READ_WRITE = 'EntitlementManagement.ReadWrite.All';
const EM = '/v1.0/identityGovernance/entitlementManagement';
const RBAC = '/v1.0/roleManagement/entitlementManagement';
const NAME_IDENTIFIER = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier';
const ROLE_DEFINITIONS = ['ba92d953-d8e0-4e39-a797-0cbedb0a89e8', 'ae79f266-94d4-4dab-b730-feca7e132178', '44272f93-9762-48e8-af59-1b5351b1d6b3'];
// Sized to keep the file under a minute in npm test; PORTCULLIS_FUZZ_RUNS asks for a longer hunt.
const RUNS = Number(process.env.PORTCULLIS_FUZZ_RUNS ?? 250);

const CALLERS = {
  administrator: clientPrincipal(ADMIN, TENANT),
  requestor: clientPrincipal(REQUESTOR, TENANT),
  plainUser: clientPrincipal(PLAIN_USER, TENANT),
  appReadWrite: clientPrincipal(APP, TENANT, [{ typ: 'idtyp', val: 'app' }, { typ: 'roles', val: READ_WRITE }]),
  appWithoutIdtyp: clientPrincipal(APP, TENANT, [{ typ: NAME_IDENTIFIER, val: APP }, { typ: 'roles', val: READ_WRITE }]),
  /** A user of another tenant (DESIGN §2.4), who holds no role here. */
  externalUser: clientPrincipal('c0ffee00-1234-4abc-8def-0123456789ab', '9d2b4f61-3a7c-4e8d-b5f0-1c6a8e2d4b7f', [{ typ: 'preferred_username', val: 'eve@outside.example' }]),
  anonymous: undefined,
  brokenPrincipal: Buffer.from('{"claims":"none"}').toString('base64'),
} satisfies Record<string, string | undefined>;
type CallerKind = keyof typeof CALLERS;
/** Callers who may see nothing of the requestor's. */
const STRANGERS: ReadonlySet<CallerKind> = new Set(['plainUser', 'externalUser', 'anonymous', 'brokenPrincipal']);

const ROUTES = [
  ...ENTITLEMENT_ROUTES.map((r) => ({ method: r.method as string, path: `${EM}/${r.pattern}` })),
  ...ROLE_ROUTES.map((r) => ({ method: r.method as string, path: `${RBAC}/${r.pattern}` })),
  ...ACCESS_REVIEW_ROUTES.map((r) => ({ method: r.method as string, path: `/v1.0/identityGovernance/accessReviews/${r.pattern}` })),
  ...AUDIT_ROUTES.map((r) => ({ method: r.method as string, path: `/v1.0/auditLogs/${r.pattern}` })),
  { method: 'POST', path: '/api/policies/preview' },
  { method: 'GET', path: '/api/externalUsers/pendingRemovals' },
  { method: 'GET', path: '/api/reports/accessPackages/{id}/assignments' },
  { method: 'GET', path: '/api/reports/users/{id}/accessPackages' },
  { method: 'GET', path: '/api/reports/users/{id}/resourceRoles' },
  { method: 'GET', path: '/api/reports/separationOfDutiesViolations' },
  { method: 'GET', path: '/api/reports/requests' },
  { method: 'GET', path: '/api/myAccess/directReports' },
  { method: 'GET', path: '/api/myAccess/suggestedAccessPackages' },
  // Signed by the HR system, never by a principal: every caller here, the administrator too, gets 401.
  { method: 'POST', path: '/api/hr/events' },
];

let host: RunningHost;
let prefix: string;
/** The fixture's own ids, for bodies that are valid until mutated. */
const f: Record<'catalogId' | 'packageId' | 'policyId' | 'assignmentId', string> = { catalogId: '', packageId: '', policyId: '', assignmentId: '' };
/** Ids of what the fixture made; the fuzzer puts them in paths and bodies. None names the requestor or the plain user. */
const known: string[] = [...OTHER_USERS, MARKETING_GROUP, APP, ADMIN, ...ROLE_DEFINITIONS];
/** What only the requestor and those managing their catalog may see. */
const secrets: string[] = [REQUESTOR, REQUESTOR_NAME];
/**
 * The requestor's request and assignment: tried in paths only, so no caller can copy them into something strangers
 * may read (a catalog's description) and make the leak check fail falsely.
 */
const requestorIds: string[] = [];

async function send(kind: CallerKind, method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const principal = CALLERS[kind];
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers, ...(principal ? { 'x-ms-client-principal': principal } : {}) },
    body: method === 'GET' || method === 'HEAD' ? undefined : body,
  });
  return { status: response.status, text: await response.text() };
}

async function created(kind: CallerKind, path: string, body: unknown): Promise<string> {
  const { status, text } = await send(kind, 'POST', path, JSON.stringify(body));
  if (status !== 201) throw new Error(`Fixture POST ${path} answered ${status}: ${text}`);
  return (JSON.parse(text) as { id: string }).id;
}

beforeAll(async () => {
  prefix = `f${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  const catalogId = await created('administrator', `${EM}/catalogs`, { displayName: 'Fuzz', state: 'published' });
  const resourceRequestId = await created('administrator', `${EM}/resourceRequests`, { requestType: 'adminAdd', resource: { originId: MARKETING_GROUP, originSystem: 'AadGroup' }, catalog: { id: catalogId } });
  const packageId = await created('administrator', `${EM}/accessPackages`, { displayName: 'Fuzz package', catalog: { id: catalogId } });
  const roleScopeId = await created('administrator', `${EM}/accessPackages/${packageId}/resourceRoleScopes`, {
    role: { originId: `Member_${MARKETING_GROUP}`, originSystem: 'AadGroup' },
    scope: { originId: MARKETING_GROUP, originSystem: 'AadGroup' },
  });
  const policyId = await created('administrator', `${EM}/assignmentPolicies`, {
    displayName: 'Anyone',
    allowedTargetScope: 'allMemberUsers',
    requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    expiration: { type: 'afterDuration', duration: 'P30D' },
    accessPackage: { id: packageId },
  });
  const requestId = await created('requestor', `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { targetId: REQUESTOR, assignmentPolicyId: policyId, accessPackageId: packageId } });
  const assignments = await send('administrator', 'GET', `${EM}/assignments?$filter=${encodeURIComponent(`target/objectId eq '${REQUESTOR}'`)}`);
  const assignmentId = (JSON.parse(assignments.text) as { value: Array<{ id: string }> }).value[0]?.id;
  if (!assignmentId) throw new Error(`The fixture's assignment was not delivered: ${assignments.text}`);
  known.push(catalogId, resourceRequestId, packageId, roleScopeId, policyId);
  requestorIds.push(requestId, assignmentId);
  Object.assign(f, { catalogId, packageId, policyId, assignmentId });
  secrets.push(requestId, assignmentId);
}, 60_000);

afterAll(async () => {
  await host?.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

// What goes into ids, values and query options: the fixture's ids, ids nobody has, and hostile text.
const junk = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom("'", "a'b", '%', '%00', '..', '$ref', '$count', '$value', "filterByCurrentUser(on='target')", '()', 'null', '-1', 'x'.repeat(1000)),
);
// Drawn when a run is made, after the fixture has added its ids.
const aKnownId = fc.nat().map((index) => known[index % known.length]!);
const anId = fc.oneof({ weight: 3, arbitrary: aKnownId }, fc.uuid(), junk);
const aPathId = fc.oneof({ weight: 4, arbitrary: anId }, fc.nat().map((index) => requestorIds[index % requestorIds.length]!));
const FIELDS = [
  'displayName', 'description', 'id', 'catalog', 'catalogId', 'accessPackage', 'accessPackageId', 'assignment', 'assignmentPolicyId',
  'targetId', 'target', 'requestType', 'resource', 'originId', 'originSystem', 'role', 'scope', 'principalId', 'roleDefinitionId',
  'appScopeId', 'directoryScopeId', 'state', 'isHidden', 'allowedTargetScope', 'specificAllowedTargets', 'requestorSettings',
  'requestApprovalSettings', 'stages', 'primaryApprovers', 'expiration', 'duration', 'type', '@odata.type', '@odata.id', 'justification',
  'answers', 'schedule', 'reviewResult', 'userId', 'groupId', 'policyId', 'membershipRule', 'automaticRequestSettings', 'questions',
  'identitySources', 'tenantId', 'domainName', 'issuerUri',
];
const WORDS = [
  'adminAdd', 'userAdd', 'adminRemove', 'userRemove', 'adminUpdate', 'AadGroup', 'AadApplication', 'SharePointOnline', 'published', 'unpublished',
  'allMemberUsers', 'specificDirectoryUsers', 'notSpecified', 'allDirectoryUsers', 'afterDuration', 'noExpiration', 'P30D', 'PT-1H',
  '2026-01-01T00:00:00Z', '#microsoft.graph.singleUser', '#microsoft.graph.groupMembers', 'Approve', 'Deny', '/', 'user.department -eq "Sales"',
  'configured', 'proposed', '#microsoft.graph.azureActiveDirectoryTenant', '#microsoft.graph.externalDomainFederation', 'contoso.com',
];
const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELDS) }, fc.string({ maxLength: 10 }));
const { value: aValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    anId,
    fc.constantFrom(...WORDS),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}));
/** Bodies the routes take, made when a run is made (they name the fixture's ids). */
const TEMPLATES: Array<() => Record<string, unknown>> = [
  () => ({ displayName: 'Catalog', description: 'made by the fuzzer', state: 'published', isExternallyVisible: false }),
  () => ({ displayName: 'Package', description: 'made by the fuzzer', catalog: { id: f.catalogId } }),
  () => ({ description: 'changed by the fuzzer' }),
  () => ({ requestType: 'adminAdd', resource: { originId: MARKETING_GROUP, originSystem: 'AadGroup' }, catalog: { id: f.catalogId } }),
  () => ({ role: { originId: `Member_${MARKETING_GROUP}`, originSystem: 'AadGroup' }, scope: { originId: MARKETING_GROUP, originSystem: 'AadGroup' } }),
  () => ({
    displayName: 'Policy',
    allowedTargetScope: 'allMemberUsers',
    requestorSettings: { enableTargetsToSelfAddAccess: true },
    requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P7D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: ADMIN }] }] },
    expiration: { type: 'afterDuration', duration: 'P7D' },
    accessPackage: { id: f.packageId },
  }),
  () => ({ requestType: 'adminAdd', assignment: { targetId: OTHER_USERS[0], assignmentPolicyId: f.policyId, accessPackageId: f.packageId } }),
  () => ({ requestType: 'userAdd', assignment: { accessPackageId: f.packageId }, justification: 'fuzz' }),
  () => ({ requestType: 'adminRemove', assignment: { id: f.assignmentId } }),
  () => ({ principalId: OTHER_USERS[1], roleDefinitionId: ROLE_DEFINITIONS[1], appScopeId: `/AccessPackageCatalog/${f.catalogId}`, directoryScopeId: '/' }),
  () => ({ '@odata.id': `https://graph.microsoft.com/v1.0${EM.slice(5)}/accessPackages/${f.packageId}` }),
  () => ({ reviewResult: 'Approve', justification: 'fuzz' }),
  () => ({ membershipRule: 'user.department -eq "Marketing"' }),
  () => ({ displayName: 'Partner', state: 'proposed', identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'fuzz.example', displayName: 'Fuzz' }] }),
  () => ({ displayName: 'Tenant', identitySources: [{ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: OTHER_USERS[2], displayName: 'Fuzz' }] }),
  () => ({ '@odata.id': `https://graph.microsoft.com/v1.0/users/${OTHER_USERS[0]}` }),
];
/** A template as it is, or with one property taken out, replaced by any value, or added. */
const aTemplateBody = fc
  .tuple(fc.nat(TEMPLATES.length - 1), fc.nat(3), key, aValue, fc.nat())
  .map(([index, mutation, name, value, pick]) => {
    const body = TEMPLATES[index]!();
    const names = Object.keys(body);
    const chosen = names[pick % names.length]!;
    if (mutation === 1) delete body[chosen];
    if (mutation === 2) body[chosen] = value;
    if (mutation === 3) body[name] = value;
    return JSON.stringify(body);
  });
const aBody = fc.oneof(
  { weight: 6, arbitrary: aTemplateBody },
  { weight: 3, arbitrary: fc.dictionary(key, aValue, { maxKeys: 7 }).map((body) => JSON.stringify(body)) },
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '{', '[]', 'null', '{"a":1}{"b":2}', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, JSON.stringify({ displayName: 'x'.repeat(40_000) })),
);
const QUERY_OPTIONS = ['$filter', '$select', '$expand', '$top', '$skip', '$orderby', '$count', '$search', '$skiptoken', '$format', 'on', 'format', 'from', 'to'];
const QUERY_VALUES = [
  "displayName eq 'Fuzz'", "state eq 'delivered'", `target/objectId eq '${REQUESTOR}'`, "startswith(displayName,'F')", 'id eq null', "accessPackage/id eq ''",
  '10', '0', '-1', '99999999999999999999', 'true', 'catalog', 'accessPackage,target', 'resourceRoleScopes($expand=role,scope)', 'displayName desc', '*',
  "identitySources/any(s: s/domainName eq 'fuzz.example')", "identitySources/all(s:s/microsoft.graph.azureActiveDirectoryTenant/tenantId eq '')",
  'csv', 'json', '2026-01-01T00:00:00Z', '2026-13-01', 'P1D',
  "activityDateTime ge 2026-01-01T00:00:00Z", "startswith(activityDisplayName,'Create')", "targetResources/any(t: t/id eq 'x')", 'activityDateTime desc',
];
const aQuery = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_OPTIONS), fc.string({ maxLength: 8 })), fc.oneof(fc.constantFrom(...QUERY_VALUES), anId)), { maxLength: 3 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&')}`));

/** A route's path with its `{id}` and `name()` parts filled, sometimes mutated by a segment more or less. */
const aPath = fc
  .tuple(fc.constantFrom(...ROUTES), fc.array(aPathId, { minLength: 3, maxLength: 3 }), fc.constantFrom("on='target'", "on='createdBy'", "on='approver'", "on='reviewer'", "on='everyone'", ''), fc.nat(9), anId)
  .map(([route, ids, argument, mutation, extra]) => {
    let next = 0;
    const segments = route.path.split('/').map((part) => {
      if (part === '{id}') return encodeURIComponent(ids[next++]!);
      return part.endsWith('()') ? `${part.slice(0, -2)}(${encodeURIComponent(argument)})` : part;
    });
    if (mutation === 0) segments.push(encodeURIComponent(extra));
    if (mutation === 1) segments.pop();
    return { route, path: segments.join('/') };
  });

const HEADER_VALUES = {
  'content-type': ['application/json', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data'],
  'if-match': ['*', 'W/"1"', '"junk"'],
  'client-request-id': ['c0ffee', 'x'.repeat(300)],
  prefer: ['return=minimal', 'odata.maxpagesize=1'],
  accept: ['application/xml', '*/*', 'text/csv'],
  consistencylevel: ['eventual'],
  authorization: ['Bearer a.b.c', 'Basic dXNlcjpwYXNz'],
};
const someHeaders = fc
  .subarray(Object.keys(HEADER_VALUES) as Array<keyof typeof HEADER_VALUES>, { maxLength: 3 })
  .chain((names) => fc.tuple(...names.map((name) => fc.constantFrom(...HEADER_VALUES[name]).map((value) => [name, value] as const))))
  .map((pairs) => Object.fromEntries(pairs));

const aCall = fc.record({
  // The administrator reaches the most code; the plain user is the one the leak check watches.
  caller: fc.oneof(
    { weight: 3, arbitrary: fc.constant<CallerKind>('administrator') },
    { weight: 3, arbitrary: fc.constant<CallerKind>('plainUser') },
    { weight: 4, arbitrary: fc.constantFrom(...(Object.keys(CALLERS) as CallerKind[])) },
  ),
  target: aPath,
  // Mostly the route's own method; now and then another.
  otherMethod: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS')),
  query: aQuery,
  body: fc.option(aBody, { freq: 8, nil: undefined }),
  headers: someHeaders,
});

describe('API fuzzing', () => {
  it(`answers ${RUNS} random calls to every route, as every kind of caller, without a 5xx, a change on a 4xx, or a leak`, async () => {
    const seed = process.env.PORTCULLIS_FUZZ_SEED ? Number(process.env.PORTCULLIS_FUZZ_SEED) : undefined;
    // Calls go one after another and nothing else writes (timers disabled): what storage held after one call is
    // what it holds before the next, so each call takes one snapshot, after it.
    let stored = await storageSnapshot(prefix);
    await fc.assert(
      fc.asyncProperty(aCall, async ({ caller, target, otherMethod, query, body, headers }) => {
        const method = otherMethod ?? target.route.method;
        const before = stored;
        const { status, text } = await send(caller, method, `${target.path}${query}`, body, headers);
        stored = await storageSnapshot(prefix);
        const what = `${caller} ${method} ${target.path}${query} → ${status}: ${text.slice(0, 300)}`;

        expect({ what, serverError: status >= 500 }).toEqual({ what, serverError: false });
        if (status >= 400) {
          expect({ what, changed: stored !== before }).toEqual({ what, changed: false });
          if (method !== 'HEAD') expect({ what, graphError: typeof (JSON.parse(text) as { error?: { code?: unknown } }).error?.code }).toEqual({ what, graphError: 'string' });
        }
        if (STRANGERS.has(caller)) {
          // An error that quotes what the caller sent tells them nothing new.
          const sent = `${target.path}${query}${body ?? ''}${JSON.stringify(headers)}`.toLowerCase();
          const leaked = secrets.filter((secret) => text.toLowerCase().includes(secret.toLowerCase()) && !sent.includes(secret.toLowerCase()));
          expect({ what, leaked }).toEqual({ what, leaked: [] });
        }
      }),
      { numRuns: RUNS, seed, endOnFailure: true },
    );
  }, 60_000 + RUNS * 800);
});
