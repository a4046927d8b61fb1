import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TableServiceClient } from '@azure/data-tables';
import { mapConcurrently } from '../../shared/concurrently';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The authorization matrix: every route of the Graph areas × every kind of caller → the status the rules give
 * (DESIGN §2.4, reference §9). The expectations are written out from the rules, not computed by the decision the
 * service makes, so the test checks the implementation rather than mirroring it. A refused write changes nothing.
 */

const EM = '/v1.0/identityGovernance/entitlementManagement';
const RBAC = '/v1.0/roleManagement/entitlementManagement';
const READ_ALL = 'EntitlementManagement.Read.All';
const READ_WRITE_ALL = 'EntitlementManagement.ReadWrite.All';

/** Entitlement management role definitions (reference §9). */
const CATALOG_OWNER = 'ae79f266-94d4-4dab-b730-feca7e132178';
const CATALOG_READER = '44272f93-9762-48e8-af59-1b5351b1d6b3';
const ACCESS_PACKAGE_MANAGER = '7f480852-ebdc-47d4-87de-0d8498384a83';
const ASSIGNMENT_MANAGER = 'e2182095-804a-4656-ae11-64734e9b7ae5';
const CATALOG_CREATOR = 'ba92d953-d8e0-4e39-a797-0cbedb0a89e8';

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4'; // Identity Governance Administrator
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d';
const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const ADELE = 'e085b021-e0d4-4f2b-935a-b03d8de49eb1';
const PRADEEP = 'eb7a7995-9588-432d-8242-aadbc8f429a4'; // owns the Engineering group
const PATTI = '515c6123-6c88-4537-bcf3-bd58da60fb1c';
const LEE = '428474c1-5e9e-4ba7-a6a8-6bd5a7550d23';
const GRADY = '764ae4d4-359e-4d02-9cb2-5c12903c3ad2';
const CHRISTIE = 'a5240b60-20d0-429c-8cf1-97f45625871b';
const INTRANET_APP = 'c43ae8dd-fba0-408f-baaa-d0810748850f';
const SALESFORCE_APP = '63c7fe35-2f6d-4f84-9d1d-95e1ad61682b';
const TRAVEL_APP = '5c9f2e71-4a8b-4d36-b1e0-93a7c6d2f845';
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515'; // granted by the packages
const ENGINEERING_GROUP = '509c2530-0367-4f48-a429-6461beddd096'; // owned by Pradeep: added by the resource row
const VPN_GROUP = 'e644c315-c2cb-4187-b62e-7330ba45cd54'; // refreshed by the resource row
const HR_GROUP = '65ce110a-2689-4e92-b29b-c6b33ac4414b'; // removed by the resource row
const LEGAL_GROUP = '993bb873-540b-442e-8a6e-83734bc9404e'; // marked incompatible
const GUEST = '5d4a47ec-58ca-418c-a7e5-67e387ed23b1'; // Ben Walters, a guest: an external sponsor

const KINDS = [
  'anonymous',
  'plainUser',
  'requestor',
  'approver',
  'catalogReader',
  'ownerThis',
  'ownerOther',
  'packageManager',
  'assignmentManager',
  'catalogCreator',
  'administrator',
  'adminReadOnly',
  'appRead',
  'appReadWrite',
  'appOwner',
] as const;
type Kind = (typeof KINDS)[number];

const app = (roles: string[]) => [{ typ: 'idtyp', val: 'app' }, ...roles.map((val) => ({ typ: 'roles', val }))];

/** Who plays each kind: the principal header it sends (none for anonymous). */
const PRINCIPALS: Record<Kind, string | undefined> = {
  anonymous: undefined,
  plainUser: clientPrincipal(OWEN, TENANT),
  requestor: clientPrincipal(HANNAH, TENANT), // a specific allowed target of the self-service policies
  approver: clientPrincipal(DEBRA, TENANT), // the single approver of their stage
  catalogReader: clientPrincipal(ADELE, TENANT),
  ownerThis: clientPrincipal(PRADEEP, TENANT),
  ownerOther: clientPrincipal(PATTI, TENANT),
  packageManager: clientPrincipal(LEE, TENANT),
  assignmentManager: clientPrincipal(GRADY, TENANT),
  catalogCreator: clientPrincipal(CHRISTIE, TENANT),
  administrator: clientPrincipal(ADMIN, TENANT),
  adminReadOnly: clientPrincipal(ADMIN, TENANT, [{ typ: 'scp', val: READ_ALL }]),
  appRead: clientPrincipal(INTRANET_APP, TENANT, app([READ_ALL])),
  appReadWrite: clientPrincipal(SALESFORCE_APP, TENANT, app([READ_WRITE_ALL])),
  appOwner: clientPrincipal(TRAVEL_APP, TENANT, app([])), // no permission of its own: only its catalog role
};

/*
 * Who may, by the rules, written out per level:
 * - reading in a catalog: administrators (also through a read-only delegated token), applications with either
 *   permission, and anyone holding a role in that catalog;
 * - managing a catalog (and its role assignments): its owner, administrators, applications with ReadWrite.All;
 * - resources: the catalog's owner and administrators only; applications never;
 * - packages and policies: also the catalog's access package managers; assignments: also its assignment managers;
 * - creating catalogs: catalog creators too; tenant-wide settings and roles: administrators and ReadWrite.All apps.
 */
const SIGNED_IN: readonly Kind[] = KINDS.filter((k) => k !== 'anonymous');
const READ_THIS: readonly Kind[] = ['catalogReader', 'ownerThis', 'packageManager', 'assignmentManager', 'administrator', 'adminReadOnly', 'appRead', 'appReadWrite', 'appOwner'];
const MANAGE_CATALOG_THIS: readonly Kind[] = ['ownerThis', 'administrator', 'appReadWrite', 'appOwner'];
const MANAGE_RESOURCES_THIS: readonly Kind[] = ['ownerThis', 'administrator'];
const MANAGE_PACKAGES_THIS: readonly Kind[] = ['ownerThis', 'packageManager', 'administrator', 'appReadWrite', 'appOwner'];
const MANAGE_ASSIGNMENTS_THIS: readonly Kind[] = ['ownerThis', 'packageManager', 'assignmentManager', 'administrator', 'appReadWrite', 'appOwner'];
const CREATE_CATALOGS: readonly Kind[] = ['catalogCreator', 'administrator', 'appReadWrite'];
const MANAGE_TENANT: readonly Kind[] = ['administrator', 'appReadWrite'];
/** What belongs to no catalog (connected organizations): administrators and applications with a permission read it. */
const READ_TENANT_WIDE: readonly Kind[] = ['administrator', 'adminReadOnly', 'appRead', 'appReadWrite'];
const READ_OTHER: readonly Kind[] = ['ownerOther', 'administrator', 'adminReadOnly', 'appRead', 'appReadWrite'];
const MANAGE_PACKAGES_OTHER: readonly Kind[] = ['ownerOther', 'administrator', 'appReadWrite'];
/** A pending request is read by those taking part in it (its requestor and target, its approver) and its catalog's readers. */
const PARTIES_OF_PENDING: readonly Kind[] = ['requestor', 'approver', ...READ_THIS];
/**
 * Requesting, canceling and approving are for people signed in (Graph offers those APIs to delegated callers only):
 * applications never self-serve, whatever they may manage, nor ask for "their own" requests, assignments or
 * approvals (filterByCurrentUser). A request is canceled by its requestor or by a person who manages the
 * assignments of its catalog.
 */
const PEOPLE: readonly Kind[] = [
  'plainUser',
  'requestor',
  'approver',
  'catalogReader',
  'ownerThis',
  'ownerOther',
  'packageManager',
  'assignmentManager',
  'catalogCreator',
  'administrator',
  'adminReadOnly',
];
/**
 * Audit events: the tenant's for administrators and applications with a read permission; a catalog's for its owners
 * and readers. The catalog creator owns the catalog it made in the set-up (as in Entra), so it reads that one's.
 */
const AUDIT_READERS: readonly Kind[] = ['catalogReader', 'ownerThis', 'ownerOther', 'catalogCreator', 'administrator', 'adminReadOnly', 'appRead', 'appReadWrite', 'appOwner'];
const AUDIT_THIS: readonly Kind[] = AUDIT_READERS.filter((k) => k !== 'ownerOther' && k !== 'catalogCreator');
const CANCEL_THIS: readonly Kind[] = ['requestor', 'ownerThis', 'packageManager', 'assignmentManager', 'administrator'];
/** Reports (readAudit): administrators, applications with a read permission, and the catalog's owners and readers. */
const READ_AUDIT_THIS: readonly Kind[] = ['catalogReader', 'ownerThis', 'administrator', 'adminReadOnly', 'appRead', 'appReadWrite', 'appOwner'];
const READ_AUDIT_OTHER: readonly Kind[] = ['ownerOther', 'administrator', 'adminReadOnly', 'appRead', 'appReadWrite'];
/**
 * Reports of no one catalog: everyone who reads some catalog's reports, each seeing their catalogs' rows; the catalog
 * creator owns the catalog she created. A package report of a catalog the caller cannot read is not there for them.
 */
const READ_AUDIT_ANY: readonly Kind[] = [...READ_AUDIT_THIS, 'ownerOther', 'catalogCreator'];

type Ids = Record<string, string>;
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

interface Row {
  name: string;
  method: Method;
  path: (t: Ids) => string;
  body?: (t: Ids) => unknown;
  /** The status of a call that is allowed. */
  ok: number;
  allowed: readonly Kind[];
  /** Of those refused, the kinds told "not found": the call names something where they may not even read. */
  notFoundFor?: readonly Kind[];
  /** Makes what the call works on (as the administrator); made again after a call that consumed it. */
  target?: () => Promise<Ids>;
  consumes?: boolean;
}

let host: RunningHost;
let prefix: string;
/** What the set-up made, by name. */
const f: Ids = {};

async function send(kind: Kind, method: Method, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  const principal = PRINCIPALS[kind];
  if (principal) headers['x-ms-client-principal'] = principal;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${host.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
}

/** A call the set-up needs to succeed. */
async function asAdmin<T = Record<string, any>>(method: Method, path: string, body?: unknown): Promise<T> {
  const { status, text } = await send('administrator', method, path, body);
  if (status >= 300) throw new Error(`Set-up call ${method} ${path} answered ${status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

async function emulator(method: Method, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${host.emulatorUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`Emulator ${method} ${path} answered ${response.status}: ${await response.text()}`);
}

/** Users of the demo tenant who play no caller kind: the targets and principals that writes consume. */
const SPARE_USERS: string[] = (() => {
  const tenant = JSON.parse(readFileSync(join(__dirname, '..', '..', 'tools', 'graph-emulator', 'demo-tenant.json'), 'utf8')) as {
    users: Array<{ id: string; userType: string }>;
    directoryRoleAssignments: Array<{ principalId: string }>;
  };
  const taken = new Set([OWEN, HANNAH, DEBRA, ADELE, PRADEEP, PATTI, LEE, GRADY, CHRISTIE, ADMIN, ...tenant.directoryRoleAssignments.map((a) => a.principalId)]);
  return tenant.users.filter((u) => u.userType === 'Member' && !taken.has(u.id)).map((u) => u.id);
})();
function spareUsers(): () => string {
  let next = 0;
  return () => {
    const user = SPARE_USERS[next++];
    if (!user) throw new Error('The demo tenant has run out of spare users.');
    return user;
  };
}
/** Two draws: assignments and role assignments are separate state, so each may use every spare user once. */
const nextTarget = spareUsers();
const nextPrincipal = spareUsers();

const catalogScope = (catalogId: string) => `/AccessPackageCatalog/${catalogId}`;

const userReference = (userId: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/users/${userId}` });

/** A connected organization of a domain of its own. */
async function newOrganization(): Promise<string> {
  const domainName = `partner${randomBytes(4).toString('hex')}.example`;
  const created = await asAdmin('POST', `${EM}/connectedOrganizations`, { displayName: 'Matrix: partner', identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName, displayName: domainName }] });
  return created.id as string;
}

const assignRole = (principalId: string, roleDefinitionId: string, appScopeId: string) =>
  asAdmin('POST', `${RBAC}/roleAssignments`, { principalId, roleDefinitionId, appScopeId });

const resourceRequest = (requestType: string, catalogId: string, groupId: string) => ({ requestType, resource: { originId: groupId, originSystem: 'AadGroup' }, catalog: { id: catalogId } });

async function hasResource(catalogId: string, groupId: string): Promise<boolean> {
  const found = await asAdmin<{ value: unknown[] }>('GET', `${EM}/catalogs/${catalogId}/resources?$filter=originId eq '${groupId}'`);
  return found.value.length > 0;
}

const newPackage = async (catalogId: string, displayName: string) => (await asAdmin('POST', `${EM}/accessPackages`, { displayName, catalog: { id: catalogId } })).id as string;

const falconMember = { role: { originId: `Member_${FALCON_GROUP}`, originSystem: 'AadGroup' }, scope: { originId: FALCON_GROUP, originSystem: 'AadGroup' } };

/** Requestable by the requestor alone, decided by the approver alone. */
const selfServicePolicy = (packageId: string) => ({
  displayName: 'Self-service',
  allowedTargetScope: 'specificDirectoryUsers',
  specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: HANNAH }],
  expiration: { type: 'afterDuration', duration: 'P30D' },
  requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true },
  requestApprovalSettings: {
    isApprovalRequiredForAdd: true,
    stages: [{ durationBeforeAutomaticDenial: 'P7D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }],
  },
  accessPackage: { id: packageId },
});

/** Direct assignment by those who manage assignments only. */
const adminOnlyPolicy = (packageId: string, displayName = 'Direct assignment') => ({
  displayName,
  allowedTargetScope: 'notSpecified',
  expiration: { type: 'afterDuration', duration: 'P30D' },
  requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
  accessPackage: { id: packageId },
});

async function selfServicePackage(catalogId: string, displayName: string): Promise<{ packageId: string; policyId: string }> {
  const packageId = await newPackage(catalogId, displayName);
  const policyId = (await asAdmin('POST', `${EM}/assignmentPolicies`, selfServicePolicy(packageId))).id as string;
  return { packageId, policyId };
}

const requestorAsks = async (packageId: string) => {
  const { status, text } = await send('requestor', 'POST', `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { accessPackageId: packageId } });
  if (status !== 201) throw new Error(`Set-up userAdd answered ${status}: ${text}`);
  return (JSON.parse(text) as { id: string }).id;
};

async function stageOf(requestId: string): Promise<string> {
  const { status, text } = await send('approver', 'GET', `${EM}/accessPackageAssignmentApprovals/${requestId}/stages`);
  if (status !== 200) throw new Error(`Set-up read of stages answered ${status}: ${text}`);
  return (JSON.parse(text) as { value: Array<{ id: string }> }).value[0]!.id;
}

const adminAdd = (targetId: string) =>
  asAdmin('POST', `${EM}/assignmentRequests`, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: f.directPackage, assignmentPolicyId: f.directPolicy } });

async function activeAssignment(packageId: string, targetId: string): Promise<string> {
  const found = await asAdmin<{ value: Array<{ id: string }> }>('GET', `${EM}/assignments?$filter=accessPackage/id eq '${packageId}' and target/objectId eq '${targetId}' and state ne 'expired'`);
  if (!found.value[0]) throw new Error(`No active assignment of ${targetId} to ${packageId}.`);
  return found.value[0].id;
}

/** A catalog in which every catalog role of "this catalog" is held again, for the row that deletes one. */
async function catalogLikeThis(): Promise<Ids> {
  const catalog = (await asAdmin('POST', `${EM}/catalogs`, { displayName: 'Matrix: to delete', state: 'published' })).id as string;
  const scope = catalogScope(catalog);
  await Promise.all([
    assignRole(ADELE, CATALOG_READER, scope),
    assignRole(PRADEEP, CATALOG_OWNER, scope),
    assignRole(LEE, ACCESS_PACKAGE_MANAGER, scope),
    assignRole(GRADY, ASSIGNMENT_MANAGER, scope),
    assignRole(TRAVEL_APP, CATALOG_OWNER, scope),
  ]);
  return { catalog };
}

/** A request whose delivery failed (the directory refused every group change while it was delivered). */
async function failedDelivery(): Promise<Ids> {
  await emulator('PUT', '/_emulator/faults', {
    rules: [
      { pathPattern: '^/v1.0/groups', method: 'PATCH', status: 503, rate: 1, retryAfterSeconds: 0 },
      { pathPattern: '^/v1.0/groups/.*/members/\\$ref', method: 'POST', status: 503, rate: 1, retryAfterSeconds: 0 },
    ],
  });
  try {
    const { id } = await adminAdd(nextTarget());
    const request = await asAdmin('GET', `${EM}/assignmentRequests/${id}`);
    if (request.state !== 'deliveryFailed') throw new Error(`Set-up request is ${request.state}, not deliveryFailed.`);
    return { request: id };
  } finally {
    await emulator('DELETE', '/_emulator/faults');
  }
}

const ROWS: Row[] = [
  // Catalogs
  { name: 'GET catalogs', method: 'GET', path: () => `${EM}/catalogs`, ok: 200, allowed: SIGNED_IN },
  { name: 'POST catalogs', method: 'POST', path: () => `${EM}/catalogs`, body: () => ({ displayName: 'Matrix: created by a caller' }), ok: 201, allowed: CREATE_CATALOGS },
  { name: 'GET catalogs/{this}', method: 'GET', path: () => `${EM}/catalogs/${f.thisCatalog}`, ok: 200, allowed: READ_THIS },
  { name: 'GET catalogs/{other}', method: 'GET', path: () => `${EM}/catalogs/${f.otherCatalog}`, ok: 200, allowed: READ_OTHER },
  { name: 'PATCH catalogs/{this}', method: 'PATCH', path: () => `${EM}/catalogs/${f.thisCatalog}`, body: () => ({ description: 'Patched' }), ok: 204, allowed: MANAGE_CATALOG_THIS },
  { name: 'DELETE catalogs/{id}', method: 'DELETE', path: (t) => `${EM}/catalogs/${t.catalog}`, ok: 204, allowed: MANAGE_CATALOG_THIS, target: catalogLikeThis, consumes: true },
  { name: 'GET catalogs/{this}/resources', method: 'GET', path: () => `${EM}/catalogs/${f.thisCatalog}/resources`, ok: 200, allowed: READ_THIS },
  { name: 'GET catalogs/{this}/resourceRoles', method: 'GET', path: () => `${EM}/catalogs/${f.thisCatalog}/resourceRoles`, ok: 200, allowed: READ_THIS },
  { name: 'GET catalogs/{this}/resourceScopes', method: 'GET', path: () => `${EM}/catalogs/${f.thisCatalog}/resourceScopes`, ok: 200, allowed: READ_THIS },
  { name: 'GET catalogs/{this}/accessPackages', method: 'GET', path: () => `${EM}/catalogs/${f.thisCatalog}/accessPackages`, ok: 200, allowed: READ_THIS },

  // Resource requests
  { name: 'GET resourceRequests', method: 'GET', path: () => `${EM}/resourceRequests`, ok: 200, allowed: SIGNED_IN },
  {
    name: "POST resourceRequests adminAdd (a group the owner owns)",
    method: 'POST',
    path: () => `${EM}/resourceRequests`,
    body: () => resourceRequest('adminAdd', f.thisCatalog!, ENGINEERING_GROUP),
    ok: 201,
    allowed: MANAGE_RESOURCES_THIS,
    target: async () => {
      if (await hasResource(f.thisCatalog!, ENGINEERING_GROUP)) await asAdmin('POST', `${EM}/resourceRequests`, resourceRequest('adminRemove', f.thisCatalog!, ENGINEERING_GROUP));
      return {};
    },
    consumes: true,
  },
  { name: 'POST resourceRequests adminUpdate', method: 'POST', path: () => `${EM}/resourceRequests`, body: () => resourceRequest('adminUpdate', f.thisCatalog!, VPN_GROUP), ok: 201, allowed: MANAGE_RESOURCES_THIS },
  {
    name: 'POST resourceRequests adminRemove',
    method: 'POST',
    path: () => `${EM}/resourceRequests`,
    body: () => resourceRequest('adminRemove', f.thisCatalog!, HR_GROUP),
    ok: 201,
    allowed: MANAGE_RESOURCES_THIS,
    target: async () => {
      if (!(await hasResource(f.thisCatalog!, HR_GROUP))) await asAdmin('POST', `${EM}/resourceRequests`, resourceRequest('adminAdd', f.thisCatalog!, HR_GROUP));
      return {};
    },
    consumes: true,
  },

  // Access packages
  { name: 'GET accessPackages', method: 'GET', path: () => `${EM}/accessPackages`, ok: 200, allowed: SIGNED_IN },
  { name: 'POST accessPackages (this catalog)', method: 'POST', path: () => `${EM}/accessPackages`, body: () => ({ displayName: 'Matrix: new', catalog: { id: f.thisCatalog } }), ok: 201, allowed: MANAGE_PACKAGES_THIS },
  { name: 'POST accessPackages (other catalog)', method: 'POST', path: () => `${EM}/accessPackages`, body: () => ({ displayName: 'Matrix: new', catalog: { id: f.otherCatalog } }), ok: 201, allowed: MANAGE_PACKAGES_OTHER },
  // A package is also read by those its policies admit as requestors (the My Access link): the package alone.
  { name: 'GET accessPackages/{id}', method: 'GET', path: () => `${EM}/accessPackages/${f.mainPackage}`, ok: 200, allowed: [...READ_THIS, 'requestor'] },
  { name: "GET accessPackages/filterByCurrentUser(on='allowedRequestor')", method: 'GET', path: () => `${EM}/accessPackages/filterByCurrentUser(on='allowedRequestor')`, ok: 200, allowed: PEOPLE },
  { name: 'PATCH accessPackages/{id} (this catalog)', method: 'PATCH', path: () => `${EM}/accessPackages/${f.sparePackage}`, body: () => ({ description: 'Patched' }), ok: 204, allowed: MANAGE_PACKAGES_THIS },
  { name: 'PATCH accessPackages/{id} (other catalog)', method: 'PATCH', path: () => `${EM}/accessPackages/${f.otherPackage}`, body: () => ({ description: 'Patched' }), ok: 204, allowed: MANAGE_PACKAGES_OTHER },
  {
    name: 'DELETE accessPackages/{id}',
    method: 'DELETE',
    path: (t) => `${EM}/accessPackages/${t.package}`,
    ok: 204,
    allowed: MANAGE_PACKAGES_THIS,
    target: async () => ({ package: await newPackage(f.thisCatalog!, 'Matrix: to delete') }),
    consumes: true,
  },
  { name: 'GET accessPackages/{id}/catalog', method: 'GET', path: () => `${EM}/accessPackages/${f.mainPackage}/catalog`, ok: 200, allowed: READ_THIS },
  { name: 'GET accessPackages/{id}/assignmentPolicies', method: 'GET', path: () => `${EM}/accessPackages/${f.mainPackage}/assignmentPolicies`, ok: 200, allowed: READ_THIS },
  { name: 'GET accessPackages/{id}/resourceRoleScopes', method: 'GET', path: () => `${EM}/accessPackages/${f.mainPackage}/resourceRoleScopes`, ok: 200, allowed: READ_THIS },
  {
    name: 'POST accessPackages/{id}/resourceRoleScopes',
    method: 'POST',
    path: (t) => `${EM}/accessPackages/${t.package}/resourceRoleScopes`,
    body: () => falconMember,
    ok: 201,
    allowed: MANAGE_PACKAGES_THIS,
    target: async () => ({ package: await newPackage(f.thisCatalog!, 'Matrix: gains a role') }),
    consumes: true,
  },
  {
    name: 'DELETE accessPackages/{id}/resourceRoleScopes/{id}',
    method: 'DELETE',
    path: (t) => `${EM}/accessPackages/${t.package}/resourceRoleScopes/${t.roleScope}`,
    ok: 204,
    allowed: MANAGE_PACKAGES_THIS,
    target: async () => {
      const packageId = await newPackage(f.thisCatalog!, 'Matrix: loses a role');
      const roleScope = (await asAdmin('POST', `${EM}/accessPackages/${packageId}/resourceRoleScopes`, falconMember)).id as string;
      return { package: packageId, roleScope };
    },
    consumes: true,
  },
  { name: 'GET accessPackages/{id}/incompatibleAccessPackages', method: 'GET', path: () => `${EM}/accessPackages/${f.mainPackage}/incompatibleAccessPackages`, ok: 200, allowed: READ_THIS },
  {
    name: 'POST accessPackages/{id}/incompatibleAccessPackages/$ref',
    method: 'POST',
    path: (t) => `${EM}/accessPackages/${t.package}/incompatibleAccessPackages/$ref`,
    body: () => ({ '@odata.id': `https://graph.microsoft.com${EM}/accessPackages/${f.referencedPackage}` }),
    ok: 204,
    allowed: MANAGE_PACKAGES_THIS,
    target: async () => ({ package: await newPackage(f.thisCatalog!, 'Matrix: gains an incompatible package') }),
    consumes: true,
  },
  {
    name: 'DELETE accessPackages/{id}/incompatibleAccessPackages/{id}/$ref',
    method: 'DELETE',
    path: (t) => `${EM}/accessPackages/${t.package}/incompatibleAccessPackages/${f.referencedPackage}/$ref`,
    ok: 204,
    allowed: MANAGE_PACKAGES_THIS,
    target: async () => {
      const packageId = await newPackage(f.thisCatalog!, 'Matrix: loses an incompatible package');
      await asAdmin('POST', `${EM}/accessPackages/${packageId}/incompatibleAccessPackages/$ref`, { '@odata.id': `https://graph.microsoft.com${EM}/accessPackages/${f.referencedPackage}` });
      return { package: packageId };
    },
    consumes: true,
  },
  {
    // A link to another catalog's package needs the right to manage packages there too.
    name: 'POST accessPackages/{id}/incompatibleAccessPackages/$ref (other catalog)',
    method: 'POST',
    path: (t) => `${EM}/accessPackages/${t.package}/incompatibleAccessPackages/$ref`,
    body: () => ({ '@odata.id': `https://graph.microsoft.com${EM}/accessPackages/${f.otherPackage}` }),
    ok: 204,
    allowed: MANAGE_PACKAGES_THIS.filter((kind) => MANAGE_PACKAGES_OTHER.includes(kind)),
    notFoundFor: MANAGE_PACKAGES_THIS.filter((kind) => !READ_OTHER.includes(kind)),
    target: async () => ({ package: await newPackage(f.thisCatalog!, 'Matrix: gains a link to the other catalog') }),
    consumes: true,
  },
  {
    // Either side of a link across catalogs may remove it.
    name: 'DELETE accessPackages/{id}/incompatibleAccessPackages/{id}/$ref (other catalog)',
    method: 'DELETE',
    path: (t) => `${EM}/accessPackages/${t.package}/incompatibleAccessPackages/${f.otherPackage}/$ref`,
    ok: 204,
    allowed: [...new Set([...MANAGE_PACKAGES_THIS, ...MANAGE_PACKAGES_OTHER])],
    target: async () => {
      const packageId = await newPackage(f.thisCatalog!, 'Matrix: loses a link to the other catalog');
      await asAdmin('POST', `${EM}/accessPackages/${packageId}/incompatibleAccessPackages/$ref`, { '@odata.id': `https://graph.microsoft.com${EM}/accessPackages/${f.otherPackage}` });
      return { package: packageId };
    },
    consumes: true,
  },
  { name: 'GET accessPackages/{id}/incompatibleGroups', method: 'GET', path: () => `${EM}/accessPackages/${f.mainPackage}/incompatibleGroups`, ok: 200, allowed: READ_THIS },
  {
    name: 'POST accessPackages/{id}/incompatibleGroups/$ref',
    method: 'POST',
    path: (t) => `${EM}/accessPackages/${t.package}/incompatibleGroups/$ref`,
    body: () => ({ '@odata.id': `https://graph.microsoft.com/v1.0/groups/${LEGAL_GROUP}` }),
    ok: 204,
    allowed: MANAGE_PACKAGES_THIS,
    target: async () => ({ package: await newPackage(f.thisCatalog!, 'Matrix: gains an incompatible group') }),
    consumes: true,
  },
  {
    name: 'DELETE accessPackages/{id}/incompatibleGroups/{id}/$ref',
    method: 'DELETE',
    path: (t) => `${EM}/accessPackages/${t.package}/incompatibleGroups/${LEGAL_GROUP}/$ref`,
    ok: 204,
    allowed: MANAGE_PACKAGES_THIS,
    target: async () => {
      const packageId = await newPackage(f.thisCatalog!, 'Matrix: loses an incompatible group');
      await asAdmin('POST', `${EM}/accessPackages/${packageId}/incompatibleGroups/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/groups/${LEGAL_GROUP}` });
      return { package: packageId };
    },
    consumes: true,
  },
  { name: 'GET accessPackages/{id}/accessPackagesIncompatibleWith', method: 'GET', path: () => `${EM}/accessPackages/${f.mainPackage}/accessPackagesIncompatibleWith`, ok: 200, allowed: READ_THIS },

  // Assignment policies
  { name: 'GET assignmentPolicies', method: 'GET', path: () => `${EM}/assignmentPolicies`, ok: 200, allowed: SIGNED_IN },
  { name: 'POST assignmentPolicies', method: 'POST', path: () => `${EM}/assignmentPolicies`, body: () => adminOnlyPolicy(f.sparePackage!, 'Matrix: new policy'), ok: 201, allowed: MANAGE_PACKAGES_THIS },
  { name: 'GET assignmentPolicies/{id}', method: 'GET', path: () => `${EM}/assignmentPolicies/${f.mainPolicy}`, ok: 200, allowed: READ_THIS },
  { name: 'PUT assignmentPolicies/{id}', method: 'PUT', path: () => `${EM}/assignmentPolicies/${f.sparePolicy}`, body: () => adminOnlyPolicy(f.sparePackage!, 'Matrix: replaced'), ok: 200, allowed: MANAGE_PACKAGES_THIS },
  {
    name: 'DELETE assignmentPolicies/{id}',
    method: 'DELETE',
    path: (t) => `${EM}/assignmentPolicies/${t.policy}`,
    ok: 204,
    allowed: MANAGE_PACKAGES_THIS,
    target: async () => ({ policy: (await asAdmin('POST', `${EM}/assignmentPolicies`, adminOnlyPolicy(f.sparePackage!, 'Matrix: to delete'))).id as string }),
    consumes: true,
  },

  // Settings
  { name: 'GET settings', method: 'GET', path: () => `${EM}/settings`, ok: 200, allowed: SIGNED_IN },
  { name: 'PATCH settings', method: 'PATCH', path: () => `${EM}/settings`, body: () => ({ externalUserLifecycleAction: 'blockSignIn' }), ok: 204, allowed: MANAGE_TENANT },

  // Assignment requests
  { name: 'GET assignmentRequests', method: 'GET', path: () => `${EM}/assignmentRequests`, ok: 200, allowed: SIGNED_IN },
  {
    name: 'POST assignmentRequests userAdd',
    method: 'POST',
    path: () => `${EM}/assignmentRequests`,
    body: () => ({ requestType: 'userAdd', assignment: { accessPackageId: f.userAddPackage } }),
    ok: 201,
    allowed: ['requestor'],
  },
  {
    name: 'POST assignmentRequests adminAdd',
    method: 'POST',
    path: () => `${EM}/assignmentRequests`,
    body: (t) => ({ requestType: 'adminAdd', assignment: { targetId: t.user, accessPackageId: f.directPackage, assignmentPolicyId: f.directPolicy } }),
    ok: 201,
    allowed: MANAGE_ASSIGNMENTS_THIS,
    target: async () => ({ user: nextTarget() }),
    consumes: true,
  },
  {
    name: 'POST assignmentRequests adminUpdate',
    method: 'POST',
    path: () => `${EM}/assignmentRequests`,
    body: () => ({ requestType: 'adminUpdate', assignment: { id: f.updatedAssignment } }),
    ok: 201,
    allowed: MANAGE_ASSIGNMENTS_THIS,
    // An assignment of a catalog the caller cannot read is answered as a missing one.
    notFoundFor: SIGNED_IN.filter((kind) => !READ_THIS.includes(kind) && !MANAGE_ASSIGNMENTS_THIS.includes(kind)),
  },
  {
    name: 'POST assignmentRequests adminRemove',
    method: 'POST',
    path: () => `${EM}/assignmentRequests`,
    body: (t) => ({ requestType: 'adminRemove', assignment: { id: t.assignment } }),
    ok: 201,
    allowed: MANAGE_ASSIGNMENTS_THIS,
    // An assignment of a catalog the caller cannot read is answered as a missing one.
    notFoundFor: SIGNED_IN.filter((kind) => !READ_THIS.includes(kind) && !MANAGE_ASSIGNMENTS_THIS.includes(kind)),
    target: async () => {
      const user = nextTarget();
      await adminAdd(user);
      return { assignment: await activeAssignment(f.directPackage!, user) };
    },
    consumes: true,
  },
  { name: "GET assignmentRequests/filterByCurrentUser(on='target')", method: 'GET', path: () => `${EM}/assignmentRequests/filterByCurrentUser(on='target')`, ok: 200, allowed: PEOPLE },
  { name: "GET assignmentRequests/filterByCurrentUser(on='createdBy')", method: 'GET', path: () => `${EM}/assignmentRequests/filterByCurrentUser(on='createdBy')`, ok: 200, allowed: PEOPLE },
  { name: "GET assignmentRequests/filterByCurrentUser(on='approver')", method: 'GET', path: () => `${EM}/assignmentRequests/filterByCurrentUser(on='approver')`, ok: 200, allowed: PEOPLE },
  { name: 'GET assignmentRequests/{id}', method: 'GET', path: () => `${EM}/assignmentRequests/${f.pendingRequest}`, ok: 200, allowed: PARTIES_OF_PENDING },
  {
    name: 'DELETE assignmentRequests/{id}',
    method: 'DELETE',
    path: (t) => `${EM}/assignmentRequests/${t.request}`,
    ok: 204,
    allowed: MANAGE_ASSIGNMENTS_THIS,
    target: async () => {
      const request = await requestorAsks(f.deletePackage!);
      const canceled = await send('requestor', 'POST', `${EM}/assignmentRequests/${request}/cancel`);
      if (canceled.status !== 204) throw new Error(`Set-up cancel answered ${canceled.status}: ${canceled.text}`);
      return { request };
    },
    consumes: true,
  },
  {
    name: 'POST assignmentRequests/{id}/cancel',
    method: 'POST',
    path: (t) => `${EM}/assignmentRequests/${t.request}/cancel`,
    ok: 204,
    allowed: CANCEL_THIS,
    target: async () => ({ request: await requestorAsks(f.cancelPackage!) }),
    consumes: true,
  },
  {
    name: 'POST assignmentRequests/{id}/reprocess',
    method: 'POST',
    path: (t) => `${EM}/assignmentRequests/${t.request}/reprocess`,
    ok: 202,
    allowed: MANAGE_ASSIGNMENTS_THIS,
    target: failedDelivery,
    consumes: true,
  },

  // Assignments
  { name: 'GET assignments', method: 'GET', path: () => `${EM}/assignments`, ok: 200, allowed: SIGNED_IN },
  { name: "GET assignments/filterByCurrentUser(on='target')", method: 'GET', path: () => `${EM}/assignments/filterByCurrentUser(on='target')`, ok: 200, allowed: PEOPLE },
  { name: "GET assignments/filterByCurrentUser(on='createdBy')", method: 'GET', path: () => `${EM}/assignments/filterByCurrentUser(on='createdBy')`, ok: 200, allowed: PEOPLE },
  { name: "GET assignments/{id} (the requestor's)", method: 'GET', path: () => `${EM}/assignments/${f.requestorAssignment}`, ok: 200, allowed: ['requestor', ...READ_THIS] },
  { name: 'POST assignments/{id}/reprocess', method: 'POST', path: () => `${EM}/assignments/${f.requestorAssignment}/reprocess`, ok: 202, allowed: MANAGE_ASSIGNMENTS_THIS },

  // Approvals
  {
    name: "GET accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')",
    method: 'GET',
    path: () => `${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`,
    ok: 200,
    allowed: PEOPLE,
  },
  { name: 'GET accessPackageAssignmentApprovals/{id}', method: 'GET', path: () => `${EM}/accessPackageAssignmentApprovals/${f.pendingRequest}`, ok: 200, allowed: PARTIES_OF_PENDING },
  { name: 'GET accessPackageAssignmentApprovals/{id}/stages', method: 'GET', path: () => `${EM}/accessPackageAssignmentApprovals/${f.pendingRequest}/stages`, ok: 200, allowed: PARTIES_OF_PENDING },
  {
    name: 'GET accessPackageAssignmentApprovals/{id}/stages/{id}',
    method: 'GET',
    path: () => `${EM}/accessPackageAssignmentApprovals/${f.pendingRequest}/stages/${f.pendingStage}`,
    ok: 200,
    allowed: PARTIES_OF_PENDING,
  },
  {
    name: 'PATCH accessPackageAssignmentApprovals/{id}/stages/{id}',
    method: 'PATCH',
    path: (t) => `${EM}/accessPackageAssignmentApprovals/${t.request}/stages/${t.stage}`,
    body: () => ({ reviewResult: 'Deny', justification: 'Not now' }),
    ok: 204,
    allowed: ['approver'],
    target: async () => {
      const request = await requestorAsks(f.decidePackage!);
      return { request, stage: await stageOf(request) };
    },
    consumes: true,
  },
  {
    name: 'POST accessPackages/{id}/getApplicablePolicyRequirements',
    method: 'POST',
    path: () => `${EM}/accessPackages/${f.mainPackage}/getApplicablePolicyRequirements`,
    ok: 200,
    // Any person asks what they could request (an empty list when nothing). It reads and changes nothing, so a
    // delegated Read.All token suffices, as Graph documents for this action.
    allowed: PEOPLE,
  },

  // Connected organizations: administrators and applications with a permission read them; administrators write.
  { name: 'GET connectedOrganizations', method: 'GET', path: () => `${EM}/connectedOrganizations`, ok: 200, allowed: READ_TENANT_WIDE },
  {
    name: 'POST connectedOrganizations',
    method: 'POST',
    path: () => `${EM}/connectedOrganizations`,
    body: (t) => ({ displayName: 'Matrix: partner', identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: t.domain, displayName: 'Partner' }] }),
    ok: 201,
    allowed: MANAGE_TENANT,
    target: async () => ({ domain: `partner${randomBytes(4).toString('hex')}.example` }),
    consumes: true,
  },
  { name: 'GET connectedOrganizations/{id}', method: 'GET', path: () => `${EM}/connectedOrganizations/${f.organization}`, ok: 200, allowed: READ_TENANT_WIDE },
  { name: 'PATCH connectedOrganizations/{id}', method: 'PATCH', path: () => `${EM}/connectedOrganizations/${f.organization}`, body: () => ({ description: 'Matrix: changed' }), ok: 202, allowed: MANAGE_TENANT },
  {
    name: 'DELETE connectedOrganizations/{id}',
    method: 'DELETE',
    path: (t) => `${EM}/connectedOrganizations/${t.organization}`,
    ok: 204,
    allowed: MANAGE_TENANT,
    target: async () => ({ organization: await newOrganization() }),
    consumes: true,
  },
  ...(['internal', 'external'] as const).flatMap((kind): Row[] => {
    const sponsor = kind === 'internal' ? OWEN : GUEST;
    const sponsors = () => `${EM}/connectedOrganizations/${f.organization}/${kind}Sponsors`;
    return [
      { name: `GET connectedOrganizations/{id}/${kind}Sponsors`, method: 'GET', path: sponsors, ok: 200, allowed: READ_TENANT_WIDE },
      { name: `POST connectedOrganizations/{id}/${kind}Sponsors/$ref`, method: 'POST', path: () => `${sponsors()}/$ref`, body: () => userReference(sponsor), ok: 204, allowed: MANAGE_TENANT },
      {
        name: `DELETE connectedOrganizations/{id}/${kind}Sponsors/{id}/$ref`,
        method: 'DELETE',
        path: () => `${sponsors()}/${sponsor}/$ref`,
        ok: 204,
        allowed: MANAGE_TENANT,
        target: async () => (await asAdmin('POST', `${sponsors()}/$ref`, userReference(sponsor)), {}),
        consumes: true,
      },
    ];
  }),

  // Audit log
  { name: 'GET auditLogs/directoryAudits', method: 'GET', path: () => '/v1.0/auditLogs/directoryAudits?$top=5', ok: 200, allowed: AUDIT_READERS },
  {
    name: 'GET auditLogs/directoryAudits/{id} (an event of this catalog)',
    method: 'GET',
    path: (t) => `/v1.0/auditLogs/directoryAudits/${t.event}`,
    ok: 200,
    allowed: AUDIT_THIS,
    notFoundFor: ['ownerOther', 'catalogCreator'],
    target: async () => {
      const filter = encodeURIComponent(`targetResources/any(t: t/id eq '${f.thisCatalog}')`);
      // A page may come back empty with a nextLink (a page reads a bounded part of the log): follow it.
      let path: string | undefined = `/v1.0/auditLogs/directoryAudits?$filter=${filter}&$top=1`;
      while (path) {
        const found: { value: Array<{ id: string }>; '@odata.nextLink'?: string } = await asAdmin('GET', path);
        if (found.value[0]) return { event: found.value[0].id };
        path = found['@odata.nextLink'] ? new URL(found['@odata.nextLink']).pathname + new URL(found['@odata.nextLink']).search : undefined;
      }
      throw new Error('no audit event of this catalog');
    },
  },

  // Role management
  { name: 'GET roleDefinitions', method: 'GET', path: () => `${RBAC}/roleDefinitions`, ok: 200, allowed: SIGNED_IN },
  { name: 'GET roleDefinitions/{id}', method: 'GET', path: () => `${RBAC}/roleDefinitions/${CATALOG_OWNER}`, ok: 200, allowed: SIGNED_IN },
  {
    name: 'GET roleAssignments?$filter',
    method: 'GET',
    path: () => `${RBAC}/roleAssignments?$filter=${encodeURIComponent(`appScopeId eq '${catalogScope(f.thisCatalog!)}'`)}`,
    ok: 200,
    allowed: SIGNED_IN,
  },
  {
    name: 'POST roleAssignments (a role in this catalog)',
    method: 'POST',
    path: () => `${RBAC}/roleAssignments`,
    body: (t) => ({ principalId: t.user, roleDefinitionId: CATALOG_READER, appScopeId: catalogScope(f.thisCatalog!) }),
    ok: 201,
    allowed: MANAGE_CATALOG_THIS,
    target: async () => ({ user: nextPrincipal() }),
    consumes: true,
  },
  {
    name: 'POST roleAssignments (catalog creator, tenant-wide)',
    method: 'POST',
    path: () => `${RBAC}/roleAssignments`,
    body: (t) => ({ principalId: t.user, roleDefinitionId: CATALOG_CREATOR, appScopeId: '/' }),
    ok: 201,
    allowed: MANAGE_TENANT,
    target: async () => ({ user: nextPrincipal() }),
    consumes: true,
  },
  { name: 'GET roleAssignments/{id}', method: 'GET', path: () => `${RBAC}/roleAssignments/${f.readerRoleAssignment}`, ok: 200, allowed: READ_THIS },
  {
    name: 'DELETE roleAssignments/{id}',
    method: 'DELETE',
    path: (t) => `${RBAC}/roleAssignments/${t.assignment}`,
    ok: 204,
    allowed: MANAGE_CATALOG_THIS,
    target: async () => ({ assignment: (await assignRole(nextPrincipal(), CATALOG_READER, catalogScope(f.thisCatalog!))).id as string }),
    consumes: true,
  },

  // Reports (DESIGN §2.8): the whole tenant's for administrators and applications with a read permission, a catalog's
  // for its owners and readers (rows of other catalogs left out); a package of a catalog the caller cannot read is not there.
  { name: 'GET reports/accessPackages/{this}/assignments', method: 'GET', path: () => `/api/reports/accessPackages/${f.directPackage}/assignments`, ok: 200, allowed: READ_AUDIT_THIS, notFoundFor: ['ownerOther', 'catalogCreator'] },
  { name: 'GET reports/accessPackages/{this}/assignments as CSV', method: 'GET', path: () => `/api/reports/accessPackages/${f.directPackage}/assignments?format=csv`, ok: 200, allowed: READ_AUDIT_THIS, notFoundFor: ['ownerOther', 'catalogCreator'] },
  { name: 'GET reports/accessPackages/{other}/assignments', method: 'GET', path: () => `/api/reports/accessPackages/${f.otherPackage}/assignments`, ok: 200, allowed: READ_AUDIT_OTHER, notFoundFor: ['catalogReader', 'ownerThis', 'appOwner', 'catalogCreator'] },
  { name: 'GET reports/users/{id}/accessPackages', method: 'GET', path: () => `/api/reports/users/${HANNAH}/accessPackages`, ok: 200, allowed: READ_AUDIT_ANY },
  { name: 'GET reports/users/{id}/resourceRoles', method: 'GET', path: () => `/api/reports/users/${HANNAH}/resourceRoles`, ok: 200, allowed: READ_AUDIT_ANY },
  { name: 'GET reports/separationOfDutiesViolations', method: 'GET', path: () => '/api/reports/separationOfDutiesViolations', ok: 200, allowed: READ_AUDIT_ANY },
  { name: 'GET reports/requests', method: 'GET', path: () => '/api/reports/requests?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z', ok: 200, allowed: READ_AUDIT_ANY },

  // What My Access shows beside Graph's API: self-service reads, for people and not for applications.
  { name: 'GET myAccess/directReports', method: 'GET', path: () => '/api/myAccess/directReports', ok: 200, allowed: PEOPLE },
  { name: 'GET myAccess/suggestedAccessPackages', method: 'GET', path: () => '/api/myAccess/suggestedAccessPackages', ok: 200, allowed: PEOPLE },
];

beforeAll(async () => {
  prefix = `z${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });

  // What does not depend on each other is made at once.
  const publishedCatalog = async (displayName: string) => (await asAdmin('POST', `${EM}/catalogs`, { displayName, state: 'published' })).id as string;
  const [thisCatalog, otherCatalog] = await Promise.all([publishedCatalog('Matrix: this'), publishedCatalog('Matrix: other')]);
  Object.assign(f, { thisCatalog, otherCatalog });
  const thisScope = catalogScope(thisCatalog);
  const [readerRole] = await Promise.all([
    assignRole(ADELE, CATALOG_READER, thisScope),
    assignRole(PRADEEP, CATALOG_OWNER, thisScope),
    assignRole(PATTI, CATALOG_OWNER, catalogScope(otherCatalog)),
    assignRole(LEE, ACCESS_PACKAGE_MANAGER, thisScope),
    assignRole(GRADY, ASSIGNMENT_MANAGER, thisScope),
    assignRole(CHRISTIE, CATALOG_CREATOR, '/'),
    assignRole(TRAVEL_APP, CATALOG_OWNER, thisScope),
    ...[FALCON_GROUP, VPN_GROUP].map((group) => asAdmin('POST', `${EM}/resourceRequests`, resourceRequest('adminAdd', thisCatalog, group))),
  ]);
  f.readerRoleAssignment = readerRole.id;

  const [main, userAdd, cancel, deleted, decide, directPackage, sparePackage, referencedPackage, otherPackage, organization] = await Promise.all([
    // The package of the matrix: a role, and a policy the requestor may use and the approver decides.
    selfServicePackage(thisCatalog, 'Matrix: main'),
    // The same policy on packages whose requests the rows consume, so that each row has its own.
    selfServicePackage(thisCatalog, 'Matrix: userAdd'),
    selfServicePackage(thisCatalog, 'Matrix: cancel'),
    selfServicePackage(thisCatalog, 'Matrix: delete request'),
    selfServicePackage(thisCatalog, 'Matrix: decide'),
    newPackage(thisCatalog, 'Matrix: direct'),
    newPackage(thisCatalog, 'Matrix: spare'),
    newPackage(thisCatalog, 'Matrix: referenced'),
    newPackage(otherCatalog, 'Matrix: in the other catalog'),
    newOrganization(),
    // The catalog creator owns what she creates (as after the POST catalogs row): the report rows expect her to read its reports.
    send('catalogCreator', 'POST', `${EM}/catalogs`, { displayName: "Matrix: the creator's own" }),
  ]);
  Object.assign(f, { mainPackage: main.packageId, mainPolicy: main.policyId, userAddPackage: userAdd.packageId, cancelPackage: cancel.packageId });
  Object.assign(f, { deletePackage: deleted.packageId, decidePackage: decide.packageId, directPackage, sparePackage, referencedPackage, otherPackage, organization });
  // Direct assignment, granting the role too.
  const [, , directPolicy, sparePolicy] = await Promise.all([
    asAdmin('POST', `${EM}/accessPackages/${main.packageId}/resourceRoleScopes`, falconMember),
    asAdmin('POST', `${EM}/accessPackages/${directPackage}/resourceRoleScopes`, falconMember),
    asAdmin('POST', `${EM}/assignmentPolicies`, adminOnlyPolicy(directPackage)),
    asAdmin('POST', `${EM}/assignmentPolicies`, adminOnlyPolicy(sparePackage)),
  ]);
  Object.assign(f, { directPolicy: directPolicy.id, sparePolicy: sparePolicy.id });

  const updated = nextTarget();
  await Promise.all([
    (async () => {
      const pendingRequest = await requestorAsks(main.packageId);
      Object.assign(f, { pendingRequest, pendingStage: await stageOf(pendingRequest) });
    })(),
    (async () => {
      await adminAdd(HANNAH);
      f.requestorAssignment = await activeAssignment(directPackage, HANNAH);
    })(),
    (async () => {
      await adminAdd(updated);
      f.updatedAssignment = await activeAssignment(directPackage, updated);
    })(),
    (async () => {
      // The catalog creator's own catalog (it becomes its owner), made here so no row depends on an earlier one's.
      const made = await send('catalogCreator', 'POST', `${EM}/catalogs`, { displayName: "Matrix: the creator's" });
      if (made.status !== 201) throw new Error(`Set-up: the catalog creator could not create a catalog: ${made.status} ${made.text}`);
    })(),
  ]);
}, 60_000);

afterAll(async () => {
  await host?.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe('lists hold only what the caller may read', () => {
  const catalogIds = async (kind: Kind) => {
    const { status, text } = await send(kind, 'GET', `${EM}/catalogs`);
    expect(status).toBe(200);
    return (JSON.parse(text) as { value: Array<{ id: string }> }).value.map((c) => c.id);
  };

  it("shows a plain user no catalog, a catalog reader only theirs, the other catalog's owner only that one", async () => {
    expect(await catalogIds('plainUser')).toEqual([]);
    expect(await catalogIds('catalogReader')).toEqual([f.thisCatalog]);
    expect(await catalogIds('ownerOther')).toEqual([f.otherCatalog]);
    expect(await catalogIds('appRead')).toEqual(expect.arrayContaining([f.thisCatalog, f.otherCatalog]));
  });

  it('tells the requestor in scope the policy they may use, and a plain user none', async () => {
    const requirements = async (kind: Kind) => {
      const { status, text } = await send(kind, 'POST', `${EM}/accessPackages/${f.mainPackage}/getApplicablePolicyRequirements`);
      expect(status).toBe(200);
      return (JSON.parse(text) as { value: Array<{ policyId: string }> }).value.map((r) => r.policyId);
    };
    expect(await requirements('requestor')).toEqual([f.mainPolicy]);
    expect(await requirements('plainUser')).toEqual([]);
  });
});

describe('every route × every kind of caller', () => {
  const expectedOf = (row: Row, kind: Kind): number =>
    row.allowed.includes(kind) ? row.ok : kind === 'anonymous' ? 401 : row.notFoundFor?.includes(kind) ? 404 : 403;
  const isRefusal = (status: number) => status === 401 || status === 403 || status === 404;

  interface RowOutcome {
    answers: Map<Kind, { status: number; text: string }>;
    /** Storage before and after the row's refused writes, made together with nothing else running. */
    refusedWrites?: { before: string; after: string };
  }

  /**
   * A row's calls, made when its first case runs (rows run one after another, in order). The refused writes go at
   * once between one snapshot before and one after: any of them writing makes every one of the row's refused cases
   * fail. The allowed writes follow one by one, each on a target of its own when the last one consumed it; reads go
   * at once.
   */
  async function runRow(row: Row): Promise<RowOutcome> {
    let target = row.target ? await row.target() : {};
    const answers = new Map<Kind, { status: number; text: string }>();
    const call = async (kind: Kind) => {
      const answer = await send(kind, row.method, row.path(target), row.body?.(target));
      answers.set(kind, answer);
      return answer;
    };
    if (row.method === 'GET') {
      await mapConcurrently(KINDS, call);
      return { answers };
    }
    const refused = KINDS.filter((kind) => isRefusal(expectedOf(row, kind)));
    const before = await storageSnapshot(prefix);
    const refusedAnswers = await mapConcurrently(refused, call);
    const after = await storageSnapshot(prefix);
    let consumed = row.consumes === true && refusedAnswers.some((answer) => answer.status < 300);
    for (const kind of KINDS.filter((k) => !refused.includes(k))) {
      if (consumed && row.target) target = await row.target();
      const { status } = await call(kind);
      consumed = row.consumes === true && status < 300;
    }
    return { answers, refusedWrites: { before, after } };
  }

  const outcomes = new Map<Row, Promise<RowOutcome>>();
  const outcomeOf = (row: Row): Promise<RowOutcome> => {
    let outcome = outcomes.get(row);
    if (!outcome) {
      outcome = runRow(row);
      outcomes.set(row, outcome);
    }
    return outcome;
  };

  const cases = ROWS.flatMap((row) =>
    KINDS.map((kind) => {
      const expected = expectedOf(row, kind);
      return [`${row.name} as ${kind} → ${expected}`, kind, expected, row] as const;
    }),
  );

  it.each(cases)('%s', async (_title, kind, expected, row) => {
    const { answers, refusedWrites } = await outcomeOf(row);
    const { status, text } = answers.get(kind)!;
    expect({ status, body: text.slice(0, 400) }).toMatchObject({ status: expected });
    if (status >= 400) expect(JSON.parse(text)).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
    if (row.method !== 'GET' && isRefusal(expected)) expect(refusedWrites!.after).toBe(refusedWrites!.before);
  });
});
