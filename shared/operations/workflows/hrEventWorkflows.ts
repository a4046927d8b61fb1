import { DateTime } from 'luxon';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { WorkflowCategory } from '../../domain/workflows/taskDefinitions';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { planMoves, scheduledWorkflows, timeOccurrence, triggerItem } from './planWorkflowTriggers';
import { tryEach } from './failedForNow';
import { runWorkflow } from './runWorkflow';
import { inScope, withHrAttributes, type ScopedUser } from './workflowScope';
import { withOverriddenAttributes } from '../../domain/hrEvents/overriddenUser';
import { employmentChangedSince, unsupersededAttributes, type AttributeOverrides, type AttributeValue } from '../../domain/hrEvents/attributeOverrides';

/** An HR event as the workflows need it (DESIGN §2.6), its employee resolved to a directory user id. */
export interface HrWorkflowEvent {
  eventId: string;
  eventType: WorkflowCategory;
  occurredAt: string;
  effectiveAt?: string;
  userId: string;
  /** The event's own attributes (rule names): under the overrides, so they count even when none was recorded (an event past the override lifetime). */
  attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface HrWorkflowOutcome {
  /** Workflows run for the user now. */
  ran: string[];
  /** Workflows planned for a later time (a hire date still ahead, a future effectiveAt). */
  scheduled: string[];
}

/**
 * The trigger date the event stands for, under the overrides: a leaver leaves when the event takes effect, never
 * at a leave date the directory still shows from before (a notice period cut short, a rehired employee's earlier
 * departure); a joiner without a hire date joins then.
 */
function withEventDate(user: ScopedUser, event: HrWorkflowEvent): ScopedUser {
  const effective = event.effectiveAt ?? event.occurredAt;
  if (event.eventType === 'leaver') return { ...user, employeeLeaveDateTime: effective };
  if (event.eventType === 'joiner' && !user.employeeHireDate) return { ...user, employeeHireDate: effective };
  return user;
}

/**
 * Runs the enabled, scheduled workflows of the event's category whose scope the user matches (with the attributes
 * HR events gave them), within seconds of the event. A time-based workflow runs at its trigger date: at once when that has
 * come (a leave date of today), else through a due item then (a hire date next week still runs then, not now);
 * its occurrence is the same as the directory's date would plan, so it runs once either way. A mover workflow
 * runs for the change the event brings. Call it when the event takes effect (a future effectiveAt: then).
 */
export async function runWorkflowsForHrEvent(deps: EntitlementDeps, event: HrWorkflowEvent): Promise<HrWorkflowOutcome> {
  const outcome: HrWorkflowOutcome = { ran: [], scheduled: [] };
  const { timeBased, movers } = await scheduledWorkflows(deps);
  // The user is read only when a workflow may run for the event: most events have none, and spare the directory call.
  if (!timeBased.some((w) => w.category === event.eventType) && !(event.eventType === 'mover' && movers.length > 0)) return outcome;
  const found = await deps.directory.getUser(event.userId);
  if (!found) return outcome;
  // As the HR events describe the user, the newest winning attribute by attribute (this event's attributes and
  // leave date are among the overrides already): an older event arriving late does not undo a newer leaver.
  let overtaken = false;
  const own = (stored: AttributeOverrides | undefined) => {
    // A joiner or leaver a newer joiner or leaver has overtaken (a rehire after a leaver, a leaver after a joiner) runs
    // nothing, now or on its retry: its tasks would undo what the newer event's did. A mover, even one naming the
    // account, does not: a mover during a notice period does not end it.
    overtaken = (event.eventType === 'joiner' || event.eventType === 'leaver') && employmentChangedSince(stored, event);
    return unsupersededAttributes(stored, { ...event, attributes: event.attributes ?? {} });
  };
  const user = await withHrAttributes<ScopedUser>(deps, found, (stored) => withEventDate(withOverriddenAttributes(found, own(stored)), event));
  if (overtaken) return outcome;
  const now = deps.clock.now();
  const reason = `hrEvent:${event.eventId}`;
  // Every workflow is tried: one whose run failed (to be retried) does not keep the others from running now.
  await tryEach(timeBased.filter((w) => w.category === event.eventType && inScope(w, user)), async (workflow) => {
    const occurrence = timeOccurrence(workflow, user);
    if (!occurrence) return;
    if (occurrence.due > now) {
      await deps.due.schedule(triggerItem(workflow, user.id, occurrence.occurrence, occurrence.due, now, true));
      outcome.scheduled.push(workflow.id);
    } else if (await runWorkflow(deps, workflow, [{ user, occurrence: occurrence.occurrence }], { type: 'scheduled', reason, actorId: SYSTEM_ACTOR })) {
      outcome.ran.push(workflow.id);
    }
  });
  if (event.eventType !== 'mover') return outcome;
  const inScopeMovers = movers.filter((w) => inScope(w, user));
  if (inScopeMovers.length === 0) return outcome;
  const effective = event.effectiveAt ? DateTime.fromISO(event.effectiveAt, { zone: 'utc' }) : now;
  if (effective.isValid && effective > now) {
    for (const workflow of inScopeMovers) await deps.due.schedule(triggerItem(workflow, user.id, reason, effective, now, true));
    outcome.scheduled.push(...inScopeMovers.map((w) => w.id));
    return outcome;
  }
  // The change is recorded as seen, so the users delta reporting it later does not run the movers again.
  const moves = await planMoves(deps, movers, user);
  const toRun = moves.baseline ? moves.planned : inScopeMovers.map((workflow) => ({ workflow, occurrence: reason }));
  // A user seen for the first time: the event is the change. Its due items (as planMoves writes for a change) carry a
  // run that fails for now, which the event's retry would not: by then the change is recorded as seen.
  if (!moves.baseline) for (const workflow of inScopeMovers) await deps.due.schedule(triggerItem(workflow, user.id, reason, now, now, true));
  await tryEach(toRun, async ({ workflow, occurrence }) => {
    if (await runWorkflow(deps, workflow, [{ user, occurrence }], { type: 'scheduled', reason, actorId: SYSTEM_ACTOR })) outcome.ran.push(workflow.id);
  });
  return outcome;
}
