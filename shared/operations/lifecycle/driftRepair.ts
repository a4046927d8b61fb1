import type { Assignment, DeliveryOperation, DirectoryRole } from '../../domain/assignments/assignment';
import { awaitsFirstDelivery, deliveryState, roleKey, STATUS_OF_STATE, type DeliveryOutcome } from '../../domain/assignments/deliveryState';
import { updateAssignment } from '../assignments/updateAssignment';
import type { ChangeOutcome } from '../../directory/directoryPort';
import { mapConcurrently } from '../../concurrently';
import type { StoredDocument } from '../../store/documentTable';
import { changeRole, recordInLedger } from '../assignments/applyOperations';
import { isActive } from '../assignments/directoryRoles';
import { SYSTEM_ACTOR, type AssignmentRequest, type RequestState } from '../../domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { inState, replaceRequest, requestEvent } from '../requests/requestWrites';
import { writeAudited } from '../requests/auditOutbox';
import { policyCheckOfDelivering } from '../requests/carryOutAtOnce';
import { refusesMadeRequest } from '../requests/refusedUnstanding';
import type { HeldLease } from './sweepLease';

/** What one comparison of a role's holders changed: counts, and each holder it set (user id, lower case: now holds it). */
export interface HolderRepair {
  added: number;
  removed: number;
  /** Changes the directory refused: the role is compared again. */
  failed: number;
  /** The holders drift repair added (true) or removed (false), as the directory now has them. */
  set: Map<string, boolean>;
}

/**
 * Compares a role's holders in the directory (`actual`, user ids in lower case) with what the assignments and the
 * ledger say, and repairs the difference: adds what assignments give and the directory lacks, removes what
 * Portcullis granted (or, with RECONCILE_REMOVES_UNGRANTED, anyone) that no assignment gives. With `only`, just
 * those users are compared (a delta's changed members); `actual` then holds those of them who hold the role.
 * The directory is read first, then the ledger, then the assignments: a holder the ledger records was added after
 * their assignment was written, so an assignment read after the ledger is never missed, and an addition in flight
 * is never taken for drift. The lease is held before the writes.
 */
export async function compareHolders(
  deps: EntitlementDeps,
  role: DirectoryRole,
  packageIds: ReadonlySet<string>,
  actual: ReadonlySet<string>,
  lease: HeldLease,
  only?: ReadonlySet<string>,
): Promise<HolderRepair> {
  const key = roleKey(role);
  const recorded = only ? await deps.ledger.holdersAmong(key, [...only]) : [...(await deps.ledger.holders(key))];
  const ledger = new Set(recorded.map((id) => id.toLowerCase()));
  const { expected, added: toAdd } = only ? await expectedAmong(deps, packageIds, only) : await expectedHolders(deps, packageIds);
  await lease.hold();
  // Holders recorded before the ledger listed its roles: listed now, while a package still names the role.
  if (recorded.length > 0) await deps.ledger.list(role);
  const granted = deps.reconcileRemovesUngranted ? actual : ledger;
  const missing = [...toAdd].filter((id) => !actual.has(id));
  const extra = [...actual].filter((id) => granted.has(id) && !expected.has(id));
  const set = new Map<string, boolean>();
  const added = missing.length > 0 ? await change(deps, role, 'add', missing) : [];
  const removed = extra.length > 0 ? await change(deps, role, 'remove', extra) : [];
  for (const o of added) if (o.outcome !== 'failed') set.set(o.userId.toLowerCase(), true);
  for (const o of removed) if (o.outcome !== 'failed') set.set(o.userId.toLowerCase(), false);
  // Recorded holders no assignment gives and the directory no longer has: gone, whoever removed them.
  const gone = recorded.filter((id) => !actual.has(id.toLowerCase()) && !expected.has(id.toLowerCase()));
  if (gone.length > 0) await deps.ledger.forget(key, gone);
  await confirmRemovals(deps, role, [...gone, ...removed.filter((o) => o.outcome !== 'failed').map((o) => o.userId)], lease);
  const changed = (outcomes: ChangeOutcome[]) => outcomes.filter((o) => o.outcome === 'changed').length;
  const failed = [...added, ...removed].filter((o) => o.outcome === 'failed').length;
  return { added: changed(added), removed: changed(removed), failed, set };
}

/**
 * The requests whose outcome an assignment's delivery is follow it: the one that made it, and once it has ended the
 * one that ended it. Answers whether a request was behind. `policyChecked`: the making request's policy was checked
 * already (the redelivery checks it before applying anything), so it is not checked again here.
 */
export async function bringRequestUpToDate(deps: EntitlementDeps, stored: StoredDocument<Assignment>, options: { policyChecked?: boolean } = {}): Promise<boolean> {
  const assignment = stored.value;
  const { targetId } = assignment;
  const toCheck = options.policyChecked ? undefined : stored;
  if (isActive(assignment)) return alignRequest(deps, targetId, assignment.requestId, deliveryState(assignment.operations, 'add'), UNFINISHED_OR_FAILED, toCheck);
  // A making request still `delivering` when its assignment has ended was cut off before its own last write. It
  // becomes `delivered`, as deliver() finishes one whose assignment was removed meanwhile: the ended assignment
  // holds removals only (its additions, done or not, became them), so how they went is no longer known, and what
  // its target holds now is the ending request's outcome. One that was finished (even as failed) stays as it is.
  // One ended by the system removal for its configuration changed or its policy gone is refused instead
  // (refusesMadeRequest).
  const made = alignRequest(deps, targetId, assignment.requestId, 'delivered', new Set(['delivering']), stored);
  const endedBy = assignment.endedByRequestId ? alignRequest(deps, targetId, assignment.endedByRequestId, deliveryState(assignment.operations, 'remove'), UNFINISHED_OR_FAILED) : false;
  const [madeBehind, endedByBehind] = await Promise.all([made, endedBy]);
  return madeBehind || endedByBehind;
}

/** A request in these states follows its assignment's delivery (a failed one, when a retry or a repair succeeds). */
const UNFINISHED_OR_FAILED: ReadonlySet<RequestState> = new Set(['delivering', 'partiallyDelivered', 'deliveryFailed']);

/**
 * Brings a request in one of the states `from` to its assignment's outcome, with its event. `made`: the assignment
 * the request made, when it is still to be checked. Still `delivering`, that request may be one carried out at once
 * whose process stopped before checking its policy (carryOutAtOnce.ts): an active assignment's is finished only once
 * that check has passed, or an assignment under a policy deleted before its write would stand as delivered for ever
 * (nothing checks a finished request again); a check that ended or deferred the assignment leaves the request to what
 * it planned. An ended assignment's may be one whose check ended it and stopped before refusing it: refused then.
 */
async function alignRequest(
  deps: EntitlementDeps,
  targetId: string,
  requestId: string,
  outcome: DeliveryOutcome,
  from: ReadonlySet<RequestState>,
  made?: StoredDocument<Assignment>,
): Promise<boolean> {
  const request = await deps.grants.requestOf(targetId, requestId);
  if (!request || !from.has(request.value.state) || request.value.state === outcome) return false;
  if (made && request.value.state === 'delivering' && !(await mayFinish(deps, made, request))) return true;
  const aligned = inState(deps, request.value, outcome);
  await replaceRequest(deps, request, aligned, [{ ...requestEvent('deliverRequest', request.value, aligned), actorId: SYSTEM_ACTOR }]);
  return true;
}

/** Whether the making request, still `delivering`, is to be finished as its assignment's outcome (alignRequest). */
async function mayFinish(deps: EntitlementDeps, made: StoredDocument<Assignment>, request: StoredDocument<AssignmentRequest>): Promise<boolean> {
  if (isActive(made.value)) return (await policyCheckOfDelivering(deps, made, request)) === 'standing';
  return !(await refusesMadeRequest(deps, made.value, request));
}

export async function forgetGoneRole(deps: EntitlementDeps, role: DirectoryRole, lease: HeldLease): Promise<void> {
  const holders = [...(await deps.ledger.holders(roleKey(role)))];
  await confirmRemovals(deps, role, holders, lease);
  await deps.ledger.forgetRole(role);
}

/**
 * Drift repair's own changes are not compensated as deliveries are (applyOperations): it compares again on its next
 * run, so one that raced with an assignment's start or end is put right then (groups and app roles).
 */
async function change(deps: EntitlementDeps, role: DirectoryRole, action: 'add' | 'remove', userIds: string[]): Promise<ChangeOutcome[]> {
  const outcomes = [...(await changeRole(deps.directory, role, action, userIds)).values()];
  const changed = outcomes.filter((o) => o.outcome === 'changed').map((o) => o.userId);
  await recordInLedger(deps, role, action, outcomes);
  if (changed.length > 0) {
    // The change is the directory's (Graph), not in our tables: nothing stored to lose its event. The ledger only
    // follows the directory, and a stop before this leaves drift the next compare finds and repairs (and audits).
    await deps.audit.record({ actorId: SYSTEM_ACTOR, action: `reconcile.${action}`, entityType: 'resourceRole', entityId: roleKey(role), before: null, after: { role, userIds: changed } });
  }
  return outcomes;
}

/**
 * People drift repair removed from a role (or found without it) whom no active assignment gives it: a removal of
 * the role still pending or failed on one of their assignments (an ended one, or one whose package lost the role)
 * has happened, so it is marked done and the request that ended the assignment follows. Without this, a removal
 * that ran out of attempts would leave its request deliveryFailed for good although the person is out. The lease is
 * held before each assignment's writes: the directory changes before may have taken long, and finishing a request
 * still `delivering` may check its policy and end its assignment (a system removal, with its own directory changes).
 */
async function confirmRemovals(deps: EntitlementDeps, role: DirectoryRole, userIds: readonly string[], lease: HeldLease): Promise<void> {
  const key = roleKey(role);
  const unfinished = (op: DeliveryOperation) => op.action === 'remove' && op.state !== 'done' && roleKey(op.role) === key;
  await mapConcurrently(userIds, async (userId) => {
    for (const found of await deps.grants.assignmentsOf(userId)) {
      await lease.hold();
      // Another write to the assignment meanwhile (a delivery saving its outcomes) is read again and confirmed on.
      const saved = await updateAssignment(
        deps,
        found,
        (assignment) => {
          if (!assignment.operations.some(unfinished)) return undefined;
          const operations = assignment.operations.map((op): DeliveryOperation => (unfinished(op) ? { ...op, state: 'done', lastError: null } : op));
          const state = isActive(assignment) ? deliveryState(operations) : 'expired';
          return { ...assignment, operations, state, status: STATUS_OF_STATE[state] };
        },
        async (stored, confirmed) => {
          const event = { actorId: SYSTEM_ACTOR, action: 'reconcile.confirmRemoval', entityType: 'assignment', entityId: confirmed.id, before: stored.value, after: confirmed };
          const [written] = await writeAudited(deps, [deps.grants.assignments.replacement(stored, confirmed)], [event]);
          return written as StoredDocument<Assignment>;
        },
      );
      if (saved) await bringRequestUpToDate(deps, saved);
    }
  });
}

/**
 * Who is to hold a role: `expected`, the targets of the active assignments of the packages that grant it (none of
 * them loses it); `added`, those of such assignments as are not awaiting their first delivery (the ones drift repair
 * gives it to). An assignment awaiting it is given its roles by its delivery, after its request's check after the
 * write (carryOutAtOnce.ts; its redelivery should the process stop): given them here first, a request the check
 * then ends (its policy gone, its configuration changed) would have held them until the removal.
 */
interface ExpectedHolders {
  expected: Set<string>;
  added: Set<string>;
}

function expectedOf(assignments: readonly Assignment[], into: ExpectedHolders): void {
  for (const assignment of assignments.filter(isActive)) {
    into.expected.add(assignment.targetId.toLowerCase());
    if (!awaitsFirstDelivery(assignment)) into.added.add(assignment.targetId.toLowerCase());
  }
}

/** The holders expected of the packages that grant a role, from every assignment of theirs. */
async function expectedHolders(deps: EntitlementDeps, packageIds: ReadonlySet<string>): Promise<ExpectedHolders> {
  const holders: ExpectedHolders = { expected: new Set(), added: new Set() };
  for (const packageId of packageIds) expectedOf((await deps.grants.assignmentsOfPackage(packageId)).map((d) => d.value), holders);
  return holders;
}


/** The holders expected among `userIds` (lower case): a partition query each. */
async function expectedAmong(deps: EntitlementDeps, packageIds: ReadonlySet<string>, userIds: ReadonlySet<string>): Promise<ExpectedHolders> {
  const holders: ExpectedHolders = { expected: new Set(), added: new Set() };
  await mapConcurrently([...userIds], async (userId) => expectedOf((await deps.grants.assignmentsOf(userId)).map((d) => d.value).filter((a) => packageIds.has(a.accessPackageId)), holders));
  return holders;
}
