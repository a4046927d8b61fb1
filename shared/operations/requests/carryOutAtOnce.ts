import { isDeepStrictEqual } from 'node:util';
import type { Assignment } from '../../domain/assignments/assignment';
import { additions, awaitsFirstDelivery, STATUS_OF_STATE } from '../../domain/assignments/deliveryState';
import { isDomainError } from '../../domain/errors';
import { SYSTEM_ACTOR, type AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import type { PackageSnapshot, StoredPolicy } from '../../store/entitlementStore';
import { directoryRoleOf, isActive } from '../assignments/directoryRoles';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { cancelRemoval, type TargetAsRead } from '../externalUsers/guestLifecycle';
import { assignmentEndItems, dueItem, PENDING_GRACE_MS, planRedelivery } from '../lifecycle/planDueWork';
import { writeAudited } from './auditOutbox';
import { isRetiring } from '../entitlements/parentCheck';
import { configurationDigest, digestsAs } from '../entitlements/configurationDigest';
import { settledPackageConfiguration } from '../entitlements/packageConfiguration';
import { deliver, notStanding, policyState } from './fulfilRequest';
import { newAssignment } from './newAssignment';
import { configurationChanged, configurationChangedUnchecked, refuseDelivering } from './refusedUnstanding';
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
 * A request decided from the package's configuration as this instance remembered it (`decidesAlike` given:
 * submitAssignmentRequest.ts, decisionOf) is checked after the write against the whole configuration read then: the
 * same (its content; a snapshot merely kept again has a new ETag, not new content), it goes on; else (or none kept:
 * a change under way) it is decided again from the configuration read now, and unless decided alike it is undone
 * as a policy gone undoes it, before any directory change, and answered `configurationChanged` (submitted again).
 * So it is sound: the decision is always checked against a configuration read after the write, which is at least
 * as fresh as the read before the write that decided every request without the memory. Should that check not run
 * (this process stopping, a read failing), the request, written with the digest of the configuration it was decided
 * from (`decidedFrom`), is checked by its redelivery against the configuration then (policyCheckOfDelivering).
 *
 * Answers the request as accepted, as Graph does (`submitted`).
 */
export async function carryOutAtOnce(
  deps: EntitlementDeps,
  request: AssignmentRequest,
  facts: {
    configuration: PackageSnapshot;
    policy: StoredPolicy;
    target: TargetAsRead;
    assignmentId: string;
    decidesAlike?: ((now: PackageSnapshot | undefined) => Promise<boolean>) | undefined;
    /** The request named its policy: that policy alone decided it (choosePolicy.ts), and so its digest. */
    policyNamed: boolean;
  },
): Promise<AssignmentRequest | 'configurationChanged'> {
  // The roles as the configuration held them a moment ago: one put in since reaches this assignee by its package
  // role change (planned before the role scope is written), as for any assignment.
  const roles = facts.configuration.roleScopes.map(directoryRoleOf);
  // Decided from memory: the configuration it was decided from goes with it, for whatever finishes it should its
  // check below not run (this process stopping, a read failing: policyCheckOfDelivering).
  const decidedFrom = facts.decidesAlike ? { decidedFrom: configurationDigest(facts.configuration, { ...request, policyNamed: facts.policyNamed }) } : {};
  const delivering = { ...inState(deps, request, 'delivering'), assignmentId: facts.assignmentId, ...decidedFrom };
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
  // Only an answer undoes: a read that fails (storage away) is thrown as it is (503, to be tried again), and the
  // redelivery item written before checks the policy later.
  const found = await policyState(deps, request);
  if (facts.decidesAlike && !(found.state === 'standing' && isDeepStrictEqual(found.kept, facts.configuration))) {
    // A policy gone (or going) is decided again too: the answer to the request submitted again is the one the
    // configuration now gives (its policy not the package's, or another chosen in its place).
    if (found.state !== 'standing' || !(await facts.decidesAlike(found.kept))) {
      // An undo that loses ends the assignment by a system removal, and the request is refused after it
      // (removeAndRefuse).
      await undoUnstanding(deps, written, configurationChanged(request.accessPackageId));
      return 'configurationChanged';
    }
  } else if (found.state !== 'standing') {
    const unstanding = notStanding(request.assignmentPolicyId, found.state === 'beingDeleted');
    await undoUnstanding(deps, written, unstanding.message);
    throw unstanding;
  }
  // A governed guest assigned again before their removal keeps their account. Should lifting the block fail, the
  // plan stays and its block item comes due again a few minutes on: finding them assigned, it lifts and cancels. An
  // enabled member has none to cancel.
  await cancelRemoval(deps, request.targetId, facts.target).catch(() => undefined);
  // What the package granted at the check, read after the write, spares the compensation its read of the role
  // scopes after the directory change when it lists every role added (applyOperations.ts, compensate).
  const grantedAfterWrite = found.kept ? { packageId: written.assignment.value.accessPackageId, roles: found.kept.roleScopes.map(directoryRoleOf) } : undefined;
  await deliver(deps, written.request, written.assignment, { retryFailed: false, packageName: facts.configuration.accessPackage.displayName, grantedAfterWrite });
  return request;
}

/**
 * The check of an active assignment whose making request is still `delivering`, by its redelivery and by whatever else
 * would finish that request (drift repair, driftRepair.ts alignRequest): its process may have stopped before checking
 * its policy, or found it gone and lost the undo (something changed the assignment meanwhile) and then not ended it
 * (stopped, or lost that removal too). The request stays `delivering` until this check has passed or ended the
 * assignment, so every redelivery of it comes here; it costs a read of the request (none when the caller has just read
 * it: `read`) and of the configuration while it is `delivering`. A policy gone ends the assignment ('ended'): a delete
 * refuses while an assignment is under its policy, so one found gone was deleted before this assignment's write, or its
 * process saw it gone. Never applied, it is undone with nothing to take away (undoUnstanding); applied (a role carried
 * to it meanwhile), a system removal takes away what it was given, and the request is refused (removeAndRefuse). A
 * delete under way (its mark) is not decided yet: it may still be refused by this very assignment, which a process
 * past its check may have begun to apply; the redelivery is then planned again, for after the mark is gone
 * ('deferred'), and so it is when the policy's own row, read again, is there after all (surelyGone). Only answers
 * decide: a read that fails is thrown, and the item is tried again; never is an assignment ended on storage being
 * away. A request decided from a remembered configuration whose own check after the write did not run is checked
 * against the configuration now too (checkDecidedFrom).
 */
export async function policyCheckOfDelivering(
  deps: EntitlementDeps,
  stored: StoredDocument<Assignment>,
  read?: StoredDocument<AssignmentRequest>,
): Promise<'standing' | 'ended' | 'deferred'> {
  if (!isActive(stored.value)) return 'standing';
  const request = read ?? (await deps.grants.requestOf(stored.value.targetId, stored.value.requestId));
  if (!request || request.value.state !== 'delivering') return 'standing';
  const found = await policyState(deps, request.value);
  const { decidedFrom } = request.value;
  if (found.state === 'standing') return decidedFrom === undefined ? 'standing' : checkDecidedFrom(deps, stored, request, decidedFrom, found.kept);
  if (found.state === 'beingDeleted' || !(await surelyGone(deps, stored.value))) return defer(deps, stored.value);
  await endUnstanding(deps, stored, request, notStanding(request.value.assignmentPolicyId, false).message);
  return 'ended';
}

/**
 * A request decided from a remembered configuration, its check after the write not run (or run and passed, its
 * process stopped before the outcome): what decides it in the configuration now (the snapshot kept, or, none kept, as
 * once no change is under way) against what it was decided from, by digest (configurationDigest.ts: not names, newer
 * policies, what of an older policy decides nothing of the choice, or roles). The same: it stands. A change under way: planned again, for after it ('deferred'). Another:
 * ended by a system removal ('ended'), which takes away whatever may have reached the directory. Not decided again: the decision checks the caller's authorization by what their token carried (roles,
 * scopes), which nothing finishing the request has; and a decision the configuration now may make otherwise (an
 * approval now required, a narrower scope, a new incompatibility, a shorter end) must not be delivered. The requestor,
 * answered an error (or nothing) when its check did not run, submits it again under the configuration now.
 */
async function checkDecidedFrom(
  deps: EntitlementDeps,
  stored: StoredDocument<Assignment>,
  request: StoredDocument<AssignmentRequest>,
  decidedFrom: string,
  kept: PackageSnapshot | undefined,
): Promise<'standing' | 'ended' | 'deferred'> {
  // None kept may be a snapshot past its lifetime, not only a change under way: read again, as once settled.
  const now = kept ?? (await settledPackageConfiguration(deps, request.value.accessPackageId));
  if (now === 'changing') return defer(deps, stored.value);
  if (now && digestsAs(now, request.value, decidedFrom)) return 'standing';
  // Removed, never undone: its check may have passed and its roles reached the directory before this process
  // stopped (the assignment still shows them pending), so what it may have been given is taken away.
  const reason = configurationChangedUnchecked(request.value.accessPackageId);
  await removeAndRefuse(deps, stored.value, request, reason, { onlyIfThisRemovalEnded: true });
  return 'ended';
}

/** The redelivery planned again, for later: what decides the check is not known yet. */
async function defer(deps: EntitlementDeps, assignment: Assignment): Promise<'deferred'> {
  await planRedelivery(deps, assignment.id, deps.clock.now().plus(PENDING_GRACE_MS));
  return 'deferred';
}

/**
 * Ends the assignment of a request found not to stand: undone, nothing having been applied; else removed, and the
 * request refused.
 */
async function endUnstanding(deps: EntitlementDeps, stored: StoredDocument<Assignment>, request: StoredDocument<AssignmentRequest>, reason: string): Promise<void> {
  if (awaitsFirstDelivery(stored.value)) await undoUnstanding(deps, { request, assignment: stored }, reason);
  else await removeAndRefuse(deps, stored.value, request, reason);
}

/**
 * Before an assignment is ended for its policy gone, the policy's own row is read, and its mark: the first answer
 * may have come from the package's snapshot, or a delete may have been refused (its mark gone, the policy kept)
 * since. Gone means no row and no mark; a read that fails is thrown (the item is tried again).
 */
async function surelyGone(deps: EntitlementDeps, assignment: Assignment): Promise<boolean> {
  const policy = await deps.store.policies.get(assignment.accessPackageId, assignment.assignmentPolicyId);
  return policy === undefined && !(await isRetiring(deps, { kind: 'assignmentPolicy', id: assignment.assignmentPolicyId }));
}

/**
 * Undoes an addition whose policy was found gone after its write: the assignment ends with nothing to remove, the
 * request is refused as fulfilOrDeny refuses one (kept, with the reason), and the claim is released, in one
 * transaction on the ETags written, with their events. That it wins means nothing was applied: operations are
 * written to the assignment before anyone applies them. Should it lose (a role put into the package was carried to
 * this assignee meanwhile, or a removal came), the assignment, if still active, is ended as any other is, by a
 * system removal that takes away whatever it was given, and the request refused after it (removeAndRefuse).
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
    if (!isConflict(error)) throw error;
    await removeAndRefuse(deps, ended, written.request, reason);
    return;
  }
  await grants.unindexAssignee(ended);
}

/**
 * Ends the assignment of a request found not to stand, something perhaps applied, by a system removal (justified by
 * `reason`), then refuses the request with that reason, as an undo would have. Where the request is known not to
 * stand (its policy gone, its own check's decision different) it is refused also when the assignment was ended
 * otherwise meanwhile (an administrator's removal): its caller was told so. `onlyIfThisRemovalEnded` (a redelivery
 * comparing digests, whose check may have passed before the process stopped): only when this removal ended it, as
 * one ended otherwise may have been delivered. Should this process stop between the two (or the refusal lose),
 * whatever finishes the request later refuses it, the removal's justification telling why (refusesMadeRequest).
 */
async function removeAndRefuse(deps: EntitlementDeps, assignment: Pick<Assignment, 'targetId' | 'id'>, request: StoredDocument<AssignmentRequest>, reason: string, options: { onlyIfThisRemovalEnded?: boolean } = {}): Promise<void> {
  const ended = await removeUnstanding(deps, assignment, reason);
  if (ended || !options.onlyIfThisRemovalEnded) await refuseDelivering(deps, request, reason);
}

/**
 * Ends an assignment whose policy is gone by a system removal, which takes away whatever it was given. Another
 * write to the assignment meanwhile (the reconcile sweep saving an outcome on it) makes the removal lose: it is read
 * again and tried again, a few times. Should it still lose (or this process stop), its making request is still
 * `delivering`, and its redelivery ends it (policyCheckOfDelivering). Answers whether this removal ended it (false: it
 * was no longer active).
 */
async function removeUnstanding(deps: EntitlementDeps, assignment: Pick<Assignment, 'targetId' | 'id'>, reason: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const current = await deps.grants.assignmentOf(assignment.targetId, assignment.id);
    if (!current || !isActive(current.value)) return false;
    try {
      await carryOut(deps, systemRemovalOf(deps, current.value, reason));
      return true;
    } catch (error) {
      if (attempt >= REMOVAL_ATTEMPTS || !isConflict(error)) throw error;
    }
  }
}

const REMOVAL_ATTEMPTS = 3;

const isConflict = (error: unknown) => isDomainError(error) && error.code === 'concurrencyConflict';
