import { DateTime } from 'luxon';
import type { HrEvent } from '../../domain/hrEvents/hrEvent';
import { isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import type { HrEventRecord, HrEventState } from '../../store/hrEventStore';
import { nowIso, type EntitlementDeps } from '../entitlements/entitlementDeps';
import type { ItemOutcome } from '../lifecycle/sweepDueWork';
import { applyEmployeeChange, type EmployeeChangeOutcome } from './applyEmployeeChange';
import { HR_ACTOR } from './employeeChange';
import { runWorkflowsForHrEvent } from '../workflows/hrEventWorkflows';
import { audited, shownIn, UNCHANGED } from '../audit/auditedChange';

/**
 * Applies a stored event: its effect on access (applyEmployeeChange), then (the one place for what follows an
 * applied event) the event marked as the effect left it (applied, held, failed), and audited. Both the webhook (events due at once) and the expiration sweep
 * (events due later, and recovery) come here.
 */
export async function applyStoredHrEvent(deps: EntitlementDeps, stored: StoredDocument<HrEventRecord>): Promise<void> {
  const record = stored.value;
  const outcome = await applyEmployeeChange(deps, record.event);
  // HR-triggered workflows (issue 15) follow here, for an `applied` outcome: after the effect, before the event is
  // marked, so a crash in between runs both again (each must be idempotent: runs claim their occurrence) rather than neither.
  if (outcome.status === 'applied') {
    const { eventId, eventType, occurredAt, effectiveAt, employee } = record.event;
    await runWorkflowsForHrEvent(deps, { eventId, eventType, occurredAt, effectiveAt, userId: outcome.userId, attributes: employee.attributes });
  }
  const state = outcome.status;
  const entry = {
    actorId: HR_ACTOR,
    action: AUDIT_ACTIONS[state],
    entityType: 'hrEvent',
    entityId: record.event.eventId,
    before: { state: record.state, deliveryId: record.deliveryId },
    after: { state, deliveryId: record.deliveryId, eventType: record.event.eventType, outcome },
  };
  // The event records the record's new state: written ahead, so a stop after the mark leaves it to the sweep.
  await audited(deps, entry, { ...shownIn('hrEvents', stored, 'changed'), was: record }, async () => ((await markDone(deps, stored, state, outcome)) ? undefined : UNCHANGED));
}

const AUDIT_ACTIONS: Record<EmployeeChangeOutcome['status'], string> = { applied: 'applyHrEvent', held: 'holdHrEvent', failed: 'hrEventFailed' };

/**
 * The expiration sweep's handler for an `hrEvent` item: applies the event unless it was applied already, or is
 * scheduled for later than now (an item of an earlier delivery of the same eventId). A failure is thrown, so the
 * sweep keeps the item, counts the attempt and retries it on its next run.
 */
export async function applyDueHrEvent(deps: EntitlementDeps, eventId: string): Promise<ItemOutcome> {
  const stored = await deps.hrEvents.find(eventId);
  if (!stored || !(stored.value.state === 'pending' || stored.value.state === 'scheduled')) return 'stale';
  if (!isDue(stored.value.event, deps.clock.now())) return 'stale';
  try {
    await applyStoredHrEvent(deps, stored);
  } catch (error) {
    await recordFailure(deps, stored.value, error);
    throw error;
  }
  return 'processed';
}

/** Whether an event takes effect now (it has no effectiveAt, or that has come). */
export const isDue = (event: HrEvent, now: DateTime): boolean => event.effectiveAt === undefined || DateTime.fromISO(event.effectiveAt) <= now;

/**
 * Audits an attempt that failed; the event stays pending, and its due item retries it. It records no stored change
 * (the record is left as it was), so there is nothing to write it ahead of.
 */
export async function recordFailure(deps: EntitlementDeps, record: HrEventRecord, error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  await deps.audit.record({
    actorId: HR_ACTOR,
    action: 'hrEventAttemptFailed',
    entityType: 'hrEvent',
    entityId: record.event.eventId,
    before: { state: record.state, deliveryId: record.deliveryId },
    after: { state: record.state, deliveryId: record.deliveryId, error: message.slice(0, 1_000), retried: true },
  });
}

/**
 * Records how the event ended; false when another applier did so meanwhile (the webhook and a recovery item at
 * once): theirs stands, and is the one audited.
 */
async function markDone(deps: EntitlementDeps, stored: StoredDocument<HrEventRecord>, state: HrEventState, outcome: EmployeeChangeOutcome): Promise<boolean> {
  try {
    await deps.hrEvents.update(stored, { ...stored.value, state, completedDateTime: nowIso(deps), outcome });
    return true;
  } catch (error) {
    if (isDomainError(error) && error.code === 'concurrencyConflict') return false;
    throw error;
  }
}
