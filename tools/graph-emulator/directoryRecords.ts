import type { UserProperties } from './userProperties';

/** What the emulated directory keeps: each object's Graph properties, and records around them. */
export interface GroupProperties {
  id: string;
  displayName: string;
  description: string | null;
  mail: string | null;
  mailNickname: string;
  mailEnabled: boolean;
  securityEnabled: boolean;
  groupTypes: string[];
  createdDateTime: string;
}

export interface AppRole {
  allowedMemberTypes: string[];
  description: string | null;
  displayName: string;
  id: string;
  isEnabled: boolean;
  origin: 'Application';
  value: string | null;
}

export interface ServicePrincipalProperties {
  id: string;
  appId: string;
  displayName: string;
  accountEnabled: boolean;
  servicePrincipalType: 'Application';
  appRoles: AppRole[];
}

export interface SiteProperties {
  id: string;
  displayName: string;
  name: string;
  webUrl: string;
  createdDateTime: string;
}

export interface OrganizationProperties {
  id: string;
  displayName: string;
  tenantType: 'AAD';
  verifiedDomains: Array<{ name: string; isDefault: boolean; isInitial: boolean; type: 'Managed'; capabilities: string }>;
}

/** Every record has a `seq`, its place in creation order: collections are listed, and paged, in that order. */
export interface UserRecord {
  readonly seq: number;
  properties: UserProperties;
  managerId: string | null;
  /** The manager before the last change of manager, for the removal entry of a delta's `manager@delta`. */
  formerManagerId: string | null;
  sponsorIds: string[];
  /** The directory version at which each property, and `manager`, last changed: what delta queries read. */
  readonly changedAt: Map<string, number>;
}

export interface GroupRecord {
  readonly seq: number;
  properties: GroupProperties;
  /** Member and owner ids, each with the seq of its addition. */
  readonly members: Map<string, number>;
  readonly owners: Map<string, number>;
}

export interface ServicePrincipalRecord {
  readonly seq: number;
  readonly properties: ServicePrincipalProperties;
  /** Owner ids, each with the seq of its addition. */
  readonly owners: Map<string, number>;
}

export interface AppRoleAssignmentRecord {
  readonly seq: number;
  readonly id: string;
  readonly principalId: string;
  readonly principalType: 'User' | 'Group' | 'ServicePrincipal';
  readonly resourceId: string;
  readonly appRoleId: string;
  readonly createdDateTime: string;
}

export interface SitePermissionRecord {
  readonly seq: number;
  readonly id: string;
  readonly roles: readonly string[];
  readonly userId: string;
}

export interface SiteRecord {
  readonly seq: number;
  readonly properties: SiteProperties;
  readonly permissions: Map<string, SitePermissionRecord>;
}

export interface RoleAssignmentRecord {
  readonly seq: number;
  readonly id: string;
  readonly principalId: string;
  readonly roleDefinitionId: string;
  /** `/` for the whole tenant, or the administrative unit (or object) the role is limited to. */
  readonly directoryScopeId: string;
}

export interface UserTombstone {
  readonly id: string;
  readonly deletedAt: number;
}

export type DirectoryObject =
  | { type: 'user'; record: UserRecord }
  | { type: 'group'; record: GroupRecord }
  | { type: 'servicePrincipal'; record: ServicePrincipalRecord };
