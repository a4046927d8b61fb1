import { z } from 'zod';
import { parseInput } from '../../api/validation';
import { DomainError } from '../../domain/errors';
import type { AccessPackage } from '../../domain/entitlements';
import type { StoredDocument } from '../../store/documentTable';
import type { IncompatibilityLink } from '../../store/entitlementStore';
import { tableKey } from '../../store/tableKeys';
import { findCatalog } from './catalogs';
import { changingPackageConfiguration } from './packageConfiguration';
import { retiring, undoUnlessParentRemains } from './parentCheck';
import { cancelRequestsUnder } from '../requests/requestActions';
import { type Actor, type EntitlementDeps, nowIso } from './entitlementDeps';
import { audited, shownIn } from '../audit/auditedChange';

const packageFields = {
  displayName: z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  description: z.string().max(1024, 'must be at most 1024 characters').nullable(),
  isHidden: z.boolean(),
};
const newPackage = z.object({
  ...packageFields,
  description: packageFields.description.optional(),
  isHidden: packageFields.isHidden.optional(),
  catalog: z.object({ id: z.string().min(1, 'must not be empty') }, { message: 'is required: { "id": "<catalog id>" }' }),
});
const packageChange = z.object(packageFields).partial().strict();

export async function createAccessPackage(deps: EntitlementDeps, actor: Actor, body: Record<string, unknown>): Promise<AccessPackage> {
  // Graph's own tutorial sends the beta `catalogId`.
  const { catalogId, ...rest } = body;
  const input = parseInput(newPackage, { ...rest, catalog: rest.catalog ?? (typeof catalogId === 'string' ? { id: catalogId } : undefined) }, 'access package');
  const catalog = await findCatalog(deps, input.catalog.id);
  const now = nowIso(deps);
  const accessPackage: AccessPackage = {
    id: deps.newId(),
    displayName: input.displayName,
    description: input.description ?? null,
    isHidden: input.isHidden ?? false,
    catalogId: catalog.value.id,
    createdDateTime: now,
    modifiedDateTime: now,
  };
  const entry = { actorId: actor.objectId, action: 'createAccessPackage', entityType: 'accessPackage', entityId: accessPackage.id, before: null, after: accessPackage };
  // Under the configuration's protocol too: a request reading the package before it is undone keeps no snapshot of it.
  await changingPackageConfiguration(deps, [accessPackage.id], () =>
    audited(deps, entry, shownIn('accessPackages', { partitionKey: tableKey(catalog.value.id), rowKey: tableKey(accessPackage.id) }, 'present'), async () => {
      const stored = await deps.store.accessPackages.insert(catalog.value.id, accessPackage.id, accessPackage);
      await undoUnlessParentRemains(
        deps,
        { kind: 'catalog', id: catalog.value.id },
        () => findCatalog(deps, catalog.value.id),
        () => deps.store.accessPackages.delete(stored),
      );
    }),
  );
  return accessPackage;
}

export async function findAccessPackage(deps: EntitlementDeps, id: string): Promise<StoredDocument<AccessPackage>> {
  const found = await deps.store.accessPackages.find(id);
  if (!found) throw accessPackageNotFound(id);
  return found;
}

/** Also the answer about a package the caller may not see, so that it tells them nothing a missing one would not. */
export const accessPackageNotFound = (id: string) => new DomainError('notFound', `Access package '${id}' was not found.`);

/** The packages of the tenant or of one catalog; with `limit`, only the first that many are read. */
export async function listAccessPackages(deps: EntitlementDeps, catalogId?: string, limit?: number): Promise<AccessPackage[]> {
  if (catalogId !== undefined) await findCatalog(deps, catalogId);
  const documents = await deps.store.accessPackages.list({ partitionId: catalogId, limit });
  return documents.map((d) => d.value);
}

export async function updateAccessPackage(deps: EntitlementDeps, actor: Actor, id: string, body: unknown): Promise<void> {
  const change = parseInput(packageChange, body, 'access package');
  const stored = await findAccessPackage(deps, id);
  const updated = { ...stored.value, ...change, modifiedDateTime: nowIso(deps) };
  const entry = { actorId: actor.objectId, action: 'updateAccessPackage', entityType: 'accessPackage', entityId: id, before: stored.value, after: updated };
  await changingPackageConfiguration(deps, [id], () => audited(deps, entry, shownIn('accessPackages', stored, 'changed'), () => deps.store.accessPackages.replace(stored, updated)));
}

/**
 * Refused while anyone is assigned the package or policies exist (remove assignments, then policies, as Graph's
 * tutorial does); requests still open for it are canceled (audited); role scopes and incompatibilities go with it.
 * The delete runs under the package's deletion mark, so a policy or role scope added meanwhile undoes itself.
 */
export async function deleteAccessPackage(deps: EntitlementDeps, actor: Actor, id: string): Promise<void> {
  const stored = await findAccessPackage(deps, id);
  await retiring(deps, { kind: 'accessPackage', id }, async () => {
    const refuseIfAssigned = async () => {
      if ((await deps.grants.assignmentsOfPackage(id)).some((a) => a.value.state !== 'expired')) {
        throw new DomainError('conflict', `Access package '${id}' still has assignments; remove them first.`);
      }
    };
    await refuseIfAssigned();
    if ((await deps.store.policies.list({ partitionId: id })).length > 0) {
      throw new DomainError('conflict', `Access package '${id}' still has assignment policies; delete them first.`);
    }
    await cancelRequestsUnder(deps, actor, { packageId: id }, `Access package '${id}' was deleted.`);
    // Again: a request carried out while the others were canceled made an assignment.
    await refuseIfAssigned();
    const entry = { actorId: actor.objectId, action: 'deleteAccessPackage', entityType: 'accessPackage', entityId: id, before: stored.value, after: null };
    await changingPackageConfiguration(deps, [id], async () => {
      await deletePackageParts(deps, actor, stored.value);
      await audited(deps, entry, shownIn('accessPackages', stored, 'absent'), () => deps.store.accessPackages.delete(stored));
    });
  });
}

/** What goes with a package: its role scopes and incompatibilities, each deletion audited on its own. */
async function deletePackageParts(deps: EntitlementDeps, actor: Actor, accessPackage: AccessPackage): Promise<void> {
  const id = accessPackage.id;
  const packageKey = tableKey(id);
  const gone = (action: string, entityId: string, before: unknown) => ({ actorId: actor.objectId, action, entityType: 'accessPackage', entityId, before, after: null, catalogId: accessPackage.catalogId });
  for (const roleScope of await deps.store.roleScopes.list({ partitionKey: packageKey })) {
    await audited(deps, gone('removeResourceRoleScope', id, roleScope.value), shownIn('resourceRoleScopes', roleScope, 'absent'), () => deps.store.roleScopes.delete(roleScope));
  }
  const removeLink = (link: StoredDocument<IncompatibilityLink>) =>
    audited(deps, gone(`removeIncompatible.${link.value.kind}`, link.value.packageId, link.value), shownIn('incompatibilities', link, 'absent'), () => deps.store.incompatibilities.delete(link));
  // A link between two packages is in the other's configuration too (packageConfiguration.ts).
  for (const link of await deps.store.incompatibilities.list({ partitionKey: packageKey })) {
    await changingPackageConfiguration(deps, link.value.kind === 'accessPackage' ? [link.value.otherId] : [], async () => {
      if (link.value.kind === 'accessPackage') {
        const reverse = await deps.store.incompatibilities.get(tableKey('incompatibleWith', link.value.otherId), packageKey);
        if (reverse) await deps.store.incompatibilities.delete(reverse);
      }
      await removeLink(link);
    });
  }
  for (const link of await deps.store.incompatibilities.list({ partitionKey: tableKey('incompatibleWith', id) })) {
    await changingPackageConfiguration(deps, [link.value.packageId], async () => {
      await deps.store.incompatibilities.delete(link);
      const forward = await deps.store.incompatibilities.get(tableKey(link.value.packageId), tableKey('accessPackage', id));
      if (forward) await removeLink(forward);
    });
  }
}
