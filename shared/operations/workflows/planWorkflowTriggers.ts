import type { DateTime } from 'luxon';
import { mapConcurrently } from '../../concurrently';
import type { DueItem, ExpirationKind } from '../../store/dueWork';
import { runsOnSchedule, triggerOf, type Workflow } from '../../domain/workflows/workflow';
import { isReadFromDirectory } from '../../directory/directoryPort';
import { allDirectoryUsers } from '../autoAssignment/automaticPolicies';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { attributeDate, attributesWatched, inScope, WORKFLOW_RULES, type ScopedUser } from './workflowScope';

/**
 * How far back a trigger date may lie and still run: a user whose hire date passed days before the workflow
 * existed (or before they came into scope) is not a new hire any more. Entra processes the users whose trigger
 * falls since its previous run; a day leaves room for a sweep that did not run for a while.
 */
export const PAST_TRIGGER_WINDOW_DAYS = 1;

/** A time-based trigger's occurrence for a user: when it is due, and the key that makes it run once. */
export interface TriggerOccurrence {
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
  return { due: date.plus({ days: trigger.offsetInDays }), occurrence: `${trigger.timeBasedAttribute}@${date.toISODate()}` };
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

/** Plans one user's time-based occurrence of one workflow, when they are in scope and it is not long past. */
export async function planTimeTrigger(deps: EntitlementDeps, workflow: Workflow, user: ScopedUser, fromHrEvent = false): Promise<TriggerOccurrence | undefined> {
  if (!runsOnSchedule(workflow) || !inScope(workflow, user)) return undefined;
  const found = timeOccurrence(workflow, user);
  const now = deps.clock.now();
  if (!found || found.due < now.minus({ days: PAST_TRIGGER_WINDOW_DAYS })) return undefined;
  await deps.due.schedule(triggerItem(workflow, user.id, found.occurrence, found.due, now, fromHrEvent));
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
 * Plans a workflow for every user, when it is created, versioned, or its scheduling turned on: time-based ones get
 * the due items of the users in scope; movers record what each user's watched attributes are now, to tell a change
 * from it later. Answers how many users were planned.
 */
export async function planWorkflowForAllUsers(deps: EntitlementDeps, workflow: Workflow): Promise<number> {
  if (!runsOnSchedule(workflow)) return 0;
  const users = await allDirectoryUsers(deps);
  if (isMover(workflow)) {
    await mapConcurrently(users, (user) => recordBaseline(deps, user));
    return 0;
  }
  const planned = await mapConcurrently(users, (user) => planTimeTrigger(deps, workflow, user));
  return planned.filter(Boolean).length;
}

/** The user properties, as the directory's users delta names them, that planning reads: scope rules' and triggers'. */
export async function workflowUserProperties(deps: EntitlementDeps): Promise<string[]> {
  const running = (await deps.workflows.all()).filter(runsOnSchedule);
  const names = running.flatMap(attributesWatched).map((name) => (name.startsWith('extensionAttribute') ? 'onPremisesExtensionAttributes' : name));
  return [...new Set(names)].filter(isReadFromDirectory);
}

/**
 * Plans the workflows for the users the directory reports changed (the users delta the auto-assignment sweep
 * reads): a time-based trigger's occurrence for each in scope; a mover workflow's run for each whose watched
 * attributes changed and who is in its scope after the change. Its cost follows the changed users.
 */
export async function planWorkflowsForChangedUsers(deps: EntitlementDeps, users: readonly ScopedUser[]): Promise<void> {
  if (users.length === 0) return;
  const { timeBased, movers } = await scheduledWorkflows(deps);
  if (timeBased.length === 0 && movers.length === 0) return;
  await mapConcurrently(users, async (user) => {
    for (const workflow of timeBased) await planTimeTrigger(deps, workflow, user);
    if (movers.length > 0) await planMoves(deps, movers, user);
  });
}

const WATCHED = WORKFLOW_RULES.changeableAttributes;

function watchedValues(user: ScopedUser): Record<string, string | null> {
  const view: Record<string, unknown> = { ...user, ...user.onPremisesExtensionAttributes };
  return Object.fromEntries(WATCHED.map((name) => [name, view[name] === undefined || view[name] === null ? null : String(view[name])]));
}

/**
 * Records the user's watched attributes where nothing is known of them yet (a new user, or attributes a new mover
 * workflow watches that the delta did not track before), without counting that as a change.
 */
async function recordBaseline(deps: EntitlementDeps, user: ScopedUser): Promise<void> {
  const previous = await deps.workflows.watchedOf(user.id);
  const now = watchedValues(user);
  if (!previous) {
    await deps.workflows.recordWatched(undefined, user.id, { values: now, changeCount: 0 });
    return;
  }
  const unknown = WATCHED.filter((name) => now[name] !== null && (previous.value.values[name] ?? null) === null);
  if (unknown.length > 0) await deps.workflows.recordWatched(previous, user.id, { ...previous.value, values: { ...previous.value.values, ...Object.fromEntries(unknown.map((name) => [name, now[name]!])) } });
}

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
  const now = watchedValues(user);
  if (!previous) {
    await deps.workflows.recordWatched(undefined, user.id, { values: now, changeCount: 0 });
    return { baseline: false, planned: [] };
  }
  const before = (name: string) => previous.value.values[name] ?? null;
  // An attribute not known before (not tracked until now) is filled in: a first value is no move.
  const known = WATCHED.filter((name) => now[name] !== null && before(name) !== now[name]);
  const changed = known.filter((name) => before(name) !== null);
  if (known.length === 0) return { baseline: true, planned: [] };
  const changeCount = previous.value.changeCount + (changed.length > 0 ? 1 : 0);
  const values = { ...previous.value.values, ...Object.fromEntries(known.map((name) => [name, now[name]!])) };
  if (!(await deps.workflows.recordWatched(previous, user.id, { values, changeCount })) || changed.length === 0) return { baseline: true, planned: [] };
  const planned: PlannedMove[] = [];
  for (const workflow of movers) {
    const trigger = triggerOf(workflow)!.trigger;
    if (!('triggerAttributes' in trigger) || !trigger.triggerAttributes.some((a) => changed.includes(a.name)) || !inScope(workflow, user)) continue;
    const occurrence = `change:${changeCount}`;
    await deps.due.schedule(triggerItem(workflow, user.id, occurrence, deps.clock.now(), deps.clock.now()));
    planned.push({ workflow, occurrence });
  }
  return { baseline: true, planned };
}
