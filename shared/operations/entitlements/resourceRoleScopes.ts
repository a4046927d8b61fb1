import { z } from 'zod';
import { audited, shownIn } from '../audit/auditedChange';
import { parseInput } from '../../api/validation';
import { DomainError } from '../../domain/errors';
import type { DirectoryRole } from '../../domain/assignments/assignment';
import type { ResourceRoleScope } from '../../domain/entitlements';
import type { StoredDocument } from '../../store/documentTable';
import { tableKey } from '../../store/tableKeys';
import { directoryRoleOf } from '../assignments/directoryRoles';
import { carryRoleChange, planRoleChange } from '../assignments/packageRoleChanges';
import { findAccessPackage } from './accessPackages';
import { type Actor, type EntitlementDeps, nowIso } from './entitlementDeps';
import { undoUnlessParentRemains } from './parentCheck';
import { changingPackageConfiguration } from './packageConfiguration';

/** How long adding or removing a role scope carries the change to assignees itself; the reconcile sweep does the rest. */
const INLINE_BUDGET_MS = 10_000;

const reference = z.object({
  id: z.string().min(1).optional(),
  originId: z.string().min(1).max(1024).optional(),
  originSystem: z.string().optional(),
});
const newRoleScope = z.object({
  role: reference.extend({ resource: z.object({ id: z.string().min(1).optional(), originId: z.string().optional() }).optional() }),
  scope: reference.optional(),
});

/**
 * Adds a resource role to a package. The role must belong to a resource in the package's catalog; the scope
 * defaults to the resource's root scope. The id is `<roleId>_<scopeId>`, as Graph makes it.
 */
export async function addResourceRoleScope(deps: EntitlementDeps, actor: Actor, packageId: string, body: unknown): Promise<ResourceRoleScope> {
  const input = parseInput(newRoleScope, body, 'resource role scope');
  const accessPackage = await findAccessPackage(deps, packageId);
  const catalogKey = tableKey(accessPackage.value.catalogId);
  const roles = (await deps.store.resourceRoles.list({ partitionKey: catalogKey })).map((d) => d.value);
  const candidates = roles.filter((r) =>
    input.role.id
      ? r.id === input.role.id
      : r.originId === input.role.originId && (!input.role.resource?.id || r.resourceId === input.role.resource.id),
  );
  // Site groups share their origin ids ("3", "4", "5") across sites: such a role needs its resource named.
  if (candidates.length > 1) {
    throw new DomainError('invalidRequest', `Invalid resource role scope: role '${input.role.originId}' is ambiguous in this catalog; give role.resource.id or role.id.`);
  }
  const [role] = candidates;
  if (!role) {
    throw new DomainError('invalidRequest', `Invalid resource role scope: the role is not a role of a resource in catalog '${accessPackage.value.catalogId}'.`);
  }
  const scopes = (await deps.store.scopesOf(accessPackage.value.catalogId, role.resourceId)).map((d) => d.value);
  const scope = input.scope?.id
    ? scopes.find((s) => s.id === input.scope?.id)
    : input.scope?.originId
      ? scopes.find((s) => s.originId === input.scope?.originId)
      : scopes.find((s) => s.isRootScope);
  if (!scope) throw new DomainError('invalidRequest', `Invalid resource role scope: the scope is not a scope of resource '${role.resourceId}'.`);
  const roleScope: ResourceRoleScope = { id: `${role.id}_${scope.id}`, createdDateTime: nowIso(deps), role, scope };
  // Recorded before the role scope is written, so the assignees get the role even if this process stops after.
  await planRoleChange(deps, packageId, directoryRoleOf(roleScope), 'add');
  const entry = { actorId: actor.objectId, action: 'addResourceRoleScope', entityType: 'accessPackage', entityId: packageId, before: null, after: roleScope, catalogId: accessPackage.value.catalogId };
  await changingPackageConfiguration(deps, [packageId], () =>
    audited(deps, entry, shownIn('resourceRoleScopes', { partitionKey: tableKey(packageId), rowKey: tableKey(roleScope.id) }, 'present'), async () => {
      const written = await deps.store.roleScopes.insert(tableKey(packageId), tableKey(roleScope.id), roleScope);
      // Undone as a removal: a delivery that read the role scope meanwhile may have given the role to someone.
      await undoUnlessParentRemains(
        deps,
        { kind: 'accessPackage', id: packageId },
        () => findAccessPackage(deps, packageId),
        async () => void (await withdrawRoleScope(deps, packageId, written)),
      );
    }),
  );
  await carryRoleChange(deps, packageId, directoryRoleOf(roleScope), 'add', Date.now() + INLINE_BUDGET_MS);
  return roleScope;
}

export async function removeResourceRoleScope(deps: EntitlementDeps, actor: Actor, packageId: string, roleScopeId: string): Promise<void> {
  const accessPackage = await findAccessPackage(deps, packageId);
  const stored = await deps.store.roleScopes.get(tableKey(packageId), tableKey(roleScopeId));
  if (!stored) throw new DomainError('notFound', `Resource role scope '${roleScopeId}' is not in access package '${packageId}'.`);
  const entry = { actorId: actor.objectId, action: 'removeResourceRoleScope', entityType: 'accessPackage', entityId: packageId, before: stored.value, after: null, catalogId: accessPackage.value.catalogId };
  const role = await changingPackageConfiguration(deps, [packageId], () => audited(deps, entry, shownIn('resourceRoleScopes', stored, 'absent'), () => withdrawRoleScope(deps, packageId, stored)));
  await carryRoleChange(deps, packageId, role, 'remove', Date.now() + INLINE_BUDGET_MS);
}

/**
 * Deletes a role scope, its removal from the package's assignees recorded first: once it is gone, nothing else says
 * they are to lose the role. The caller carries the removal on; the reconcile sweep finishes it.
 */
async function withdrawRoleScope(deps: EntitlementDeps, packageId: string, stored: StoredDocument<ResourceRoleScope>): Promise<DirectoryRole> {
  const role = directoryRoleOf(stored.value);
  await planRoleChange(deps, packageId, role, 'remove');
  await deps.store.roleScopes.delete(stored);
  return role;
}

/** The role scopes of a package; with `limit`, only the first that many are read. */
export async function listResourceRoleScopes(deps: EntitlementDeps, packageId: string, limit?: number): Promise<ResourceRoleScope[]> {
  return (await deps.store.roleScopes.list({ partitionKey: tableKey(packageId), limit })).map((d) => d.value);
}
