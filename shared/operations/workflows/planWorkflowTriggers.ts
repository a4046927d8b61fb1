import type { DateTime } from 'luxon';
import { mapConcurrently } from '../../concurrently';
import type { DueItem, ExpirationKind } from '../../store/dueWork';
import { MAX_OFFSET_DAYS, runsOnSchedule, triggerOf, type Workflow } from '../../domain/workflows/workflow';
import { DIRECTORY_USER_PROPERTIES, isReadFromDirectory } from '../../directory/directoryPort';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { baselineOf, compareSeen, LEAVE_DATE, type Keeping, type SeenUser } from './seenAttributes';
import { attributeDate, attributesWatched, inScope, type ScopedUser } from './workflowScope';

/**
 * How far back a trigger date may lie and still run: a user whose hire date passed days before the workflow
 * existed (or before they came into scope) is not a new hire any more. Entra processes the users whose trigger
 * falls since its previous run; a day leaves room for a sweep that did not run for a while.
 */
export const PAST_TRIGGER_WINDOW_DAYS = 1;
/**
 * How far back a leave date may lie and still run when the directory comes to show it late (a termination entered
 * after the fact): offsetInDays' range. A leaver is one however late the date is known; only a date the users
 * delta reports changed counts, so a rehired employee's stale leave date does not.
 */
export const LATE_LEAVE_DATE_WINDOW_DAYS = MAX_OFFSET_DAYS;

/** A time-based trigger's occurrence for a user: when it is due, and the key that makes it run once. */
export interface TriggerOccurrence {
  /** The attribute's date. */
  date: DateTime;
  due: DateTime;
  /**
   * `employeeHireDate@2026-03-01`: the attribute's own date, not the offset one, so a new version with another offset
   * does not run a user again for the same hire (or leave) date.
   */
  occurrence: string;
}

export function timeOccurrence(workflow: Workflow, user: ScopedUser): TriggerOccurrence | undefined {
  const trigger = triggerOf(workflow)?.trigger;
  if (!trigger || !('timeBasedAttribute' in trigger)) return undefined;
  const date = attributeDate(user, trigger.timeBasedAttribute);
  if (!date) return undefined;
  return { date, due: date.plus({ days: trigger.offsetInDays }), occurrence: `${trigger.timeBasedAttribute}@${date.toISODate()}` };
}

/** `userId|occurrence`, with `|hr` when an HR event planned it (its attributes may not be in the directory yet). */
export const itemDetail = (userId: string, occurrence: string, fromHrEvent = false) => [userId.toLowerCase(), occurrence, ...(fromHrEvent ? ['hr'] : [])].join('|');

export function parseItemDetail(detail: string): { userId: string; occurrence: string; fromHrEvent: boolean } {
  const [userId = '', occurrence = '', marker] = detail.split('|');
  return { userId, occurrence, fromHrEvent: marker === 'hr' };
}

/** The due item that runs a workflow for a user: at its time, or at once when that has passed (sweeps read from their checkpoint on). */
export function triggerItem(workflow: Workflow, userId: string, occurrence: string, due: DateTime, now: DateTime, fromHrEvent = false): DueItem<ExpirationKind> {
  const at = due > now ? due : now;
  return { kind: 'workflowTrigger', dueDateTime: at.toUTC().toISO()!, entityId: workflow.id, detail: itemDetail(userId, occurrence, fromHrEvent) };
}

const countsFromLeaveDate = (workflow: Workflow) => {
  const trigger = triggerOf(workflow)?.trigger;
  return trigger !== undefined && 'timeBasedAttribute' in trigger && trigger.timeBasedAttribute === LEAVE_DATE;
};

/**
 * Plans one user's time-based occurrence of one workflow, when they are in scope and it is not long past; a leave
 * date just seen to change (`leaveDateChanged`) up to LATE_LEAVE_DATE_WINDOW_DAYS past.
 */
export async function planTimeTrigger(deps: EntitlementDeps, workflow: Workflow, user: ScopedUser, leaveDateChanged = false): Promise<TriggerOccurrence | undefined> {
  if (!runsOnSchedule(workflow) || !inScope(workflow, user)) return undefined;
  const found = timeOccurrence(workflow, user);
  if (!found) return undefined;
  const now = deps.clock.now();
  const hired = attributeDate(user, 'employeeHireDate');
  // A leave date before the user's (re)hire is an old departure, however it changed: not a leaver now.
  const late = leaveDateChanged && countsFromLeaveDate(workflow) && !(hired && hired > found.date);
  if (late ? found.date < now.minus({ days: LATE_LEAVE_DATE_WINDOW_DAYS }) : found.due < now.minus({ days: PAST_TRIGGER_WINDOW_DAYS })) return undefined;
  await deps.due.schedule(triggerItem(workflow, user.id, found.occurrence, found.due, now));
  return found;
}

const isMover = (workflow: Workflow) => {
  const trigger = triggerOf(workflow)?.trigger;
  return trigger !== undefined && 'triggerAttributes' in trigger;
};

/** The workflows that run on their own, time-based and movers apart. */
export async function scheduledWorkflows(deps: EntitlementDeps): Promise<{ timeBased: Workflow[]; movers: Workflow[] }> {
  const running = (await deps.workflows.all()).filter(runsOnSchedule);
  return { timeBased: running.filter((w) => !isMover(w)), movers: running.filter(isMover) };
}

/**
 * Plans a workflow for these users (a part of every user's plan, workflowPlan.ts, when it is created, versioned,
 * restored or its scheduling turned on): time-based ones get the due items of the users in scope; movers record what
 * each user's watched attributes are now, and leave-date workflows each user's leave date (without running the
 * long-past ones), to tell a change from it later. Each user's plan is idempotent: a part planned twice plans once.
 */
export async function planWorkflowForUsers(deps: EntitlementDeps, workflow: Workflow, users: readonly ScopedUser[]): Promise<void> {
  if (!runsOnSchedule(workflow)) return;
  if (isMover(workflow)) {
    await mapConcurrently(users, (user) => recordBaseline(deps, user, { watched: true, leaveDate: false }));
    return;
  }
  await mapConcurrently(users, async (user) => {
    if (countsFromLeaveDate(workflow)) await recordBaseline(deps, user, { watched: false, leaveDate: true });
    await planTimeTrigger(deps, workflow, user);
  });
}

/** The user properties, as the directory's users delta names them, that planning reads: scope rules' and triggers'. */
export async function workflowUserProperties(deps: EntitlementDeps): Promise<string[]> {
  const running = (await deps.workflows.all()).filter(runsOnSchedule);
  const names = running.flatMap((w) => [...attributesWatched(w), ...(countsFromLeaveDate(w) ? ['employeeHireDate'] : [])]).map((name) => (name.startsWith('extensionAttribute') ? 'onPremisesExtensionAttributes' : name));
  return [...new Set(names)].filter(isReadFromDirectory);
}

/**
 * Plans the workflows for the users the directory reports changed (the users delta the auto-assignment sweep
 * reads): a time-based trigger's occurrence for each in scope (a leave date long past too when it changed); a mover
 * workflow's run for each whose watched attributes changed and who is in its scope after the change. `read`: the
 * properties the users were read with (a delta's `$select`). Its cost follows the changed users: what was last seen
 * of each is read only when a mover or leave-date workflow runs, and written only when something new is seen.
 */
export async function planWorkflowsForChangedUsers(deps: EntitlementDeps, users: readonly ScopedUser[], read: readonly string[] = DIRECTORY_USER_PROPERTIES): Promise<void> {
  if (users.length === 0) return;
  const { timeBased, movers } = await scheduledWorkflows(deps);
  if (timeBased.length === 0 && movers.length === 0) return;
  const keeping: Keeping = { watched: movers.length > 0, leaveDate: timeBased.some(countsFromLeaveDate), leaveDateRead: read.includes(LEAVE_DATE) };
  await mapConcurrently(users, async (user) => {
    if (!keeping.watched && !keeping.leaveDate) {
      for (const workflow of timeBased) await planTimeTrigger(deps, workflow, user);
      return;
    }
    // Another writer may record the user meanwhile (a workflow's background plan adding a baseline, another delta):
    // compared again with its record, so a change it did not record is still planned, one it did is not planned twice.
    for (let attempt = 0; attempt < 5; attempt++) {
      const previous = await deps.workflows.watchedOf(user.id);
      const seen = compareSeen(previous?.value, user, keeping);
      // Planned before the leave date is recorded as seen: a run cut short between the two plans it again when the
      // delta reports the user again (the occurrence's claim keeps it to one run), instead of never.
      for (const workflow of timeBased) await planTimeTrigger(deps, workflow, user, seen.leaveDateChanged);
      if (seen.next && !(await deps.workflows.recordWatched(previous, user.id, seen.next))) continue;
      if (movers.length > 0) await planSeenMoves(deps, movers, user, seen);
      return;
    }
  });
}

/**
 * Records what is not known yet of the user (a new user, attributes a new mover workflow watches that the delta did
 * not track before, the leave date for a new leave-date workflow), without counting that as a change.
 */
async function recordBaseline(deps: EntitlementDeps, user: ScopedUser, keeping: Omit<Keeping, 'leaveDateRead'>): Promise<void> {
  // Another writer may record the user at the same time (a second workflow's plan in the same sweep, the users
  // delta): its record is read again and what is still unknown added, rather than this baseline lost.
  for (let attempt = 0; attempt < BASELINE_ATTEMPTS; attempt++) {
    const previous = await deps.workflows.watchedOf(user.id);
    const next = baselineOf(previous?.value, user, keeping);
    if (!next || (await deps.workflows.recordWatched(previous, user.id, next))) return;
  }
  throw new Error(`The watched attributes of user ${user.id} kept changing while their baseline was recorded; planned again on the next attempt.`);
}

/** Records of one user's baseline tried before its plan's part fails (and is tried again by the sweep's next run). */
const BASELINE_ATTEMPTS = 5;

/** A mover workflow's run that a change planned: the workflow, and the change's occurrence. */
export interface PlannedMove {
  workflow: Workflow;
  occurrence: string;
}

/**
 * Compares the user's watched attributes with those last recorded; records the new ones (on the ETag read, so of
 * two overlapping sweeps one records the change and plans it) and plans each mover workflow whose trigger
 * attributes changed and whose scope the user is in now. A user seen for the first time only gets a baseline
 * (`baseline` false: there was none). Only attributes with a value, now and before, are compared: a delta leaves
 * those it does not track null, so a cleared attribute, or a first value, is not a move.
 */
export async function planMoves(deps: EntitlementDeps, movers: readonly Workflow[], user: ScopedUser): Promise<{ baseline: boolean; planned: PlannedMove[] }> {
  const previous = await deps.workflows.watchedOf(user.id);
  const seen = compareSeen(previous?.value, user, { watched: true, leaveDate: false, leaveDateRead: false });
  if (seen.next && !(await deps.workflows.recordWatched(previous, user.id, seen.next))) return { baseline: seen.known, planned: [] };
  return { baseline: seen.known, planned: await planSeenMoves(deps, movers, user, seen) };
}

/** Plans each mover workflow whose trigger attributes changed, once the change is recorded, and whose scope the user is in now. */
async function planSeenMoves(deps: EntitlementDeps, movers: readonly Workflow[], user: ScopedUser, seen: SeenUser): Promise<PlannedMove[]> {
  const planned: PlannedMove[] = [];
  if (seen.changed.length === 0 || !seen.next) return planned;
  for (const workflow of movers) {
    const trigger = triggerOf(workflow)!.trigger;
    if (!('triggerAttributes' in trigger) || !trigger.triggerAttributes.some((a) => seen.changed.includes(a.name)) || !inScope(workflow, user)) continue;
    const occurrence = `change:${seen.next.changeCount}`;
    await deps.due.schedule(triggerItem(workflow, user.id, occurrence, deps.clock.now(), deps.clock.now()));
    planned.push({ workflow, occurrence });
  }
  return planned;
}
