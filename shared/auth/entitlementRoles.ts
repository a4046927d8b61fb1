/**
 * Entitlement management's own roles (reference §9), with the ids Graph gives them. Catalog roles are assigned
 * within one catalog (`appScopeId` `/AccessPackageCatalog/{id}`); the catalog creator across the tenant (`/`).
 */
export const CATALOG_OWNER = 'ae79f266-94d4-4dab-b730-feca7e132178';
export const CATALOG_READER = '44272f93-9762-48e8-af59-1b5351b1d6b3';
export const ACCESS_PACKAGE_MANAGER = '7f480852-ebdc-47d4-87de-0d8498384a83';
export const ACCESS_PACKAGE_ASSIGNMENT_MANAGER = 'e2182095-804a-4656-ae11-64734e9b7ae5';
export const CATALOG_CREATOR = 'ba92d953-d8e0-4e39-a797-0cbedb0a89e8';

export type CatalogRoleId = typeof CATALOG_OWNER | typeof CATALOG_READER | typeof ACCESS_PACKAGE_MANAGER | typeof ACCESS_PACKAGE_ASSIGNMENT_MANAGER;

export const TENANT_SCOPE = '/';
const CATALOG_SCOPE = /^\/AccessPackageCatalog\/([^/]+)$/i;

export const catalogScope = (catalogId: string) => `/AccessPackageCatalog/${catalogId}`;

/** The catalog an `appScopeId` names, or undefined for the tenant scope or anything else. */
export function catalogOfScope(appScopeId: string): string | undefined {
  return CATALOG_SCOPE.exec(appScopeId)?.[1]?.toLowerCase();
}

export interface RoleDefinition {
  id: string;
  displayName: string;
  description: string;
  /** Where the role can be assigned: in a catalog, or across the tenant. */
  scope: 'catalog' | 'tenant';
  allowedResourceActions: string[];
}

const EM = 'microsoft.entitlementManagement';

export const ROLE_DEFINITIONS: readonly RoleDefinition[] = [
  { id: CATALOG_OWNER, displayName: 'Catalog owner', description: 'Edit and manage a catalog, its resources, access packages, policies and role assignments.', scope: 'catalog', allowedResourceActions: [`${EM}/allEntities/allTasks`] },
  { id: CATALOG_READER, displayName: 'Catalog reader', description: 'View a catalog and its access packages.', scope: 'catalog', allowedResourceActions: [`${EM}/allEntities/Read`] },
  {
    id: ACCESS_PACKAGE_MANAGER,
    displayName: 'Access package manager',
    description: 'Edit and manage the access packages and policies of a catalog.',
    scope: 'catalog',
    allowedResourceActions: [`${EM}/AccessPackageCatalog/AccessPackage/allTasks`, `${EM}/AccessPackageCatalog/allEntities/Read`],
  },
  {
    id: ACCESS_PACKAGE_ASSIGNMENT_MANAGER,
    displayName: 'Access package assignment manager',
    description: 'Edit and manage the assignments of the access packages of a catalog.',
    scope: 'catalog',
    allowedResourceActions: [
      `${EM}/AccessPackageCatalog/AccessPackage/GrantRequests/allTasks`,
      `${EM}/AccessPackageCatalog/AccessPackage/Grants/allTasks`,
      `${EM}/AccessPackageCatalog/allEntities/Read`,
    ],
  },
  { id: CATALOG_CREATOR, displayName: 'Catalog creator', description: 'Create catalogs, and own each catalog created.', scope: 'tenant', allowedResourceActions: [`${EM}/AccessPackageCatalog/Create`] },
];

export const roleDefinition = (id: string) => ROLE_DEFINITIONS.find((r) => r.id === id.toLowerCase());
