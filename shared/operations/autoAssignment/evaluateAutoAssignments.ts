import type { ChangedUser } from '../../directory/directoryPort';
import type { Assignment } from '../../domain/assignments/assignment';
import type { StoredDocument } from '../../store/documentTable';
import type { GrantPointer, PackageClaim } from '../../store/grantStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { allSettled, mapConcurrently } from '../../concurrently';
import { subjectsOf, type AutomaticPolicy } from './automaticPolicies';
import { gracePeriodMs, heldUnder } from './automaticRequests';
import { graceRemovalPending, planGraceRemovals, takeBackGraceRemovals } from './graceRemovalPlans';
import { assignInBulk, type Addition } from './assignInBulk';
import { removeInBulk, type Removal } from './removeInBulk';

/** What an evaluation found to change, before any of it is made. */
export interface ChangePlan {
  usersEvaluated: number;
  /** Users × policies evaluated. */
  ruleEvaluations: number;
  /** Users a policy now gives its package: made in bulk (assignInBulk). */
  additions: Addition[];
  /** Users who lose a policy's package now: ended in bulk (removeInBulk), a user who also gains one after the additions. */
  removals: Removal[];
  /** Users who lose a policy's package after its grace period: their due items written in bulk. */
  plannedRemovals: Removal[];
  /** Users who match a policy again while its grace period runs: their planned removal taken back. */
  regained: Removal[];
}

export interface EvaluationCounts {
  usersEvaluated: number;
  ruleEvaluations: number;
  assigned: number;
  /** Ended at once (no grace period, or the user was deleted). */
  removed: number;
  /** Ending after the policy's grace period, through the due-time index. */
  removalsPlanned: number;
  /** Changes not made because the run's time ran out; the next run finds them again. */
  remaining: number;
  /** Changes that failed; the next run tries them again. */
  failed: number;
  /** The first few failures, for the run's log. */
  errors: string[];
}

export const emptyPlan = (): ChangePlan => ({ usersEvaluated: 0, ruleEvaluations: 0, additions: [], removals: [], plannedRemovals: [], regained: [] });

export function mergePlans(a: ChangePlan, b: ChangePlan): ChangePlan {
  return {
    usersEvaluated: a.usersEvaluated + b.usersEvaluated,
    ruleEvaluations: a.ruleEvaluations + b.ruleEvaluations,
    additions: [...a.additions, ...b.additions],
    removals: [...a.removals, ...b.removals],
    plannedRemovals: [...a.plannedRemovals, ...b.plannedRemovals],
    regained: [...a.regained, ...b.regained],
  };
}

/** Who matches each policy among `users`. Pure but for the group memberships the rules ask about. */
export async function matchingUsers(deps: EntitlementDeps, policies: readonly AutomaticPolicy[], users: readonly ChangedUser[]): Promise<Map<string, Set<string>>> {
  const groupIds = [...new Set(policies.flatMap((p) => p.groupIds))];
  const now = deps.clock.now();
  const matching = new Map(policies.map((p) => [p.policy.id, new Set<string>()]));
  for (const subject of await subjectsOf(deps, users, groupIds)) {
    for (const auto of policies) if (auto.rule.matches(subject, { now })) matching.get(auto.policy.id)!.add(subject.id.toLowerCase());
  }
  return matching;
}

/** The directory's users whose ids are after `after` and up to `upTo` (null: open on that side), lower-cased. */
export interface UserIdRange {
  after: string | null;
  upTo: string | null;
}

/**
 * What makes the policies' assignments follow their rules for `users`: only the difference between who matches
 * and who is assigned. `scope` `all`: the users are the whole directory, so an assignee not among them (deleted
 * since) is removed too, and the assignees are read from the package's index; `these`: only these users changed,
 * and only their assignments are read, so the cost follows the changed users (see heldAmong); a UserIdRange: the
 * users are all the directory holds in that range (a shard of a full evaluation), so an assignee in the range not
 * among them is removed too, as with `all`, and the assignments are read from the range's claims.
 */
export async function planChanges(deps: EntitlementDeps, policies: readonly AutomaticPolicy[], users: readonly ChangedUser[], scope: 'all' | 'these' | UserIdRange): Promise<ChangePlan> {
  const plan: ChangePlan = { ...emptyPlan(), usersEvaluated: users.length, ruleEvaluations: users.length * policies.length };
  const matching = await matchingUsers(deps, policies, users);
  const holdersOf = await heldAmong(deps, policies, users, scope);
  // Some users' holdings are few: read for every policy at once, so that their round trips overlap. Those of the whole
  // directory (`all`) are every assignment of a package: one package in memory at a time.
  const held = scope === 'all' ? undefined : await mapConcurrently(policies, holdersOf);
  // Removals after a grace period, planned unless one is pending already.
  const unplanned: Removal[] = [];
  for (const [n, auto] of policies.entries()) {
    const matched = matching.get(auto.policy.id)!;
    const assigned = held?.[n] ?? (await holdersOf(auto));
    for (const userId of matched) {
      if (!assigned.has(userId)) plan.additions.push({ auto, userId });
    }
    const removes = auto.policy.automaticRequestSettings?.removeAccessWhenTargetLeavesAllowedTargets === true;
    const graceful = gracePeriodMs(auto) > 0;
    for (const [userId, { assignment, claim }] of assigned) {
      const change = { auto, userId, assignment };
      if (matched.has(userId)) {
        // Matching again while the grace period runs: the removal is taken back, and a later stop starts a new one.
        if (assignment.value.graceRemovalDueDateTime) plan.regained.push(change);
      } else if (removes && !graceful) plan.removals.push({ ...change, ...(claim ? { claim } : {}) });
      else if (removes) unplanned.push(change);
    }
  }
  // A mark long overdue costs a point read of its item (graceRemovalPending); the others, none.
  const pending = await mapConcurrently(unplanned, ({ auto, assignment }) => graceRemovalPending(deps, auto, assignment.value));
  plan.plannedRemovals.push(...unplanned.filter((_, n) => !pending[n]));
  return plan;
}

/** Users deleted from the directory lose what the policies gave them, without a grace period. */
export async function planDeletedUsers(deps: EntitlementDeps, policies: readonly AutomaticPolicy[], userIds: readonly string[]): Promise<ChangePlan> {
  const plan = emptyPlan();
  const claims = await claimsOfUsers(deps, userIds);
  for (const auto of policies) {
    for (const [userId, { assignment, claim }] of await assignmentsOfUsers(deps, auto, claims)) plan.removals.push({ auto, userId, assignment, ...(claim ? { claim } : {}) });
  }
  return plan;
}

export interface MadeChanges {
  counts: EvaluationCounts;
  /** Users with a change not made (time ran out) or failed: what the next run must evaluate again. */
  unfinishedUserIds: string[];
}

/** Additions made in one bulk write: enough to fill its transactions, few enough to stop soon at the deadline. */
const ADDITIONS_PER_BULK = 1_000;
/** Removals made in one bulk write: each costs a few times an addition, so fewer to a write. */
const REMOVALS_PER_BULK = 250;
/** Grace periods' removals planned in one bulk write: due items, a hundred to a transaction per minute. */
const PLANS_PER_BULK = 1_000;
const MAX_REPORTED_ERRORS = 5;

/**
 * Makes the planned changes until `deadline` (epoch milliseconds): the additions, in bulk (assignInBulk: about one
 * Table round trip each), the removals, in bulk (removeInBulk), the grace periods' removals, planned in bulk (their
 * due items, a hundred to a transaction: the expiration sweep checks and ends them when due; each assignment marked
 * with its item's time, graceRemovalPlans.ts), and those of users who match again taken back. A user's removals come
 * after all additions of the run when the user has one: removing a role while another of the user's packages is
 * being given it would race (so would a guest's last ending with their next grant). Everything else goes at once, so
 * that one kind's round trips overlap another's: other users' removals, and the plans and take-backs, which change
 * marks and due items only. `beforeEach` runs before each bulk write (and each step of a removal's): a sweep's lease
 * check, whose failure stops the changes.
 */
export async function makeChanges(deps: EntitlementDeps, plan: ChangePlan, deadline: number, beforeEach: () => Promise<void> = async () => undefined): Promise<MadeChanges> {
  // One change an assignment: a user deleted from the directory is found by a full evaluation in the same run too, and
  // their removal now supersedes its plan (the two at once, one would be refused on the assignment's ETag).
  const removals = [...new Map(plan.removals.map((r) => [r.assignment.value.id, r])).values()];
  const removing = new Set(removals.map((r) => r.assignment.value.id));
  const plannedRemovals = plan.plannedRemovals.filter((r) => !removing.has(r.assignment.value.id));
  const gaining = new Set(plan.additions.map((a) => a.userId.toLowerCase()));
  const afterAdditions = removals.filter((r) => gaining.has(r.userId.toLowerCase()));
  const meanwhile = removals.filter((r) => !gaining.has(r.userId.toLowerCase()));
  const removeAll = (removals: readonly Removal[]) => inBulk(removals, REMOVALS_PER_BULK, deadline, beforeEach, (batch) => removeInBulk(deps, batch, beforeEach));
  const [added, endedMeanwhile, planned, regained] = await allSettled([
    inBulk(plan.additions, ADDITIONS_PER_BULK, deadline, beforeEach, (batch) => assignInBulk(deps, batch)),
    removeAll(meanwhile),
    inBulk(plannedRemovals, PLANS_PER_BULK, deadline, beforeEach, (batch) => planGraceRemovals(deps, batch)),
    inBulk(plan.regained, PLANS_PER_BULK, deadline, beforeEach, (batch) => takeBackGraceRemovals(deps, batch)),
  ]);
  const endedAfter = await removeAll(afterAdditions);
  const all = [added, endedMeanwhile, endedAfter, planned, regained];
  const counts: EvaluationCounts = {
    usersEvaluated: plan.usersEvaluated,
    ruleEvaluations: plan.ruleEvaluations,
    assigned: added.made,
    removed: endedMeanwhile.made + endedAfter.made,
    removalsPlanned: planned.made,
    remaining: all.reduce((sum, a) => sum + a.remaining.length, 0),
    failed: all.reduce((sum, a) => sum + a.failed.length, 0),
    errors: all.flatMap((a) => a.errors).slice(0, MAX_REPORTED_ERRORS),
  };
  return { counts, unfinishedUserIds: [...new Set(all.flatMap((a) => [...a.failed, ...a.remaining].map((c) => c.userId)))] };
}

/**
 * Changes made a bulk write at a time until the deadline (assignInBulk, removeInBulk, grace plans); what fails or is
 * not reached is left for the next run. A write's answer per change: made (`assigned`, `removed`, `planned`),
 * `unchanged`, or `failed`.
 */
async function inBulk<C extends { userId: string }>(
  changes: readonly C[],
  perBulk: number,
  deadline: number,
  beforeEach: () => Promise<void>,
  write: (batch: C[]) => Promise<Array<{ kind: string; error?: unknown }>>,
) {
  const made = { made: 0, failed: [] as C[], remaining: [] as C[], errors: [] as string[] };
  for (let from = 0; from < changes.length; from += perBulk) {
    const batch = changes.slice(from, from + perBulk);
    if (Date.now() > deadline) {
      made.remaining.push(...changes.slice(from));
      break;
    }
    await beforeEach();
    let outcomes;
    try {
      outcomes = await write(batch);
    } catch (error) {
      outcomes = batch.map(() => ({ kind: 'failed' as const, error }));
    }
    outcomes.forEach((outcome, i) => {
      if (outcome.kind === 'assigned' || outcome.kind === 'removed' || outcome.kind === 'planned') made.made++;
      if (outcome.kind !== 'failed') return;
      made.failed.push(batch[i]!);
      const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      if (made.errors.length < MAX_REPORTED_ERRORS) made.errors.push(`user ${batch[i]!.userId}: ${reason}`);
    });
  }
  return made;
}

/**
 * An assignment a policy made that still holds, with its target's claim on the package where the evaluation read it
 * (found through the claims), so that ending it (removeInBulk) need not read the claim again.
 */
interface Held {
  assignment: StoredDocument<Assignment>;
  claim?: StoredDocument<PackageClaim>;
}

type HeldAssignments = (auto: AutomaticPolicy) => Promise<Map<string, Held>>;

/**
 * How to find, policy by policy, the assignments it made that the users hold. For a few changed users, from each
 * one's claims (a query per user); for more users than policies, from each package's assignee index (a query per
 * policy, a page per 1,000 assignees). The choice counts queries, not pages: a package with very many assignees
 * makes the index path cost more than it counts.
 */
async function heldAmong(deps: EntitlementDeps, policies: readonly AutomaticPolicy[], users: readonly ChangedUser[], scope: 'all' | 'these' | UserIdRange): Promise<HeldAssignments> {
  if (scope === 'all') return (auto) => assigneesOf(deps, auto);
  if (scope !== 'these') return claimsInRange(deps, scope);
  const userIds = users.map((u) => u.id.toLowerCase());
  if (userIds.length > policies.length) {
    const among = new Set(userIds);
    return (auto) => assigneesAmong(deps, auto, among);
  }
  const claims = await claimsOfUsers(deps, userIds);
  return (auto) => assignmentsOfUsers(deps, auto, claims);
}

/** The assignments a policy made that still hold, by target. */
export async function assigneesOf(deps: EntitlementDeps, auto: AutomaticPolicy): Promise<Map<string, Held>> {
  return heldBy(auto, await deps.grants.assignmentsOfPackage(auto.policy.accessPackageId));
}

/**
 * The same, for some users only, through the package's assignee index: their assignments are read by key. The index
 * is read a page at a time, keeping only these users' pointers: several packages are read at once (planChanges),
 * and one package's whole index can hold every user of the directory.
 */
async function assigneesAmong(deps: EntitlementDeps, auto: AutomaticPolicy, userIds: ReadonlySet<string>): Promise<Map<string, Held>> {
  const pointers: GrantPointer[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await deps.grants.assigneePointerPage(auto.policy.accessPackageId, INDEX_PAGE, continuationToken);
    pointers.push(...page.pointers.filter((p) => userIds.has(p.targetId.toLowerCase())));
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return heldBy(auto, await mapConcurrently(pointers, (p) => deps.grants.assignmentOf(p.targetId, p.id)));
}

/** Table Storage's largest page. */
const INDEX_PAGE = 1_000;

/** Those of `assignments` the policy made that still hold, by target. */
function heldBy(auto: AutomaticPolicy, assignments: ReadonlyArray<StoredDocument<Assignment> | undefined>): Map<string, Held> {
  const held = assignments.filter((a): a is StoredDocument<Assignment> => a !== undefined && heldUnder(auto, a.value));
  return new Map(held.map((assignment) => [assignment.value.targetId.toLowerCase(), { assignment }]));
}

/** Each user's claims, by package: one partition read per user, whatever the number of policies. */
async function claimsOfUsers(deps: EntitlementDeps, userIds: readonly string[]): Promise<Map<string, Map<string, StoredDocument<PackageClaim>>>> {
  // Targets are kept under their lower-case ids (request input and callers are normalized so).
  const targets = userIds.map((id) => id.toLowerCase());
  const claims = await mapConcurrently(targets, (targetId) => deps.grants.claimsOf(targetId));
  return new Map(targets.map((targetId, i) => [targetId, new Map(claims[i]!.map((c) => [c.value.packageId.toLowerCase(), c]))]));
}

/**
 * Assignments of a range of users, from their claims: one query over the range's partitions, their assignments read
 * in the same query, so a shard's cost follows its users, not the size of the packages (reading each package's whole
 * assignee index per shard would) nor the assignments they hold (a point read each would).
 */
async function claimsInRange(deps: EntitlementDeps, range: UserIdRange): Promise<HeldAssignments> {
  const claims = new Map<string, Map<string, StoredDocument<PackageClaim>>>();
  const read = new Map<string, StoredDocument<Assignment>>();
  for (const { targetId, claim, assignment } of await deps.grants.claimsOfTargetsIn(range)) {
    const own = claims.get(targetId) ?? new Map<string, StoredDocument<PackageClaim>>();
    own.set(claim.value.packageId.toLowerCase(), claim);
    claims.set(targetId, own);
    if (assignment) read.set(assignment.value.id, assignment);
  }
  return (auto) => assignmentsOfUsers(deps, auto, claims, read);
}

/**
 * The same, for some users only: a user's claim on the package leads to their assignment, read by key unless
 * `read` (by assignment id) holds it already.
 */
async function assignmentsOfUsers(
  deps: EntitlementDeps,
  auto: AutomaticPolicy,
  claims: Map<string, Map<string, StoredDocument<PackageClaim>>>,
  read: ReadonlyMap<string, StoredDocument<Assignment>> = new Map(),
): Promise<Map<string, Held>> {
  const packageId = auto.policy.accessPackageId.toLowerCase();
  const claimed = [...claims].flatMap(([userId, own]) => {
    const claim = own.get(packageId);
    const assignmentId = claim?.value.assignmentId;
    return claim && assignmentId ? [{ userId, assignmentId, claim }] : [];
  });
  const assignments = await mapConcurrently(claimed, async ({ userId, assignmentId }) => read.get(assignmentId) ?? (await deps.grants.assignmentOf(userId, assignmentId)));
  const held = new Map<string, Held>();
  claimed.forEach(({ userId, claim }, i) => {
    const assignment = assignments[i];
    if (assignment && heldUnder(auto, assignment.value)) held.set(userId, { assignment, claim });
  });
  return held;
}
