import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { Caller } from '../../auth/caller';
import { CATALOG_OWNER, catalogScope } from '../../auth/entitlementRoles';
import { assignRole, removeRoleAssignmentsIn } from '../roles/roleAssignments';
import { retiring } from './parentCheck';
import { audited, shownIn } from '../audit/auditedChange';
import { z } from 'zod';
import { parseInput } from '../../api/validation';
import { deterministicId } from '../../domain/deterministicId';
import { DomainError, isDomainError } from '../../domain/errors';
import type { Catalog } from '../../domain/entitlements';
import type { StoredDocument } from '../../store/documentTable';
import { tableKey } from '../../store/tableKeys';
import { type Actor, type EntitlementDeps, nowIso } from './entitlementDeps';
import { enumIgnoringCase } from '../../domain/policies/graphValues';

const CATALOGS = tableKey('catalogs');

/** The built-in catalog's id, the same on every instance, so two first starts cannot create two General catalogs. */
export const generalCatalogId = (tenantId: string): string => deterministicId('general-catalog', tenantId);

/** Stores whose General catalog is known to exist, so only the first lookup of a worker reads for it. */
const generalEnsured = new WeakSet<object>();

export async function ensureGeneralCatalog(deps: EntitlementDeps): Promise<void> {
  if (generalEnsured.has(deps.store)) return;
  const id = generalCatalogId(deps.tenantId);
  if (await deps.store.catalogs.get(CATALOGS, tableKey(id))) {
    generalEnsured.add(deps.store);
    return;
  }
  const now = nowIso(deps);
  const general: Catalog = {
    id,
    displayName: 'General',
    description: 'Built-in catalog.',
    catalogType: 'serviceDefault',
    state: 'published',
    isExternallyVisible: true,
    createdDateTime: now,
    modifiedDateTime: now,
  };
  try {
    const entry = { actorId: SYSTEM_ACTOR, action: 'createCatalog', entityType: 'catalog', entityId: id, before: null, after: general };
    await audited(deps, entry, shownIn('catalogs', { partitionKey: CATALOGS, rowKey: tableKey(id) }, 'present'), () => deps.store.catalogs.insert(CATALOGS, tableKey(id), general));
  } catch (error) {
    if (!(isDomainError(error) && error.code === 'alreadyExists')) throw error;
  }
  generalEnsured.add(deps.store);
}

export async function listCatalogs(deps: EntitlementDeps): Promise<Catalog[]> {
  await ensureGeneralCatalog(deps);
  return (await deps.store.catalogs.list({ partitionKey: CATALOGS })).map((d) => d.value);
}

export async function findCatalog(deps: EntitlementDeps, id: string): Promise<StoredDocument<Catalog>> {
  await ensureGeneralCatalog(deps);
  const catalog = await deps.store.catalogs.get(CATALOGS, tableKey(id));
  if (!catalog) throw new DomainError('notFound', `Catalog '${id}' was not found.`);
  return catalog;
}

const catalogFields = {
  displayName: z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  description: z.string().max(1024, 'must be at most 1024 characters').nullable(),
  state: enumIgnoringCase(['unpublished', 'published']),
  isExternallyVisible: z.boolean(),
};
const newCatalog = z.object({
  ...catalogFields,
  description: catalogFields.description.optional(),
  state: catalogFields.state.optional(),
  isExternallyVisible: catalogFields.isExternallyVisible.optional(),
  catalogType: z.literal('userManaged', { message: "only 'userManaged' catalogs can be created" }).optional(),
});
const catalogChange = z
  .object({ ...catalogFields, catalogType: z.string().optional() })
  .partial()
  .strict();

/** A catalog creator who is not an administrator becomes the owner of each catalog they create, as in Entra. */
export async function createCatalog(deps: EntitlementDeps, caller: Caller, body: unknown): Promise<Catalog> {
  const input = parseInput(newCatalog, body, 'catalog');
  const now = nowIso(deps);
  const catalog: Catalog = {
    id: deps.newId(),
    displayName: input.displayName,
    description: input.description ?? null,
    catalogType: 'userManaged',
    state: input.state ?? 'published',
    isExternallyVisible: input.isExternallyVisible ?? true,
    createdDateTime: now,
    modifiedDateTime: now,
  };
  const entry = { actorId: caller.objectId, action: 'createCatalog', entityType: 'catalog', entityId: catalog.id, before: null, after: catalog };
  await audited(deps, entry, shownIn('catalogs', { partitionKey: CATALOGS, rowKey: tableKey(catalog.id) }, 'present'), () => deps.store.catalogs.insert(CATALOGS, tableKey(catalog.id), catalog));
  const standing = await deps.accessOf(caller).standing();
  if (standing.catalogCreator && !standing.administrator) {
    await assignRole(deps, caller, { principalId: caller.objectId, roleDefinitionId: CATALOG_OWNER, appScopeId: catalogScope(catalog.id) });
  }
  return catalog;
}

export async function updateCatalog(deps: EntitlementDeps, actor: Actor, id: string, body: unknown): Promise<void> {
  const change = parseInput(catalogChange, body, 'catalog');
  const stored = await findCatalog(deps, id);
  if (change.catalogType !== undefined && change.catalogType !== stored.value.catalogType) {
    throw new DomainError('invalidRequest', `Invalid catalog: catalogType cannot change from '${stored.value.catalogType}'.`);
  }
  const { catalogType: _unchanged, ...fields } = change;
  const updated: Catalog = { ...stored.value, ...fields, modifiedDateTime: nowIso(deps) };
  const entry = { actorId: actor.objectId, action: 'updateCatalog', entityType: 'catalog', entityId: id, before: stored.value, after: updated };
  await audited(deps, entry, shownIn('catalogs', stored, 'changed'), () => deps.store.catalogs.replace(stored, updated));
}

/**
 * The built-in catalog stays; a catalog with access packages must be emptied first, as in Entra. Its resources and
 * the role assignments scoped to it go with it. The delete runs under the catalog's deletion mark, so a package
 * or role assignment added meanwhile undoes itself.
 */
export async function deleteCatalog(deps: EntitlementDeps, actor: Actor, id: string): Promise<void> {
  const stored = await findCatalog(deps, id);
  if (stored.value.catalogType === 'serviceDefault') throw new DomainError('conflict', 'The built-in General catalog cannot be deleted.');
  await retiring(deps, { kind: 'catalog', id }, async () => {
    if ((await deps.store.accessPackages.list({ partitionId: id })).length > 0) {
      throw new DomainError('conflict', `Catalog '${id}' still has access packages; delete them first.`);
    }
    // What goes with the catalog is audited one by one, each part as its own change.
    const partitionKey = tableKey(id);
    const gone = (entityType: string, document: StoredDocument<{ id: string }>) => ({ actorId: actor.objectId, action: 'deleteCatalogPart', entityType, entityId: document.value.id, before: document.value, after: null, catalogId: id });
    for (const role of await deps.store.resourceRoles.list({ partitionKey })) {
      await audited(deps, gone('resourceRole', role), shownIn('resourceRoles', role, 'absent'), () => deps.store.resourceRoles.delete(role));
    }
    for (const scope of await deps.store.resourceScopes.list({ partitionKey })) {
      await audited(deps, gone('resourceScope', scope), shownIn('resourceScopes', scope, 'absent'), () => deps.store.resourceScopes.delete(scope));
    }
    for (const resource of await deps.store.resources.list({ partitionKey })) {
      await audited(deps, { ...gone('resource', resource), action: 'removeCatalogResource' }, shownIn('catalogResources', resource, 'absent'), () => deps.store.resources.delete(resource));
    }
    await removeRoleAssignmentsIn(deps, actor, id);
    const entry = { actorId: actor.objectId, action: 'deleteCatalog', entityType: 'catalog', entityId: id, before: stored.value, after: null };
    await audited(deps, entry, shownIn('catalogs', stored, 'absent'), () => deps.store.catalogs.delete(stored));
  });
}
