import type { Caller } from '../../auth/caller';
import { audited, shownIn } from '../audit/auditedChange';
import { tableKey } from '../../store/tableKeys';
import { sees } from '../../auth/callerAccess';
import { catalogOfScope, catalogScope, roleDefinition, TENANT_SCOPE } from '../../auth/entitlementRoles';
import { isObjectId } from '../../directory/directoryIds';
import { deterministicId } from '../../domain/deterministicId';
import { DomainError, isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import type { RoleAssignment } from '../../store/roleAssignmentStore';
import { findCatalog } from '../entitlements/catalogs';
import { undoUnlessParentRemains } from '../entitlements/parentCheck';
import { type Actor, type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';

const FIELDS = new Set(['principalId', 'roleDefinitionId', 'appScopeId', 'directoryScopeId', '@odata.type']);

/** The body of a new role assignment, checked: a known role, at the scope it is made for, for a GUID principal. */
export function parseRoleAssignment(body: Record<string, unknown>): Pick<RoleAssignment, 'principalId' | 'roleDefinitionId' | 'appScopeId'> {
  const problems: string[] = [];
  const unknown = Object.keys(body).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) problems.push(`unknown propert${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((k) => `'${k}'`).join(', ')}`);
  const { principalId, roleDefinitionId, appScopeId } = body;
  if (typeof principalId !== 'string' || !isObjectId(principalId)) problems.push('principalId: must be the object id (a GUID) of a user or an application');
  const role = typeof roleDefinitionId === 'string' ? roleDefinition(roleDefinitionId) : undefined;
  if (!role) problems.push('roleDefinitionId: must be one of the entitlement management role definitions (GET roleDefinitions)');
  if (typeof appScopeId !== 'string') problems.push("appScopeId: is required: '/' or '/AccessPackageCatalog/{catalogId}'");
  else if (role?.scope === 'tenant' && appScopeId !== TENANT_SCOPE) problems.push(`appScopeId: ${role.displayName} is assigned tenant-wide, with '/'`);
  else if (role?.scope === 'catalog' && !catalogOfScope(appScopeId)) problems.push(`appScopeId: ${role.displayName} is assigned in a catalog, with '/AccessPackageCatalog/{catalogId}'`);
  if (body.directoryScopeId !== undefined && body.directoryScopeId !== '/') problems.push("directoryScopeId: must be '/' (or left out)");
  if (problems.length > 0) throw new DomainError('invalidRequest', `Invalid role assignment: ${problems.join('; ')}.`);
  const catalogId = catalogOfScope(appScopeId as string);
  return { principalId: (principalId as string).toLowerCase(), roleDefinitionId: role!.id, appScopeId: catalogId ? catalogScope(catalogId) : TENANT_SCOPE };
}

/** The catalog a new role assignment's body names, for authorization before anything else is checked. */
export function catalogNamedBy(body: Record<string, unknown>): string | undefined {
  return typeof body.appScopeId === 'string' ? catalogOfScope(body.appScopeId) : undefined;
}

/** POST roleAssignments. One principal holds one role in one scope once: the id follows from the three. */
export async function createRoleAssignment(deps: EntitlementDeps, actor: Actor, body: Record<string, unknown>): Promise<RoleAssignment> {
  const fields = parseRoleAssignment(body);
  const catalogId = catalogOfScope(fields.appScopeId);
  if (catalogId) await inBody(() => findCatalog(deps, catalogId), 'appScopeId');
  if (!(await deps.directory.getUser(fields.principalId)) && !(await deps.directory.getApplication(fields.principalId))) {
    throw new DomainError('invalidRequest', `Invalid role assignment: principalId: '${fields.principalId}' is neither a user nor an application in the directory.`);
  }
  return assignRole(deps, actor, fields);
}

/** Writes a role assignment (also used when a catalog's creator becomes its owner). */
export async function assignRole(deps: EntitlementDeps, actor: Actor, fields: Pick<RoleAssignment, 'principalId' | 'roleDefinitionId' | 'appScopeId'>): Promise<RoleAssignment> {
  const assignment: RoleAssignment = {
    id: deterministicId('roleAssignment', fields.principalId, fields.roleDefinitionId, fields.appScopeId),
    ...fields,
    directoryScopeId: '/',
    condition: null,
    createdDateTime: nowIso(deps),
  };
  const catalogId = catalogOfScope(fields.appScopeId);
  const entry = { actorId: actor.objectId, action: 'createRoleAssignment', entityType: 'roleAssignment', entityId: assignment.id, before: null, after: assignment, catalogId: catalogId ?? null };
  await audited(deps, entry, shownIn('roleAssignments', { partitionKey: tableKey(assignment.principalId), rowKey: tableKey(assignment.id) }, 'present'), async () => {
    let stored: StoredDocument<RoleAssignment>;
    try {
      stored = await deps.roleAssignments.insert(assignment);
    } catch (error) {
      if (isDomainError(error) && error.code === 'alreadyExists') throw new DomainError('conflict', `The principal already holds this role at '${fields.appScopeId}' (role assignment '${assignment.id}').`);
      throw error;
    }
    if (catalogId) {
      await undoUnlessParentRemains(deps, { kind: 'catalog', id: catalogId }, () => findCatalog(deps, catalogId), () => deps.roleAssignments.delete(stored));
    }
  });
  return assignment;
}

/** A deleted catalog's role assignments go with it, each audited. */
export async function removeRoleAssignmentsIn(deps: EntitlementDeps, actor: Actor, catalogId: string): Promise<void> {
  for (const stored of await deps.roleAssignments.atScope(catalogScope(catalogId))) await removeRoleAssignment(deps, actor, stored);
}

export async function findRoleAssignment(deps: EntitlementDeps, id: string): Promise<StoredDocument<RoleAssignment>> {
  const found = await deps.roleAssignments.find(id);
  if (!found) throw new DomainError('notFound', `Role assignment '${id}' was not found.`);
  return found;
}

export async function deleteRoleAssignment(deps: EntitlementDeps, actor: Actor, id: string): Promise<void> {
  await removeRoleAssignment(deps, actor, await findRoleAssignment(deps, id));
}

function removeRoleAssignment(deps: EntitlementDeps, actor: Actor, stored: StoredDocument<RoleAssignment>): Promise<void> {
  const entry = { actorId: actor.objectId, action: 'deleteRoleAssignment', entityType: 'roleAssignment', entityId: stored.value.id, before: stored.value, after: null, catalogId: catalogOfScope(stored.value.appScopeId) ?? null };
  return audited(deps, entry, shownIn('roleAssignments', stored, 'absent'), () => deps.roleAssignments.delete(stored));
}

/**
 * The assignments the caller may see: all for administrators and applications with a read permission; otherwise
 * their own and those in the catalogs where they hold a role.
 */
export async function listRoleAssignments(deps: EntitlementDeps, caller: Caller): Promise<RoleAssignment[]> {
  const visibility = await deps.accessOf(caller).visibility();
  const all = await deps.roleAssignments.all();
  return visibility.everything ? all : all.filter((a) => a.principalId === caller.objectId || sees(visibility, catalogOfScope(a.appScopeId)));
}

async function inBody<T>(find: () => Promise<T>, field: string): Promise<T> {
  try {
    return await find();
  } catch (error) {
    if (isDomainError(error) && error.code === 'notFound') throw new DomainError('invalidRequest', `Invalid role assignment: ${field}: ${error.message}`);
    throw error;
  }
}
