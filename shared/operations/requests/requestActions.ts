import { AUDIT_SETTLE_MINUTES, audited, shownIn } from '../audit/auditedChange';
import { DateTime } from 'luxon';
import type { Caller } from '../../auth/caller';
import type { DeliveryOperation } from '../../domain/assignments/assignment';
import { DomainError, isDomainError } from '../../domain/errors';
import { mapConcurrently } from '../../concurrently';
import { SYSTEM_ACTOR, type AssignmentRequest, type RequestState } from '../../domain/requests/assignmentRequest';
import { currentStage } from '../../domain/requests/approvalStages';
import { type Actor, type EntitlementDeps } from '../entitlements/entitlementDeps';
import { deliver, effectOf } from './fulfilRequest';
import { PENDING_GRACE_MS, planRedelivery } from '../lifecycle/planDueWork';
import { findRequest } from './requestQueries';
import { closeRequest, inState, replaceRequest } from './requestWrites';
import { publishingOnceAfter } from './auditOutbox';
import { ownTargetId } from './requestors';
import type { StoredDocument } from '../../store/documentTable';

const CANCELABLE: ReadonlySet<RequestState> = new Set(['submitted', 'pendingApproval', 'scheduled']);
/** Graph deletes only denied or completed requests; a failed one is kept, since reprocessing it needs it. */
const DELETABLE: ReadonlySet<RequestState> = new Set(['delivered', 'denied', 'canceled']);
/** Graph: reprocess works "only within 14 days of the original completion"; after that, request anew. */
const REPROCESS_WINDOW_DAYS = 14;

/** POST assignmentRequests/{id}/cancel: the requestor (or an administrator) withdraws a request not yet delivered. */
export async function cancelRequest(deps: EntitlementDeps, caller: Caller, id: string): Promise<void> {
  const stored = await findRequest(deps, id);
  const request = stored.value;
  // An external requestor is known by the subject their requests are filed under (DESIGN §2.4).
  const me = await ownTargetId(deps, caller);
  if (me === undefined || request.requestorId.toLowerCase() !== me.toLowerCase()) await deps.accessOf(caller).require('manageAssignments', request.catalogId);
  if (!CANCELABLE.has(request.state)) {
    throw new DomainError('invalidRequest', `Assignment request '${id}' is ${request.state}; only submitted, pending or scheduled requests can be canceled.`);
  }
  const canceled = inState(deps, request, 'canceled');
  await closeRequest(deps, stored, canceled, { actorId: caller.objectId, action: 'cancelRequest', entityType: 'assignmentRequest', entityId: id, before: request, after: canceled });
  const stage = request.approval && currentStage(request.approval);
  if (stage) await deps.grants.unindexApprovers(id, stage.approverIds);
}

/**
 * Cancels the open requests for a package (or for one of its policies) when it is being deleted, each audited,
 * rather than letting them fail when approved or started later. Open means holding a claim without an
 * assignment: submitted, pending approval, scheduled, or approved and not yet carried out. Each is canceled on
 * the ETag it was read with: a request carried out at that moment wins, and its assignment then refuses the delete.
 */
export async function cancelRequestsUnder(deps: EntitlementDeps, actor: Actor, scope: { packageId: string; policyId?: string }, reason: string): Promise<void> {
  const open = (await deps.grants.requestsForPackage(scope.packageId)).filter(
    (r) => (scope.policyId === undefined || r.value.assignmentPolicyId === scope.policyId) && isOpen(r.value),
  );
  await mapConcurrently(open, (stored) => cancelOpenRequest(deps, actor, stored, reason));
}

/**
 * Cancels one open request, audited with the reason, on the ETag it was read with: a request carried out at that
 * moment wins (false).
 */
export async function cancelOpenRequest(deps: EntitlementDeps, actor: Actor, stored: StoredDocument<AssignmentRequest>, reason: string): Promise<boolean> {
  const request = stored.value;
  const canceled = inState(deps, request, 'canceled');
  try {
    await closeRequest(deps, stored, canceled, { actorId: actor.objectId, action: 'cancelRequest', entityType: 'assignmentRequest', entityId: request.id, before: request, after: { ...canceled, reason } });
  } catch (error) {
    if (isDomainError(error) && error.code === 'concurrencyConflict') return false;
    throw error;
  }
  const stage = request.approval && currentStage(request.approval);
  if (stage) await deps.grants.unindexApprovers(request.id, stage.approverIds);
  return true;
}

/** Whether a request is open: an addition holding its claim without an assignment yet. */
export function isOpen(request: AssignmentRequest): boolean {
  if (effectOf(request) !== 'add') return false;
  return CANCELABLE.has(request.state) || (request.state === 'delivering' && request.assignmentId === null);
}

/** DELETE assignmentRequests/{id}: only a finished request whose assignment (if it made one) has ended. */
export async function deleteRequest(deps: EntitlementDeps, caller: Caller, id: string): Promise<void> {
  const stored = await findRequest(deps, id);
  const request = stored.value;
  if (!DELETABLE.has(request.state)) {
    throw new DomainError('invalidRequest', `Assignment request '${id}' is ${request.state}; only delivered, denied or canceled requests can be deleted.`);
  }
  refuseWhileEventsSettle(deps, request);
  if (effectOf(request) === 'add' && request.assignmentId) {
    const assignment = await deps.grants.assignmentOf(request.targetId, request.assignmentId);
    if (assignment && assignment.value.state !== 'expired') {
      throw new DomainError('conflict', `Assignment request '${id}' still has an active assignment ('${request.assignmentId}'); remove it first.`);
    }
  }
  const entry = { actorId: caller.objectId, action: 'deleteRequest', entityType: 'assignmentRequest', entityId: id, before: request, after: null };
  await audited(deps, entry, shownIn('accessGrants', stored, 'absent'), () => deps.grants.requests.delete(stored));
  await deps.grants.unindexRequest(request);
}

/**
 * The system's bulk grants and ends (assignInBulk, carryOutRemovals) write their events ahead, shown by the request's
 * row: should their process stop before appending them, the expiration sweep appends them once settled, if the row is
 * there. So such a request is not deleted until then: deleted sooner, its change would stand without its events. The
 * sweep runs every minute, and its items are due a settle time after they are written: twice that leaves it a settle
 * time to come round (a sweep stopped for longer still loses them).
 */
function refuseWhileEventsSettle(deps: EntitlementDeps, request: AssignmentRequest): void {
  if (request.requestorId !== SYSTEM_ACTOR || !request.completedDateTime) return;
  const settled = DateTime.fromISO(request.completedDateTime, { zone: 'utc' }).plus({ minutes: DELETABLE_AFTER_MINUTES });
  if (deps.clock.now() < settled) {
    throw new DomainError('conflict', `Assignment request '${request.id}' was completed by Portcullis less than ${DELETABLE_AFTER_MINUTES} minutes ago, and its audit events may still be on their way; delete it after ${settled.toISO()}.`);
  }
}
const DELETABLE_AFTER_MINUTES = 2 * AUDIT_SETTLE_MINUTES;

/**
 * POST assignmentRequests/{id}/reprocess: applies again what a partly or wholly failed delivery left undone, as one
 * pipeline (its events appended together at its end, auditOutbox.ts).
 */
export function reprocessRequest(deps: EntitlementDeps, caller: Caller, id: string): Promise<void> {
  return publishingOnceAfter(deps, () => reprocess(deps, caller, id));
}

async function reprocess(deps: EntitlementDeps, caller: Caller, id: string): Promise<void> {
  const stored = await findRequest(deps, id);
  const request = stored.value;
  if (request.state !== 'deliveryFailed' && request.state !== 'partiallyDelivered') {
    throw new DomainError('invalidRequest', `Assignment request '${id}' is ${request.state}; only deliveryFailed or partiallyDelivered requests can be reprocessed.`);
  }
  const completed = request.completedDateTime ? DateTime.fromISO(request.completedDateTime) : undefined;
  if (completed && deps.clock.now().diff(completed, 'days').days > REPROCESS_WINDOW_DAYS) {
    throw new DomainError('invalidRequest', `Assignment request '${id}' completed more than ${REPROCESS_WINDOW_DAYS} days ago; submit a new request instead.`);
  }
  const assignment = request.assignmentId ? await deps.grants.assignmentOf(request.targetId, request.assignmentId) : undefined;
  if (!assignment) throw new DomainError('notFound', `The assignment of request '${id}' was not found.`);
  if (effectOf(request) === 'add' && assignment.value.state === 'expired') {
    throw new DomainError('invalidRequest', `The assignment of request '${id}' has ended since; nothing is left to deliver.`);
  }
  // Asked for by an administrator, the failed operations are tried afresh, as assignments/{id}/reprocess does:
  // MAX_ATTEMPTS bounds the sweep's own retries, not this. Reset before the request is reopened, so a crash between
  // the two leaves the request deliveryFailed, to be reprocessed again.
  const afresh = await deps.grants.assignments.replace(assignment, { ...assignment.value, operations: assignment.value.operations.map(triedAfresh) });
  // Its events are appended at the pipeline's end, after the delivery: should the process stop in between, this
  // item brings the request up to date and appends them (the failed delivery's own items may be used up).
  await planRedelivery(deps, assignment.value.id, deps.clock.now().plus(PENDING_GRACE_MS));
  const delivering = inState(deps, request, 'delivering');
  const reopened = await replaceRequest(deps, stored, delivering, [{ actorId: caller.objectId, action: 'reprocessRequest', entityType: 'assignmentRequest', entityId: id, before: request, after: delivering }]);
  await deliver(deps, reopened, afresh, { retryFailed: true });
}

const triedAfresh = (operation: DeliveryOperation): DeliveryOperation => (operation.state === 'failed' ? { ...operation, state: 'pending', attempts: 0 } : operation);
