import { DateTime } from 'luxon';
import type { Assignment } from '../../domain/assignments/assignment';
import { mapConcurrently } from '../../concurrently';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import type { AutomaticPolicy } from './automaticPolicies';
import { gracePeriodMs, graceRemovalDueAt, graceRemovalItem } from './automaticRequests';
import type { Removal } from './removeInBulk';

type PlanOutcome = { kind: 'planned' | 'takenBack' } | { kind: 'failed'; error: unknown };

/**
 * Whether the user's grace period already runs, its removal due no later than a stop now would make it due: they
 * stopped matching before and were not seen matching since, so it is not planned again (which would only put it off;
 * a grace period shortened since plans the earlier removal).
 */
export function graceRemovalPending(deps: EntitlementDeps, auto: AutomaticPolicy, assignment: Assignment): boolean {
  const due = assignment.graceRemovalDueDateTime;
  return due !== undefined && DateTime.fromISO(due) <= deps.clock.now().plus({ milliseconds: gracePeriodMs(auto) });
}

/**
 * Plans the removals after the grace period of users who stopped matching: their due items (a hundred to a
 * transaction), then each assignment marked with its item's time (one write per user), so that an evaluation
 * finding them matching again can take the item back. The item is written first: a mark without its item would
 * keep the user from ever losing the assignment, an item without its mark acts as one planned before marks were.
 */
export async function planGraceRemovals(deps: EntitlementDeps, batch: readonly Removal[]): Promise<PlanOutcome[]> {
  const items = batch.map(({ auto, assignment }) => graceRemovalItem(deps, auto, assignment.value));
  await deps.due.scheduleAll(items);
  return mapConcurrently([...batch.keys()], async (n) => {
    const { assignment } = batch[n]!;
    try {
      await deps.grants.assignments.replace(assignment, { ...assignment.value, graceRemovalDueDateTime: items[n]!.dueDateTime });
      return { kind: 'planned' };
    } catch (error) {
      return { kind: 'failed', error };
    }
  });
}

/**
 * Takes back the planned removals of users who match again within the grace period: the items (a transaction per
 * minute they were due in), then the marks, so that a later stop starts a grace period of its own. Nothing is
 * written for the users who go on matching with no removal planned.
 */
export async function takeBackGraceRemovals(deps: EntitlementDeps, batch: readonly Removal[]): Promise<PlanOutcome[]> {
  await deps.due.unscheduleAll(batch.map(({ assignment }) => graceRemovalDueAt(assignment.value, assignment.value.graceRemovalDueDateTime!)));
  return mapConcurrently(batch, async ({ assignment }) => {
    try {
      await deps.grants.assignments.replace(assignment, withoutGraceRemoval(assignment.value));
      return { kind: 'takenBack' };
    } catch (error) {
      return { kind: 'failed', error };
    }
  });
}

/** The assignment with no grace removal planned. */
export function withoutGraceRemoval(assignment: Assignment): Assignment {
  const { graceRemovalDueDateTime: _planned, ...rest } = assignment;
  return rest;
}
