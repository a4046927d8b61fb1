import type { DirectoryUser } from '../../directory/directoryPort';
import type { AccessPackageSubject } from '../../domain/subjects/accessPackageSubject';
import { groupsReferenced } from '../../domain/rules';
import { compiledRuleOf, membershipRuleOf } from '../autoAssignment/automaticPolicies';
import { DomainError } from '../../domain/errors';
import type { RequestType } from '../../domain/requests/assignmentRequest';
import { groupsNamedBy, isAllowedTarget, isRequestBased, selfServiceAllows, type TargetFacts } from '../../domain/requests/targetScope';
import type { StoredPolicy } from '../../store/entitlementStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { organizationFacts, organizationOfUser } from '../externalUsers/organizationOfUser';
import { policiesOpenOnBehalf } from './onBehalfRequestors';

/** The package's policies; callers have found the package already, so it is not read again. */
async function policiesOf(deps: EntitlementDeps, packageId: string): Promise<StoredPolicy[]> {
  return (await deps.store.policies.list({ partitionId: packageId })).map((d) => d.value);
}

/**
 * The policies of a package under which `target` may ask for it themselves: request-based, open to self-service,
 * and admitting the target. Group memberships the policies name are asked of the directory in one go.
 * `onBehalfBy`: someone else asks for the target, under the policies that let them (onBehalfRequestors.ts).
 */
export async function applicablePolicies(
  deps: EntitlementDeps,
  packageId: string,
  target: DirectoryUser,
  candidates?: StoredPolicy[],
  subject?: AccessPackageSubject,
  onBehalfBy?: string,
): Promise<StoredPolicy[]> {
  const all = candidates ?? (await policiesOf(deps, packageId));
  const policies = onBehalfBy ? await policiesOpenOnBehalf(deps, onBehalfBy, target, all) : all.filter((p) => isRequestBased(p) && selfServiceAllows(p, 'userAdd'));
  // Rule-based targets are decided by the same evaluator as auto-assignment, with the same compiled rules.
  const rules = new Map(policies.flatMap((p) => {
    const rule = compiledRuleOf(p);
    return rule ? [[membershipRuleOf(p)!, rule] as const] : [];
  }));
  const groupIds = [...new Set([...policies.flatMap(groupsNamedBy), ...[...rules.values()].flatMap(groupsReferenced)])];
  // Someone not yet in the directory (a subject's guest-to-be) is in no group.
  const inDirectory = !subject || subject.objectId === target.id;
  const memberOf = new Set((groupIds.length > 0 && inDirectory ? await deps.directory.memberGroupsOf(target.id, groupIds) : []).map((id) => id.toLowerCase()));
  const ruleSubject = { ...target, memberOfGroupIds: memberOf };
  const facts: TargetFacts = {
    userId: target.id,
    userType: target.userType,
    outsideDirectory: !inDirectory,
    isInGroup: (groupId) => memberOf.has(groupId.toLowerCase()),
    connectedOrganization: organizationFacts(await organizationOfUser(deps, { subject, user: target })),
    matchesRule: (rule) => rules.get(rule)?.matches(ruleSubject, { now: deps.clock.now() }) ?? false,
  };
  return policies.filter((p) => isAllowedTarget(p, facts)).sort((a, b) => a.createdDateTime.localeCompare(b.createdDateTime));
}

/**
 * The policy a new assignment comes under. Named in the request, it must belong to the package; otherwise the
 * package's only policy (administrators) or the first that admits the target (users), oldest first. `policies`:
 * the package's, when read already (its configuration, packageConfiguration.ts).
 */
export async function choosePolicy(
  deps: EntitlementDeps,
  request: { packageId: string; policyId: string | null; target: DirectoryUser; subject?: AccessPackageSubject | undefined; requestType: RequestType; onBehalfBy?: string | undefined; policies?: StoredPolicy[] },
): Promise<StoredPolicy> {
  const policies = request.policies ?? (await policiesOf(deps, request.packageId));
  const named = request.policyId === null ? undefined : policies.find((p) => p.id.toLowerCase() === request.policyId!.toLowerCase());
  if (request.policyId !== null && !named) {
    throw new DomainError('invalidRequest', `Invalid assignment request: assignment.assignmentPolicyId: '${request.policyId}' is not a policy of access package '${request.packageId}'.`);
  }
  if (request.requestType === 'adminAdd') {
    if (named) return named;
    if (policies.length === 1) return policies[0]!;
    throw new DomainError('invalidRequest', `Invalid assignment request: assignment.assignmentPolicyId is required: access package '${request.packageId}' has ${policies.length} policies.`);
  }
  const [chosen] = await applicablePolicies(deps, request.packageId, request.target, named ? [named] : policies, request.subject, request.onBehalfBy);
  if (!chosen) {
    const forWhom = request.onBehalfBy ? ` for user '${request.target.id}'` : '';
    throw new DomainError(
      'forbidden',
      named
        ? `Policy '${named.id}' does not let you request access package '${request.packageId}'${forWhom}.`
        : `No policy of access package '${request.packageId}' lets you request it${forWhom}.`,
    );
  }
  return chosen;
}
