import type { CollectionItem } from './collections';
import type { AppRoleAssignmentRecord, DirectoryObject, SitePermissionRecord, UserRecord } from './directoryRecords';
import type { DirectoryState } from './directoryState';
import {
  APP_ROLE_ASSIGNMENT_TYPE,
  GROUP_TYPE,
  project,
  SERVICE_PRINCIPAL_TYPE,
  USER_TYPE,
  type Entity,
  type EntityType,
} from './entityTypes';
import type { ExpandManager } from './odataQuery';

/** How Graph writes directory objects: each kind's `@odata.type` and entity type. */
const DIRECTORY_OBJECT_KINDS: Record<DirectoryObject['type'], { odataType: string; type: EntityType }> = {
  user: { odataType: '#microsoft.graph.user', type: USER_TYPE },
  group: { odataType: '#microsoft.graph.group', type: GROUP_TYPE },
  servicePrincipal: { odataType: '#microsoft.graph.servicePrincipal', type: SERVICE_PRINCIPAL_TYPE },
};

export const USER_ODATA_TYPE = DIRECTORY_OBJECT_KINDS.user.odataType;

const entityOf = (object: DirectoryObject): Entity => object.record.properties as unknown as Entity;

/** An item of a collection of directory objects (members, owners, sponsors), typed by its `@odata.type`. */
export function directoryObjectItem(object: DirectoryObject, seq: number): CollectionItem {
  const { odataType, type } = DIRECTORY_OBJECT_KINDS[object.type];
  return { seq, entity: entityOf(object), type, odataType };
}

export const userItem = (user: UserRecord): CollectionItem => ({ seq: user.seq, entity: user.properties as unknown as Entity, type: USER_TYPE });

/** A user with the selected properties, and its manager when `$expand=manager` asks for it (absent when none). */
export function renderUser(
  directory: DirectoryState,
  user: UserRecord,
  select: readonly string[] | undefined,
  expandManager: ExpandManager | undefined,
): Record<string, unknown> {
  const body = project(user.properties as unknown as Entity, USER_TYPE, select);
  const manager = expandManager && user.managerId ? directory.user(user.managerId) : undefined;
  if (manager) {
    body.manager = { '@odata.type': USER_ODATA_TYPE, ...project(manager.properties as unknown as Entity, USER_TYPE, expandManager?.select) };
  }
  return body;
}

/** An app role assignment as Graph writes it, with the current display names of principal and resource. */
export function appRoleAssignmentEntity(directory: DirectoryState, assignment: AppRoleAssignmentRecord): Entity {
  const principal = directory.directoryObject(assignment.principalId);
  return {
    id: assignment.id,
    deletedDateTime: null,
    appRoleId: assignment.appRoleId,
    createdDateTime: assignment.createdDateTime,
    principalDisplayName: principal ? (entityOf(principal).displayName ?? null) : null,
    principalId: assignment.principalId,
    principalType: assignment.principalType,
    resourceDisplayName: directory.servicePrincipal(assignment.resourceId)?.properties.displayName ?? null,
    resourceId: assignment.resourceId,
  };
}

export const appRoleAssignmentItem = (directory: DirectoryState, assignment: AppRoleAssignmentRecord): CollectionItem => ({
  seq: assignment.seq,
  entity: appRoleAssignmentEntity(directory, assignment),
  type: APP_ROLE_ASSIGNMENT_TYPE,
});

/** A site permission granted to one user, in both of Graph's shapes for the grantee. */
export function sitePermissionEntity(directory: DirectoryState, permission: SitePermissionRecord): Entity {
  const user = { id: permission.userId, displayName: directory.user(permission.userId)?.properties.displayName ?? null };
  return {
    id: permission.id,
    roles: [...permission.roles],
    grantedToV2: { user },
    grantedToIdentitiesV2: [{ user }],
  };
}
