import type { DirectoryUser } from '../../directory/directoryPort';
import type { Assignment } from '../../domain/assignments/assignment';
import type { PackageClaim } from '../../store/grantStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { subjectOf, type AutomaticPolicy } from './automaticPolicies';
import { assignAutomatically, heldUnder, unassignAutomatically } from './automaticRequests';

export interface EvaluationCounts {
  usersEvaluated: number;
  ruleEvaluations: number;
  assigned: number;
  removed: number;
  removalsPlanned: number;
}

export const noCounts = (): EvaluationCounts => ({ usersEvaluated: 0, ruleEvaluations: 0, assigned: 0, removed: 0, removalsPlanned: 0 });

export function addCounts(a: EvaluationCounts, b: EvaluationCounts): EvaluationCounts {
  return {
    usersEvaluated: a.usersEvaluated + b.usersEvaluated,
    ruleEvaluations: a.ruleEvaluations + b.ruleEvaluations,
    assigned: a.assigned + b.assigned,
    removed: a.removed + b.removed,
    removalsPlanned: a.removalsPlanned + b.removalsPlanned,
  };
}

/** Who matches each policy among `users`. Pure but for the group memberships the rules ask about. */
export async function matchingUsers(deps: EntitlementDeps, policies: readonly AutomaticPolicy[], users: readonly DirectoryUser[]): Promise<Map<string, Set<string>>> {
  const groupIds = [...new Set(policies.flatMap((p) => p.groupIds))];
  const now = deps.clock.now();
  const matching = new Map(policies.map((p) => [p.policy.id, new Set<string>()]));
  for (const user of users) {
    const subject = await subjectOf(deps, user, groupIds);
    for (const auto of policies) if (auto.rule.matches(subject, { now })) matching.get(auto.policy.id)!.add(user.id.toLowerCase());
  }
  return matching;
}

/**
 * Makes the policies' assignments follow their rules for `users`: only the difference between who matches and who
 * is assigned becomes requests. `scope` `all`: the users are the whole directory, so an assignee not among them
 * (deleted since) is removed too, and the assignees are read from the package's index; `these`: only these users
 * changed, and each one's assignment is read by key, so the cost follows the changed users.
 */
export async function applyRules(deps: EntitlementDeps, policies: readonly AutomaticPolicy[], users: readonly DirectoryUser[], scope: 'all' | 'these'): Promise<EvaluationCounts> {
  const counts = { ...noCounts(), usersEvaluated: users.length, ruleEvaluations: users.length * policies.length };
  const matching = await matchingUsers(deps, policies, users);
  const claims = scope === 'these' ? await claimsOfUsers(deps, users) : undefined;
  for (const auto of policies) {
    const matched = matching.get(auto.policy.id)!;
    const assigned = claims ? await assignmentsOfUsers(deps, auto, claims) : await assigneesOf(deps, auto);
    for (const userId of matched) {
      if (!assigned.has(userId) && (await assignAutomatically(deps, auto, userId))) counts.assigned++;
    }
    if (!auto.policy.automaticRequestSettings?.removeAccessWhenTargetLeavesAllowedTargets) continue;
    for (const [userId, assignment] of assigned) {
      if (matched.has(userId)) continue;
      if ((await unassignAutomatically(deps, auto, assignment)) === 'ended') counts.removed++;
      else counts.removalsPlanned++;
    }
  }
  return counts;
}

/** The assignments a policy made that still hold, by target. */
async function assigneesOf(deps: EntitlementDeps, auto: AutomaticPolicy): Promise<Map<string, Assignment>> {
  const assignments = (await deps.grants.assignmentsOfPackage(auto.policy.accessPackageId)).map((d) => d.value);
  return new Map(assignments.filter((a) => heldUnder(auto, a)).map((a) => [a.targetId.toLowerCase(), a]));
}

/** Each user's claims, by package: one partition read per changed user, whatever the number of policies. */
async function claimsOfUsers(deps: EntitlementDeps, users: readonly DirectoryUser[]): Promise<Map<string, Map<string, PackageClaim>>> {
  const claims = new Map<string, Map<string, PackageClaim>>();
  for (const user of users) {
    const own = await deps.grants.claimsOf(user.id);
    claims.set(user.id.toLowerCase(), new Map(own.map((c) => [c.value.packageId.toLowerCase(), c.value])));
  }
  return claims;
}

/** The same, for some users only: a user's claim on the package leads to their assignment. */
async function assignmentsOfUsers(deps: EntitlementDeps, auto: AutomaticPolicy, claims: Map<string, Map<string, PackageClaim>>): Promise<Map<string, Assignment>> {
  const held = new Map<string, Assignment>();
  for (const [userId, own] of claims) {
    const claim = own.get(auto.policy.accessPackageId.toLowerCase());
    const assignment = claim?.assignmentId ? (await deps.grants.findAssignment(claim.assignmentId))?.value : undefined;
    if (heldUnder(auto, assignment)) held.set(userId, assignment);
  }
  return held;
}
