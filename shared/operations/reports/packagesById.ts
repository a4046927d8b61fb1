import { mapConcurrently } from '../../concurrently';
import type { AccessPackage } from '../../domain/entitlements';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/** The packages a page names, each read once (a package since deleted is absent). */
export async function packagesById(deps: EntitlementDeps, ids: Iterable<string>): Promise<Map<string, AccessPackage>> {
  const found = await mapConcurrently([...new Set(ids)], async (id) => (await deps.store.accessPackages.find(id))?.value);
  return new Map(found.flatMap((p) => (p ? [[p.id, p] as const] : [])));
}
