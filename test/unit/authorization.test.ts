import { DateTime } from 'luxon';
import { AdministratorRoles, AUDIT_READ_PERMISSION, READ_PERMISSION, READ_WRITE_PERMISSION, WORKFLOWS_READ_PERMISSION, WORKFLOWS_READ_WRITE_PERMISSION } from '../../shared/auth/administrators';
import { CallerAccess } from '../../shared/auth/callerAccess';
import { permits, type Action, type Standing } from '../../shared/auth/decision';
import { ACCESS_PACKAGE_ASSIGNMENT_MANAGER, ACCESS_PACKAGE_MANAGER, CATALOG_CREATOR, CATALOG_OWNER, CATALOG_READER, catalogScope } from '../../shared/auth/entitlementRoles';
import type { RoleAssignment, RoleAssignmentStore } from '../../shared/store/roleAssignmentStore';
import { callerFromClientPrincipal, type Caller } from '../../shared/auth/caller';
import type { DirectoryPort } from '../../shared/directory/directoryPort';
import { DomainError } from '../../shared/domain/errors';

const IGA = '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e';
const GLOBAL_READER = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';
const REPORTS_READER = '4a5d8f65-41da-4de4-8968-e035b65339cf';
const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';
const LIFECYCLE_WORKFLOWS_ADMINISTRATOR = '59d46f88-662b-457b-bceb-5c3809e5908f';
const principal = (claims: Array<{ typ: string; val: string }>, extra: object = {}) =>
  Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, role_typ: 'roles', ...extra })).toString('base64');

function administratorsWith(roles: Record<string, string[]>) {
  const lookups: string[] = [];
  const directory = { getDirectoryRoleIds: async (id: string) => (lookups.push(id), roles[id] ?? []) } as unknown as DirectoryPort;
  let now = DateTime.fromISO('2026-11-23T10:00:00Z');
  const clock = { now: () => now };
  return { administrators: new AdministratorRoles(directory, clock, 60_000), lookups, advance: (ms: number) => (now = now.plus(ms)) };
}

const user = (objectId: string, scopes?: string[]): Caller => ({ objectId, tenantId: 't', scopes, roles: [], isApplication: false, email: undefined });
const app = (roles: string[]): Caller => ({ objectId: 'app', tenantId: 't', scopes: undefined, roles, isApplication: true, email: undefined });
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'allowed', (e: unknown) => (e instanceof DomainError ? e.code : String(e)));

describe('the caller from x-ms-client-principal', () => {
  it('reads object id, tenant, scopes, roles and application identity from either claim spelling', () => {
    const caller = callerFromClientPrincipal(
      principal([
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'u1' },
        { typ: 'tid', val: 't1' },
        { typ: 'scp', val: 'EntitlementManagement.Read.All User.Read' },
        { typ: 'roles', val: 'A' },
        { typ: 'roles', val: 'B' },
        { typ: 'preferred_username', val: 'u1@contoso.com' },
      ]),
    );
    expect(caller).toEqual({ objectId: 'u1', tenantId: 't1', scopes: ['EntitlementManagement.Read.All', 'User.Read'], roles: ['A', 'B'], isApplication: false, email: 'u1@contoso.com', emailVerified: false });
    expect(callerFromClientPrincipal(principal([{ typ: 'oid', val: 'a1' }, { typ: 'idtyp', val: 'app' }]))).toMatchObject({ objectId: 'a1', isApplication: true, scopes: undefined });
  });

  it('takes a principal without idtyp as an application when it has no scp and its sub is its object id', async () => {
    const NAME_IDENTIFIER = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier';
    const appWithoutIdtyp = callerFromClientPrincipal(principal([{ typ: 'oid', val: 'A1' }, { typ: NAME_IDENTIFIER, val: 'a1' }, { typ: 'roles', val: 'X' }]))!;
    const userWithPairwiseSub = callerFromClientPrincipal(principal([{ typ: 'oid', val: 'u1' }, { typ: 'sub', val: 'pairwise-subject' }]))!;
    const delegatedWithSubEqualOid = callerFromClientPrincipal(principal([{ typ: 'oid', val: 'u1' }, { typ: 'sub', val: 'u1' }, { typ: 'scp', val: 'User.Read' }]))!;

    expect([appWithoutIdtyp.isApplication, userWithPairwiseSub.isApplication, delegatedWithSubEqualOid.isApplication]).toEqual([true, false, false]);
    // What the classification is for: an application in a catalog's owner role never adds resources.
    expect(await codeOf(accessFor(appWithoutIdtyp, { assignments: [owner('c1')] }).require('manageResources', 'c1'))).toBe('forbidden');
  });

  it('is absent without the header', () => {
    expect(callerFromClientPrincipal(null)).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['JSON without claims', Buffer.from('{"auth_typ":"aad"}').toString('base64')],
    ['claims without an object id', principal([{ typ: 'tid', val: 't' }])],
  ])('refuses a header that is %s with 401', (_situation, header) => {
    expect(() => callerFromClientPrincipal(header)).toThrow(expect.objectContaining({ code: 'unauthenticated' }));
  });
});

const owner = (catalogId: string, roleDefinitionId = CATALOG_OWNER): RoleAssignment => ({
  id: `${roleDefinitionId}-${catalogId}`, principalId: 'x', roleDefinitionId, appScopeId: catalogScope(catalogId), directoryScopeId: '/', condition: null, createdDateTime: '',
});

function accessFor(caller: Caller, options: { administrators?: string[]; assignments?: RoleAssignment[] } = {}) {
  const { administrators } = administratorsWith(Object.fromEntries((options.administrators ?? []).map((id) => [id, [IGA]])));
  const roleAssignments = { ofPrincipal: async () => options.assignments ?? [] } as unknown as RoleAssignmentStore;
  return new CallerAccess(caller, administrators, roleAssignments);
}

/** Every action: a Record over Action, so that an action added later fails to compile here until it is listed. */
const ALL_ACTIONS = Object.keys({
  list: 0, read: 0, selfService: 0, selfServiceRead: 0, submitRequest: 0, readToRequest: 0, createCatalog: 0, manageCatalog: 0, manageResources: 0,
  managePackages: 0, manageAssignments: 0, manageReviews: 0, manageTenant: 0, readTenant: 0, readWorkflows: 0, manageWorkflows: 0, readAudit: 0,
} satisfies Record<Action, 0>) as Action[];

const NONE: Standing = { isApplication: false, administrator: false, application: null, catalogCreator: false, catalogRoles: new Set(), external: false };
const STANDINGS: Record<string, Standing> = {
  'plain user': NONE,
  administrator: { ...NONE, administrator: true },
  'app with Read.All': { ...NONE, isApplication: true, application: 'read' },
  'app with ReadWrite.All': { ...NONE, isApplication: true, application: 'readWrite' },
  'app in the owner role': { ...NONE, isApplication: true, catalogRoles: new Set([CATALOG_OWNER]) },
  'catalog creator': { ...NONE, catalogCreator: true },
  'catalog owner': { ...NONE, catalogRoles: new Set([CATALOG_OWNER]) },
  'catalog reader': { ...NONE, catalogRoles: new Set([CATALOG_READER]) },
  'access package manager': { ...NONE, catalogRoles: new Set([ACCESS_PACKAGE_MANAGER]) },
  'assignment manager': { ...NONE, catalogRoles: new Set([ACCESS_PACKAGE_ASSIGNMENT_MANAGER]) },
};
const ACTIONS: Action[] = ['list', 'read', 'selfService', 'createCatalog', 'manageCatalog', 'manageResources', 'managePackages', 'manageAssignments', 'manageTenant', 'readTenant'];
/** Expected decisions, in ACTIONS order (reference §9 and DESIGN §2.4). */
const MATRIX: Record<string, string> = {
  'plain user': 'YNYNNNNNNN',
  administrator: 'YYYYYYYYYY',
  'app with Read.All': 'YYYNNNNNNY',
  'app with ReadWrite.All': 'YYYYYNYYYY',
  'catalog creator': 'YNYYNNNNNN',
  'catalog owner': 'YYYNYYYYNN',
  'app in the owner role': 'YYYNYNYYNN',
  'catalog reader': 'YYYNNNNNNN',
  'access package manager': 'YYYNNNYYNN',
  'assignment manager': 'YYYNNNNYNN',
};

describe('the authorization decision', () => {
  it.each(Object.keys(MATRIX))('decides every action for a %s', (kind) => {
    const decided = ACTIONS.map((action) => (permits(action, STANDINGS[kind]!) ? 'Y' : 'N')).join('');
    expect(decided).toBe(MATRIX[kind]);
  });

  it('takes administrators from the directory and catalog roles only in their own catalog', async () => {
    const access = accessFor(user('u'), { assignments: [owner('c1')] });
    expect(await access.allows('manageCatalog', 'c1')).toBe(true);
    expect(await access.allows('manageCatalog', 'C1')).toBe(true);
    expect(await access.allows('manageCatalog', 'c2')).toBe(false);
    expect(await access.allows('read', 'c2')).toBe(false);
    expect([...(await access.catalogsWithRoles())]).toEqual(['c1']);
    expect(await accessFor(user('admin'), { administrators: ['admin'] }).allows('manageTenant')).toBe(true);
  });

  it('holds a delegated caller to the scopes the token carries, whatever their roles', async () => {
    const admin = (scopes: string[]) => accessFor(user('admin', scopes), { administrators: ['admin'] });
    expect(await admin(['User.Read']).allows('read', 'c1')).toBe(false);
    expect(await admin(['EntitlementManagement.Read.All']).allows('read', 'c1')).toBe(true);
    expect(await admin(['EntitlementManagement.Read.All']).allows('managePackages', 'c1')).toBe(false);
    expect(await admin(['EntitlementManagement.Read.All']).allows('selfService')).toBe(false);
    expect(await admin(['EntitlementManagement.ReadWrite.All']).allows('managePackages', 'c1')).toBe(true);
    expect(await codeOf(admin(['EntitlementManagement.Read.All']).require('manageTenant'))).toBe('forbidden');
  });

  it('lets applications act by their permission, or by a catalog role they hold', async () => {
    expect(await accessFor(app(['EntitlementManagement.ReadWrite.All'])).allows('managePackages', 'c1')).toBe(true);
    expect(await accessFor(app(['EntitlementManagement.ReadWrite.All'])).allows('manageResources', 'c1')).toBe(false);
    expect(await accessFor(app(['EntitlementManagement.Read.All'])).readsEverything()).toBe(true);
    expect(await accessFor(app([])).allows('read', 'c1')).toBe(false);
    expect(await accessFor(app([]), { assignments: [owner('c1')] }).allows('managePackages', 'c1')).toBe(true);
    expect(await accessFor(app(['EntitlementManagement.ReadWrite.All'])).allows('selfService')).toBe(false);
  });

  it('lets a user from another tenant request, read packages to request them and their own, and nothing else', () => {
    const external: Standing = { ...NONE, external: true };
    const allActions: Action[] = [...ACTIONS, 'selfServiceRead', 'submitRequest', 'readToRequest'];
    expect(allActions.filter((action) => permits(action, external))).toEqual(['selfService', 'selfServiceRead', 'submitRequest', 'readToRequest']);
    // Whatever else the standing says: an external caller holds no role here.
    expect(permits('read', { ...external, administrator: true, catalogRoles: new Set([CATALOG_OWNER]) })).toBe(false);
  });

  it('gives a caller from another tenant no role, even one whose object id holds roles here, and reads none', async () => {
    const lookups: string[] = [];
    const roleAssignments = { ofPrincipal: async (id: string) => (lookups.push(id), [owner('c1')]) } as unknown as RoleAssignmentStore;
    const { administrators, lookups: directoryLookups } = administratorsWith({ admin: [IGA] });
    const access = new CallerAccess({ ...user('admin'), external: { tenantId: 'other', email: 'x@fabrikam.com', domain: 'fabrikam.com', emailVerified: true } }, administrators, roleAssignments);
    expect(await access.allows('read', 'c1')).toBe(false);
    expect(await access.allows('manageTenant')).toBe(false);
    expect(await access.allows('selfService')).toBe(true);
    expect(await access.visibility()).toEqual({ everything: false, catalogIds: new Set() });
    expect([lookups, directoryLookups]).toEqual([[], []]);
  });

  it('opens audit events and reports to tenant-wide readers, and to owners and readers for their own catalogs only', async () => {
    const { administrators } = administratorsWith({ reader: [GLOBAL_READER], reports: [REPORTS_READER] });
    const roleAssignments = { ofPrincipal: async () => [] } as unknown as RoleAssignmentStore;
    for (const id of ['reader', 'reports']) expect(await new CallerAccess(user(id), administrators, roleAssignments).auditVisibility()).toEqual({ everything: true, catalogIds: new Set() });
    expect(await accessFor(user('admin'), { administrators: ['admin'] }).auditVisibility()).toEqual({ everything: true, catalogIds: new Set() });

    const catalogRoles = accessFor(user('u'), { assignments: [owner('c1'), owner('c2', CATALOG_READER), owner('c3', ACCESS_PACKAGE_MANAGER)] });
    expect(await catalogRoles.auditVisibility()).toEqual({ everything: false, catalogIds: new Set(['c1', 'c2']) });
    expect([await catalogRoles.allows('readAudit', 'c1'), await catalogRoles.allows('readAudit', 'c2'), await catalogRoles.allows('readAudit', 'c3')]).toEqual([true, true, false]);
    expect(await accessFor(user('u')).allows('readAudit')).toBe(false);

    expect(await accessFor(app(['AuditLog.Read.All'])).auditVisibility()).toEqual({ everything: true, catalogIds: new Set() });
    expect(await accessFor(app([])).auditVisibility()).toEqual({ everything: false, catalogIds: new Set() });
    // A delegated token needs an audit or entitlement management read scope, whatever the user's roles.
    expect(await accessFor(user('admin', ['User.Read']), { administrators: ['admin'] }).allows('readAudit')).toBe(false);
    expect(await accessFor(user('admin', ['AuditLog.Read.All']), { administrators: ['admin'] }).allows('readAudit')).toBe(true);
  });

  it('reads the role assignments only when the directory roles and the token do not suffice', async () => {
    const read: string[] = [];
    const roleAssignments = { ofPrincipal: async (id: string) => (read.push(id), id === 'owner' ? [owner('c1')] : []) } as unknown as RoleAssignmentStore;
    const { administrators } = administratorsWith({ admin: [IGA] });
    const access = (id: string) => new CallerAccess(user(id), administrators, roleAssignments);

    // An administrator's request, its read-back, their lists; anyone's self-service: no role assignment read.
    await access('admin').require('manageAssignments', 'c1');
    expect(await access('admin').allows('read', 'c1')).toBe(true);
    expect(await access('admin').readsEverything()).toBe(true);
    await access('someone').require('selfService');
    expect(read).toEqual([]);

    // A catalog role is still found, and its absence still refuses.
    await access('owner').require('manageAssignments', 'c1');
    expect(await codeOf(access('someone').require('manageAssignments', 'c1'))).toBe('forbidden');
    expect(read).toEqual(['owner', 'someone']);
  });

  it('decides as if it always read the role assignments, for every caller, role assignments, action and catalog', async () => {
    // Every directory role and application permission the standing is made of, in every combination; every
    // catalog role in one catalog, with and without the tenant-wide catalog creator; every action, in that catalog,
    // in another and in none. Expected: the decision on the standing with the role assignments read (`standing`).
    const subsets = <T>(items: readonly T[]): T[][] => items.reduce<T[][]>((all, item) => [...all, ...all.map((some) => [...some, item])], [[]]);
    const directoryRoles = [IGA, GLOBAL_ADMINISTRATOR, LIFECYCLE_WORKFLOWS_ADMINISTRATOR, GLOBAL_READER, REPORTS_READER];
    const permissions = [READ_PERMISSION, READ_WRITE_PERMISSION, WORKFLOWS_READ_PERMISSION, WORKFLOWS_READ_WRITE_PERMISSION, AUDIT_READ_PERMISSION];
    const external = { tenantId: 'other', email: 'x@fabrikam.com', domain: 'fabrikam.com', emailVerified: true };
    const callers: Array<{ caller: Caller; roles: string[] }> = [
      ...subsets(directoryRoles).map((roles) => ({ caller: user('u'), roles })),
      ...subsets(permissions).map((roles) => ({ caller: app(roles), roles: [] })),
      { caller: { ...user('u'), external }, roles: [IGA] },
    ];
    const creator: RoleAssignment = { ...owner('x', CATALOG_CREATOR), appScopeId: '/' };
    const assignmentSets = subsets([CATALOG_OWNER, CATALOG_READER, ACCESS_PACKAGE_MANAGER, ACCESS_PACKAGE_ASSIGNMENT_MANAGER].map((role) => owner('c1', role)))
      .flatMap((set) => [set, [...set, creator]]);
    const differing: string[] = [];
    let decisions = 0;
    for (const { caller, roles } of callers) {
      for (const assignments of assignmentSets) {
        const { administrators } = administratorsWith({ [caller.objectId]: roles });
        const roleAssignments = { ofPrincipal: async () => assignments } as unknown as RoleAssignmentStore;
        const lazily = new CallerAccess(caller, administrators, roleAssignments);
        const always = new CallerAccess(caller, administrators, roleAssignments);
        for (const action of ALL_ACTIONS) {
          for (const catalogId of ['c1', 'c2', undefined]) {
            // Applications never self-serve, whatever their standing: the token's gate, before the standing.
            const expected = !(caller.isApplication && action.startsWith('selfService')) && permits(action, await always.standing(catalogId));
            decisions++;
            if ((await lazily.allows(action, catalogId)) !== expected) differing.push(`${action} in ${catalogId} for ${JSON.stringify({ caller, roles, assignments })}`);
          }
        }
      }
    }
    expect(differing.slice(0, 3)).toEqual([]);
    expect(decisions).toBe(65 * 32 * ALL_ACTIONS.length * 3);
  });

  it('knows a catalog creator by the tenant-wide assignment only', async () => {
    const creator: RoleAssignment = { ...owner('x', CATALOG_CREATOR), appScopeId: '/' };
    expect(await accessFor(user('u'), { assignments: [creator] }).allows('createCatalog')).toBe(true);
    expect(await accessFor(user('u'), { assignments: [{ ...creator, appScopeId: catalogScope('c1') }] }).allows('createCatalog')).toBe(false);
  });
});

describe('administrator roles', () => {
  it('reads administrator roles from the directory once per minute per user', async () => {
    const { administrators, lookups, advance } = administratorsWith({ admin: [IGA] });
    await administrators.isAdministrator('admin');
    await administrators.isAdministrator('admin');
    expect(lookups).toEqual(['admin']);
    advance(61_000);
    await administrators.isAdministrator('admin');
    expect(lookups).toEqual(['admin', 'admin']);
  });
});
