import type { Caller } from '../../auth/caller';
import { mapConcurrently } from '../../concurrently';
import type { AccessPackage } from '../../domain/entitlements';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { packagesRequestableBy } from '../requests/requestablePackages';

/** At most this many peers are looked at: a manager with more reports gives suggestions from the first ones. */
export const MAX_PEERS = 100;

export interface SuggestedPackage {
  accessPackage: AccessPackage;
  /** How many of the caller's peers hold it now. */
  peersWithAccess: number;
}

/**
 * Entra's "Suggested" tab, in a simple deterministic form: the packages held now by the caller's peers (the other
 * direct reports of their manager), which the caller may request (so never a hidden one, nor one no policy admits
 * them to) and neither holds nor has asked for; most held first, then by name. No manager, no suggestions.
 */
export async function suggestedPackages(deps: EntitlementDeps, caller: Caller): Promise<SuggestedPackage[]> {
  await deps.accessOf(caller).require('selfServiceRead');
  if (caller.external) return [];
  const me = await deps.directory.getUser(caller.objectId);
  if (!me?.managerId) return [];
  const peers = (await deps.directory.getDirectReports(me.managerId)).filter((p) => p.id.toLowerCase() !== me.id.toLowerCase()).slice(0, MAX_PEERS);
  if (peers.length === 0) return [];
  const [requestable, claims, held] = await Promise.all([
    packagesRequestableBy(deps, caller),
    deps.grants.claimsOf(me.id),
    mapConcurrently(peers, async (peer) => new Set((await deps.grants.assignmentsOf(peer.id)).filter((a) => a.value.state !== 'expired').map((a) => a.value.accessPackageId))),
  ]);
  const mine = new Set(claims.map((c) => c.value.packageId));
  return requestable
    .filter((p) => !mine.has(p.id))
    .map((accessPackage) => ({ accessPackage, peersWithAccess: held.filter((packages) => packages.has(accessPackage.id)).length }))
    .filter((s) => s.peersWithAccess > 0)
    .sort((a, b) => b.peersWithAccess - a.peersWithAccess || a.accessPackage.displayName.localeCompare(b.accessPackage.displayName));
}
