import { DomainError, isDomainError } from '../../domain/errors';
import type { AccessPackage } from '../../domain/entitlements';
import type { DirectoryGroup } from '../../directory/directoryPort';
import type { IncompatibilityLink } from '../../store/entitlementStore';
import { tableKey, type TableKey } from '../../store/tableKeys';
import { findAccessPackage } from './accessPackages';
import { type Actor, type EntitlementDeps } from './entitlementDeps';

export type IncompatibleKind = 'accessPackage' | 'group';

/**
 * The id a `$ref` body points at: the last segment of `@odata.id`, which must name the expected collection
 * (`…/accessPackages/{id}` or `…/groups/{id}`); any host is accepted, as clients send Graph's.
 */
export function referencedId(body: Record<string, unknown>, kind: IncompatibleKind): string {
  const link = body['@odata.id'];
  const collection = kind === 'group' ? 'groups' : 'accessPackages';
  if (typeof link !== 'string') throw new DomainError('invalidRequest', 'Invalid reference: the body needs "@odata.id".');
  const match = new RegExp(`/${collection}/([^/?#]+)$`).exec(link);
  if (!match?.[1]) throw new DomainError('invalidRequest', `Invalid reference: "@odata.id" must end in /${collection}/{id}.`);
  try {
    return decodeURIComponent(match[1]);
  } catch {
    throw new DomainError('invalidRequest', 'Invalid reference: the id in "@odata.id" is not validly encoded.');
  }
}

/** Marks a package or group incompatible with a package, in both directions so either side can be listed. */
export async function addIncompatible(deps: EntitlementDeps, actor: Actor, packageId: string, kind: IncompatibleKind, otherId: string): Promise<void> {
  await findAccessPackage(deps, packageId);
  if (kind === 'accessPackage') {
    if (otherId === packageId) throw new DomainError('invalidRequest', 'An access package cannot be incompatible with itself.');
    await findAccessPackage(deps, otherId);
  } else if (!(await deps.directory.getGroup(otherId))) {
    throw new DomainError('notFound', `Group '${otherId}' was not found in the directory.`);
  }
  const link = { packageId, kind, otherId };
  // Each row is written if missing, so a retry after a failure between the two completes the link.
  if (kind === 'accessPackage') await insertIfMissing(deps, tableKey('incompatibleWith', otherId), tableKey(packageId), link);
  if (!(await insertIfMissing(deps, tableKey(packageId), tableKey(kind, otherId), link))) return;
  await deps.audit.record({ actorId: actor.objectId, action: `addIncompatible.${kind}`, entityType: 'accessPackage', entityId: packageId, before: null, after: link });
}

export async function removeIncompatible(deps: EntitlementDeps, actor: Actor, packageId: string, kind: IncompatibleKind, otherId: string): Promise<void> {
  await findAccessPackage(deps, packageId);
  const stored = await deps.store.incompatibilities.get(tableKey(packageId), tableKey(kind, otherId));
  if (!stored) throw new DomainError('notFound', `'${otherId}' is not marked incompatible with access package '${packageId}'.`);
  await deps.store.incompatibilities.delete(stored);
  const reverse = kind === 'accessPackage' && (await deps.store.incompatibilities.get(tableKey('incompatibleWith', otherId), tableKey(packageId)));
  if (reverse) await deps.store.incompatibilities.delete(reverse);
  await deps.audit.record({ actorId: actor.objectId, action: `removeIncompatible.${kind}`, entityType: 'accessPackage', entityId: packageId, before: stored.value, after: null });
}

export async function listIncompatiblePackages(deps: EntitlementDeps, packageId: string): Promise<AccessPackage[]> {
  return packagesOf(deps, await otherIds(deps, packageId, 'accessPackage'));
}

/** Read one at a time from the directory: a package rarely lists many groups, and Graph throttles bursts. */
export async function listIncompatibleGroups(deps: EntitlementDeps, packageId: string): Promise<DirectoryGroup[]> {
  const groups: DirectoryGroup[] = [];
  for (const id of await otherIds(deps, packageId, 'group')) {
    const group = await deps.directory.getGroup(id);
    if (group) groups.push(group);
  }
  return groups;
}

/** The packages that list this one as incompatible. */
export async function listPackagesIncompatibleWith(deps: EntitlementDeps, packageId: string): Promise<AccessPackage[]> {
  await findAccessPackage(deps, packageId);
  const links = await deps.store.incompatibilities.list({ partitionKey: tableKey('incompatibleWith', packageId) });
  return packagesOf(deps, links.map((l) => l.value.packageId));
}

async function otherIds(deps: EntitlementDeps, packageId: string, kind: IncompatibleKind): Promise<string[]> {
  await findAccessPackage(deps, packageId);
  const links = await deps.store.incompatibilities.list({ partitionKey: tableKey(packageId) });
  return links.filter((l) => l.value.kind === kind).map((l) => l.value.otherId);
}

async function packagesOf(deps: EntitlementDeps, ids: string[]): Promise<AccessPackage[]> {
  const found = await Promise.all(ids.map((id) => findAccessPackage(deps, id).then((d) => d.value, () => undefined)));
  return found.filter((p): p is AccessPackage => p !== undefined);
}

/** True when this call wrote the row. */
async function insertIfMissing(deps: EntitlementDeps, partitionKey: TableKey, rowKey: TableKey, link: IncompatibilityLink): Promise<boolean> {
  if (await deps.store.incompatibilities.get(partitionKey, rowKey)) return false;
  try {
    await deps.store.incompatibilities.insert(partitionKey, rowKey, link);
    return true;
  } catch (error) {
    if (isDomainError(error) && error.code === 'alreadyExists') return false;
    throw error;
  }
}
