/** Entitlement management's entities, in Graph v1.0 shapes (reference/graph-em-v1.md §3), as stored and served. */
export type CatalogState = 'unpublished' | 'published';
export type OriginSystem = 'AadGroup' | 'AadApplication' | 'SharePointOnline';

export interface Catalog {
  id: string;
  displayName: string;
  description: string | null;
  catalogType: 'userManaged' | 'serviceDefault' | 'serviceManaged';
  state: CatalogState;
  isExternallyVisible: boolean;
  createdDateTime: string;
  modifiedDateTime: string;
}

export interface CatalogResource {
  id: string;
  displayName: string;
  description: string | null;
  originId: string;
  originSystem: OriginSystem;
  attributes: unknown[];
  createdDateTime: string;
  modifiedDateTime: string;
}

export interface ResourceRole {
  id: string;
  displayName: string;
  description: string | null;
  originId: string;
  originSystem: OriginSystem;
  /** The resource the role belongs to (a navigation in Graph; kept to answer `resource/id` filters). */
  resourceId: string;
}

export interface ResourceScope {
  id: string;
  displayName: string;
  description: string | null;
  originId: string;
  originSystem: OriginSystem;
  isRootScope: boolean;
  resourceId: string;
}

export interface AccessPackage {
  id: string;
  displayName: string;
  description: string | null;
  isHidden: boolean;
  catalogId: string;
  createdDateTime: string;
  modifiedDateTime: string;
}

export interface ResourceRoleScope {
  id: string;
  createdDateTime: string;
  role: ResourceRole;
  scope: ResourceScope;
}

export interface ResourceRequest {
  id: string;
  requestType: 'adminAdd' | 'adminUpdate' | 'adminRemove';
  state: 'delivered';
  createdDateTime: string;
  catalogId: string;
  resource: CatalogResource | null;
}

export interface EntitlementSettings {
  externalUserLifecycleAction: 'none' | 'blockSignIn' | 'blockSignInAndDelete';
  durationUntilExternalUserDeletedAfterBlocked: string;
}

/** Entra's defaults: block an external user's sign-in when their last assignment ends, delete them 30 days later. */
export const DEFAULT_SETTINGS: EntitlementSettings = {
  externalUserLifecycleAction: 'blockSignInAndDelete',
  durationUntilExternalUserDeletedAfterBlocked: 'P30D',
};
