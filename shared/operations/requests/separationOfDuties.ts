import { DomainError } from '../../domain/errors';
import { tableKey } from '../../store/tableKeys';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * Separation of duties: a target who holds a package incompatible with this one (in either direction) or is in
 * one of its incompatible groups may not get it. Checked on every addition, whoever asks.
 */
export async function checkSeparationOfDuties(deps: EntitlementDeps, targetId: string, packageId: string): Promise<void> {
  const [declared, declaredByOthers] = await Promise.all([
    deps.store.incompatibilities.list({ partitionKey: tableKey(packageId) }),
    deps.store.incompatibilities.list({ partitionKey: tableKey('incompatibleWith', packageId) }),
  ]);
  const packageIds = new Set([
    ...declared.filter((l) => l.value.kind === 'accessPackage').map((l) => l.value.otherId),
    ...declaredByOthers.map((l) => l.value.packageId),
  ]);
  if (packageIds.size > 0) {
    // One read of the target's claims, however many packages are incompatible.
    const held = new Set((await deps.grants.claimsOf(targetId)).filter((c) => c.value.assignmentId).map((c) => c.value.packageId.toLowerCase()));
    const otherId = [...packageIds].find((id) => held.has(id.toLowerCase()));
    if (otherId) throw new DomainError('forbidden', `The target holds access package '${otherId}', which is incompatible with access package '${packageId}'.`);
  }
  const groupIds = declared.filter((l) => l.value.kind === 'group').map((l) => l.value.otherId);
  const [group] = groupIds.length > 0 ? await deps.directory.memberGroupsOf(targetId, groupIds) : [];
  if (group) throw new DomainError('forbidden', `The target is a member of group '${group}', which is incompatible with access package '${packageId}'.`);
}
