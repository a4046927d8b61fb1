import type { AssignmentPolicy } from '../domain/policies';
import type {
  AccessPackage,
  Catalog,
  CatalogResource,
  EntitlementSettings,
  ResourceRequest,
  ResourceRole,
  ResourceRoleScope,
  ResourceScope,
} from '../domain/entitlements';
import { DocumentTable } from './documentTable';
import type { Tables } from './tables';

export type StoredPolicy = AssignmentPolicy & { id: string; accessPackageId: string; createdDateTime: string; modifiedDateTime: string };

/** `packageId` marks `otherId` (a package or a group) incompatible; stored under both packages for packages. */
export interface IncompatibilityLink {
  packageId: string;
  kind: 'accessPackage' | 'group';
  otherId: string;
}

/** Where an entity lives, for ids whose partition is another entity's id. */
export interface Locator {
  id: string;
  partitionId: string;
}

/**
 * The entitlement tables, keyed for their reads: catalogs in one partition; resources, roles, scopes, packages and
 * resource requests by catalog; role scopes, policies and incompatibilities by package. Packages and policies are
 * also found by id alone, through a locator row written before and deleted after the entity.
 */
export class EntitlementStore {
  readonly catalogs: DocumentTable<Catalog>;
  readonly resources: DocumentTable<CatalogResource>;
  readonly resourceRoles: DocumentTable<ResourceRole>;
  readonly resourceScopes: DocumentTable<ResourceScope>;
  readonly resourceRequests: DocumentTable<ResourceRequest>;
  readonly accessPackages: DocumentTable<AccessPackage>;
  readonly packageLocators: DocumentTable<Locator>;
  readonly roleScopes: DocumentTable<ResourceRoleScope>;
  readonly policies: DocumentTable<StoredPolicy>;
  readonly policyLocators: DocumentTable<Locator>;
  readonly incompatibilities: DocumentTable<IncompatibilityLink>;
  readonly settings: DocumentTable<EntitlementSettings>;

  constructor(tables: Tables) {
    const table = (name: string) => () => tables.get(name);
    this.catalogs = new DocumentTable(table('catalogs'), 'catalog');
    this.resources = new DocumentTable(table('catalogResources'), 'resource', (r) => ({ originId: r.originId, originSystem: r.originSystem }));
    this.resourceRoles = new DocumentTable(table('resourceRoles'), 'resource role', (r) => ({ resourceId: r.resourceId }));
    this.resourceScopes = new DocumentTable(table('resourceScopes'), 'resource scope', (s) => ({ resourceId: s.resourceId }));
    this.resourceRequests = new DocumentTable(table('resourceRequests'), 'resource request');
    this.accessPackages = new DocumentTable(table('accessPackages'), 'access package');
    this.packageLocators = new DocumentTable(table('accessPackageLocators'), 'access package');
    this.roleScopes = new DocumentTable(table('resourceRoleScopes'), 'resource role scope', (rs) => ({ resourceId: rs.role.resourceId }));
    this.policies = new DocumentTable(table('assignmentPolicies'), 'assignment policy');
    this.policyLocators = new DocumentTable(table('assignmentPolicyLocators'), 'assignment policy');
    this.incompatibilities = new DocumentTable(table('incompatibilities'), 'incompatibility', (i) => ({ kind: i.kind, otherId: i.otherId }));
    this.settings = new DocumentTable(table('settings'), 'settings');
  }
}
