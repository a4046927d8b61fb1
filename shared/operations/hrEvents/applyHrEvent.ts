import { DateTime } from 'luxon';
import type { HrEvent } from '../../domain/hrEvents/hrEvent';
import { isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import type { HrEventRecord } from '../../store/hrEventStore';
import { nowIso, type EntitlementDeps } from '../entitlements/entitlementDeps';
import type { ItemOutcome } from '../lifecycle/sweepDueWork';
import type { HrEventEffect } from './hrEventEffect';

/** Who HR events are recorded against in the audit log: the signed webhook, not a signed-in principal. */
export const HR_WEBHOOK_ACTOR = 'hrWebhook';

// Until the effect of issue 14 items 3–5 (branch fix/hreffect) is merged, applying an event fails, so every event
// stays pending and its recovery item retries it: nothing is lost, and nothing is pretended.
const effect: HrEventEffect = async () => {
  throw new Error('The HR event effect is not built yet.');
};

/**
 * Applies a stored event: its effect, then (the one place for what follows an applied event) the event marked
 * applied with what the effect did, and audited. Both the webhook (events due at once) and the expiration sweep
 * (events due later, and recovery) come here.
 */
export async function applyStoredHrEvent(deps: EntitlementDeps, stored: StoredDocument<HrEventRecord>): Promise<void> {
  const record = stored.value;
  const outcome = await effect(deps, record.event);
  // HR-triggered workflows (issue 15) follow here: after the effect, before the event is marked applied, so a crash
  // in between runs both again (each must be idempotent) rather than neither.
  await markApplied(deps, stored, outcome);
  await deps.audit.record({
    actorId: HR_WEBHOOK_ACTOR,
    action: 'applyHrEvent',
    entityType: 'hrEvent',
    entityId: record.event.eventId,
    before: { state: record.state, deliveryId: record.deliveryId },
    after: { state: 'applied', deliveryId: record.deliveryId, eventType: record.event.eventType, outcome },
  });
}

/**
 * The expiration sweep's handler for an `hrEvent` item: applies the event unless it was applied already, or is
 * scheduled for later than now (an item of an earlier delivery of the same eventId). A failure is thrown, so the
 * sweep keeps the item, counts the attempt and retries it on its next run.
 */
export async function applyDueHrEvent(deps: EntitlementDeps, eventId: string): Promise<ItemOutcome> {
  const stored = await deps.hrEvents.find(eventId);
  if (!stored || stored.value.state === 'applied' || stored.value.state === 'failed') return 'stale';
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

/** Audits an attempt that failed; the event stays pending, and its due item retries it. */
export async function recordFailure(deps: EntitlementDeps, record: HrEventRecord, error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  await deps.audit.record({
    actorId: HR_WEBHOOK_ACTOR,
    action: 'hrEventFailed',
    entityType: 'hrEvent',
    entityId: record.event.eventId,
    before: { state: record.state, deliveryId: record.deliveryId },
    after: { state: record.state, deliveryId: record.deliveryId, error: message.slice(0, 1_000), retried: true },
  });
}

/** Marks the event applied; when another applier did so meanwhile (the webhook and a recovery item), that stands. */
async function markApplied(deps: EntitlementDeps, stored: StoredDocument<HrEventRecord>, outcome: Record<string, unknown>): Promise<void> {
  try {
    await deps.hrEvents.update(stored, { ...stored.value, state: 'applied', completedDateTime: nowIso(deps), outcome });
  } catch (error) {
    if (!(isDomainError(error) && error.code === 'concurrencyConflict')) throw error;
  }
}
