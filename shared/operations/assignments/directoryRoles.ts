import { mapConcurrently } from '../../concurrently';
import type { DirectoryRole } from '../../domain/assignments/assignment';
import { roleKey } from '../../domain/assignments/deliveryState';
import type { ResourceRoleScope } from '../../domain/entitlements';
import { tableKey } from '../../store/tableKeys';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import type { Assignment } from '../../domain/assignments/assignment';
import type { StoredDocument } from '../../store/documentTable';

/**
 * The directory role a role scope grants. A resource's root scope carries the resource's own origin id (the group
 * or service principal id; a site's URL), which is what the directory is told.
 */
export function directoryRoleOf(roleScope: ResourceRoleScope): DirectoryRole {
  return {
    roleScopeId: roleScope.id,
    originSystem: roleScope.role.originSystem,
    resourceOriginId: roleScope.scope.originId,
    roleOriginId: roleScope.role.originId,
    displayName: roleScope.role.displayName,
  };
}

/** A group role scope grants ownership (role origin `Owner_<groupId>`) or membership (`Member_<groupId>`). */
export const isGroupOwnerRole = (role: DirectoryRole): boolean => role.roleOriginId.toLowerCase().startsWith('owner_');

export async function rolesOfPackage(deps: EntitlementDeps, packageId: string): Promise<DirectoryRole[]> {
  return (await deps.store.roleScopes.list({ partitionKey: tableKey(packageId) })).map((d) => directoryRoleOf(d.value));
}

/** An assignment holds its package's roles from the moment it is written until it ends. */
export const isActive = (assignment: Assignment): boolean => assignment.state !== 'expired';

/** Each role key a target holds through an active assignment other than `exceptAssignmentId`, with one such assignment. */
export type GrantsElsewhere = (targetId: string, exceptAssignmentId: string) => Promise<Map<string, StoredDocument<Assignment>>>;

/** GrantsElsewhere from the target's assignments: one query of their partition. */
export async function grantsElsewhere(deps: EntitlementDeps, targetId: string, exceptAssignmentId: string): Promise<Map<string, StoredDocument<Assignment>>> {
  const others = (await deps.grants.assignmentsOf(targetId)).filter((a) => a.value.id !== exceptAssignmentId && isActive(a.value));
  const packageIds = [...new Set(others.map((a) => a.value.accessPackageId))];
  const rolesOf = new Map(await mapConcurrently(packageIds, async (id) => [id, await rolesOfPackage(deps, id)] as const));
  const grants = new Map<string, StoredDocument<Assignment>>();
  for (const other of others) {
    for (const role of rolesOf.get(other.value.accessPackageId) ?? []) if (!grants.has(roleKey(role))) grants.set(roleKey(role), other);
  }
  return grants;
}
