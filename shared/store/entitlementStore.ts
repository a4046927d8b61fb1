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
import { ConnectedOrganizationStore } from './connectedOrganizationStore';
import { DocumentTable, type StoredDocument } from './documentTable';
import { LocatedTable } from './locatedTable';
import { rowKeysUnder } from './odataFilter';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

export type StoredPolicy = AssignmentPolicy & { id: string; accessPackageId: string; createdDateTime: string; modifiedDateTime: string };

/** `packageId` marks `otherId` (a package or a group) incompatible; stored under both packages for packages. */
export interface IncompatibilityLink {
  packageId: string;
  kind: 'accessPackage' | 'group';
  otherId: string;
}

/**
 * What the request pipeline reads of a package, kept as one row (operations/entitlements/packageConfiguration.ts):
 * the package, its policies, its role scopes and what is incompatible with it (both directions). `changing`: the
 * writers changing any of these now (id → since when); while one is, there is no snapshot.
 */
export interface PackageConfiguration {
  changing: Record<string, string>;
  snapshot: PackageSnapshot | null;
  /** When the snapshot was read from the tables (ISO); it serves for SNAPSHOT_LIFETIME after (packageConfiguration.ts). */
  keptAt?: string;
}

export interface PackageSnapshot {
  accessPackage: AccessPackage;
  policies: StoredPolicy[];
  roleScopes: ResourceRoleScope[];
  incompatiblePackageIds: string[];
  incompatibleGroupIds: string[];
}

/** A delete of a parent under way (see parentCheck.ts): children written meanwhile undo themselves. */
export interface RetiringMark {
  kind: string;
  id: string;
  since: string;
}

/**
 * The entitlement tables, keyed for their reads: catalogs in one partition; resources, roles, scopes, packages and
 * resource requests by catalog; role scopes, policies and incompatibilities by package. Packages and policies are
 * also found by id alone (LocatedTable). A resource's roles and scopes are keyed `<resourceId>|<id>`, so they are
 * read as a RowKey range.
 */
export class EntitlementStore {
  readonly catalogs: DocumentTable<Catalog>;
  readonly resources: DocumentTable<CatalogResource>;
  readonly resourceRoles: DocumentTable<ResourceRole>;
  readonly resourceScopes: DocumentTable<ResourceScope>;
  readonly resourceRequests: DocumentTable<ResourceRequest>;
  readonly accessPackages: LocatedTable<AccessPackage>;
  readonly roleScopes: DocumentTable<ResourceRoleScope>;
  readonly policies: LocatedTable<StoredPolicy>;
  readonly incompatibilities: DocumentTable<IncompatibilityLink>;
  readonly settings: DocumentTable<EntitlementSettings>;
  readonly retiring: DocumentTable<RetiringMark>;
  /** One row per package, in its own partition (keyed by the package's id). */
  readonly packageConfigurations: DocumentTable<PackageConfiguration>;
  readonly connectedOrganizations: ConnectedOrganizationStore;

  constructor(tables: Tables) {
    const table = (name: string) => () => tables.get(name);
    this.catalogs = new DocumentTable(table('catalogs'), 'catalog');
    this.resources = new DocumentTable(table('catalogResources'), 'resource');
    this.resourceRoles = new DocumentTable(table('resourceRoles'), 'resource role');
    this.resourceScopes = new DocumentTable(table('resourceScopes'), 'resource scope');
    this.resourceRequests = new DocumentTable(table('resourceRequests'), 'resource request');
    this.accessPackages = new LocatedTable(
      new DocumentTable(table('accessPackages'), 'access package'),
      new DocumentTable(table('accessPackageLocators'), 'access package'),
    );
    this.roleScopes = new DocumentTable(table('resourceRoleScopes'), 'resource role scope', (rs) => ({ resourceId: rs.role.resourceId }));
    this.policies = new LocatedTable(
      new DocumentTable(table('assignmentPolicies'), 'assignment policy'),
      new DocumentTable(table('assignmentPolicyLocators'), 'assignment policy'),
    );
    this.incompatibilities = new DocumentTable(table('incompatibilities'), 'incompatibility');
    this.settings = new DocumentTable(table('settings'), 'settings');
    this.retiring = new DocumentTable(table('retiringParents'), 'deletion mark');
    this.packageConfigurations = new DocumentTable(table('packageConfigurations'), 'package configuration');
    this.connectedOrganizations = new ConnectedOrganizationStore(tables);
  }

  rolesOf(catalogId: string, resourceId: string): Promise<StoredDocument<ResourceRole>[]> {
    return this.resourceRoles.list({ partitionKey: tableKey(catalogId), filter: rowKeysUnder(resourceId) });
  }

  scopesOf(catalogId: string, resourceId: string): Promise<StoredDocument<ResourceScope>[]> {
    return this.resourceScopes.list({ partitionKey: tableKey(catalogId), filter: rowKeysUnder(resourceId) });
  }
}
