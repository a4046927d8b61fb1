import type { DirectoryUser } from '../../directory/directoryPort';
import { managerLevelsNamedBy, onBehalfAllows, onBehalfGroupsNamedBy } from '../../domain/requests/onBehalfScope';
import type { StoredPolicy } from '../../store/entitlementStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * The policies among `policies` under which `requestorId` may request access for `target` (onBehalfScope.ts). The
 * directory is asked what the policies need: the requestor's groups they name, in one call, and the target's
 * managers up to the deepest level they name, one user read per level.
 */
export async function policiesOpenOnBehalf(deps: EntitlementDeps, requestorId: string, target: DirectoryUser, policies: readonly StoredPolicy[]): Promise<StoredPolicy[]> {
  const open = policies.filter((p) => p.requestorSettings.enableOnBehalfRequestorsToAddAccess);
  if (open.length === 0) return [];
  const groupIds = onBehalfGroupsNamedBy(open);
  const [groups, targetManagerIds] = await Promise.all([
    groupIds.length > 0 ? deps.directory.memberGroupsOf(requestorId, groupIds) : Promise.resolve([]),
    managersOf(deps, target, managerLevelsNamedBy(open)),
  ]);
  const memberOf = new Set(groups.map((id) => id.toLowerCase()));
  const facts = { requestorId, isRequestorInGroup: (groupId: string) => memberOf.has(groupId.toLowerCase()), targetManagerIds };
  return open.filter((p) => onBehalfAllows(p, facts));
}

/** The user's manager, that manager's manager, and so on, up to `levels` or the top of the chain. */
async function managersOf(deps: EntitlementDeps, user: DirectoryUser, levels: number): Promise<string[]> {
  const chain: string[] = [];
  for (let managerId = user.managerId; managerId && chain.length < levels; ) {
    chain.push(managerId);
    managerId = chain.length < levels ? ((await deps.directory.getUser(managerId))?.managerId ?? null) : null;
  }
  return chain;
}
