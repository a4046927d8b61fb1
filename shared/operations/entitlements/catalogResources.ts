import { mapConcurrently } from '../../concurrently';
import { audited, shownIn } from '../audit/auditedChange';
import type { Caller } from '../../auth/caller';
import { z } from 'zod';
import { parseInput } from '../../api/validation';
import { deterministicId } from '../../domain/deterministicId';
import { DomainError } from '../../domain/errors';
import type { CatalogResource, OriginSystem, ResourceRequest, ResourceRole, ResourceScope } from '../../domain/entitlements';
import { filter } from '../../store/odataFilter';
import type { StoredDocument } from '../../store/documentTable';
import { tableKey } from '../../store/tableKeys';
import { findCatalog } from './catalogs';
import { type EntitlementDeps, nowIso } from './entitlementDeps';
import { enumIgnoringCase } from '../../domain/policies/graphValues';
import { readResourceOrigin, type ResourceOrigin } from './resourceOrigins';

const resourceRequest = z.object({
  requestType: enumIgnoringCase(['adminAdd', 'adminUpdate', 'adminRemove']),
  catalog: z.object({ id: z.string().min(1, 'must not be empty') }, { message: 'is required: { "id": "<catalog id>" }' }),
  resource: z.object(
    {
      id: z.string().min(1).optional(),
      originId: z.string().min(1, 'must not be empty').max(1024).optional(),
      originSystem: enumIgnoringCase(['AadGroup', 'AadApplication', 'SharePointOnline']).optional(),
    },
    { message: 'is required: { "originId", "originSystem" }' },
  ),
});

/** Beta bodies (Graph's own tutorial sends them): `catalogId` and `accessPackageResource`. */
function withV1Names(body: Record<string, unknown>): Record<string, unknown> {
  const { catalogId, accessPackageResource, ...rest } = body;
  return {
    ...rest,
    catalog: rest.catalog ?? (typeof catalogId === 'string' ? { id: catalogId } : undefined),
    resource: rest.resource ?? accessPackageResource,
  };
}

/** Adds, refreshes or removes a catalog resource; answers the delivered request, as Graph does. */
export async function requestResource(deps: EntitlementDeps, actor: Caller, body: Record<string, unknown>): Promise<ResourceRequest> {
  const input = parseInput(resourceRequest, withV1Names(body), 'resource request');
  const catalog = await findCatalog(deps, input.catalog.id);
  const catalogKey = tableKey(catalog.value.id);
  const requestId = deps.newId();
  const createdDateTime = nowIso(deps);
  const requestOf = (resource: CatalogResource | null): ResourceRequest => ({ id: requestId, requestType: input.requestType, state: 'delivered', createdDateTime, catalogId: catalog.value.id, resource });
  const event = (resource: Pick<CatalogResource, 'id'>, before: unknown, after: unknown) => ({ actorId: actor.objectId, action: `resourceRequest.${input.requestType}`, entityType: 'catalogResource', entityId: resource.id, before, after });
  let request: ResourceRequest;
  if (input.requestType === 'adminAdd') {
    const { originId, originSystem } = input.resource;
    if (!originId || !originSystem) throw new DomainError('invalidRequest', 'Invalid resource request: resource needs originId and originSystem.');
    await checkOwnership(deps, actor, originSystem, originId);
    if (await findResourceByOrigin(deps, catalog.value.id, originSystem, originId)) {
      throw new DomainError('alreadyExists', `${originSystem} '${originId}' is already in catalog '${catalog.value.id}'.`);
    }
    // The resource's id follows from its origin, so where it will show is known before it is read from the directory.
    const id = resourceIdFor(catalog.value.id, originSystem, originId);
    const added = { id, originId, originSystem, catalogId: catalog.value.id };
    request = await audited(deps, event(added, null, added), shownIn('catalogResources', { partitionKey: catalogKey, rowKey: tableKey(id) }, 'present'), async () => {
      const made = requestOf(await addResource(deps, catalog.value.id, originSystem, originId));
      await deps.store.resourceRequests.insert(catalogKey, tableKey(made.id), made);
      return made;
    });
  } else {
    const stored = await locateResource(deps, catalog.value.id, input.resource);
    const removing = input.requestType === 'adminRemove';
    const shows = removing ? shownIn('catalogResources', stored, 'absent') : shownIn('resourceRequests', { partitionKey: catalogKey, rowKey: tableKey(requestId) }, 'present');
    request = await audited(deps, event(stored.value, stored.value, removing ? null : stored.value), shows, async () => {
      const resource = removing ? (await removeResource(deps, catalog.value.id, stored), stored.value) : await refreshResource(deps, catalog.value.id, stored);
      const made = requestOf(resource);
      await deps.store.resourceRequests.insert(catalogKey, tableKey(made.id), made);
      return made;
    });
  }
  return request;
}

/** What a catalog owner must own to add a resource, as Entra requires: a group, or an application. */
const OWNED_RESOURCES: Partial<Record<OriginSystem, { what: string; ownerIds: (deps: EntitlementDeps, originId: string) => Promise<string[]> }>> = {
  AadGroup: { what: 'group', ownerIds: (deps, id) => deps.directory.getGroupOwnerIds(id) },
  AadApplication: { what: 'application', ownerIds: (deps, id) => deps.directory.getApplicationOwnerIds(id) },
};

/**
 * Administrators add any resource; a catalog owner only a group or an application they own in the directory, as
 * Entra requires (sites need an owner check Portcullis does not make yet, so they are for administrators).
 */
async function checkOwnership(deps: EntitlementDeps, caller: Caller, originSystem: OriginSystem, originId: string): Promise<void> {
  if ((await deps.accessOf(caller).standing()).administrator) return;
  const owned = OWNED_RESOURCES[originSystem];
  if (!owned) throw new DomainError('forbidden', `Only an administrator may add ${originSystem} resources; catalog owners add groups and applications they own.`);
  const owners = (await owned.ownerIds(deps, originId)).map((id) => id.toLowerCase());
  if (!owners.includes(caller.objectId.toLowerCase())) {
    throw new DomainError('forbidden', `You do not own ${owned.what} '${originId}'; only its owners or an administrator may add it to a catalog.`);
  }
}

/**
 * The resource row goes first and its id comes from its origin: of two concurrent additions of one group, one
 * insert fails (409). Roles and scope follow; should that fail halfway, `adminUpdate` writes what is missing.
 */
async function addResource(deps: EntitlementDeps, catalogId: string, originSystem: OriginSystem, originId: string): Promise<CatalogResource> {
  const origin = await readResourceOrigin(deps.directory, originSystem, originId);
  const now = nowIso(deps);
  const resource: CatalogResource = {
    id: resourceIdFor(catalogId, originSystem, originId),
    displayName: origin.displayName,
    description: origin.description,
    originId,
    originSystem,
    attributes: [],
    createdDateTime: now,
    modifiedDateTime: now,
  };
  await deps.store.resources.insert(tableKey(catalogId), tableKey(resource.id), resource);
  await writeRolesAndScope(deps, catalogId, resource, origin);
  return resource;
}

/** Writes the roles and root scope the directory gives a resource, keeping those already there (ids follow origin). */
async function writeRolesAndScope(deps: EntitlementDeps, catalogId: string, resource: CatalogResource, origin: ResourceOrigin): Promise<void> {
  const catalogKey = tableKey(catalogId);
  const { originSystem } = resource;
  for (const role of origin.roles) {
    const stored: ResourceRole = { id: deterministicId('role', resource.id, role.originId), ...role, originSystem, resourceId: resource.id };
    const existing = await deps.store.resourceRoles.get(catalogKey, tableKey(resource.id, stored.id));
    if (existing) await deps.store.resourceRoles.replace(existing, stored);
    else await deps.store.resourceRoles.insert(catalogKey, tableKey(resource.id, stored.id), stored);
  }
  const scope: ResourceScope = { id: deterministicId('scope', resource.id, origin.rootScope.originId), ...origin.rootScope, originSystem, isRootScope: true, resourceId: resource.id };
  if (!(await deps.store.resourceScopes.get(catalogKey, tableKey(resource.id, scope.id)))) {
    await deps.store.resourceScopes.insert(catalogKey, tableKey(resource.id, scope.id), scope);
  }
}

/** Reloads names and roles from the directory; roles that are gone are dropped unless a package still grants them. */
async function refreshResource(deps: EntitlementDeps, catalogId: string, stored: StoredDocument<CatalogResource>): Promise<CatalogResource> {
  const origin = await readResourceOrigin(deps.directory, stored.value.originSystem, stored.value.originId);
  await writeRolesAndScope(deps, catalogId, stored.value, origin);
  const used = new Set((await roleScopesUsing(deps, catalogId, stored.value.id)).map((rs) => rs.role.id));
  for (const role of await deps.store.rolesOf(catalogId, stored.value.id)) {
    if (!origin.roles.some((r) => r.originId === role.value.originId) && !used.has(role.value.id)) {
      await deps.store.resourceRoles.delete(role);
    }
  }
  const refreshed = { ...stored.value, displayName: origin.displayName, description: origin.description, modifiedDateTime: nowIso(deps) };
  await deps.store.resources.replace(stored, refreshed);
  return refreshed;
}

async function removeResource(deps: EntitlementDeps, catalogId: string, stored: StoredDocument<CatalogResource>): Promise<void> {
  const users = await roleScopesUsing(deps, catalogId, stored.value.id);
  if (users.length > 0) {
    throw new DomainError('conflict', `Resource '${stored.value.id}' is still granted by ${users.length} access package role(s); remove them first.`);
  }
  // Roles and scope first, the resource last: a removal cut off halfway is finished by asking again.
  for (const role of await deps.store.rolesOf(catalogId, stored.value.id)) await deps.store.resourceRoles.delete(role);
  for (const scope of await deps.store.scopesOf(catalogId, stored.value.id)) await deps.store.resourceScopes.delete(scope);
  await deps.store.resources.delete(stored);
}

async function locateResource(
  deps: EntitlementDeps,
  catalogId: string,
  ref: { id?: string; originId?: string; originSystem?: OriginSystem },
): Promise<StoredDocument<CatalogResource>> {
  const found = ref.id
    ? await deps.store.resources.get(tableKey(catalogId), tableKey(ref.id))
    : ref.originId && ref.originSystem
      ? await findResourceByOrigin(deps, catalogId, ref.originSystem, ref.originId)
      : undefined;
  if (!found) throw new DomainError('notFound', `The resource is not in catalog '${catalogId}'.`);
  return found;
}

/** A resource's id follows from its catalog and origin, so finding it by origin is a point read. */
export const resourceIdFor = (catalogId: string, originSystem: OriginSystem, originId: string) =>
  deterministicId('resource', catalogId, originSystem, originId.toLowerCase());

function findResourceByOrigin(deps: EntitlementDeps, catalogId: string, originSystem: OriginSystem, originId: string) {
  return deps.store.resources.get(tableKey(catalogId), tableKey(resourceIdFor(catalogId, originSystem, originId)));
}

/** The role scopes that grant a resource's roles: only packages of the resource's own catalog can hold them. */
async function roleScopesUsing(deps: EntitlementDeps, catalogId: string, resourceId: string) {
  const packages = await deps.store.accessPackages.list({ partitionId: catalogId });
  const found = await mapConcurrently(packages, (p) => deps.store.roleScopes.list({ partitionKey: tableKey(p.value.id), filter: filter`resourceId eq ${resourceId}` }));
  return found.flat().map((d) => d.value);
}

export async function listCatalogResources(deps: EntitlementDeps, catalogId: string): Promise<CatalogResource[]> {
  await findCatalog(deps, catalogId);
  return (await deps.store.resources.list({ partitionKey: tableKey(catalogId) })).map((d) => d.value);
}

export async function listResourceRoles(deps: EntitlementDeps, catalogId: string): Promise<ResourceRole[]> {
  await findCatalog(deps, catalogId);
  return (await deps.store.resourceRoles.list({ partitionKey: tableKey(catalogId) })).map((d) => d.value);
}

export async function listResourceScopes(deps: EntitlementDeps, catalogId: string): Promise<ResourceScope[]> {
  await findCatalog(deps, catalogId);
  return (await deps.store.resourceScopes.list({ partitionKey: tableKey(catalogId) })).map((d) => d.value);
}

export async function listResourceRequests(deps: EntitlementDeps): Promise<ResourceRequest[]> {
  return (await deps.store.resourceRequests.list()).map((d) => d.value);
}
