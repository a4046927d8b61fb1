import type { Assignment } from '../../domain/assignments/assignment';
import type { StoredDocument } from '../../store/documentTable';
import type { DueItem, ExpirationKind } from '../../store/dueWork';
import { mapConcurrently } from '../../concurrently';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { BATCH_SIZE, type BatchHandler, type ItemOutcome } from '../lifecycle/sweepDueWork';
import { automaticPolicy, type AutomaticPolicy } from './automaticPolicies';
import { withAttributeOverrides } from './overriddenUsers';
import { unfinishedEnd } from '../requests/unfinishedEnd';
import { AUTOMATIC_REMOVAL, heldUnder } from './automaticRequests';
import { removeInBulk, type Removal } from './removeInBulk';
import { clearGraceMarks } from './graceRemovalPlans';

/**
 * The expiration sweep's removals after an auto-assignment's grace period (graceRemovalItem), many at once: each
 * item's assignment read by key (its target named by the item), each policy read once a batch, the users read
 * together (20 to a `$batch`) and checked against their policy's rule again, so that a user who matches again (moved
 * back meanwhile) keeps the assignment; the others end in bulk, as the sweep's removals without a grace period do
 * (removeInBulk.ts: a system-made `adminRemove` each, with the pipeline's events and guarantees; a governed guest's
 * through the pipeline). An end this item saved in an earlier run whose removals Graph deferred (429) or that run
 * did not reach is finished (unfinishedEnd.ts), as the expiration's is. An assignment ended otherwise or changed
 * meanwhile, a policy deleted or no longer automatic, an earlier stop's item (plannedBy), or a second item for the
 * same assignment in the batch: stale. A user who matches again keeps the assignment, its removal no longer planned.
 */
export function graceRemovalBatch(deps: EntitlementDeps, size = BATCH_SIZE): BatchHandler<ExpirationKind> {
  return {
    kinds: new Set<ExpirationKind>(['graceRemoval']),
    size,
    handle: async (items, hold) => {
      const policyOf = policiesOnce(deps);
      const seen = new Set<string>();
      const dueOf = new Map<Removal, string>();
      const answers: Array<ItemOutcome | Error | Removal> = await mapConcurrently(items, async (item) => {
        try {
          const [assignment, auto] = await Promise.all([assignmentOf(deps, item), policyOf(item.detail)]);
          if (!assignment || !auto || !plannedBy(item, assignment.value) || seen.has(assignment.value.id)) return 'stale';
          seen.add(assignment.value.id);
          const removal: Removal = { auto, userId: assignment.value.targetId, assignment };
          dueOf.set(removal, item.dueDateTime);
          if (heldUnder(auto, assignment.value)) return removal;
          // Ended by an earlier run of this item, its removals deferred (Graph's 429) or stopped: finished now.
          const endedBy = await unfinishedEnd(deps, assignment.value, AUTOMATIC_REMOVAL);
          return endedBy ? { ...removal, endedBy } : 'stale';
        } catch (error) {
          return asError(error);
        }
      });
      // A saved end is not checked again: the user lost the assignment when it was saved.
      const held = answers.filter(isRemoval).filter((r) => !r.endedBy);
      let checked: Map<Removal, boolean | Error>;
      try {
        checked = await matchingAgain(deps, held);
      } catch (error) {
        // What stopped the check of everyone: Graph throttling the users' read (GraphThrottled: the batch waits), storage.
        return answers.map((a) => (isRemoval(a) ? asError(error) : a));
      }
      const removals = answers.filter(isRemoval).filter((r) => r.endedBy || checked.get(r) === false);
      const outcomes = await removeInBulk(deps, removals, hold);
      const outcomeOf = new Map(removals.map((r, i) => [r, outcomes[i]!]));
      const kept = await keptAgain(deps, held.filter((r) => checked.get(r) === true), dueOf, hold);
      return answers.map((a) => {
        if (!isRemoval(a)) return a;
        const check = a.endedBy ? false : checked.get(a)!;
        if (check instanceof Error) return check;
        if (check) return kept.get(a) ?? 'stale';
        const outcome = outcomeOf.get(a)!;
        return outcome.kind === 'removed' ? 'processed' : asError(outcome.error);
      });
    },
  };
}

/**
 * Whether each removal's user matches their policy's rule again (a user gone from the directory matches none), or
 * the error that kept that user from being checked: one user's error fails their removals alone, as the removals
 * one by one did. Each user's memberships are read once, for the groups of their own removals' rules only; the user
 * was just read, so a 404 of that check is an error, not "in no group".
 */
async function matchingAgain(deps: EntitlementDeps, held: readonly Removal[]): Promise<Map<Removal, boolean | Error>> {
  const checked = new Map<Removal, boolean | Error>();
  if (held.length === 0) return checked;
  const byUser = new Map<string, Removal[]>();
  for (const r of held) byUser.set(r.userId.toLowerCase(), [...(byUser.get(r.userId.toLowerCase()) ?? []), r]);
  const read = await deps.directory.getUsers([...byUser.keys()]);
  const ids = [...read.found.keys()];
  const subjects = await withAttributeOverrides(deps, [...read.found.values()]);
  const now = deps.clock.now();
  await mapConcurrently([...ids.keys()], async (n) => {
    const removals = byUser.get(ids[n]!)!;
    const groupIds = [...new Set(removals.flatMap((r) => r.auto.groupIds))];
    try {
      const user = subjects[n]!;
      const subject = groupIds.length === 0 ? user : { ...user, memberOfGroupIds: new Set((await deps.directory.memberGroupsOfExisting(user.id, groupIds)).map((id) => id.toLowerCase())) };
      for (const r of removals) checked.set(r, r.auto.rule.matches(subject, { now }));
    } catch (error) {
      for (const r of removals) checked.set(r, asError(error));
    }
  });
  for (const [userId, removals] of byUser) {
    for (const r of removals) if (!checked.has(r)) checked.set(r, read.failed.get(userId) ?? false);
  }
  return checked;
}

/**
 * Users who match again when their grace period ends keep the assignment, its removal no longer planned: the mark
 * of this item goes (one write each, audited), so that their next stop plans one again; a mark of another item (a
 * later stop's, with an item planned before marks were) stays. Answers the error of a mark not taken away (the item
 * is kept, and tried again).
 */
async function keptAgain(deps: EntitlementDeps, kept: readonly Removal[], dueOf: ReadonlyMap<Removal, string>, hold: () => Promise<void>): Promise<Map<Removal, Error>> {
  const errors = new Map<Removal, Error>();
  const marked = kept.filter((r) => r.assignment.value.graceRemovalDueDateTime === dueOf.get(r));
  if (marked.length === 0) return errors;
  await hold();
  try {
    const outcomes = await clearGraceMarks(deps, marked.map((r) => ({ assignment: r.assignment, due: dueOf.get(r)! })));
    outcomes.forEach((outcome, n) => outcome instanceof Error && errors.set(marked[n]!, outcome));
  } catch (error) {
    // Their events not written ahead (nothing cleared): those items alone are tried again, not the batch's removals.
    for (const r of marked) errors.set(r, asError(error));
  }
  return errors;
}

/**
 * Whether the item is the grace removal the assignment records as planned: one due at another time is an earlier
 * stop's (the user matched again since, and their latest stop has an item of its own). An assignment with none
 * recorded (its item planned before they were, or the mark taken back before its item), or an item planned before
 * marks were (not `marked`: a rolling upgrade): the item acts at its own time, checking the rule then.
 */
const plannedBy = (item: DueItem<ExpirationKind>, assignment: Assignment): boolean =>
  !item.marked || assignment.graceRemovalDueDateTime === undefined || assignment.graceRemovalDueDateTime === item.dueDateTime;

/** The assignment an item is about: by key, its target named by the item (an item planned before it was: by its locator). */
async function assignmentOf(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<StoredDocument<Assignment> | undefined> {
  return item.targetId ? deps.grants.assignmentOf(item.targetId, item.entityId) : deps.grants.findAssignment(item.entityId);
}

/** Each policy of a batch read and compiled once, however many of its items the batch holds. */
function policiesOnce(deps: EntitlementDeps): (policyId: string) => Promise<AutomaticPolicy | undefined> {
  const read = new Map<string, Promise<AutomaticPolicy | undefined>>();
  return (policyId) => {
    let auto = read.get(policyId);
    if (!auto) {
      auto = deps.store.policies.find(policyId).then((policy) => policy && automaticPolicy(deps, policy.value));
      read.set(policyId, auto);
    }
    return auto;
  };
}

const isRemoval = (answer: ItemOutcome | Error | Removal): answer is Removal => typeof answer === 'object' && !(answer instanceof Error);
const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
