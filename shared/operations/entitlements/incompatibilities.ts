import type { Caller } from '../../auth/caller';
import { referencedObject } from '../../api/odataReference';
import { mapConcurrently } from '../../concurrently';
import { DomainError, isDomainError } from '../../domain/errors';
import type { AccessPackage } from '../../domain/entitlements';
import type { DirectoryGroup } from '../../directory/directoryPort';
import type { IncompatibilityLink } from '../../store/entitlementStore';
import { tableKey, type TableKey } from '../../store/tableKeys';
import { accessPackageNotFound, findAccessPackage } from './accessPackages';
import { type Actor, type EntitlementDeps } from './entitlementDeps';
import { audited, shownIn, UNCHANGED } from '../audit/auditedChange';
import { changingPackageConfiguration } from './packageConfiguration';

/**
 * The most links one package has on each side (what it marks incompatible, and what marks it): every list and
 * `$expand` of them reads at most this many rows, and a separation-of-duties check stays a bounded read.
 */
export const MAX_INCOMPATIBILITIES_PER_PACKAGE = 100;

export type IncompatibleKind = 'accessPackage' | 'group';

/** The id a `$ref` body points at, which must name the expected collection (`…/accessPackages/{id}` or `…/groups/{id}`). */
export function referencedId(body: Record<string, unknown>, kind: IncompatibleKind): string {
  return referencedObject(body, [kind === 'group' ? 'groups' : 'accessPackages']).id;
}

/**
 * Marks a package or group incompatible with a package, in both directions so either side can be listed. A link
 * to another catalog's package shows that package to this catalog's readers and blocks that catalog's users, so
 * it needs the right to manage packages in both catalogs (the route decided this one; the other is decided here).
 */
export async function addIncompatible(deps: EntitlementDeps, caller: Caller, packageId: string, kind: IncompatibleKind, otherId: string): Promise<void> {
  const accessPackage = (await findAccessPackage(deps, packageId)).value;
  if (kind === 'accessPackage') {
    if (otherId === packageId) throw new DomainError('invalidRequest', 'An access package cannot be incompatible with itself.');
    const other = (await findAccessPackage(deps, otherId)).value;
    if (other.catalogId !== accessPackage.catalogId) await requireManagingOtherCatalog(deps, caller, other);
  } else if (!(await deps.directory.getGroup(otherId))) {
    throw new DomainError('notFound', `Group '${otherId}' was not found in the directory.`);
  }
  const link = { packageId, kind, otherId };
  if (await deps.store.incompatibilities.get(tableKey(packageId), tableKey(kind, otherId))) return;
  await refuseBeyondCap(deps, tableKey(packageId), `Access package '${packageId}' already lists`);
  if (kind === 'accessPackage') await refuseBeyondCap(deps, tableKey('incompatibleWith', otherId), `Access package '${otherId}' is already listed by`);
  // Each row is written if missing, so a retry after a failure between the two completes the link. Two additions
  // at once may both pass the cap check and end one link over it; the cap bounds reads, and one over is harmless.
  const entry = { actorId: caller.objectId, action: `addIncompatible.${kind}`, entityType: 'accessPackage', entityId: packageId, before: null, after: link, catalogId: accessPackage.catalogId };
  await changingPackageConfiguration(deps, packagesOfLink(packageId, kind, otherId), async () => {
    if (kind === 'accessPackage') await insertIfMissing(deps, tableKey('incompatibleWith', otherId), tableKey(packageId), link);
    await audited(deps, entry, shownIn('incompatibilities', { partitionKey: tableKey(packageId), rowKey: tableKey(kind, otherId) }, 'present'), async () =>
      (await insertIfMissing(deps, tableKey(packageId), tableKey(kind, otherId), link)) ? undefined : UNCHANGED,
    );
  });
}

/** The packages whose configuration a link changes (packageConfiguration.ts): both, when it links two packages. */
const packagesOfLink = (packageId: string, kind: IncompatibleKind, otherId: string) => (kind === 'accessPackage' ? [packageId, otherId] : [packageId]);

/** A caller who cannot read the other catalog is told what a missing package tells, so the answer reveals nothing. */
async function requireManagingOtherCatalog(deps: EntitlementDeps, caller: Caller, other: AccessPackage): Promise<void> {
  const access = deps.accessOf(caller);
  if (!(await access.allows('read', other.catalogId))) throw accessPackageNotFound(other.id);
  await access.require('managePackages', other.catalogId);
}

async function refuseBeyondCap(deps: EntitlementDeps, partitionKey: TableKey, what: string): Promise<void> {
  const links = await deps.store.incompatibilities.list({ partitionKey, limit: MAX_INCOMPATIBILITIES_PER_PACKAGE });
  if (links.length < MAX_INCOMPATIBILITIES_PER_PACKAGE) return;
  throw new DomainError('invalidRequest', `${what} ${MAX_INCOMPATIBILITIES_PER_PACKAGE} incompatibilities, the most one access package may have; remove one first.`);
}

export async function removeIncompatible(deps: EntitlementDeps, actor: Actor, packageId: string, kind: IncompatibleKind, otherId: string): Promise<void> {
  const accessPackage = (await findAccessPackage(deps, packageId)).value;
  const stored = await deps.store.incompatibilities.get(tableKey(packageId), tableKey(kind, otherId));
  if (!stored) throw new DomainError('notFound', `'${otherId}' is not marked incompatible with access package '${packageId}'.`);
  const entry = { actorId: actor.objectId, action: `removeIncompatible.${kind}`, entityType: 'accessPackage', entityId: packageId, before: stored.value, after: null, catalogId: accessPackage.catalogId };
  await changingPackageConfiguration(deps, packagesOfLink(packageId, kind, otherId), async () => {
    await audited(deps, entry, shownIn('incompatibilities', stored, 'absent'), () => deps.store.incompatibilities.delete(stored));
    const reverse = kind === 'accessPackage' && (await deps.store.incompatibilities.get(tableKey('incompatibleWith', otherId), tableKey(packageId)));
    if (reverse) await deps.store.incompatibilities.delete(reverse);
  });
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
  const links = await deps.store.incompatibilities.list({ partitionKey: tableKey('incompatibleWith', packageId), limit: MAX_INCOMPATIBILITIES_PER_PACKAGE });
  return packagesOf(deps, links.map((l) => l.value.packageId));
}

async function otherIds(deps: EntitlementDeps, packageId: string, kind: IncompatibleKind): Promise<string[]> {
  await findAccessPackage(deps, packageId);
  const links = await deps.store.incompatibilities.list({ partitionKey: tableKey(packageId), limit: MAX_INCOMPATIBILITIES_PER_PACKAGE });
  return links.filter((l) => l.value.kind === kind).map((l) => l.value.otherId);
}

async function packagesOf(deps: EntitlementDeps, ids: string[]): Promise<AccessPackage[]> {
  const found = await mapConcurrently(ids, (id) => findAccessPackage(deps, id).then((d) => d.value, () => undefined));
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
