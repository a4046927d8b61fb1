import { DirectoryError } from '../../directory/directoryError';
import type { DirectoryUser } from '../../directory/directoryPort';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { withSweepLease, type SweepOptions } from '../lifecycle/sweepDueWork';
import { allDirectoryUsers, automaticPolicies, type AutomaticPolicy } from './automaticPolicies';
import { endAutomatically, heldUnder } from './automaticRequests';
import { addCounts, applyRules, noCounts, type EvaluationCounts } from './evaluateAutoAssignments';

interface Checkpoint {
  /** Where the directory's users delta goes on from. */
  deltaToken: string | null;
  /** The version (modifiedDateTime) of each policy fully evaluated; a new or changed one is evaluated in full. */
  versions: Record<string, string>;
}

export interface AutoAssignmentResult extends EvaluationCounts {
  mode: 'full' | 'incremental';
  policies: number;
  policiesEvaluatedInFull: number;
  deletedUsers: number;
}

/**
 * `autoAssignmentSweep`: keeps auto-assignment policies' assignments in line with their rules. The first run, a
 * stale delta token, or a new or changed policy evaluate in full (every user); otherwise only the users the
 * directory reports changed since the last run (its users delta) are evaluated, so the cost follows the changes.
 * Undefined when another instance is running it.
 */
export async function sweepAutoAssignments(deps: EntitlementDeps, options: SweepOptions): Promise<AutoAssignmentResult | undefined> {
  return withSweepLease(deps, 'autoAssignmentSweep', options, async (saved) => {
    const state: Checkpoint = saved ? (JSON.parse(saved) as Checkpoint) : { deltaToken: null, versions: {} };
    const policies = await automaticPolicies(deps);
    const versions = Object.fromEntries(policies.map((p) => [p.policy.id, p.policy.modifiedDateTime]));
    const delta = await changesSince(deps, state.deltaToken);
    const mode = delta.complete ? 'full' : 'incremental';
    let counts = noCounts();
    let fullPolicies = 0;
    if (delta.complete) {
      // The pass holds every user: it is the full evaluation of every policy.
      counts = await applyRules(deps, policies, delta.changed, 'all');
      fullPolicies = policies.length;
    } else {
      const changedPolicies = policies.filter((p) => state.versions[p.policy.id] !== p.policy.modifiedDateTime);
      if (changedPolicies.length > 0) {
        counts = await applyRules(deps, changedPolicies, await allDirectoryUsers(deps), 'all');
        fullPolicies = changedPolicies.length;
      }
      const settled = policies.filter((p) => !changedPolicies.includes(p));
      counts = addCounts(counts, await applyRules(deps, settled, delta.changed, 'these'));
    }
    const deletedUsers = await removeDeletedUsers(deps, policies, delta.removedIds);
    const result: AutoAssignmentResult = { ...counts, mode, policies: policies.length, policiesEvaluatedInFull: fullPolicies, deletedUsers };
    return { checkpoint: JSON.stringify({ deltaToken: delta.deltaToken, versions } satisfies Checkpoint), result };
  });
}

/** Evaluates one policy in full at once (a policy created or changed), so its assignments follow within seconds. */
export async function evaluatePolicyNow(deps: EntitlementDeps, auto: AutomaticPolicy): Promise<EvaluationCounts> {
  return applyRules(deps, [auto], await allDirectoryUsers(deps), 'all');
}

interface UserChangesPass {
  changed: DirectoryUser[];
  removedIds: string[];
  deltaToken: string;
  /** The pass started without a usable token, so it holds every user. */
  complete: boolean;
}

/** The users changed since `deltaToken`, every page; all users when there is no token or it has gone stale. */
async function changesSince(deps: EntitlementDeps, deltaToken: string | null): Promise<UserChangesPass> {
  try {
    return await pass(deps, deltaToken ?? undefined);
  } catch (error) {
    if (!(deltaToken && error instanceof DirectoryError && error.kind === 'resyncRequired')) throw error;
    return pass(deps, undefined);
  }
}

async function pass(deps: EntitlementDeps, deltaToken: string | undefined): Promise<UserChangesPass> {
  const changed: DirectoryUser[] = [];
  const removedIds: string[] = [];
  let from: { deltaToken?: string; page?: string } = deltaToken ? { deltaToken } : {};
  for (;;) {
    const page = await deps.directory.userChanges(from);
    // A later pass reports the manager only when it changed: for the others it is read again, as rules may ask
    // for it. In a first pass an absent manager means none.
    for (const user of page.changed) {
      if (user.managerId !== undefined) changed.push({ ...user, managerId: user.managerId });
      else changed.push(deltaToken ? ((await deps.directory.getUser(user.id)) ?? { ...user, managerId: null }) : { ...user, managerId: null });
    }
    removedIds.push(...page.removedIds);
    if (page.deltaToken) return { changed, removedIds, deltaToken: page.deltaToken, complete: deltaToken === undefined };
    from = { page: page.nextPage! };
  }
}


/** Users deleted from the directory lose what the policies gave them, without a grace period. */
async function removeDeletedUsers(deps: EntitlementDeps, policies: readonly AutomaticPolicy[], userIds: readonly string[]): Promise<number> {
  let removed = 0;
  for (const userId of userIds) {
    for (const auto of policies) {
      const claim = await deps.grants.claimOf(userId, auto.policy.accessPackageId);
      const assignment = claim?.value.assignmentId ? (await deps.grants.findAssignment(claim.value.assignmentId))?.value : undefined;
      if (heldUnder(auto, assignment)) {
        await endAutomatically(deps, auto, assignment);
        removed++;
      }
    }
  }
  return removed;
}
