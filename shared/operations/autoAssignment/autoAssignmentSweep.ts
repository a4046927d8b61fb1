import { DateTime } from 'luxon';
import { DirectoryError } from '../../directory/directoryError';
import { isReadFromDirectory, type ChangedUser } from '../../directory/directoryPort';
import { propertiesRead } from '../../domain/rules';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { mapConcurrently } from '../../concurrently';
import { withSweepLease, type SweepOptions } from '../lifecycle/sweepDueWork';
import { allDirectoryUsers, automaticPolicies, type AutomaticPolicy } from './automaticPolicies';
import { planWorkflowsForChangedUsers, workflowUserProperties } from '../workflows/planWorkflowTriggers';
import { emptyPlan, makeChanges, mergePlans, planChanges, planDeletedUsers, type EvaluationCounts } from './evaluateAutoAssignments';
import { readThroughOverrides } from './overriddenUsers';
import { cutIntoShards, followShards, noCounts, sendShards, type AutoAssignmentFanOut } from './autoAssignmentFanOut';

interface Checkpoint {
  /** Where the directory's users delta goes on from. */
  deltaToken: string | null;
  /** The version (modifiedDateTime) of each policy fully evaluated; a new or changed one is evaluated in full. */
  versions: Record<string, string>;
  /** When each policy was last evaluated in full: one whose outcome changes unreported is again after UNREPORTED_EVERY_MS. */
  evaluatedInFullAt?: Record<string, string>;
  /** Users the last run left a change unmade for (time ran out, or it failed): evaluated again by the next. */
  pendingUserIds?: string[];
  /** The user properties the delta round behind `deltaToken` tracks; absent: all those the directory port reads. */
  tracking?: string[];
  /**
   * A full evaluation fanned out and not yet done: its run, how many shards it sent, and the checkpoint that
   * stands once every shard is done. Until then the rest of this checkpoint stands and no run evaluates anything.
   */
  fanOut?: { run: string; shards: number; mode: AutoAssignmentResult['mode']; next: Checkpoint };
}

export interface AutoAssignmentResult extends EvaluationCounts {
  mode: 'full' | 'incremental';
  policies: number;
  policiesEvaluatedInFull: number;
  /** Users the directory reported deleted (their removals are counted in `removed`). */
  deletedUsers: number;
  /**
   * When the full evaluation fans out: the shards this run sent (first or again, lost ones) and those still out.
   * The counts of a fanned-out evaluation are those of the run that finds every shard done.
   */
  shards?: { sent: number; pending: number };
}

/**
 * However long finding the changes took, a run makes changes for at least this long, so a run whose evaluation
 * outlasts the budget still makes progress (the function's 10-minute limit leaves room for it).
 */
const MIN_CHANGE_WINDOW_MS = 60_000;
/**
 * Past this many unfinished users, the checkpoint keeps the last run's place instead of naming them all (a first
 * run over a large tenant cut short): the next run then evaluates the same users again, in full if need be.
 */
const MAX_PENDING_USERS = 5_000;
/**
 * How often the policies whose outcome changes without the users delta reporting anyone are evaluated in full: rules
 * comparing with `system.now` (a hire date leaving `system.now -minus P60D`), or reading group memberships. Time
 * rules count in days; an hour keeps the lag small for one listing of the users an hour, plus, for memberOf rules,
 * one membership check per user.
 */
const UNREPORTED_EVERY_MS = 60 * 60_000;

/**
 * `autoAssignmentSweep`: keeps auto-assignment policies' assignments in line with their rules. The first run, a
 * stale delta token, or a rule reading a property the delta does not track yet evaluate every policy in full (every
 * user); so is a new or changed policy, and hourly those whose rules read the time or group memberships. Otherwise
 * only the users the directory reports changed since the last run (its users delta), and those the last run left
 * unfinished, are evaluated, so the cost follows the changes. Undefined when another instance runs it.
 */
export async function sweepAutoAssignments(deps: EntitlementDeps, options: SweepOptions, fanOut?: AutoAssignmentFanOut): Promise<AutoAssignmentResult | undefined> {
  return withSweepLease(deps, 'autoAssignmentSweep', options, async (saved, deadline, lease) => {
    const state: Checkpoint = saved ? (JSON.parse(saved) as Checkpoint) : { deltaToken: null, versions: {} };
    if (state.fanOut) return followFanOut(deps, fanOut, state, state.fanOut, () => lease.hold());
    const now = deps.clock.now();
    const policies = await automaticPolicies(deps);
    const versions = Object.fromEntries(policies.map((p) => [p.policy.id, p.policy.modifiedDateTime]));
    // The delta tracks only what the rules read: a user whose other properties change cannot change what they match.
    // Lifecycle workflows plan from the same delta: it tracks what their scopes and triggers read too.
    const needed = readThroughOverrides([...new Set([...policies.flatMap((p) => propertiesRead(p.rule)), ...(await workflowUserProperties(deps))])]).filter(isReadFromDirectory).sort();
    // A rule reading a property the round does not track needs a new round, which holds every user.
    const tracked = state.tracking !== undefined && needed.every((property) => state.tracking!.includes(property));
    const delta = await changesSince(deps, tracked ? state.deltaToken : null, { continued: state.tracking, fresh: needed, needsManager: needed.includes('manager') });
    const users = delta.complete ? delta : await withPending(deps, delta, state.pendingUserIds ?? []);
    // What the round tracks, at least: a property it does not is null in its users, which says nothing of it.
    await planWorkflowsForChangedUsers(deps, users.changed, needed);
    // The pass holds every user when it is complete: it is then the full evaluation of every policy.
    const inFull = delta.complete ? policies : dueInFull(policies, state, now);
    const settled = policies.filter((p) => !inFull.includes(p));
    let plan = emptyPlan();
    const everyone = inFull.length === 0 ? [] : delta.complete ? users.changed : await allDirectoryUsers(deps);
    // Fanned out, the full evaluation is the shards' (autoAssignmentFanOut.ts); what is left here is small.
    const shards = fanOut ? cutIntoShards(inFull, everyone, fanOut.usersPerShard) : [];
    if (inFull.length > 0 && shards.length === 0) plan = await planChanges(deps, inFull, everyone, 'all');
    if (settled.length > 0) plan = mergePlans(plan, await planChanges(deps, settled, users.changed, 'these'));
    plan = mergePlans(plan, await planDeletedUsers(deps, policies, users.removedIds));
    const made = await makeChanges(deps, plan, Math.max(deadline, Date.now() + MIN_CHANGE_WINDOW_MS), () => lease.hold());
    const result: AutoAssignmentResult = {
      ...made.counts,
      mode: delta.complete ? 'full' : 'incremental',
      policies: policies.length,
      policiesEvaluatedInFull: inFull.length,
      deletedUsers: users.removedIds.length,
    };
    const evaluatedInFullAt = Object.fromEntries(
      policies.flatMap((p) => {
        const at = inFull.includes(p) ? now.toUTC().toISO()! : state.evaluatedInFullAt?.[p.policy.id];
        return at ? [[p.policy.id, at]] : [];
      }),
    );
    const next: Checkpoint = { deltaToken: delta.deltaToken, tracking: delta.tracking, versions, evaluatedInFullAt, pendingUserIds: made.unfinishedUserIds };
    if (shards.length > 0) {
      await lease.hold();
      await sendShards(deps, fanOut!.queue, shards);
      result.shards = { sent: shards.length, pending: shards.length };
      const waiting: Checkpoint = { ...state, fanOut: { run: shards[0]!.shard.run, shards: shards.length, mode: result.mode, next } };
      return { checkpoint: JSON.stringify(waiting), result };
    }
    return { checkpoint: made.unfinishedUserIds.length > MAX_PENDING_USERS ? saved : JSON.stringify(next), result };
  });
}

/**
 * A run while a fanned-out evaluation is out: nothing is evaluated (the delta token would report changes the
 * shards' older view of the users could then undo), lost shards are sent again, and once every shard is done the
 * checkpoint behind the evaluation stands (its delta token, versions, and the users left unfinished by any shard);
 * past MAX_PENDING_USERS unfinished, or with shards gone missing, the one before it stands, so the next run
 * evaluates in full again.
 */
async function followFanOut(
  deps: EntitlementDeps,
  fanOut: AutoAssignmentFanOut | undefined,
  state: Checkpoint,
  out: NonNullable<Checkpoint['fanOut']>,
  hold: () => Promise<void>,
): Promise<{ checkpoint: string; result: AutoAssignmentResult }> {
  const { fanOut: _out, ...before } = state;
  const followed = fanOut ? await followShards(deps, fanOut.queue, { id: out.run, shards: out.shards }, hold) : ({ kind: 'lost' } as const);
  const counts = followed.kind === 'done' ? followed.counts : noCounts();
  const result: AutoAssignmentResult = { ...counts, mode: out.mode, policies: Object.keys(out.next.versions).length, policiesEvaluatedInFull: 0, deletedUsers: 0 };
  if (followed.kind === 'out') return { checkpoint: JSON.stringify(state), result: { ...result, shards: { sent: followed.resent, pending: followed.pending } } };
  result.shards = { sent: 0, pending: 0 };
  if (followed.kind === 'lost') return { checkpoint: JSON.stringify(before), result };
  const pendingUserIds = [...new Set([...(out.next.pendingUserIds ?? []), ...followed.unfinishedUserIds])];
  const next: Checkpoint = { ...out.next, pendingUserIds };
  return { checkpoint: JSON.stringify(pendingUserIds.length > MAX_PENDING_USERS ? before : next), result };
}

/**
 * The policies to evaluate in full: new or changed ones, and, once any of them is an hour past its last full
 * evaluation, all those whose outcome changes unreported, together, so that they share one listing of the users.
 */
function dueInFull(policies: readonly AutomaticPolicy[], state: Checkpoint, now: DateTime): AutomaticPolicy[] {
  const changed = (auto: AutomaticPolicy) => state.versions[auto.policy.id] !== auto.policy.modifiedDateTime;
  const stale = (auto: AutomaticPolicy) => {
    const last = state.evaluatedInFullAt?.[auto.policy.id];
    return !last || now.toMillis() - DateTime.fromISO(last).toMillis() >= UNREPORTED_EVERY_MS;
  };
  const unreportedDue = policies.some((p) => p.changesUnreported && !changed(p) && stale(p));
  return policies.filter((p) => changed(p) || (unreportedDue && p.changesUnreported));
}


/**
 * How long changes for a new or changed policy may hold up the request that made it; what is left, the next
 * sweep does (the policy's version is not in the sweep's checkpoint yet).
 */
const AT_ONCE_BUDGET_MS = 20_000;

/** Evaluates one policy in full at once (a policy created or changed), so its assignments follow within seconds. */
export async function evaluatePolicyNow(deps: EntitlementDeps, auto: AutomaticPolicy, budgetMs = AT_ONCE_BUDGET_MS): Promise<EvaluationCounts> {
  const plan = await planChanges(deps, [auto], await allDirectoryUsers(deps), 'all');
  return (await makeChanges(deps, plan, Date.now() + budgetMs)).counts;
}

interface ReportedUsers {
  changed: ChangedUser[];
  removedIds: string[];
}

interface UserChangesPass extends ReportedUsers {
  deltaToken: string;
  /** What the round tracks (undefined: everything the port reads). */
  tracking: string[] | undefined;
  /** The pass started without a usable token, so it holds every user. */
  complete: boolean;
}

interface Tracking {
  /** What the round a delta token continues tracks (undefined: everything the port reads). */
  continued: string[] | undefined;
  /** What a new round tracks. */
  fresh: string[];
  needsManager: boolean;
}

/** The users changed since `deltaToken`, every page; all users when there is no token or it has gone stale. */
async function changesSince(deps: EntitlementDeps, deltaToken: string | null, how: Tracking): Promise<UserChangesPass> {
  try {
    return await pass(deps, deltaToken ?? undefined, how);
  } catch (error) {
    if (!(deltaToken && error instanceof DirectoryError && error.kind === 'resyncRequired')) throw error;
    return pass(deps, undefined, how);
  }
}

async function pass(deps: EntitlementDeps, deltaToken: string | undefined, { continued, fresh, needsManager }: Tracking): Promise<UserChangesPass> {
  // A round may report a user more than once: the last report is the user's state (null: deleted).
  const latest = new Map<string, ChangedUser | null>();
  const tracking = deltaToken ? continued : fresh;
  let from: { deltaToken?: string; page?: string; tracking?: readonly string[] } = deltaToken ? { deltaToken } : { tracking: fresh };
  for (;;) {
    const page = await deps.directory.userChanges(from);
    for (const user of page.changed) latest.set(user.id.toLowerCase(), user);
    for (const id of page.removedIds) latest.set(id.toLowerCase(), null);
    if (page.deltaToken) {
      const reported = [...latest.values()].filter((user): user is ChangedUser => user !== null);
      return {
        changed: await mapConcurrently(reported, (user) => withManager(deps, user, { firstPass: deltaToken === undefined, needsManager })),
        removedIds: [...latest].filter(([, user]) => user === null).map(([id]) => id),
        deltaToken: page.deltaToken,
        tracking,
        complete: deltaToken === undefined,
      };
    }
    from = { page: page.nextPage! };
  }
}

/**
 * A later pass reports the manager only when it changed: for the others it is read again when a rule asks for it
 * (`Direct Reports for`). In a first pass an absent manager means none.
 */
async function withManager(deps: EntitlementDeps, user: ChangedUser, pass: { firstPass: boolean; needsManager: boolean }): Promise<ChangedUser> {
  if (user.managerId !== undefined || pass.firstPass) return { ...user, managerId: user.managerId ?? null };
  if (!pass.needsManager) return user;
  return (await deps.directory.getUser(user.id)) ?? { ...user, managerId: null };
}

/** The delta's users and those the last run left unfinished, read again; one no longer there counts as deleted. */
async function withPending(deps: EntitlementDeps, delta: ReportedUsers, pendingIds: readonly string[]): Promise<ReportedUsers> {
  const reported = new Set([...delta.changed.map((u) => u.id.toLowerCase()), ...delta.removedIds]);
  const unreported = pendingIds.filter((id) => !reported.has(id.toLowerCase()));
  const read = await mapConcurrently(unreported, (id) => deps.directory.getUser(id));
  return {
    changed: [...delta.changed, ...read.filter((user) => user !== undefined)],
    removedIds: [...delta.removedIds, ...unreported.filter((_, i) => read[i] === undefined)],
  };
}
