import { DateTime } from 'luxon';
import type { Assignment, DeliveryAction, DirectoryRole } from '../../domain/assignments/assignment';
import type { ApprovalStage } from '../../domain/policies';
import { durationMillis } from '../../domain/policies/durations';
import type { ApprovalStageRecord, AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { assignmentEnd } from '../../domain/requests/requestRequirements';
import type { DueItem, DueWorkStore, ExpirationKind } from '../../store/dueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/** Entra reminds the target 14 days and 1 day before an assignment they may extend ends. */
export const REMINDER_LEAD_DAYS = [14, 1] as const;

/**
 * Writes an item of the due-time index. One due in the past (a reminder whose day has gone) is due now, so the
 * sweep, which reads from its last minute on, still finds it.
 */
export async function schedule<K extends string>(deps: EntitlementDeps, index: DueWorkStore<K>, kind: K, at: DateTime, entityId: string, detail = '', role?: DirectoryRole): Promise<void> {
  await index.schedule(dueItem(deps, kind, at, entityId, detail, role ? { role } : {}));
}

/** The item `schedule` writes (due now when `at` has passed), for writing many at once (DueWorkStore.scheduleAll). */
export function dueItem<K extends string>(deps: EntitlementDeps, kind: K, at: DateTime, entityId: string, detail = '', extra: Pick<DueItem<K>, 'role' | 'targetId'> = {}): DueItem<K> {
  const now = deps.clock.now();
  return { kind, dueDateTime: (at < now ? now : at).toUTC().toISO()!, entityId, detail, ...extra };
}

const expiration = (deps: EntitlementDeps, kind: ExpirationKind, at: DateTime, entityId: string, detail = '') => schedule(deps, deps.due, kind, at, entityId, detail);

/** An assignment's end, and the reminders before it when its target may extend it themselves. */
export async function planAssignmentEnd(deps: EntitlementDeps, assignment: Assignment, extendable: boolean): Promise<void> {
  for (const item of assignmentEndItems(deps, assignment, extendable)) await deps.due.schedule(item);
}

/** The items planAssignmentEnd writes, for a caller that may have to take them back (carryOutAtOnce.ts). */
export function assignmentEndItems(deps: EntitlementDeps, assignment: Assignment, extendable: boolean): DueItem<ExpirationKind>[] {
  const end = assignmentEnd(assignment.schedule);
  if (!end) return [];
  // Its target goes with it: the sweep then reads the assignment by key (expireAssignments.ts).
  const items: DueItem<ExpirationKind>[] = [dueItem(deps, 'assignmentEnd', end, assignment.id, end.toUTC().toISO()!, { targetId: assignment.targetId })];
  if (!extendable) return items;
  for (const days of REMINDER_LEAD_DAYS) {
    const at = end.minus({ days });
    if (at > deps.clock.now()) items.push(dueItem(deps, 'expiryReminder', at, assignment.id, `${days}|${end.toUTC().toISO()}`));
  }
  return items;
}

/** A request waiting for its start. */
export async function planScheduledStart(deps: EntitlementDeps, request: AssignmentRequest): Promise<void> {
  if (request.schedule.startDateTime) await expiration(deps, 'scheduledStart', DateTime.fromISO(request.schedule.startDateTime), request.id);
}

/** A stage's automatic denial and, when the policy asks for it, its escalation. */
export async function planStage(deps: EntitlementDeps, request: AssignmentRequest, stage: ApprovalStageRecord, settings: ApprovalStage): Promise<void> {
  const started = DateTime.fromISO(stage.startedDateTime ?? deps.clock.now().toUTC().toISO()!);
  await expiration(deps, 'stageTimeout', started.plus({ milliseconds: durationMillis(settings.durationBeforeAutomaticDenial) }), request.id, stage.id);
  if (settings.isEscalationEnabled) {
    await expiration(deps, 'stageEscalation', started.plus({ milliseconds: durationMillis(settings.durationBeforeEscalation) }), request.id, stage.id);
  }
}

/**
 * How long operations may stay pending before the reconcile sweep applies them: delivery normally follows within a
 * second; pending past this, the process that stored them stopped before applying them.
 */
export const PENDING_GRACE_MS = 5 * 60_000;

/** Failed or pending delivery of an assignment, to be applied again at `at` (the reconcile sweep). */
export async function planRedelivery(deps: EntitlementDeps, assignmentId: string, at: DateTime): Promise<void> {
  await schedule(deps, deps.redeliveries, 'redelivery', at, assignmentId);
}

/**
 * A role added to or taken out of a package, to be carried to (or from) its assignees at `at`, in batches, by the
 * reconcile sweep: the durable record of the change, written before the role scope is inserted or deleted.
 */
export async function planPackageRoleChange(deps: EntitlementDeps, packageId: string, role: DirectoryRole, action: DeliveryAction, at: DateTime): Promise<void> {
  await schedule(deps, deps.redeliveries, 'packageRoleChange', at, packageId, `${action}|${role.roleScopeId}`, role);
}

/**
 * A request written or approved a moment ago, to be looked at again once it should have moved on: if the process
 * carrying it out stopped first, the expiration sweep re-drives it (or ends it) rather than leave it holding its
 * claim for ever.
 */
export async function planRequestRecovery(deps: EntitlementDeps, requestId: string, from = deps.clock.now()): Promise<void> {
  await expiration(deps, 'requestRecovery', from.plus(PENDING_GRACE_MS), requestId);
}

/** A new request's recovery item counts from its creation, so that taking the request back can find it again. */
export const planNewRequestRecovery = (deps: EntitlementDeps, request: AssignmentRequest) => planRequestRecovery(deps, request.id, DateTime.fromISO(request.createdDateTime));

/** Takes back the recovery item of a new request that was refused or withdrawn: nothing of it is left. */
export async function unplanNewRequestRecovery(deps: EntitlementDeps, request: AssignmentRequest): Promise<void> {
  const due = DateTime.fromISO(request.createdDateTime).plus(PENDING_GRACE_MS).toUTC().toISO()!;
  await deps.due.unschedule({ kind: 'requestRecovery', dueDateTime: due, entityId: request.id, detail: '' });
}

/**
 * An HR event to apply at `at`: its effectiveAt when that is ahead, otherwise a while after it is received, so that
 * an event whose process stopped before applying it (or whose effect failed) is applied by the expiration sweep.
 */
export async function planHrEvent(deps: EntitlementDeps, eventId: string, at: DateTime): Promise<void> {
  await expiration(deps, 'hrEvent', at, eventId);
}

/** The deliveries signed in `minute` (`yyyy-MM-ddTHH:mm`), forgotten at `at`; planned once for all of them. */
export async function planHrDeliveryExpiry(deps: EntitlementDeps, minute: string, at: DateTime): Promise<void> {
  await expiration(deps, 'hrDeliveryExpiry', at, minute);
}
