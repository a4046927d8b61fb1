import type { DirectoryRole } from '../../domain/assignments/assignment';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { tableKey } from '../../store/tableKeys';
import { directoryRoleOf, rolesOfPackage } from '../assignments/directoryRoles';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { keptPackageConfigurations } from '../entitlements/packageConfiguration';
import { retiringIds } from '../entitlements/parentCheck';
import { notStanding, policyState, standing } from '../requests/fulfilRequest';

/** Past this many policies in one bulk write, listings (four, whatever the number) rather than lookups (up to four a policy). */
const LOOKUPS_BEFORE_LISTING = 16;

/** A request's package roles once its policy is found standing; rejects when it is not (policyStanding's error). */
export type RolesIfStanding = (request: AssignmentRequest) => Promise<DirectoryRole[]>;

/**
 * For the requests of a bulk write of additions (assignInBulk.ts), each one's policy checked standing as the
 * pipeline checks it (policyStanding: not deleted, not being deleted) and its package's roles (rolesOfPackage), each
 * policy once a write. Up to LOOKUPS_BEFORE_LISTING policies, by key; past that, from one listing each of the kept
 * package configurations, the policies' deletion marks, the policies and the role scopes, read in policyStanding's
 * order (configuration, then mark, then policy): a shard of a fanned-out evaluation makes a few additions under most
 * policies, and a few reads a policy a shard would cost more than its additions.
 */
export async function standingPolicies(deps: EntitlementDeps, requests: readonly AssignmentRequest[]): Promise<RolesIfStanding> {
  const policyIds = new Set(requests.map((r) => r.assignmentPolicyId.toLowerCase()));
  if (policyIds.size <= LOOKUPS_BEFORE_LISTING) return byLookups(deps);
  const kept = await keptPackageConfigurations(deps);
  const going = await retiringIds(deps, 'assignmentPolicy');
  const [policies, roleScopes] = await Promise.all([deps.store.policies.list(), deps.store.roleScopes.list()]);
  const policyOf = new Map(policies.map((d) => [d.value.id.toLowerCase(), d.value]));
  const rolesOf = new Map<string, DirectoryRole[]>();
  for (const scope of roleScopes) rolesOf.set(scope.partitionKey, [...(rolesOf.get(scope.partitionKey) ?? []), directoryRoleOf(scope.value)]);
  return async (request) => {
    const policyId = request.assignmentPolicyId.toLowerCase();
    const packageId = request.accessPackageId.toLowerCase();
    const snapshot = kept.get(packageId);
    const isGoing = snapshot ? false : going.has(policyId);
    // A policy never moves to another package: it stands only where the request says it lives.
    const found = snapshot ? snapshot.policies.find((p) => p.id.toLowerCase() === policyId) : isGoing ? undefined : policyOf.get(policyId);
    standing(request.assignmentPolicyId, found?.accessPackageId.toLowerCase() === packageId ? found : undefined, isGoing);
    return rolesOf.get(tableKey(request.accessPackageId)) ?? [];
  };
}

/**
 * Each policy's standing and its package's roles read by key, once (the pipeline's reads). The roles come from the
 * package's configuration when the standing was read from it (a snapshot there is what the tables say now:
 * packageConfiguration.ts), so only a package without one costs a read of its role scopes. Read before the grants
 * are written, they must never stand in for the roles read after the write that spare a compensation's read
 * (`grantedAfterWrite`, carryOutAtOnce.ts): bulk delivery reads the role scopes again after it (assignInBulk.ts).
 */
function byLookups(deps: EntitlementDeps): RolesIfStanding {
  const read = new Map<string, Promise<DirectoryRole[]>>();
  return (request) => {
    let roles = read.get(request.assignmentPolicyId);
    if (!roles) {
      roles = policyState(deps, request).then((found) => {
        if (found.state !== 'standing') throw notStanding(request.assignmentPolicyId, found.state === 'beingDeleted');
        return found.kept ? found.kept.roleScopes.map(directoryRoleOf) : rolesOfPackage(deps, request.accessPackageId);
      });
      read.set(request.assignmentPolicyId, roles);
    }
    return roles;
  };
}
