import { mapConcurrently } from '../../concurrently';
import type { Assignment, DirectoryRole } from '../../domain/assignments/assignment';
import { roleKey } from '../../domain/assignments/deliveryState';
import type { StoredDocument } from '../../store/documentTable';
import type { PackageClaim } from '../../store/grantStore';
import { splitTableKey } from '../../store/tableKeys';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { directoryRoleOf, isActive, type GrantsElsewhere } from './directoryRoles';

/** Which packages grant each role, by role key. */
export type GrantingPackages = ReadonlyMap<string, readonly string[]>;

/**
 * The packages granting each of `roles`, from every role scope: one read of the role scopes for a whole batch of
 * removals (its cost follows the packages' roles, not the assignments).
 */
export async function packagesGranting(deps: EntitlementDeps, roles: readonly DirectoryRole[]): Promise<GrantingPackages> {
  const wanted = new Set(roles.map(roleKey));
  const granting = new Map<string, string[]>();
  if (wanted.size === 0) return granting;
  for (const stored of await deps.store.roleScopes.list()) {
    const key = roleKey(directoryRoleOf(stored.value));
    if (wanted.has(key)) granting.set(key, [...(granting.get(key) ?? []), splitTableKey(stored.partitionKey)[0]!]);
  }
  return granting;
}

/**
 * GrantsElsewhere by reads by key rather than a query of the target's partition (which Table Storage answers from
 * the partition, but Azurite by scanning the whole table): a target holds a role through another assignment when a
 * package granting it has the target's claim naming an active assignment other than the one asked about (a claim
 * is held while the target has an open request or an active assignment for the package, names the assignment once
 * there is one, and goes in the transaction that ends it). One read per package granting the target's roles, and
 * one of the assignment a claim names; only the roles `asked` names for the assignment asked about (the roles it
 * gives up) are looked up. `known` holds claims as the caller last wrote them (by `claimKeyOf`; null:
 * none), which are not read again: a removal's own check right after its end was saved; its check after the
 * directory changed (compensation) passes none, so that it sees a claim written meanwhile.
 */
export function claimedGrants(
  deps: EntitlementDeps,
  granting: GrantingPackages,
  asked: ReadonlyMap<string, readonly DirectoryRole[]>,
  known: ReadonlyMap<string, PackageClaim | null> = new Map(),
): GrantsElsewhere {
  return async (targetId, exceptAssignmentId) => {
    const keys = (asked.get(exceptAssignmentId) ?? []).map(roleKey);
    const packageIds = [...new Set(keys.flatMap((key) => granting.get(key) ?? []))];
    const grants = new Map<string, StoredDocument<Assignment>>();
    const holders = await mapConcurrently(packageIds, async (packageId) => {
      const claim = known.has(claimKeyOf(targetId, packageId)) ? known.get(claimKeyOf(targetId, packageId)) : (await deps.grants.claimOf(targetId, packageId))?.value;
      if (!claim?.assignmentId || claim.assignmentId === exceptAssignmentId) return undefined;
      const other = await deps.grants.assignmentOf(targetId, claim.assignmentId);
      return other && isActive(other.value) && other.value.accessPackageId === packageId ? other : undefined;
    });
    for (const key of keys) {
      const packages = granting.get(key) ?? [];
      const holder = holders.find((h, i) => h !== undefined && packages.includes(packageIds[i]!));
      if (holder) grants.set(key, holder);
    }
    return grants;
  };
}

export const claimKeyOf = (targetId: string, packageId: string) => `${targetId.toLowerCase()}|${packageId.toLowerCase()}`;
