import { Duration, type DateTime } from 'luxon';
import { doublingWaitMs } from '../../domain/doublingWait';
import { takesEffectAt } from '../../domain/hrEvents/attributeOverrides';
import type { DueItem, ExpirationKind } from '../../store/dueWork';
import { HeldChangeStore } from '../../store/heldChangeStore';
import { audited, shownIn } from '../audit/auditedChange';
import { nowIso, type EntitlementDeps } from '../entitlements/entitlementDeps';
import type { ItemOutcome } from '../lifecycle/sweepDueWork';
import { describeKey, HR_ACTOR, type EmployeeChange, type EmployeeChangeOutcome } from './employeeChange';
import { applyToUser, findEmployee } from './employeeChangeEffect';

/**
 * How long a joiner waits for their account: HR often speaks before provisioning creates it (a cycle is about 40
 * minutes), but an account that has not come a week after the hire took effect is not coming.
 */
export const HOLD_LIMIT = Duration.fromObject({ days: 7 });
/**
 * The first retry comes after a minute (HR_JOINER_RETRY_SECONDS, through deps.heldJoinerFirstRetrySeconds), each
 * next after twice as long, at most an hour apart.
 */
const FIRST_RETRY_SECONDS = 60;
const LONGEST_WAIT = Duration.fromObject({ hours: 1 });

const holdDeadline = (event: EmployeeChange) => takesEffectAt(event).plus(HOLD_LIMIT);

function retryTime(deps: EntitlementDeps, now: DateTime, attempts: number): string {
  const firstRetryMs = (deps.heldJoinerFirstRetrySeconds ?? FIRST_RETRY_SECONDS) * 1000;
  const wait = doublingWaitMs(attempts + 1, firstRetryMs, LONGEST_WAIT.toMillis());
  return now.plus({ milliseconds: wait }).toUTC().toISO()!;
}

/** Holds a joiner whose account does not exist yet, with its first retry in the due-time index. */
export async function holdEmployeeChange(deps: EntitlementDeps, event: EmployeeChange): Promise<EmployeeChangeOutcome> {
  const now = deps.clock.now();
  if (now >= holdDeadline(event)) return { status: 'failed', reason: `No user has ${describeKey(event.employee)}, ${HOLD_LIMIT.toISO()} after the event took effect.` };
  const retryAt = retryTime(deps, now, 0);
  const entry = { actorId: HR_ACTOR, action: 'holdEmployeeChange', entityType: 'hrEvent', entityId: event.eventId, before: null, after: { reason: `No user has ${describeKey(event.employee)} yet`, retryAt } };
  await audited(deps, entry, shownIn('heldEmployeeChanges', HeldChangeStore.rowOf(event.eventId), 'present'), async () => {
    await deps.heldChanges.hold(event.eventId, { event, heldDateTime: nowIso(deps), attempts: 0 });
    await deps.due.schedule({ kind: 'heldEmployeeChange', dueDateTime: retryAt, entityId: event.eventId, detail: '0' });
  });
  return { status: 'held', retryAt };
}

/**
 * The expiration sweep's handler for `heldEmployeeChange`: applies the held event once its account exists; else
 * schedules the next retry, or, past HOLD_LIMIT, records it failed. An item of an earlier attempt is stale. A
 * failure to apply is thrown: the sweep keeps the item and tries it again.
 */
export async function retryHeldEmployeeChange(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<ItemOutcome> {
  const stored = await deps.heldChanges.find(item.entityId);
  if (!stored || item.detail !== String(stored.value.attempts)) return 'stale';
  const { event } = stored.value;
  const user = await findEmployee(deps.directory, event.employee);
  const now = deps.clock.now();
  if (user) {
    const outcome = await applyToUser(deps, event, user);
    const entry = { actorId: HR_ACTOR, action: 'applyHeldEmployeeChange', entityType: 'hrEvent', entityId: event.eventId, before: stored.value, after: outcome };
    await audited(deps, entry, shownIn('heldEmployeeChanges', stored, 'absent'), () => deps.heldChanges.release(stored));
    return 'processed';
  }
  if (now >= holdDeadline(event)) {
    const outcome: EmployeeChangeOutcome = { status: 'failed', reason: `No user has ${describeKey(event.employee)}, ${HOLD_LIMIT.toISO()} after the event took effect.` };
    const entry = { actorId: HR_ACTOR, action: 'employeeChangeFailed', entityType: 'hrEvent', entityId: event.eventId, before: stored.value, after: outcome };
    await audited(deps, entry, shownIn('heldEmployeeChanges', stored, 'absent'), () => deps.heldChanges.release(stored));
    return 'processed';
  }
  const attempts = stored.value.attempts + 1;
  // The next item first: a stop between the two writes leaves this attempt's item to run again, which finds the
  // count unchanged and schedules the same next item.
  await deps.due.schedule({ kind: 'heldEmployeeChange', dueDateTime: retryTime(deps, now, attempts), entityId: event.eventId, detail: String(attempts) });
  await deps.heldChanges.replace(stored, { ...stored.value, attempts });
  return 'processed';
}
