import { catalogOfScope, ROLE_DEFINITIONS, roleDefinition, type RoleDefinition } from '../../auth/entitlementRoles';
import { DomainError } from '../../domain/errors';
import type { EntitlementDeps } from '../../operations/entitlements/entitlementDeps';
import * as roles from '../../operations/roles/roleAssignments';
import type { RoleAssignment } from '../../store/roleAssignmentStore';
import { pathId, requestBody, type ApiCall, type AreaRoute } from '../entitlementManagement/areaRouter';
import { entityResult, listResponse } from '../entitlementManagement/listing';
import type { EntityView } from '../entitlementManagement/views';
import { noContent } from '../graphResponses';
import type { QueryCapabilities } from '../odata';

const RBAC = 'roleManagement/entitlementManagement';

const ROLE_DEFINITIONS_QUERY: QueryCapabilities = {
  count: true,
  filter: { id: 'guid', displayName: 'string', templateId: 'guid' },
  select: ['id', 'displayName', 'description', 'isBuiltIn', 'isEnabled', 'templateId', 'version', 'rolePermissions'],
};
const ROLE_ASSIGNMENTS_QUERY: QueryCapabilities = {
  count: true,
  filter: { id: 'guid', principalId: 'guid', roleDefinitionId: 'guid', appScopeId: 'string', directoryScopeId: 'string' },
  select: ['id', 'principalId', 'roleDefinitionId', 'appScopeId', 'directoryScopeId', 'condition'],
  expand: { principal: {}, roleDefinition: {} },
};

/** unifiedRoleDefinition, as Graph shows the built-in entitlement management roles. */
function definitionView(role: RoleDefinition) {
  return {
    id: role.id,
    displayName: role.displayName,
    description: role.description,
    isBuiltIn: true,
    isEnabled: true,
    templateId: role.id,
    version: '1',
    rolePermissions: [{ allowedResourceActions: role.allowedResourceActions, condition: null }],
  };
}

const definitions: EntityView<RoleDefinition> = { filterView: definitionView, render: async (_deps, role) => definitionView(role) };

async function principalView(deps: EntitlementDeps, principalId: string) {
  const user = await deps.directory.getUser(principalId);
  if (user) return { '@odata.type': '#microsoft.graph.user', id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName, mail: user.mail };
  const app = await deps.directory.getApplication(principalId);
  return app ? { '@odata.type': '#microsoft.graph.servicePrincipal', id: app.id, appId: app.appId, displayName: app.displayName } : null;
}

const assignments: EntityView<RoleAssignment> = {
  filterView: ({ createdDateTime: _created, ...assignment }) => ({ ...assignment }),
  render: async (deps, { createdDateTime: _created, ...assignment }, expand) => {
    const view: Record<string, unknown> = { ...assignment };
    if (expand.some((e) => e.name === 'principal')) view.principal = await principalView(deps, assignment.principalId);
    if (expand.some((e) => e.name === 'roleDefinition')) {
      const role = roleDefinition(assignment.roleDefinitionId);
      view.roleDefinition = role ? definitionView(role) : null;
    }
    return view;
  },
};

/** Graph refuses an unfiltered list of role assignments; so does Portcullis, naming what to filter on. */
function requireFilter(call: ApiCall): void {
  if (!call.query.get('$filter')) {
    throw new DomainError('invalidRequest', "Listing role assignments needs $filter on principalId, roleDefinitionId or appScopeId, for example $filter=appScopeId eq '/AccessPackageCatalog/{id}'.");
  }
}

async function catalogOfAssignmentInPath(call: ApiCall): Promise<string | undefined> {
  const found = await call.deps.roleAssignments.find(pathId(call));
  return found && catalogOfScope(found.value.appScopeId);
}

async function catalogOfAssignmentInBody(call: ApiCall): Promise<string | undefined> {
  return roles.catalogNamedBy(await requestBody(call));
}

/**
 * `/v1.0/roleManagement/entitlementManagement`: the role definitions, and who holds them where. Assigning a
 * catalog role is managing the catalog; the catalog creator role, a tenant-wide one, is for administrators.
 */
export const ROLE_ROUTES: AreaRoute[] = [
  { method: 'GET', pattern: 'roleDefinitions', action: 'list', handle: async (c) => listResponse(c, `${RBAC}/roleDefinitions`, ROLE_DEFINITIONS, definitions, ROLE_DEFINITIONS_QUERY) },
  {
    method: 'GET',
    pattern: 'roleDefinitions/{id}',
    action: 'list',
    handle: async (c) =>
      entityResult(
        c,
        `${RBAC}/roleDefinitions`,
        async () => {
          const role = roleDefinition(pathId(c));
          if (!role) throw new DomainError('notFound', `Role definition '${pathId(c)}' was not found.`);
          return role;
        },
        definitions,
        ROLE_DEFINITIONS_QUERY,
      ),
  },
  {
    method: 'GET',
    pattern: 'roleAssignments',
    action: 'list',
    handle: async (c) => {
      requireFilter(c);
      return listResponse(c, `${RBAC}/roleAssignments`, await roles.listRoleAssignments(c.deps, c.caller), assignments, ROLE_ASSIGNMENTS_QUERY);
    },
  },
  {
    method: 'POST',
    pattern: 'roleAssignments',
    action: 'manageCatalog',
    catalog: catalogOfAssignmentInBody,
    handle: async (c) => entityResult(c, `${RBAC}/roleAssignments`, async () => roles.createRoleAssignment(c.deps, c.caller, await requestBody(c)), assignments, ROLE_ASSIGNMENTS_QUERY, 201),
  },
  {
    method: 'GET',
    pattern: 'roleAssignments/{id}',
    action: 'read',
    catalog: catalogOfAssignmentInPath,
    handle: async (c) => entityResult(c, `${RBAC}/roleAssignments`, async () => (await roles.findRoleAssignment(c.deps, pathId(c))).value, assignments, ROLE_ASSIGNMENTS_QUERY),
  },
  { method: 'DELETE', pattern: 'roleAssignments/{id}', action: 'manageCatalog', catalog: catalogOfAssignmentInPath, handle: async (c) => (await roles.deleteRoleAssignment(c.deps, c.caller, pathId(c)), noContent()) },
];
