import { DomainError } from '../domain/errors';
import type { RoleAssignment, RoleAssignmentStore } from '../store/roleAssignmentStore';
import type { AdministratorRoles } from './administrators';
import { AUDIT_READ_PERMISSION, READ_PERMISSION, READ_WRITE_PERMISSION, WORKFLOWS_READ_PERMISSION, WORKFLOWS_READ_WRITE_PERMISSION } from './administrators';
import type { Caller } from './caller';
import { isReading, permits, type Action, type Standing } from './decision';
import { CATALOG_CREATOR, CATALOG_OWNER, CATALOG_READER, catalogOfScope, TENANT_SCOPE, type CatalogRoleId } from './entitlementRoles';

/**
 * What of the tenant's catalogs a caller reads: all of them (administrators and applications with a read
 * permission), or those where they hold a role. `everything` spares the catalog check when it is not needed.
 */
export interface Visibility {
  everything: boolean;
  catalogIds: ReadonlySet<string>;
}

export const sees = (visibility: Visibility, catalogId: string | undefined): boolean =>
  visibility.everything || (catalogId !== undefined && visibility.catalogIds.has(catalogId.toLowerCase()));

/**
 * What one caller may do, gathered once per request (their directory roles and entitlement role assignments,
 * each read at most once) and decided by `permits`.
 */
export class CallerAccess {
  #administrator: Promise<boolean> | undefined;
  #assignments: Promise<RoleAssignment[]> | undefined;

  constructor(
    readonly caller: Caller,
    private readonly administrators: AdministratorRoles,
    private readonly roleAssignments: RoleAssignmentStore,
  ) {}

  /** Whether the caller may do `action`, in `catalogId` when it concerns one catalog. */
  async allows(action: Action, catalogId?: string): Promise<boolean> {
    if (!this.#tokenPermits(action)) return false;
    return this.#permits(action, catalogId);
  }

  /** Refuses (403) what the caller may not do, saying what would be needed. */
  async require(action: Action, catalogId?: string): Promise<void> {
    if (!this.#tokenPermits(action)) {
      if (this.caller.isApplication) throw new DomainError('forbidden', 'Requests and approvals are for signed-in people; an application cannot make, decide or list its own.');
      const [read, readWrite] = isWorkflowAction(action) ? [WORKFLOWS_READ_PERMISSION, WORKFLOWS_READ_WRITE_PERMISSION] : [READ_PERMISSION, READ_WRITE_PERMISSION];
      throw new DomainError('forbidden', `The token does not carry ${isReading(action) ? `${read} or ` : ''}${readWrite}.`);
    }
    if (!(await this.#permits(action, catalogId))) {
      // The catalog is not named: found from a package, policy or request in the path, its id would tell a
      // caller who may not read it where that thing lives.
      throw new DomainError('forbidden', `You may not ${DESCRIPTIONS[action]}${catalogId ? ' in the catalog this concerns' : ''}.`);
    }
  }

  /** Administrators and applications with a read permission read everything; others what their roles open. */
  async readsEverything(): Promise<boolean> {
    const standing = await this.#standingWithoutRoleAssignments();
    return this.#tokenPermits('read') && (standing.administrator || standing.application !== null);
  }

  /** What the caller reads of the tenant's catalogs (see Visibility). */
  async visibility(): Promise<Visibility> {
    if (await this.readsEverything()) return { everything: true, catalogIds: new Set() };
    return { everything: false, catalogIds: await this.catalogsWithRoles() };
  }

  /**
   * Whose audit events and reports the caller reads: the whole tenant's (see `readAudit` in decision.ts), or those of
   * the catalogs they own or read. Nothing for a caller whose token does not allow audit reads.
   */
  async auditVisibility(): Promise<Visibility> {
    if (!this.#tokenPermits('readAudit') || this.caller.external) return { everything: false, catalogIds: new Set() };
    if ((await this.standing()).auditReader) return { everything: true, catalogIds: new Set() };
    const readerRoles: ReadonlySet<string> = new Set([CATALOG_OWNER, CATALOG_READER]);
    const catalogIds = (await this.#ownAssignments()).filter((a) => readerRoles.has(a.roleDefinitionId)).flatMap((a) => catalogOfScope(a.appScopeId) ?? []);
    return { everything: false, catalogIds: new Set(catalogIds) };
  }

  /** The catalogs in which the caller holds any role (and so may read). */
  async catalogsWithRoles(): Promise<Set<string>> {
    if (!this.#tokenPermits('read') || this.caller.external) return new Set();
    return new Set((await this.#ownAssignments()).flatMap((a) => catalogOfScope(a.appScopeId) ?? []));
  }

  async standing(catalogId?: string): Promise<Standing> {
    const standing = await this.#standingWithoutRoleAssignments();
    if (standing.external) return standing;
    const assignments = await this.#ownAssignments();
    const inCatalog = catalogId?.toLowerCase();
    return {
      ...standing,
      catalogCreator: assignments.some((a) => a.roleDefinitionId === CATALOG_CREATOR && a.appScopeId === TENANT_SCOPE),
      catalogRoles: new Set(
        inCatalog === undefined ? [] : assignments.filter((a) => catalogOfScope(a.appScopeId) === inCatalog).map((a) => a.roleDefinitionId as CatalogRoleId),
      ),
    };
  }

  /**
   * Role assignments only ever add to what a caller may do (`permits` grants on any of them, denies on none), so
   * when the directory roles and the application's permissions suffice (an administrator; self-service), the
   * caller's role assignments are not read: a Table round trip less for each such call (issue 19 item 1).
   */
  async #permits(action: Action, catalogId?: string): Promise<boolean> {
    return permits(action, await this.#standingWithoutRoleAssignments()) || permits(action, await this.standing(catalogId));
  }

  /** The caller's standing from their directory roles and their token, as if they held no role assignment. */
  async #standingWithoutRoleAssignments(): Promise<Standing> {
    // A user of another tenant holds no role here: their object id is not one of this directory's.
    if (this.caller.external) return { isApplication: false, administrator: false, application: null, catalogCreator: false, catalogRoles: new Set(), external: true };
    return {
      isApplication: this.caller.isApplication,
      administrator: await this.#isAdministrator(),
      application: this.#applicationPermission(),
      catalogCreator: false,
      catalogRoles: new Set(),
      external: false,
      workflowRole: await this.#workflowRole(),
      auditReader: await this.#auditReader(),
    };
  }

  /**
   * A delegated token (`scp`) must carry the entitlement management permission the action needs, whatever the
   * signed-in user may do; self-service needs the read-write one, as Graph's request and approval APIs do. An
   * application without any such permission acts only through the catalog roles it holds, and never self-serves.
   */
  #tokenPermits(action: Action): boolean {
    const { scopes, isApplication } = this.caller;
    // Lifecycle workflows have permissions of their own; the application's are its roles (#workflowRole).
    if (isWorkflowAction(action)) {
      return isApplication || scopes === undefined || scopes.includes(WORKFLOWS_READ_WRITE_PERMISSION) || (isReading(action) && scopes.includes(WORKFLOWS_READ_PERMISSION));
    }
    // Audit reads: Graph's own permission, or an entitlement management one (reports are entitlement management's).
    if (action === 'readAudit' && scopes?.includes(AUDIT_READ_PERMISSION)) return true;
    // Requesting and approving are for people: Graph offers those APIs to delegated callers only.
    if (isApplication) return action !== 'selfService' && action !== 'selfServiceRead';
    if (scopes === undefined) return true;
    return scopes.includes(READ_WRITE_PERMISSION) || (isReading(action) && scopes.includes(READ_PERMISSION));
  }

  #applicationPermission(): Standing['application'] {
    if (!this.caller.isApplication) return null;
    if (this.caller.roles.includes(READ_WRITE_PERMISSION)) return 'readWrite';
    return this.caller.roles.includes(READ_PERMISSION) ? 'read' : null;
  }

  /** Directory roles for a user; the LifecycleWorkflows application permissions for an application. */
  async #workflowRole(): Promise<'read' | 'write' | null> {
    if (!this.caller.isApplication) return this.administrators.workflowRole(this.caller.objectId);
    if (this.caller.roles.includes(WORKFLOWS_READ_WRITE_PERMISSION)) return 'write';
    return this.caller.roles.includes(WORKFLOWS_READ_PERMISSION) ? 'read' : null;
  }

  /** Directory roles for a user; AuditLog.Read.All (or entitlement management's read permissions) for an application. */
  async #auditReader(): Promise<boolean> {
    if (!this.caller.isApplication) return this.administrators.readsAudit(this.caller.objectId);
    return [AUDIT_READ_PERMISSION, READ_PERMISSION, READ_WRITE_PERMISSION].some((permission) => this.caller.roles.includes(permission));
  }

  #isAdministrator(): Promise<boolean> {
    this.#administrator ??= this.caller.isApplication ? Promise.resolve(false) : this.administrators.isAdministrator(this.caller.objectId);
    return this.#administrator;
  }

  #ownAssignments(): Promise<RoleAssignment[]> {
    this.#assignments ??= this.roleAssignments.ofPrincipal(this.caller.objectId);
    return this.#assignments;
  }
}

const DESCRIPTIONS: Record<Action, string> = {
  list: 'list',
  read: 'read this',
  selfService: 'do this',
  selfServiceRead: 'read this',
  submitRequest: 'submit assignment requests',
  readToRequest: 'read this access package',
  createCatalog: 'create catalogs (it needs the catalog creator role or an administrator)',
  manageCatalog: "change the catalog or its role assignments (it needs the catalog's owner or an administrator)",
  manageResources: "add or remove resources (it needs the catalog's owner or an administrator; applications never may)",
  managePackages: 'manage access packages and policies (it needs an access package manager, the catalog owner or an administrator)',
  manageAssignments: 'manage assignments (it needs an access package assignment manager, an access package manager, the catalog owner or an administrator)',
  manageReviews: 'stop, apply, remind or reset access reviews (it needs an access package manager, the catalog owner or an administrator)',
  manageTenant: 'change tenant-wide settings or roles (it needs an administrator)',
  readTenant: 'read this (it needs an administrator)',
  readWorkflows: 'read lifecycle workflows (it needs a Global Reader, a Lifecycle Workflows Administrator or a Global Administrator)',
  manageWorkflows: 'change or run lifecycle workflows (it needs a Lifecycle Workflows Administrator or a Global Administrator)',
  readAudit: 'read audit events or reports (it needs a Global Reader, a Reports Reader, an administrator, or an owner or reader of the catalog)',
};

const isWorkflowAction = (action: Action) => action === 'readWorkflows' || action === 'manageWorkflows';
