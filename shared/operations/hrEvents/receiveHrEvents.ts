import { DateTime } from 'luxon';
import { mapConcurrently } from '../../concurrently';
import { employeeKeyOf, type HrEvent } from '../../domain/hrEvents/hrEvent';
import { nowIso, type EntitlementDeps } from '../entitlements/entitlementDeps';
import { PENDING_GRACE_MS, planHrEvent } from '../lifecycle/planDueWork';
import { applyStoredHrEvent, isDue, recordFailure } from './applyHrEvent';
import { HR_ACTOR } from './employeeChange';
import { audited, shownIn, UNCHANGED } from '../audit/auditedChange';
import { HrEventStore } from '../../store/hrEventStore';

/** What the webhook answers for each event (DESIGN §2.6). */
export interface HrEventStatus {
  eventId: string;
  status: 'accepted' | 'scheduled' | 'duplicate';
}

/**
 * How long one call applies events before leaving the rest to the expiration sweep (within about a minute): a
 * sender waits for the answer, and Standard Webhooks senders give up after 15 to 30 seconds.
 */
export const APPLY_BUDGET_MS = 10_000;

/**
 * Takes the events of one verified delivery: each is remembered under its eventId (a repeat is a duplicate and left
 * alone), then applied at once or, with an effectiveAt ahead, scheduled. Events about one employee are taken in
 * the order sent; different employees' at once. Those whose turn comes after `deadline` (wall clock) are accepted
 * and left to the expiration sweep's next run.
 */
export async function receiveHrEvents(deps: EntitlementDeps, events: readonly HrEvent[], deliveryId: string, deadline = Date.now() + APPLY_BUDGET_MS): Promise<HrEventStatus[]> {
  const byEmployee = new Map<string, number[]>();
  events.forEach((event, index) => {
    const key = employeeKeyOf(event);
    byEmployee.set(key, [...(byEmployee.get(key) ?? []), index]);
  });
  const statuses: HrEventStatus[] = new Array<HrEventStatus>(events.length);
  await mapConcurrently([...byEmployee.values()], async (indexes) => {
    for (const index of indexes) statuses[index] = await receiveHrEvent(deps, events[index]!, deliveryId, Date.now() > deadline);
  });
  return statuses;
}

/**
 * One event. Its due item is written before its record: a process stopping between the two leaves only an item,
 * which finds no record (or the record of an earlier delivery) and does what that calls for; the other order could
 * leave a record that nothing ever applies. The item is due at effectiveAt, or now for an event `deferred` past the
 * call's budget, or else a while ahead, to recover an application at once that did not finish.
 */
async function receiveHrEvent(deps: EntitlementDeps, event: HrEvent, deliveryId: string, deferred: boolean): Promise<HrEventStatus> {
  const now = deps.clock.now();
  const { eventId } = event;
  const audit = (action: string, after: Record<string, unknown>) =>
    deps.audit.record({ actorId: HR_ACTOR, action, entityType: 'hrEvent', entityId: eventId, before: null, after: { deliveryId, ...after } });
  await audit('receiveHrEvent', { event });
  const later = !isDue(event, now);
  await planHrEvent(deps, eventId, later ? DateTime.fromISO(event.effectiveAt!) : deferred ? now : now.plus(PENDING_GRACE_MS));
  const record = { event, deliveryId, receivedDateTime: nowIso(deps), state: later ? ('scheduled' as const) : ('pending' as const) };
  const claim = async () => (await deps.hrEvents.claim(record)) ?? UNCHANGED;
  // A scheduled event's record is stored with its event written ahead (auditedChange.ts): no record without it.
  const schedule = { actorId: HR_ACTOR, action: 'scheduleHrEvent', entityType: 'hrEvent', entityId: eventId, before: null, after: { deliveryId, eventType: event.eventType, effectiveAt: event.effectiveAt } };
  const stored = later ? await audited(deps, schedule, shownIn('hrEvents', HrEventStore.keysOf(eventId), 'present'), claim) : await claim();
  if (stored === UNCHANGED) {
    await audit('hrEventDuplicate', { eventType: event.eventType });
    return { eventId, status: 'duplicate' };
  }
  if (later) return { eventId, status: 'scheduled' };
  if (deferred) return { eventId, status: 'accepted' };
  try {
    await applyStoredHrEvent(deps, stored);
  } catch (error) {
    // Remembered and due again shortly: the expiration sweep retries it, so the sender need not.
    await recordFailure(deps, stored.value, error);
  }
  return { eventId, status: 'accepted' };
}
