import type { Assignment } from '../../domain/assignments/assignment';
import { additions, STATUS_OF_STATE } from '../../domain/assignments/deliveryState';
import { isDomainError } from '../../domain/errors';
import { SYSTEM_ACTOR, type AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import type { PackageSnapshot, StoredPolicy } from '../../store/entitlementStore';
import { directoryRoleOf } from '../assignments/directoryRoles';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { cancelRemoval } from '../externalUsers/guestLifecycle';
import { assignmentEndItems, dueItem, PENDING_GRACE_MS, planRedelivery } from '../lifecycle/planDueWork';
import { writeAudited } from './auditOutbox';
import { isRetiring } from '../entitlements/parentCheck';
import { deliver, policyStanding } from './fulfilRequest';
import { newAssignment } from './newAssignment';
import { inState, insertRequestWithAssignment } from './requestWrites';
import { carryOut, systemRemovalOf } from './systemRequests';

/**
 * A request carried out at once (no approval, no later start, a user in the directory: its id and its
 * assignment's are of one group, submitAssignmentRequest.ts), written as made: the request, its assignment and its
 * claim in one transaction, instead of the request first and its assignment after. Everything that finds or
 * finishes them is written before: the pointers, the assignment's end, and the redelivery item, which is what
 * finishes it should this process stop after the write (so it needs no recovery item: before the write nothing
 * holds a claim).
 *
 * Its policy is checked after the write (write-then-check), as the request alone was checked before: with the
 * delete (which marks the policy, then looks for the assignments under it through their pointers, written before
 * this write) either this check sees the mark, or the delete finds the assignment and is refused. A policy found
 * going undoes the assignment before any directory change (undoUnstanding); should this process stop between the
 * write and the check, the redelivery checks it before applying anything (reconcileSweep.ts).
 *
 * Answers the request as accepted, as Graph does (`submitted`).
 */
export async function carryOutAtOnce(
  deps: EntitlementDeps,
  request: AssignmentRequest,
  facts: { configuration: PackageSnapshot; policy: StoredPolicy; assignmentId: string },
): Promise<AssignmentRequest> {
  // The roles as the configuration held them a moment ago: one put in since reaches this assignee by its package
  // role change (planned before the role scope is written), as for any assignment.
  const roles = facts.configuration.roleScopes.map(directoryRoleOf);
  const delivering = { ...inState(deps, request, 'delivering'), assignmentId: facts.assignmentId };
  const assignment = newAssignment(deps, request, additions(roles), facts.assignmentId);
  const ends = assignmentEndItems(deps, assignment, facts.policy.requestorSettings.enableTargetsToSelfUpdateAccess);
  const redelivery = dueItem(deps, 'redelivery', deps.clock.now().plus(PENDING_GRACE_MS), assignment.id);
  // Independent of one another (other partitions and tables), and all before the write: written at once.
  await Promise.all([
    deps.grants.indexRequest(request, assignment.id),
    deps.grants.indexAssignment(assignment, { locatorWritten: true }),
    ...ends.map((item) => deps.due.schedule(item)),
    deps.redeliveries.schedule(redelivery),
  ]);
  // A refused write (a duplicate: the claim is there) leaves nothing behind.
  const takeBack = async () => {
    await deps.redeliveries.unscheduleAll([redelivery]);
    await deps.due.unscheduleAll(ends);
    await deps.grants.unindexAssignee(assignment);
    await deps.grants.unindexRequest(request, assignment.id);
  };
  const written = await insertRequestWithAssignment(deps, request, delivering, assignment, takeBack);
  try {
    await policyStanding(deps, request);
  } catch (error) {
    if (isDomainError(error)) await undoUnstanding(deps, written, error.message);
    throw error;
  }
  // A governed guest assigned again before their removal keeps their account. Should lifting the block fail, the
  // plan stays and its deletion item, finding them assigned, cancels it then.
  await cancelRemoval(deps, request.targetId).catch(() => undefined);
  await deliver(deps, written.request, written.assignment, { retryFailed: false, packageName: facts.configuration.accessPackage.displayName });
  return request;
}

/**
 * An assignment nothing of which was applied yet (every operation an addition still pending, never tried): the
 * state a request carried out at once leaves between its write and its policy's check.
 */
export function neverApplied(assignment: Assignment): boolean {
  return assignment.state === 'delivering' && assignment.operations.every((o) => o.action === 'add' && o.state === 'pending' && o.attempts === 0);
}

/**
 * The redelivery's check of an assignment never applied (its process may have stopped before checking its
 * policy). A policy gone means nothing was applied: had that process's check passed, the delete would have begun
 * after it, found this active assignment and been refused; so the assignment is undone ('undone'). A delete under
 * way (its mark) is not decided yet: it may still be refused by this very assignment, which a process past its
 * check may have begun to apply; the redelivery is then planned again, for after the mark is gone ('deferred').
 */
export async function policyCheckOfNeverApplied(deps: EntitlementDeps, stored: StoredDocument<Assignment>): Promise<'standing' | 'undone' | 'deferred'> {
  const request = await deps.grants.requestOf(stored.value.targetId, stored.value.requestId);
  if (!request || request.value.state !== 'delivering') return 'standing';
  try {
    await policyStanding(deps, request.value);
    return 'standing';
  } catch (error) {
    if (!isDomainError(error)) throw error;
    if (await isRetiring(deps, { kind: 'assignmentPolicy', id: stored.value.assignmentPolicyId })) {
      await planRedelivery(deps, stored.value.id, deps.clock.now().plus(PENDING_GRACE_MS));
      return 'deferred';
    }
    await undoUnstanding(deps, { request, assignment: stored }, error.message);
    return 'undone';
  }
}

/**
 * Undoes an addition whose policy was found gone after its write: the assignment ends with nothing to remove, the
 * request is refused as fulfilOrDeny refuses one (kept, with the reason), and the claim is released, in one
 * transaction on the ETags written, with their events. That it wins means nothing was applied: operations are
 * written to the assignment before anyone applies them. Should it lose (a role put into the package was carried to
 * this assignee meanwhile, or a removal came), the assignment, if still active, is ended as any other is, by a
 * system removal that takes away whatever it was given.
 */
async function undoUnstanding(
  deps: EntitlementDeps,
  written: { request: StoredDocument<AssignmentRequest>; assignment: StoredDocument<Assignment> },
  reason: string,
): Promise<void> {
  const { grants } = deps;
  const request = written.request.value;
  const denied = { ...inState(deps, request, 'denied'), status: 'FulfilmentRefused' };
  const ended: Assignment = { ...written.assignment.value, state: 'expired', status: STATUS_OF_STATE.expired, expiredDateTime: nowIso(deps), operations: [] };
  const claim = await grants.claimOf(request.targetId, request.accessPackageId);
  const releases = claim?.value.assignmentId === ended.id;
  try {
    await writeAudited(
      deps,
      [grants.requests.replacement(written.request, denied), grants.assignments.replacement(written.assignment, ended), ...(releases ? [grants.claims.deletion(claim)] : [])],
      [
        { actorId: SYSTEM_ACTOR, action: 'endAssignment', entityType: 'assignment', entityId: ended.id, before: written.assignment.value, after: ended },
        { actorId: SYSTEM_ACTOR, action: 'denyRequest.unfulfillable', entityType: 'assignmentRequest', entityId: denied.id, before: request, after: { ...denied, reason } },
      ],
    );
  } catch (error) {
    if (!isDomainError(error) || error.code !== 'concurrencyConflict') throw error;
    const current = await grants.assignmentOf(ended.targetId, ended.id);
    if (current && current.value.state !== 'expired') await carryOut(deps, systemRemovalOf(deps, current.value, reason));
    return;
  }
  await grants.unindexAssignee(ended);
}
