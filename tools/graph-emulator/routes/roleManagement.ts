import { listCollection } from '../collections';
import { ROLE_ASSIGNMENT_TYPE } from '../entityTypes';
import { route, type Route, type RouteContext } from '../router';

/** Directory role assignments, at tenant scope (`/`) or limited to the scope the fixture gives. */
function listRoleAssignments(context: RouteContext) {
  const items = context.directory.roleAssignments().map((assignment) => ({
    seq: assignment.seq,
    entity: {
      id: assignment.id,
      principalId: assignment.principalId,
      roleDefinitionId: assignment.roleDefinitionId,
      directoryScopeId: assignment.directoryScopeId,
      appScopeId: null,
    },
    type: ROLE_ASSIGNMENT_TYPE,
  }));
  return listCollection(context, { entitySet: 'roleManagement/directory/roleAssignments', type: ROLE_ASSIGNMENT_TYPE, items });
}

export const roleManagementRoutes: readonly Route[] = [route('GET', '/roleManagement/directory/roleAssignments', listRoleAssignments)];
