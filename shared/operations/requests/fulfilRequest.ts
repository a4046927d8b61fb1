import type { Assignment } from '../../domain/assignments/assignment';
import { additions, deliveryState, removals, STATUS_OF_STATE } from '../../domain/assignments/deliveryState';
import { DomainError } from '../../domain/errors';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { assignmentEnd, isScheduledStart } from '../../domain/requests/requestRequirements';
import { PENDING_GRACE_MS, planAssignmentEnd, planRedelivery, planScheduledStart } from '../lifecycle/planDueWork';
import { accessDelivered } from '../notifications/messages';
import { about, notify } from '../notifications/notify';
import type { StoredDocument } from '../../store/documentTable';
import type { PackageSnapshot, StoredPolicy } from '../../store/entitlementStore';
import type { PackageClaim } from '../../store/grantStore';
import { applyOperations, type PackageRoles } from '../assignments/applyOperations';
import { directoryRoleOf, rolesOfPackage } from '../assignments/directoryRoles';
import { checkSeparationOfDuties } from './separationOfDuties';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { inState, replaceRequest, requestEvent, saveRequestWithAssignment } from './requestWrites';
import { assignmentCreated, newAssignment } from './newAssignment';
import { isRetiring } from '../entitlements/parentCheck';
import { keptPackageConfiguration } from '../entitlements/packageConfiguration';
import { bindRequestTarget } from '../externalUsers/bindRequestTarget';
import { blockAtOnce, cancelRemoval, planRemovalIfLast, type TargetAsRead } from '../externalUsers/guestLifecycle';

/** What a request does once approved (or when it needs no approval), by its type. */
export type RequestEffect = 'add' | 'remove' | 'update';

export function effectOf(request: Pick<AssignmentRequest, 'requestType'>): RequestEffect {
  const type = request.requestType.toLowerCase();
  return type.endsWith('add') ? 'add' : type.endsWith('remove') ? 'remove' : 'update';
}

/**
 * Carries out an approved request: desired state first (the assignment with its pending directory operations,
 * saved with the request in one write), then delivery. A crash in between leaves the operations stored, for
 * reprocess and the reconcile sweep to apply.
 */
export async function fulfilRequest(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>, known: KnownFacts = {}): Promise<StoredDocument<AssignmentRequest>> {
  switch (effectOf(stored.value)) {
    case 'add':
      return grantAccess(deps, stored, known);
    case 'remove':
      return removeAccess(deps, stored);
    case 'update':
      return updateAccess(deps, stored);
  }
}

/**
 * What the pipeline has read or written already when it carries a request out at once (its submit), so that it is
 * not read again: the claim as written with the request (replaced on that ETag), the package's configuration as
 * the submit read it (its role scopes, its name for the mail; packageConfiguration.ts), the target as the directory
 * had them (an enabled member has no removal to cancel: guestLifecycle.ts cancelRemoval).
 */
export interface KnownFacts {
  claim?: StoredDocument<PackageClaim> | undefined;
  configuration?: PackageSnapshot | undefined;
  target?: TargetAsRead | undefined;
}

async function grantAccess(deps: EntitlementDeps, submitted: StoredDocument<AssignmentRequest>, known: KnownFacts): Promise<StoredDocument<AssignmentRequest>> {
  const policy = await policyStanding(deps, submitted.value);
  // A future start waits in `scheduled`, holding its claim; the expiration sweep delivers it at its start.
  if (isScheduledStart(submitted.value.schedule, deps.clock.now())) {
    await planScheduledStart(deps, submitted.value);
    const scheduled = inState(deps, submitted.value, 'scheduled');
    return replaceRequest(deps, submitted, scheduled, [requestEvent('scheduleRequest', submitted.value, scheduled)]);
  }
  // Someone not yet in the directory is invited now, and the request becomes their user's.
  const bound = await bindRequestTarget(deps, submitted);
  if (bound.kind === 'stopped') return bound.stored;
  const stored = bound.stored;
  const request = stored.value;
  // Checked again after approval: that may take days, and the target may have gained an incompatible package since.
  if (request.approval) await checkSeparationOfDuties(deps, request.targetId, request.accessPackageId);
  // The roles as the package's configuration held them at the submit, a moment ago: a role put in since is carried
  // to the package's assignees (this one among them: indexed below) by its package role change, as it is today.
  const roles = known.configuration ? known.configuration.roleScopes.map(directoryRoleOf) : await rolesOfPackage(deps, request.accessPackageId);
  const assignment = newAssignment(deps, request, additions(roles));
  await deps.grants.indexAssignment(assignment);
  await planEnd(deps, assignment, policy);
  // Should this process stop before the operations are applied, the reconcile sweep applies them.
  await planRedelivery(deps, assignment.id, deps.clock.now().plus(PENDING_GRACE_MS));
  // The claim written with the request, unless the request was refiled since (an invited subject's, now their user's).
  const refiled = stored.partitionKey !== submitted.partitionKey;
  const claim = (refiled ? undefined : known.claim) ?? (await deps.grants.claimOf(request.targetId, request.accessPackageId));
  const delivering = { ...inState(deps, request, 'delivering'), assignmentId: assignment.id };
  const saved = await saveRequestWithAssignment(
    deps,
    { stored, value: delivering },
    { value: assignment },
    [
      assignmentCreated(request, assignment),
      requestEvent('startDelivery', request, delivering),
    ],
    { stored: claim, value: { packageId: request.accessPackageId, requestId: request.id, assignmentId: assignment.id } },
  );
  // A governed guest assigned again before their removal keeps their account. Should lifting the block fail, the
  // plan stays and its block item comes due again a few minutes on: finding them assigned, it lifts and cancels.
  await cancelRemoval(deps, request.targetId, refiled ? undefined : known.target).catch(() => undefined);
  return deliver(deps, saved.request, saved.assignment, { retryFailed: false, packageName: known.configuration?.accessPackage.displayName });
}

async function removeAccess(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>): Promise<StoredDocument<AssignmentRequest>> {
  const request = stored.value;
  const assignment = await assignmentOf(deps, request);
  if (assignment.value.state === 'expired') throw new DomainError('invalidRequest', `Assignment '${assignment.value.id}' has already ended.`);
  const ended: Assignment = {
    ...assignment.value,
    state: 'expired',
    status: STATUS_OF_STATE.expired,
    expiredDateTime: nowIso(deps),
    // What this assignment was given (its additions), not what the package grants now; additions not yet made
    // are dropped with the rest, so a later retry cannot grant what was just taken away. Roles another assignment
    // still gives are kept when the removals are applied (applyOperations), not now. A removal not yet done (a
    // role taken out of the package, its withdrawal failed or pending) stays, to be applied with the others.
    operations: removals(assignment.value.operations.filter((o) => o.action === 'add' || o.state !== 'done').map((o) => o.role)),
    endedByRequestId: request.id,
  };
  const claim = await deps.grants.claimOf(request.targetId, request.accessPackageId);
  await planRedelivery(deps, ended.id, deps.clock.now().plus(PENDING_GRACE_MS));
  // A governed guest's last assignment: their block and deletion are planned before the end is saved.
  await planRemovalIfLast(deps, assignment.value);
  const delivering = inState(deps, request, 'delivering');
  const saved = await saveRequestWithAssignment(
    deps,
    { stored, value: delivering },
    { stored: assignment, value: ended },
    [
      { actorId: request.requestorId, action: 'endAssignment', entityType: 'assignment', entityId: ended.id, before: assignment.value, after: ended },
      requestEvent('startDelivery', request, delivering),
    ],
    { stored: claim?.value.assignmentId === assignment.value.id ? claim : undefined, value: null },
  );
  await deps.grants.unindexAssignee(ended);
  const delivered = await deliver(deps, saved.request, saved.assignment);
  await blockAtOnce(deps, ended.targetId);
  return delivered;
}

/** An update changes the assignment's schedule (an extension) and answers; no directory change is needed. */
async function updateAccess(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>): Promise<StoredDocument<AssignmentRequest>> {
  const request = stored.value;
  const assignment = await assignmentOf(deps, request);
  if (assignment.value.state === 'expired') throw new DomainError('invalidRequest', `Assignment '${assignment.value.id}' has already ended.`);
  const updated: Assignment = { ...assignment.value, schedule: request.schedule };
  await planEnd(deps, updated);
  const delivered = inState(deps, request, 'delivered');
  const saved = await saveRequestWithAssignment(deps, { stored, value: delivered }, { stored: assignment, value: updated }, [
    { actorId: request.requestorId, action: 'updateAssignment', entityType: 'assignment', entityId: updated.id, before: assignment.value, after: updated },
    requestEvent('deliverRequest', request, delivered),
  ]);
  return saved.request;
}

/**
 * Applies the assignment's operations and brings the request to their outcome: for an addition, how its roles
 * were added (still `delivered` if the assignment was removed meanwhile); for a removal, how they were removed.
 * The outcomes on the assignment and the request's outcome are one transaction (both are in the target's
 * partition); should the assignment have changed meanwhile, its outcomes go onto the new version, and the request's
 * is saved after, on its own. `packageName`: the package's name when already read (for the mail).
 */
export async function deliver(
  deps: EntitlementDeps,
  request: StoredDocument<AssignmentRequest>,
  assignment: StoredDocument<Assignment>,
  options: { retryFailed: boolean; packageName?: string | undefined; grantedAfterWrite?: PackageRoles | undefined } = { retryFailed: false },
): Promise<StoredDocument<AssignmentRequest>> {
  const action = effectOf(request.value) === 'remove' ? 'remove' : 'add';
  const outcomeOf = (operations: Assignment['operations']) => inState(deps, request.value, deliveryState(operations, action));
  let saved: StoredDocument<AssignmentRequest> | undefined;
  const saveWithOutcome = async (current: StoredDocument<Assignment>, next: Assignment): Promise<StoredDocument<Assignment>> => {
    if (current !== assignment) return deps.grants.assignments.replace(current, next);
    const finished = outcomeOf(next.operations);
    const written = await saveRequestWithAssignment(deps, { stored: request, value: finished }, { stored: current, value: next }, [requestEvent('deliverRequest', request.value, finished)]);
    saved = written.request;
    return written.assignment;
  };
  const grantedAfterWrite = options.grantedAfterWrite ? { grantedAfterWrite: options.grantedAfterWrite } : {};
  const [applied] = await applyOperations(deps, [assignment], { retryFailed: options.retryFailed, save: saveWithOutcome, ...grantedAfterWrite });
  const finished = saved?.value ?? outcomeOf(applied!.value.operations);
  saved ??= await replaceRequest(deps, request, finished, [requestEvent('deliverRequest', request.value, finished)]);
  if (action === 'add' && finished.state === 'delivered') {
    const end = assignmentEnd(applied!.value.schedule)?.toUTC().toISO() ?? null;
    await notify(deps, { ...about(finished), packageName: options.packageName }, (s) => accessDelivered([finished.targetId], s, end));
  }
  return saved;
}

/** Plans an assignment's end and, when its policy (read here unless given) lets the target extend it, the reminders before. */
export async function planEnd(deps: EntitlementDeps, assignment: Assignment, policy?: StoredPolicy): Promise<void> {
  if (!assignmentEnd(assignment.schedule)) return;
  const governing = policy ?? (await deps.store.policies.get(assignment.accessPackageId, assignment.assignmentPolicyId))?.value;
  await planAssignmentEnd(deps, assignment, governing?.requestorSettings.enableTargetsToSelfUpdateAccess ?? false);
}

/**
 * A request becomes an assignment only under a policy that exists and is not being deleted. With the delete (which
 * marks the policy, then cancels its open requests on their ETags) this makes one decision: the mark is read
 * before the request's own conditional write below, so either this sees the mark, or the delete's cancel meets the
 * request first (one of the two writes loses), or the delete finds the assignment and is refused. Mark first, then
 * the policy: a delete that ends between the two reads is seen as the policy gone. Answers the policy, which the
 * assignment's end is then planned by.
 *
 * One read instead of two when the package's configuration is kept: the delete takes the snapshot away before it
 * places its mark and writes it again (without the policy) only once the policy is gone (packageConfiguration.ts),
 * so a snapshot read here that lists the policy is as good as no mark and the policy there; one that does not list
 * it, as the policy gone.
 */
export async function policyStanding(deps: EntitlementDeps, request: AssignmentRequest): Promise<StoredPolicy> {
  const found = await policyState(deps, request);
  return standing(request.assignmentPolicyId, found.policy, found.state === 'beingDeleted');
}

/**
 * policyStanding's answer as one of three (for those that act on a policy not standing, carryOutAtOnce.ts): a read
 * that fails (storage away) is no answer and is thrown as it is, never taken for the policy gone.
 */
export type PolicyState = { state: 'standing'; policy: StoredPolicy; kept?: PackageSnapshot } | { state: 'gone' | 'beingDeleted'; policy?: undefined };

export async function policyState(deps: EntitlementDeps, request: AssignmentRequest): Promise<PolicyState> {
  const policyId = request.assignmentPolicyId;
  const kept = await keptPackageConfiguration(deps, request.accessPackageId);
  const going = kept ? false : await isRetiring(deps, { kind: 'assignmentPolicy', id: policyId });
  if (going) return { state: 'beingDeleted' };
  // A policy never moves to another package: it is read where the request says it lives.
  const policy = kept ? kept.policies.find((p) => p.id.toLowerCase() === policyId.toLowerCase()) : (await deps.store.policies.get(request.accessPackageId, policyId))?.value;
  // The snapshot it was read from, when kept: what the package granted at that moment (carryOutAtOnce.ts).
  if (!policy) return { state: 'gone' };
  return kept ? { state: 'standing', policy, kept } : { state: 'standing', policy };
}

/** The policy as read (policyStanding; many at once: autoAssignment/standingPolicies.ts), or why nothing is made through it. */
export function standing(policyId: string, policy: StoredPolicy | undefined, going: boolean): StoredPolicy {
  if (!policy) throw notStanding(policyId, going);
  return policy;
}

/** Why nothing is made through a policy gone, or being deleted. */
export function notStanding(policyId: string, going: boolean): DomainError {
  return new DomainError('invalidRequest', `Invalid assignment request: assignment policy '${policyId}' ${going ? 'is being deleted' : 'no longer exists'}; no assignment is made through it.`);
}

async function assignmentOf(deps: EntitlementDeps, request: AssignmentRequest): Promise<StoredDocument<Assignment>> {
  const assignment = request.assignmentId ? await deps.grants.assignmentOf(request.targetId, request.assignmentId) : undefined;
  if (!assignment) throw new DomainError('notFound', `Assignment '${request.assignmentId}' was not found.`);
  return assignment;
}
