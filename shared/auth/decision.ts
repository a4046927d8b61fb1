import { ACCESS_PACKAGE_ASSIGNMENT_MANAGER, ACCESS_PACKAGE_MANAGER, CATALOG_OWNER, CATALOG_READER, type CatalogRoleId } from './entitlementRoles';

/**
 * What a route or an operation does, for the one authorization decision:
 * - `list`: a tenant-wide list, open to every signed-in caller; the list itself holds only what the caller may read;
 * - `read`: read something in one catalog;
 * - `selfService`: request, decide an approval, cancel one's own request (what is allowed follows from policies);
 *   `selfServiceRead` the same for what only reads (which policies would let me request this package? my own
 *   requests, assignments and approvals: filterByCurrentUser), so applications are refused it as they are in Graph;
 * - `submitRequest`: POST assignmentRequests, open at the route; the operation then decides by request type
 *   (`selfService` for a user's own, `manageAssignments` in the package's catalog for an administrator's);
 * - `readToRequest`: read one access package, open at the route; the route shows it to those who may `read` in its
 *   catalog and to those one of its policies admits as requestors (the package link of My Access);
 * - `readTenant`: read tenant-wide administration (governed guests due to be removed): administrators only;
 * - `readWorkflows` / `manageWorkflows`: lifecycle workflows, read by Global Readers and workflow administrators,
 *   changed and run by Lifecycle Workflows Administrators and Global Administrators (reference graph-wave2 §3.4);
 * - `readAudit`: audit events and reports: the whole tenant's for administrators, Global Readers, Reports Readers and
 *   applications with AuditLog.Read.All; a catalog's for its owners and readers (the operation keeps to what
 *   `CallerAccess.auditVisibility` opens);
 * - the rest: administration, each at its level (DESIGN §2.4, reference §9).
 * The HR webhook (`POST /api/hr/events`) is no action here: its caller is the HR system, known by the Standard
 * Webhooks signature (functions/hrEvents.ts), and a principal's roles grant nothing there.
 */
export type Action =
  | 'list'
  | 'read'
  | 'selfService'
  | 'selfServiceRead'
  | 'submitRequest'
  | 'readToRequest'
  | 'createCatalog'
  | 'manageCatalog'
  | 'manageResources'
  | 'managePackages'
  | 'manageAssignments'
  | 'manageReviews'
  | 'manageTenant'
  | 'readTenant'
  | 'readWorkflows'
  | 'manageWorkflows'
  | 'readAudit';

/** What the caller is, as far as one decision in one catalog (or none) needs to know. */
export interface Standing {
  /** An application calling as itself (it never adds or removes catalog resources, whatever its roles). */
  isApplication: boolean;
  /** A user holding an administrator directory role. */
  administrator: boolean;
  /** An application's own entitlement management permission. */
  application: 'read' | 'readWrite' | null;
  catalogCreator: boolean;
  /** Roles in the catalog the decision is about (none when it is about no catalog). */
  catalogRoles: ReadonlySet<CatalogRoleId>;
  /** A user from another tenant (DESIGN §2.4): holds no role here, whatever their token says. */
  external: boolean;
  /** What the caller's directory roles or application permissions let them do with lifecycle workflows. */
  workflowRole?: 'read' | 'write' | null;
  /** Directory roles (Global Reader, Reports Reader, administrators) or AuditLog.Read.All: the tenant's audit and reports. */
  auditReader?: boolean;
}

const READING: ReadonlySet<Action> = new Set(['list', 'read', 'selfServiceRead', 'readToRequest', 'readTenant', 'readWorkflows', 'readAudit']);

/**
 * What a user from another tenant may do: request what policies open to them, read those packages and their own
 * requests and assignments. Nothing tenant-wide, no catalog, no administration.
 */
const EXTERNAL: ReadonlySet<Action> = new Set(['selfService', 'selfServiceRead', 'submitRequest', 'readToRequest']);
export const isReading = (action: Action) => READING.has(action);

/** The decision itself: pure, so the whole matrix can be tested without storage or a directory. */
export function permits(action: Action, standing: Standing): boolean {
  const { isApplication, administrator, application, catalogCreator, catalogRoles, external } = standing;
  if (external) return EXTERNAL.has(action);
  const tenantWrite = administrator || application === 'readWrite';
  const has = (...roles: CatalogRoleId[]) => roles.some((role) => catalogRoles.has(role));
  switch (action) {
    case 'list':
    case 'selfService':
    case 'selfServiceRead':
    case 'submitRequest':
    case 'readToRequest':
      return true;
    case 'read':
      return administrator || application !== null || catalogRoles.size > 0;
    case 'createCatalog':
      return tenantWrite || catalogCreator;
    case 'manageCatalog':
      return tenantWrite || has(CATALOG_OWNER);
    case 'manageResources':
      // Applications never add or remove resources, even with the read-write permission (DESIGN §2.4).
      return !isApplication && (administrator || has(CATALOG_OWNER));
    case 'managePackages':
      return tenantWrite || has(CATALOG_OWNER, ACCESS_PACKAGE_MANAGER);
    case 'manageAssignments':
      return tenantWrite || has(CATALOG_OWNER, ACCESS_PACKAGE_MANAGER, ACCESS_PACKAGE_ASSIGNMENT_MANAGER);
    case 'manageReviews':
      // Stop, apply, remind, reset: the reviews of a catalog's policies are its owners' and package managers'.
      return tenantWrite || has(CATALOG_OWNER, ACCESS_PACKAGE_MANAGER);
    case 'manageTenant':
      return tenantWrite;
    case 'readTenant':
      return administrator || application !== null;
    case 'readWorkflows':
      return standing.workflowRole === 'read' || standing.workflowRole === 'write';
    case 'manageWorkflows':
      return standing.workflowRole === 'write';
    case 'readAudit':
      return administrator || standing.auditReader === true || has(CATALOG_OWNER, CATALOG_READER);
  }
}

/** What decides access to an access review's instance or decision item, beside the catalog roles. */
export interface ReviewStanding {
  /** The caller reads the catalog the reviewed policy is in (`read` there: administrators, catalog roles). */
  readsCatalog: boolean;
  /** The caller is a reviewer of the item (or, for an instance, of any of its items). */
  reviews: boolean;
  isApplication: boolean;
}

/**
 * Access reviews (reference graph-wave2 §2.3): administrators and the catalog's readers read every review, and a
 * reviewer reads what they review. Only a reviewer of an item decides it, never by role alone, and only as a person
 * (Graph: delegated only, "the caller must be a reviewer").
 */
export function permitsReview(what: 'read' | 'decide', standing: ReviewStanding): boolean {
  if (what === 'read') return standing.readsCatalog || standing.reviews;
  return !standing.isApplication && standing.reviews;
}
