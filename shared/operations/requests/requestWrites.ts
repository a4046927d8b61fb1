import type { Assignment } from '../../domain/assignments/assignment';
import { DomainError, isDomainError } from '../../domain/errors';
import { COMPLETED_REQUEST_STATES, type AssignmentRequest, type RequestState } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import { GrantStore, type PackageClaim } from '../../store/grantStore';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { planNewRequestRecovery, unplanNewRequestRecovery } from '../lifecycle/planDueWork';
import type { AuditEntry } from '../../store/auditLog';
import { writeAudited } from './auditOutbox';
import { assignmentCreated } from './newAssignment';

/** Graph's free-form status for each request state, as Entra spells them. */
export const REQUEST_STATUS: Record<RequestState, string> = {
  submitted: 'Accepted',
  pendingApproval: 'PendingApproval',
  scheduled: 'Scheduled',
  delivering: 'Delivering',
  delivered: 'Delivered',
  partiallyDelivered: 'PartiallyDelivered',
  deliveryFailed: 'DeliveryFailed',
  denied: 'Denied',
  canceled: 'Canceled',
};

/**
 * The request in a new state, with its status, and completed when nothing more will happen to it. Without the
 * configuration it was decided from (`decidedFrom`): a request decided from a remembered one moves on only once its
 * check after the write has passed (carryOutAtOnce.ts), so what finishes it afterwards has nothing left to compare.
 */
export function inState(deps: EntitlementDeps, request: AssignmentRequest, state: RequestState): AssignmentRequest {
  const { decidedFrom: _checked, ...moving } = request;
  return { ...moving, state, status: REQUEST_STATUS[state], completedDateTime: COMPLETED_REQUEST_STATES.has(state) ? nowIso(deps) : null };
}

/** A request's change of state, as its requestor's doing (Portcullis carries it out on their behalf). */
export const requestEvent = (action: string, before: AssignmentRequest, after: AssignmentRequest): AuditEntry => ({
  actorId: before.requestorId,
  action,
  entityType: 'assignmentRequest',
  entityId: after.id,
  before,
  after,
});

/** The event of a request's arrival, written with it: its requestor submitted it. */
export const submitted = (request: AssignmentRequest): AuditEntry => ({ actorId: request.requestorId, action: 'submitRequest', entityType: 'assignmentRequest', entityId: request.id, before: null, after: request });

/**
 * Writes a new request with its claim on the package (and its `submitRequest` event), atomically. A claim already
 * there means the target has a request open or an assignment active for the package: a 409 naming it.
 */
export async function insertClaimedRequest(deps: EntitlementDeps, request: AssignmentRequest): Promise<StoredDocument<AssignmentRequest>> {
  return (await writeClaimedRequest(deps, request)).request;
}

/**
 * `insertClaimedRequest`, answering the claim as written too, so that carrying the request out replaces it on that
 * ETag instead of reading it again. The claim is unknown (undefined) when the write's answer was lost.
 */
export async function writeClaimedRequest(
  deps: EntitlementDeps,
  request: AssignmentRequest,
): Promise<{ request: StoredDocument<AssignmentRequest>; claim?: StoredDocument<PackageClaim> }> {
  const { grants } = deps;
  const target = GrantStore.targetKey(request.targetId);
  const claim: PackageClaim = { packageId: request.accessPackageId, requestId: request.id, assignmentId: null };
  await prepareInsert(deps, request);
  try {
    const [stored, claimed] = await writeAudited(
      deps,
      [grants.requests.insertion(target, GrantStore.requestKey(request.id), request), grants.claims.insertion(target, GrantStore.claimKey(request.accessPackageId), claim)],
      [submitted(request)],
    );
    return { request: stored as StoredDocument<AssignmentRequest>, claim: claimed as StoredDocument<PackageClaim> };
  } catch (error) {
    const inserted = await insertedDespite(deps, request);
    if (inserted === 'unknown') throw unconfirmed(error);
    if (inserted) return { request: inserted };
    await takeBackInsert(deps, request);
    if (isDomainError(error) && error.code === 'alreadyExists') throw await duplicateRequest(deps, request);
    throw error;
  }
}

/**
 * Writes a new request already carried out (`delivering`, its assignment made) with its assignment and its claim
 * naming both, in one transaction of the target's partition, with the request's three events (submitted, the
 * assignment created, delivery started). What finds and finishes them is written before (pointers, due items);
 * a refused write runs `takeBack`, so that it leaves nothing. A write whose answer was lost stands
 * (insertedDespite).
 */
export async function insertRequestWithAssignment(
  deps: EntitlementDeps,
  submittedRequest: AssignmentRequest,
  delivering: AssignmentRequest,
  assignment: Assignment,
  takeBack: () => Promise<void>,
): Promise<{ request: StoredDocument<AssignmentRequest>; assignment: StoredDocument<Assignment> }> {
  const { grants } = deps;
  const target = GrantStore.targetKey(delivering.targetId);
  const claim: PackageClaim = { packageId: delivering.accessPackageId, requestId: delivering.id, assignmentId: assignment.id };
  try {
    const [request, made] = await writeAudited(
      deps,
      [
        grants.requests.insertion(target, GrantStore.requestKey(delivering.id), delivering),
        grants.assignments.insertion(target, GrantStore.assignmentKey(assignment.id), assignment),
        grants.claims.insertion(target, GrantStore.claimKey(delivering.accessPackageId), claim),
      ],
      [submitted(submittedRequest), assignmentCreated(submittedRequest, assignment), requestEvent('startDelivery', submittedRequest, delivering)],
    );
    return { request: request as StoredDocument<AssignmentRequest>, assignment: made as StoredDocument<Assignment> };
  } catch (error) {
    const inserted = await insertedDespite(deps, delivering);
    // Not known whether it landed: nothing is taken back (the kept redelivery item finds whatever did).
    if (inserted === 'unknown') throw unconfirmed(error);
    // One transaction: the request there means its assignment is too.
    if (inserted) return { request: inserted, assignment: (await grants.assignmentOf(delivering.targetId, assignment.id))! };
    // Taken back only when the write was refused: a failure without an answer (a timeout, storage away) may still
    // commit after that read, and then its pointers and due items are what find and finish it (a redelivery, an
    // end). Should it never commit, they point at nothing and are skipped.
    const refused = isDomainError(error) && (error.code === 'alreadyExists' || error.code === 'concurrencyConflict');
    if (!refused) throw error;
    await takeBack();
    if (error.code === 'alreadyExists') throw await duplicateRequest(deps, submittedRequest);
    throw error;
  }
}

/** Writes a request that claims nothing (a removal or an update of an existing assignment), with its event. */
export async function insertRequest(deps: EntitlementDeps, request: AssignmentRequest): Promise<StoredDocument<AssignmentRequest>> {
  await prepareInsert(deps, request);
  try {
    const [stored] = await writeAudited(deps, [deps.grants.requests.insertion(GrantStore.targetKey(request.targetId), GrantStore.requestKey(request.id), request)], [submitted(request)]);
    return stored as StoredDocument<AssignmentRequest>;
  } catch (error) {
    const inserted = await insertedDespite(deps, request);
    if (inserted === 'unknown') throw unconfirmed(error);
    if (inserted) return inserted;
    await takeBackInsert(deps, request);
    throw error;
  }
}

/**
 * Before a request is written: its pointers (so it is never there without the way to find it), and a due item that
 * re-drives or ends it should this process stop before it moves on (crash window: written, not yet approved or
 * carried out, holding its claim; repaired by recoverRequest in the expiration sweep).
 */
async function prepareInsert(deps: EntitlementDeps, request: AssignmentRequest): Promise<void> {
  await deps.grants.indexRequest(request);
  await planNewRequestRecovery(deps, request);
}

/** A request refused at its insert (a duplicate) or withdrawn leaves nothing behind: not its pointers, not its recovery item. */
async function takeBackInsert(deps: EntitlementDeps, request: AssignmentRequest): Promise<void> {
  await unplanNewRequestRecovery(deps, request);
  await deps.grants.unindexRequest(request);
}

/**
 * A write can commit while its answer is lost (a dropped connection; the SDK's retry then sees "already exists").
 * The request's id is new, so a request under it is this one: the insert happened (its event, in the outbox with
 * it, is appended by the next flush of the target's outbox: its recovery item's). Taking it back as failed would
 * unindex a request that exists, leaving it unfindable while its claim locks the package. Should that read fail too,
 * the answer is 'unknown', and nothing may be taken back: what was written before the insert finds whatever landed.
 */
/** The answer when a write's outcome is not known: retryable (a retry finds the claim, or writes afresh). */
const unconfirmed = (cause: unknown) =>
  new DomainError('dependencyUnavailable', 'Storage did not confirm whether the request was written; if it was, it is carried out.', { cause });

async function insertedDespite(deps: EntitlementDeps, request: AssignmentRequest): Promise<StoredDocument<AssignmentRequest> | undefined | 'unknown'> {
  let found: StoredDocument<AssignmentRequest> | undefined;
  try {
    found = await deps.grants.requestOf(request.targetId, request.id);
  } catch {
    return 'unknown';
  }
  return found && found.value.createdDateTime === request.createdDateTime ? found : undefined;
}

/**
 * Takes back a request accepted a moment ago whose processing failed before it changed: its claim goes and the
 * request with it, so the caller's error is the whole story and a retry starts afresh. A request that did change
 * (an approval started, an assignment written, canceled meanwhile) stays, to be finished by reprocess or the
 * sweeps. The check and the change are one decision: the request is closed on the ETag it was written with, in
 * one transaction with its claim, so a cancel in between wins and is kept. Crash window: closed but not yet
 * deleted leaves a canceled request, which is complete as it is.
 */
export async function withdrawUnchangedRequest(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>): Promise<void> {
  const { grants } = deps;
  const request = stored.value;
  let withdrawn: StoredDocument<AssignmentRequest>;
  try {
    const canceled = { ...inState(deps, request, 'canceled'), status: 'Withdrawn' };
    withdrawn = await closeRequest(deps, stored, canceled, { actorId: request.requestorId, action: 'withdrawRequest', entityType: 'assignmentRequest', entityId: request.id, before: request, after: canceled });
  } catch (error) {
    if (isDomainError(error) && ['concurrencyConflict', 'notFound'].includes(error.code)) return;
    throw error;
  }
  await grants.requests.delete(withdrawn);
  await takeBackInsert(deps, request);
}

async function duplicateRequest(deps: EntitlementDeps, request: AssignmentRequest): Promise<DomainError> {
  const held = (await deps.grants.claimOf(request.targetId, request.accessPackageId))?.value;
  const what = held?.assignmentId
    ? `an active assignment ('${held.assignmentId}')`
    : held?.requestId
      ? `an open request ('${held.requestId}')`
      : 'an open request or an active assignment';
  return new DomainError('conflict', `The target already has ${what} for access package '${request.accessPackageId}'; a second request is not accepted.`);
}

/** Saves a request that ends without an assignment (denied, canceled), giving up its claim in the same write, with its event. */
export async function closeRequest(
  deps: EntitlementDeps,
  stored: StoredDocument<AssignmentRequest>,
  closed: AssignmentRequest,
  ...events: AuditEntry[]
): Promise<StoredDocument<AssignmentRequest>> {
  const { grants } = deps;
  const claim = await grants.claimOf(closed.targetId, closed.accessPackageId);
  const releases = claim && claim.value.requestId === closed.id && claim.value.assignmentId === null;
  const [saved] = await writeAudited(deps, [grants.requests.replacement(stored, closed), ...(releases ? [grants.claims.deletion(claim)] : [])], events);
  return saved as StoredDocument<AssignmentRequest>;
}

/** Saves a request's change (on the ETag it was read with) together with its events. */
export async function replaceRequest(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>, changed: AssignmentRequest, events: readonly AuditEntry[]): Promise<StoredDocument<AssignmentRequest>> {
  const [saved] = await writeAudited(deps, [deps.grants.requests.replacement(stored, changed)], events);
  return saved as StoredDocument<AssignmentRequest>;
}

/** Saves a request and its assignment together (both live in the target's partition), with their events. */
export async function saveRequestWithAssignment(
  deps: EntitlementDeps,
  request: { stored: StoredDocument<AssignmentRequest>; value: AssignmentRequest },
  assignment: { stored?: StoredDocument<Assignment>; value: Assignment },
  events: readonly AuditEntry[],
  claim?: { stored?: StoredDocument<PackageClaim>; value: PackageClaim | null },
): Promise<{ request: StoredDocument<AssignmentRequest>; assignment: StoredDocument<Assignment> }> {
  const { grants } = deps;
  const target = GrantStore.targetKey(assignment.value.targetId);
  const claimWrites = !claim
    ? []
    : claim.value === null
      ? claim.stored
        ? [grants.claims.deletion(claim.stored)]
        : []
      : claim.stored
        ? [grants.claims.replacement(claim.stored, claim.value)]
        : [grants.claims.insertion(target, GrantStore.claimKey(claim.value.packageId), claim.value)];
  const [savedRequest, savedAssignment] = await writeAudited(
    deps,
    [
      grants.requests.replacement(request.stored, request.value),
      assignment.stored
        ? grants.assignments.replacement(assignment.stored, assignment.value)
        : grants.assignments.insertion(target, GrantStore.assignmentKey(assignment.value.id), assignment.value),
      ...claimWrites,
    ],
    events,
  );
  return { request: savedRequest as StoredDocument<AssignmentRequest>, assignment: savedAssignment as StoredDocument<Assignment> };
}
