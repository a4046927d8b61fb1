import type { Caller } from '../../auth/caller';
import { mapConcurrently } from '../../concurrently';
import type { ResourceRoleScope } from '../../domain/entitlements';
import { tableKey } from '../../store/tableKeys';
import { isActive } from '../assignments/directoryRoles';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { packagesById } from './packagesById';
import type { Cell, Report } from './report';
import { reportScope } from './reportScope';
import { reportedUserId, userAssignmentsPage } from './userAssignments';

export const RESOURCE_ROLE_COLUMNS = ['resourceOriginId', 'resourceDisplayName', 'roleDisplayName', 'accessPackageId', 'accessPackageDisplayName', 'assignmentId'] as const;
export type ResourceRoleColumn = (typeof RESOURCE_ROLE_COLUMNS)[number];

/**
 * `GET /api/reports/users/{userId}/resourceRoles`: each resource role the user holds through an assignment, and
 * which assignment grants it: the role scopes of the package of each active assignment, the very list delivery
 * grants and reprocessing enforces (directoryRoles.ts). A role granted by two assignments has a row for each, since
 * it is removed only when the last ends. Read a page of the user's assignments at a time.
 */
export async function userResourceRolesReport(deps: EntitlementDeps, caller: Caller, userId: string): Promise<Report<ResourceRoleColumn>> {
  const visibility = await reportScope(deps, caller);
  const target = reportedUserId(userId);
  return {
    columns: RESOURCE_ROLE_COLUMNS,
    async page(cursor, size) {
      const page = await userAssignmentsPage(deps, target, visibility, size, cursor);
      const assignments = page.assignments.filter(isActive);
      const packageIds = [...new Set(assignments.map((a) => a.accessPackageId))];
      const [packages, roleScopes] = await Promise.all([
        packagesById(deps, packageIds),
        mapConcurrently(packageIds, async (id) => [id, (await deps.store.roleScopes.list({ partitionKey: tableKey(id) })).map((d) => d.value)] as const),
      ]);
      const scopesOf = new Map(roleScopes);
      const resourceName = await resourceNames(deps, assignments.flatMap((a) => (scopesOf.get(a.accessPackageId) ?? []).map((rs) => ({ catalogId: a.catalogId, roleScope: rs }))));
      const rows = assignments.flatMap((a) =>
        (scopesOf.get(a.accessPackageId) ?? []).map(
          (rs): Record<ResourceRoleColumn, Cell> => ({
            resourceOriginId: rs.scope.originId,
            resourceDisplayName: resourceName(a.catalogId, rs),
            roleDisplayName: rs.role.displayName,
            accessPackageId: a.accessPackageId,
            accessPackageDisplayName: packages.get(a.accessPackageId)?.displayName ?? null,
            assignmentId: a.id,
          }),
        ),
      );
      return { rows, ...(page.cursor ? { cursor: page.cursor } : {}) };
    },
  };
}

/** The catalog resources' names, each read once; a resource since removed is named by its scope. */
async function resourceNames(deps: EntitlementDeps, uses: Array<{ catalogId: string; roleScope: ResourceRoleScope }>) {
  const key = (catalogId: string, resourceId: string) => `${catalogId}/${resourceId}`;
  const unique = new Map(uses.map((u) => [key(u.catalogId, u.roleScope.role.resourceId), u] as const));
  const found = await mapConcurrently([...unique.entries()], async ([k, u]) => [k, (await deps.store.resources.get(tableKey(u.catalogId), tableKey(u.roleScope.role.resourceId)))?.value.displayName] as const);
  const names = new Map(found);
  return (catalogId: string, rs: ResourceRoleScope): string => names.get(key(catalogId, rs.role.resourceId)) ?? rs.scope.displayName;
}
