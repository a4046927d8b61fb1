import { DateTime } from 'luxon';
import { midpointOf, nextOccurrence, occurrenceAt, type ReviewOccurrence } from '../../domain/reviews/reviewSchedule';
import type { ReviewInstance } from '../../domain/reviews/accessReview';
import type { ReviewKind } from '../../store/dueWork';
import type { StoredPolicy } from '../../store/entitlementStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { schedule } from '../lifecycle/planDueWork';

/** The open item names its occurrence, `index|start`: the sweep opens it only while the policy's schedule still has it. */
export const occurrenceDetail = (occurrence: ReviewOccurrence) => `${occurrence.index}|${occurrence.start.toUTC().toISO()}`;

const review = (deps: EntitlementDeps, kind: ReviewKind, at: DateTime, entityId: string, detail: string) => schedule(deps, deps.reviewDue, kind, at, entityId, detail);

/**
 * Plans the next review of a policy (one under way now, or the next to start), when its reviews are enabled:
 * called when the policy is written, and when an occurrence opens (for the one after it). An item of a schedule the
 * policy no longer has is dropped when it comes due; an occurrence opened already is not opened again.
 */
export async function planNextReview(deps: EntitlementDeps, policy: StoredPolicy, after?: ReviewOccurrence): Promise<void> {
  const settings = policy.reviewSettings;
  if (!settings?.isEnabled) return;
  const next = after ? occurrenceAt(settings, after.index + 1) : nextOccurrence(settings, deps.clock.now());
  if (next) await review(deps, 'reviewOpen', next.start, policy.id, occurrenceDetail(next));
}

/** An opened instance's midpoint reminder and its end. */
export async function planInstance(deps: EntitlementDeps, instance: ReviewInstance, start: DateTime, end: DateTime): Promise<void> {
  await review(deps, 'reviewReminder', midpointOf(start, end), instance.id, instance.definitionId);
  await review(deps, 'reviewEnd', end, instance.id, instance.definitionId);
}

/**
 * How long after a stop its end's item comes due: an invocation ends within host.json's `functionTimeout` (10
 * minutes), so by then the stop's own application is over, done or cut off, and the sweep does not apply it alongside.
 */
const STOPPED_END_AFTER = { minutes: 10 };

/** A stopped instance's end: the sweep applies it if the stop's own application is cut off or leaves a removal failed. */
export async function planStoppedEnd(deps: EntitlementDeps, instance: ReviewInstance): Promise<void> {
  const at = deps.clock.now().plus(STOPPED_END_AFTER);
  // Its planned end's item comes first and carries it: a second item would apply it beside that one.
  if (DateTime.fromISO(instance.endDateTime) <= at) return;
  await review(deps, 'reviewEnd', at, instance.id, instance.definitionId);
}
