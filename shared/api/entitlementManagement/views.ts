import { mapConcurrently } from '../../concurrently';
import type { DirectoryGroup } from '../../directory/directoryPort';
import type { ExpandItem } from '../odata';
import type { AccessPackage, Catalog, CatalogResource, ResourceRequest, ResourceRole, ResourceRoleScope, ResourceScope } from '../../domain/entitlements';
import type { StoredPolicy } from '../../store/entitlementStore';
import { findCatalog } from '../../operations/entitlements/catalogs';
import { listAccessPackages, findAccessPackage } from '../../operations/entitlements/accessPackages';
import { listAssignmentPolicies } from '../../operations/entitlements/assignmentPolicies';
import { listResourceRoleScopes } from '../../operations/entitlements/resourceRoleScopes';
import {
  listIncompatibleGroups,
  listIncompatiblePackages,
  listPackagesIncompatibleWith,
} from '../../operations/entitlements/incompatibilities';
import type { EntitlementDeps } from '../../operations/entitlements/entitlementDeps';
import { isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import { tableKey } from '../../store/tableKeys';

type Json = Record<string, unknown>;

/**
 * How each entity is shown: `filterView` is what `$filter` and `$orderby` see (navigation ids included, so
 * `resource/id eq …` works without `$expand`); `render` is the Graph v1.0 output, with the asked `$expand`s.
 */
export interface EntityView<T> {
  filterView(entity: T): Json;
  render(deps: EntitlementDeps, entity: T, expand: readonly ExpandItem[]): Promise<Json>;
}

const expanded = (expand: readonly ExpandItem[], name: string) => expand.find((e) => e.name === name);

/** An expanded collection shows at most this many items (see listing.ts), as Graph caps its own expansions. */
export const EXPANDED_ITEMS_LIMIT = 100;

export async function withExpansions(base: Json, expand: readonly ExpandItem[], loaders: Record<string, (item: ExpandItem) => Promise<unknown>>): Promise<Json> {
  const result: Json = { ...base };
  for (const item of expand) {
    const load = loaders[item.name];
    if (!load) continue;
    const loaded = await load(item);
    result[item.name] = Array.isArray(loaded) ? loaded.slice(0, EXPANDED_ITEMS_LIMIT) : loaded;
  }
  return result;
}

export const catalogView: EntityView<Catalog> = {
  filterView: (catalog) => ({ ...catalog }),
  render: (deps, catalog, expand) =>
    withExpansions({ ...catalog }, expand, {
      // Only the first EXPANDED_ITEMS_LIMIT are read and rendered: nothing past the limit costs a read.
      accessPackages: async (item) => mapConcurrently(await listAccessPackages(deps, catalog.id, EXPANDED_ITEMS_LIMIT), (p) => packageView.render(deps, p, item.expand ?? [])),
    }),
};

export const packageView: EntityView<AccessPackage> = {
  filterView: ({ catalogId, ...accessPackage }) => ({ ...accessPackage, catalog: { id: catalogId } }),
  render: (deps, { catalogId, ...accessPackage }, expand) =>
    withExpansions({ ...accessPackage }, expand, {
      catalog: () => orNull(findCatalog(deps, catalogId)),
      assignmentPolicies: async (item) => mapConcurrently(await listAssignmentPolicies(deps, accessPackage.id, EXPANDED_ITEMS_LIMIT), (p) => policyView.render(deps, p, item.expand ?? [])),
      resourceRoleScopes: async (item) => (await listResourceRoleScopes(deps, accessPackage.id, EXPANDED_ITEMS_LIMIT)).map((rs) => roleScopeView(rs, item.expand ?? [])),
      incompatibleAccessPackages: async () => (await listIncompatiblePackages(deps, accessPackage.id)).map(withoutCatalogId),
      incompatibleGroups: async () => (await listIncompatibleGroups(deps, accessPackage.id)).map((g) => ({ '@odata.type': '#microsoft.graph.group', ...g })),
      accessPackagesIncompatibleWith: async () => (await listPackagesIncompatibleWith(deps, accessPackage.id)).map(withoutCatalogId),
    }),
};

/** A package listed by reference (incompatibilities): its own fields only. */
export const plainPackage: EntityView<AccessPackage> = { filterView: packageView.filterView, render: async (_deps, p) => withoutCatalogId(p) };

export const plainGroup: EntityView<DirectoryGroup> = {
  filterView: (group) => ({ ...group }),
  render: async (_deps, group) => ({ '@odata.type': '#microsoft.graph.group', ...group }),
};

export function roleScopeView(roleScope: ResourceRoleScope, expand: readonly ExpandItem[]): Json {
  const view: Json = { id: roleScope.id, createdDateTime: roleScope.createdDateTime };
  if (expanded(expand, 'role')) view.role = withoutResourceId(roleScope.role);
  if (expanded(expand, 'scope')) view.scope = withoutResourceId(roleScope.scope);
  return view;
}

export const policyView: EntityView<StoredPolicy> = {
  filterView: ({ accessPackageId, ...policy }) => ({ ...policy, accessPackage: { id: accessPackageId } }),
  render: (deps, { accessPackageId, ...policy }, expand) =>
    withExpansions({ ...policy }, expand, {
      accessPackage: async () => {
        const found = await orNull(findAccessPackage(deps, accessPackageId));
        return found && withoutCatalogId(found);
      },
      catalog: async () => {
        const found = await orNull(findAccessPackage(deps, accessPackageId));
        return found && orNull(findCatalog(deps, found.catalogId));
      },
    }),
};

export function resourceView(catalogId: string): EntityView<CatalogResource> {
  return {
    filterView: (resource) => ({ ...resource }),
    render: (deps, resource, expand) =>
      withExpansions({ ...resource }, expand, {
        roles: async () => (await deps.store.rolesOf(catalogId, resource.id)).map((d) => withoutResourceId(d.value)),
        scopes: async () => (await deps.store.scopesOf(catalogId, resource.id)).map((d) => withoutResourceId(d.value)),
      }),
  };
}

/** Roles and scopes of a catalog: `resource` is a navigation, there on `$expand=resource`. */
export function resourcePartView<T extends ResourceRole | ResourceScope>(catalogId: string): EntityView<T> {
  return {
    filterView: (part) => ({ ...withoutResourceId(part), resource: { id: part.resourceId } }),
    render: (deps, part, expand) =>
      withExpansions(withoutResourceId(part), expand, {
        resource: async () => (await deps.store.resources.get(tableKey(catalogId), tableKey(part.resourceId)))?.value ?? null,
      }),
  };
}

export const resourceRequestView: EntityView<ResourceRequest> = {
  filterView: ({ catalogId, resource, ...request }) => ({ ...request, catalog: { id: catalogId }, resource: resource ? { id: resource.id } : null }),
  render: (deps, { catalogId, resource, ...request }, expand) =>
    withExpansions({ ...request }, expand, {
      resource: async () => resource,
      catalog: () => orNull(findCatalog(deps, catalogId)),
    }),
};

function withoutResourceId<T extends { resourceId: string }>({ resourceId: _r, ...rest }: T): Json {
  return rest;
}

/** A package as Graph shows it: its catalog is a navigation, not a field. */
export function withoutCatalogId({ catalogId: _catalog, ...accessPackage }: AccessPackage): Json {
  return accessPackage;
}

/** A navigation whose target is gone (a catalog deleted since) shows as null, as Graph does, not as a failed list. */
export async function orNull<T>(lookup: Promise<StoredDocument<T>>): Promise<T | null> {
  try {
    return (await lookup).value;
  } catch (error) {
    if (isDomainError(error) && error.code === 'notFound') return null;
    throw error;
  }
}
