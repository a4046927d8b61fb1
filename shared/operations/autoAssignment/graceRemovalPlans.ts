import { DateTime } from 'luxon';
import type { Assignment } from '../../domain/assignments/assignment';
import type { DueItem, ExpirationKind } from '../../store/dueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import type { AutomaticPolicy } from './automaticPolicies';
import { gracePeriodMs, graceRemovalDueAt, graceRemovalItem, heldUnder } from './automaticRequests';
import { CANCEL_GRACE_REMOVAL, PLAN_GRACE_REMOVAL, writeGraceMarks, type MarkOutcome } from './graceRemovalMarks';
import type { Removal } from './removeInBulk';

type PlanOutcome = { kind: 'planned' | 'takenBack' | 'unchanged' } | { kind: 'failed'; error: unknown };

/**
 * How long past its time a grace removal's item may still be waiting to act, as a matter of course: the expiration
 * sweep runs every 5 minutes, and a batch Graph throttles waits some minutes more. A mark overdue by more is looked
 * up (one point read of its item, only then): an item still in the index is retrying (the sweep retries for a day
 * before parking it, PARK_AFTER_MS), so the removal is still pending and nothing is written; an item gone (taken back
 * without its mark, or parked after failing too often) no longer keeps the user: the removal is planned again, due at
 * once (plannedItem), so a lost item can never keep the user from losing the assignment.
 */
const OVERDUE_MARK_MS = 60 * 60_000;

/**
 * Whether the user's grace period already runs, its removal due no later than a stop now would make it due: they
 * stopped matching before and were not seen matching since, so it is not planned again (which would only put it off;
 * a grace period shortened since plans the earlier removal). A mark long overdue is pending while its item is in the
 * index (OVERDUE_MARK_MS).
 */
export async function graceRemovalPending(deps: EntitlementDeps, auto: AutomaticPolicy, assignment: Assignment): Promise<boolean> {
  const due = assignment.graceRemovalDueDateTime;
  if (due === undefined || !dueWithinGrace(deps, auto, due)) return false;
  return !longOverdue(deps, due) || deps.due.holds(graceRemovalDueAt(assignment, due));
}

const dueWithinGrace = (deps: EntitlementDeps, auto: AutomaticPolicy, due: string) => DateTime.fromISO(due) <= deps.clock.now().plus({ milliseconds: gracePeriodMs(auto) });

const longOverdue = (deps: EntitlementDeps, due: string) => DateTime.fromISO(due) <= deps.clock.now().minus({ milliseconds: OVERDUE_MARK_MS });

/**
 * The item of a removal planned now: a grace period on; at once for a user whose mark is long overdue (planned only
 * once its item is gone, graceRemovalPending: no evaluation saw them matching since that stop, so their grace period
 * is over).
 */
function plannedItem(deps: EntitlementDeps, auto: AutomaticPolicy, assignment: Assignment): DueItem<ExpirationKind> {
  const mark = assignment.graceRemovalDueDateTime;
  return mark !== undefined && longOverdue(deps, mark) ? graceRemovalDueAt(assignment, deps.clock.now().toUTC().toISO()!) : graceRemovalItem(deps, auto, assignment);
}

/**
 * Plans the removals after the grace period of users who stopped matching: their due items (a hundred to a
 * transaction), then each assignment marked with its item's time (one write per user, audited: graceRemovalMarks.ts),
 * so that an evaluation finding them matching again can take the item back. The item is written first: a mark
 * without its item would keep the user from losing the assignment until it is long overdue; an item without its
 * mark acts at its time, checking the rule then. A user whose removal another evaluation planned meanwhile, or whose
 * assignment ended, is left as it is (the item written for them is stale: not the one the assignment records).
 */
export async function planGraceRemovals(deps: EntitlementDeps, batch: readonly Removal[]): Promise<PlanOutcome[]> {
  const items = batch.map(({ auto, assignment }) => plannedItem(deps, auto, assignment.value));
  const changes = batch.map(({ auto, assignment }, n) => ({
    assignment,
    mark: items[n]!.dueDateTime,
    applies: (now: Assignment) => heldUnder(auto, now) && !markedSince(deps, auto, assignment.value, now),
  }));
  return (await writeGraceMarks(deps, PLAN_GRACE_REMOVAL, changes, items)).map((o) => outcomeOf(o, 'planned'));
}

/**
 * Whether another evaluation planned the removal since this one read the assignment (its mark, pending, differs from
 * the one read, which graceRemovalPending found not pending): that plan stands.
 */
function markedSince(deps: EntitlementDeps, auto: AutomaticPolicy, read: Assignment, now: Assignment): boolean {
  const due = now.graceRemovalDueDateTime;
  return due !== undefined && due !== read.graceRemovalDueDateTime && dueWithinGrace(deps, auto, due) && !longOverdue(deps, due);
}

/**
 * Takes back the planned removals of users who match again within the grace period: the marks first (audited, each
 * only if it is still the one taken back), then the items of the marks cleared (a transaction per minute they were
 * due in), so that a later stop starts a grace period of its own. Stopped in between, an item is left without its
 * mark: it checks the rule when due, and a later stop's mark makes it stale. Nothing is written for the users who go
 * on matching with no removal planned.
 */
export async function takeBackGraceRemovals(deps: EntitlementDeps, batch: readonly Removal[]): Promise<PlanOutcome[]> {
  const outcomes = await clearGraceMarks(
    deps,
    batch.map(({ assignment }) => ({ assignment, due: assignment.value.graceRemovalDueDateTime! })),
  );
  const cleared = batch.filter((_, n) => outcomes[n] === 'written');
  await deps.due.unscheduleAll(cleared.map(({ assignment }) => graceRemovalDueAt(assignment.value, assignment.value.graceRemovalDueDateTime!)));
  return outcomes.map((o) => outcomeOf(o, 'takenBack'));
}

/** Clears the grace marks of assignments, each only while it still records the removal due at `due` (one write each, audited). */
export function clearGraceMarks(deps: EntitlementDeps, marks: ReadonlyArray<{ assignment: Removal['assignment']; due: string }>): Promise<MarkOutcome[]> {
  const changes = marks.map(({ assignment, due }) => ({ assignment, mark: undefined, applies: (now: Assignment) => now.graceRemovalDueDateTime === due }));
  return writeGraceMarks(deps, CANCEL_GRACE_REMOVAL, changes);
}

const outcomeOf = (outcome: MarkOutcome, made: 'planned' | 'takenBack'): PlanOutcome =>
  outcome instanceof Error ? { kind: 'failed', error: outcome } : { kind: outcome === 'written' ? made : 'unchanged' };
