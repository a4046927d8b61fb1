/**
 * The Graph types the emulator serves, as far as `$select`, `$filter` and PATCH need to know them: each property's
 * kind, and the properties Graph returns when no `$select` is given.
 */
export type PropertyKind = 'string' | 'boolean' | 'dateTime' | 'stringCollection' | 'extensionAttributes' | 'complex';

export interface EntityType {
  /** Graph's qualified name, as in its error messages: `microsoft.graph.user`. */
  name: string;
  /** The resource name Graph uses in filter errors: `User`. */
  resource: string;
  properties: Readonly<Record<string, PropertyKind>>;
  /** What Graph returns without `$select`; every property when absent. */
  defaultSelect?: readonly string[];
}

/** `extensionAttribute1` to `extensionAttribute15`, as in Graph's onPremisesExtensionAttributes. */
export const EXTENSION_ATTRIBUTE_NAMES: readonly string[] = Array.from({ length: 15 }, (_, i) => `extensionAttribute${i + 1}`);

export type ExtensionAttributes = Record<string, string | null>;

/** A Graph entity as the emulator keeps it: every property of its type, null when unset. */
export type Entity = Readonly<Record<string, unknown>>;

export const USER_TYPE: EntityType = {
  name: 'microsoft.graph.user',
  resource: 'User',
  properties: {
    id: 'string',
    displayName: 'string',
    givenName: 'string',
    surname: 'string',
    userPrincipalName: 'string',
    mail: 'string',
    otherMails: 'stringCollection',
    proxyAddresses: 'stringCollection',
    userType: 'string',
    accountEnabled: 'boolean',
    businessPhones: 'stringCollection',
    mobilePhone: 'string',
    preferredLanguage: 'string',
    jobTitle: 'string',
    department: 'string',
    companyName: 'string',
    employeeId: 'string',
    employeeType: 'string',
    officeLocation: 'string',
    city: 'string',
    state: 'string',
    country: 'string',
    usageLocation: 'string',
    employeeHireDate: 'dateTime',
    employeeLeaveDateTime: 'dateTime',
    onPremisesExtensionAttributes: 'extensionAttributes',
    creationType: 'string',
    externalUserState: 'string',
    createdDateTime: 'dateTime',
    signInActivity: 'complex',
  },
  defaultSelect: [
    'businessPhones',
    'displayName',
    'givenName',
    'jobTitle',
    'mail',
    'mobilePhone',
    'officeLocation',
    'preferredLanguage',
    'surname',
    'userPrincipalName',
    'id',
  ],
};

export const GROUP_TYPE: EntityType = {
  name: 'microsoft.graph.group',
  resource: 'Group',
  properties: {
    id: 'string',
    displayName: 'string',
    description: 'string',
    mail: 'string',
    mailNickname: 'string',
    mailEnabled: 'boolean',
    securityEnabled: 'boolean',
    groupTypes: 'stringCollection',
    createdDateTime: 'dateTime',
  },
};

export const SERVICE_PRINCIPAL_TYPE: EntityType = {
  name: 'microsoft.graph.servicePrincipal',
  resource: 'ServicePrincipal',
  properties: {
    id: 'string',
    appId: 'string',
    displayName: 'string',
    accountEnabled: 'boolean',
    servicePrincipalType: 'string',
    appRoles: 'complex',
  },
};

/** Members, owners and sponsors: users, groups and service principals in one collection. */
export const DIRECTORY_OBJECT_TYPE: EntityType = {
  name: 'microsoft.graph.directoryObject',
  resource: 'DirectoryObject',
  properties: { ...SERVICE_PRINCIPAL_TYPE.properties, ...GROUP_TYPE.properties, ...USER_TYPE.properties },
};

export const APP_ROLE_ASSIGNMENT_TYPE: EntityType = {
  name: 'microsoft.graph.appRoleAssignment',
  resource: 'AppRoleAssignment',
  properties: {
    id: 'string',
    appRoleId: 'string',
    createdDateTime: 'dateTime',
    deletedDateTime: 'dateTime',
    principalDisplayName: 'string',
    principalId: 'string',
    principalType: 'string',
    resourceDisplayName: 'string',
    resourceId: 'string',
  },
};

export const ROLE_ASSIGNMENT_TYPE: EntityType = {
  name: 'microsoft.graph.unifiedRoleAssignment',
  resource: 'UnifiedRoleAssignment',
  properties: {
    id: 'string',
    principalId: 'string',
    roleDefinitionId: 'string',
    directoryScopeId: 'string',
    appScopeId: 'string',
  },
};

export const SITE_TYPE: EntityType = {
  name: 'microsoft.graph.site',
  resource: 'Site',
  properties: { id: 'string', displayName: 'string', name: 'string', webUrl: 'string', createdDateTime: 'dateTime' },
};

export const PERMISSION_TYPE: EntityType = {
  name: 'microsoft.graph.permission',
  resource: 'Permission',
  properties: { id: 'string', roles: 'stringCollection', grantedToV2: 'complex', grantedToIdentitiesV2: 'complex' },
};

export const ORGANIZATION_TYPE: EntityType = {
  name: 'microsoft.graph.organization',
  resource: 'Organization',
  properties: { id: 'string', displayName: 'string', tenantType: 'string', verifiedDomains: 'complex' },
};

/** The kind of a property the type declares (never one inherited from Object.prototype). */
export const propertyKind = (type: EntityType, name: string): PropertyKind | undefined =>
  Object.hasOwn(type.properties, name) ? type.properties[name] : undefined;

/** The entity's properties a `$select` (or the type's default set) names, always with `id`. */
export function project(entity: Entity, type: EntityType, select: readonly string[] | undefined): Record<string, unknown> {
  const names = select ?? type.defaultSelect ?? Object.keys(entity);
  const projected: Record<string, unknown> = {};
  for (const name of names) if (Object.hasOwn(entity, name)) projected[name] = entity[name] ?? null;
  if ('id' in entity) projected.id = entity.id;
  return projected;
}
