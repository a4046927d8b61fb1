import { DomainError } from '../../domain/errors';
import type { PackageSnapshot } from '../../store/entitlementStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { packageConfigurationOf } from '../entitlements/packageConfiguration';

/** What is incompatible with a package (both directions), as its configuration holds it. */
export type Incompatibilities = Pick<PackageSnapshot, 'incompatiblePackageIds' | 'incompatibleGroupIds'>;

/**
 * Separation of duties: a target who holds a package incompatible with this one (in either direction) or is in
 * one of its incompatible groups may not get it. Checked on every addition, whoever asks. `known`: the package's
 * incompatibilities when its configuration was read already (packageConfiguration.ts); a package gone has none.
 */
export async function checkSeparationOfDuties(deps: EntitlementDeps, targetId: string, packageId: string, known?: Incompatibilities): Promise<void> {
  const incompatible = known ?? (await packageConfigurationOf(deps, packageId));
  const packageIds = incompatible?.incompatiblePackageIds ?? [];
  if (packageIds.length > 0) {
    // One read of the target's claims, however many packages are incompatible.
    const held = new Set((await deps.grants.claimsOf(targetId)).filter((c) => c.value.assignmentId).map((c) => c.value.packageId.toLowerCase()));
    const otherId = packageIds.find((id) => held.has(id.toLowerCase()));
    if (otherId) throw new DomainError('forbidden', `The target holds access package '${otherId}', which is incompatible with access package '${packageId}'.`);
  }
  const groupIds = incompatible?.incompatibleGroupIds ?? [];
  const [group] = groupIds.length > 0 ? await deps.directory.memberGroupsOf(targetId, groupIds) : [];
  if (group) throw new DomainError('forbidden', `The target is a member of group '${group}', which is incompatible with access package '${packageId}'.`);
}
