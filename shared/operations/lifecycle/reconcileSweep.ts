import type { Assignment, DeliveryOperation, DirectoryRole } from '../../domain/assignments/assignment';
import { deliveryState, roleKey, STATUS_OF_STATE, type DeliveryOutcome } from '../../domain/assignments/deliveryState';
import { updateAssignment } from '../assignments/updateAssignment';
import type { ChangeOutcome, DirectoryPort } from '../../directory/directoryPort';
import { DirectoryError } from '../../directory/directoryError';
import { mapConcurrently } from '../../concurrently';
import type { StoredDocument } from '../../store/documentTable';
import type { DueItem, RedeliveryKind } from '../../store/dueWork';
import { applyOperations, changeRole, MAX_ATTEMPTS, recordInLedger } from '../assignments/applyOperations';
import { directoryRoleOf, isActive, isGroupOwnerRole } from '../assignments/directoryRoles';
import { redrivePackageRoleChange } from '../assignments/packageRoleChanges';
import { SYSTEM_ACTOR, type RequestState } from '../../domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { inState, replaceRequest, requestEvent } from '../requests/requestWrites';
import { flushAuditOutbox, writeAudited } from '../requests/auditOutbox';
import { processDueItems, withSweepLease, type DueWorkResult, type ItemOutcome, type SweepOptions } from './sweepDueWork';
import { SweepLeaseLost, type HeldLease } from './sweepLease';
import { allPages } from '../../directory/allPages';

export interface ReconcileResult {
  redelivery: DueWorkResult;
  /** Resource roles compared with the directory in this run. */
  rolesChecked: number;
  /** Roles that could not be compared: SharePoint sites (no listing of site permissions yet). */
  rolesNotCheckable: number;
  /** Holders added because an assignment grants the role and the directory did not have them. */
  added: number;
  /** Holders removed because Portcullis granted the role and no assignment holds it any more. */
  removed: number;
  /** Roles left for the next run because the time budget ran out. */
  rolesRemaining: number;
  /** Roles that could not be compared this time (the directory away, a group deleted), with the first reasons. */
  rolesFailed: number;
  errors: string[];
}

interface Checkpoint {
  /** Where the redelivery index is read from next. */
  minute: string | null;
  /** The last role compared, in role-key order; the next run goes on after it. */
  lastRole: string | null;
}

/**
 * `reconcileSweep` (DESIGN §1, desired state then delivery): re-drives deliveries that failed or stayed pending,
 * with backoff and a bound on attempts, then compares each resource role in use with the directory: it adds what
 * the assignments say is missing, and removes what Portcullis granted that no assignment holds any more (members
 * it never granted are left alone unless RECONCILE_REMOVES_UNGRANTED is true). Undefined when another instance
 * is running it.
 */
export async function reconcile(deps: EntitlementDeps, options: SweepOptions): Promise<ReconcileResult | undefined> {
  return withSweepLease(deps, 'reconcileSweep', options, async (saved, deadline, lease) => {
    const position: Checkpoint = saved ? (JSON.parse(saved) as Checkpoint) : { minute: null, lastRole: null };
    const handle = (item: DueItem<RedeliveryKind>) => (item.kind === 'packageRoleChange' ? redrivePackageRoleChange(deps, item, deadline, () => lease.hold()) : redeliver(deps, item));
    const pass = await processDueItems(deps, deps.redeliveries, handle, { from: position.minute, now: deps.clock.now(), deadline, lease });
    const drift = await repairDrift(deps, position.lastRole, deadline, lease);
    const result: ReconcileResult = { redelivery: pass.result, ...drift.counts };
    if (result.added + result.removed > 0 || result.redelivery.processed > 0) {
      await lease.hold();
      await deps.audit.record({ actorId: SYSTEM_ACTOR, action: 'reconcileSweep', entityType: 'sweep', entityId: 'reconcileSweep', before: null, after: result });
    }
    return { checkpoint: JSON.stringify({ minute: pass.checkpoint, lastRole: drift.lastRole }), result };
  });
}

/**
 * Applies an assignment's failed or pending operations again, and brings the requests whose outcome it is up to
 * date. They are aligned also when nothing is left to apply: a process that applied every operation and then
 * stopped (or lost the answer of) a request's own final write left it `delivering`; this is what repairs that,
 * from the item planned when the assignment was made or the one planned when it was ended, whichever comes first.
 */
async function redeliver(deps: EntitlementDeps, item: DueItem<RedeliveryKind>): Promise<ItemOutcome> {
  const stored = await deps.grants.findAssignment(item.entityId);
  if (!stored) return 'stale';
  // Events a stopped process wrote with its changes and did not append: this item comes due after every add and remove.
  await flushAuditOutbox(deps, stored.value.targetId);
  const undone = stored.value.operations.filter((o) => o.state === 'pending' || (o.state === 'failed' && o.attempts < MAX_ATTEMPTS));
  const applied = undone.length > 0 ? (await applyOperations(deps, [stored], { retryFailed: true }))[0]! : stored;
  // Also with nothing left to apply: the request's own last write may be what a stopped process lost.
  const behind = await bringRequestUpToDate(deps, applied.value);
  return undone.length > 0 || behind ? 'processed' : 'stale';
}

/**
 * The requests whose outcome an assignment's delivery is follow it: the one that made it, and once it has ended the
 * one that ended it. Answers whether a request was behind.
 */
async function bringRequestUpToDate(deps: EntitlementDeps, assignment: Assignment): Promise<boolean> {
  const { targetId } = assignment;
  if (isActive(assignment)) return alignRequest(deps, targetId, assignment.requestId, deliveryState(assignment.operations, 'add'), UNFINISHED_OR_FAILED);
  // A making request still `delivering` when its assignment has ended was cut off before its own last write. It
  // becomes `delivered`, as deliver() finishes one whose assignment was removed meanwhile: the ended assignment
  // holds removals only (its additions, done or not, became them), so how they went is no longer known, and what
  // its target holds now is the ending request's outcome. One that was finished (even as failed) stays as it is.
  const made = alignRequest(deps, targetId, assignment.requestId, 'delivered', new Set(['delivering']));
  const endedBy = assignment.endedByRequestId ? alignRequest(deps, targetId, assignment.endedByRequestId, deliveryState(assignment.operations, 'remove'), UNFINISHED_OR_FAILED) : false;
  const [madeBehind, endedByBehind] = await Promise.all([made, endedBy]);
  return madeBehind || endedByBehind;
}

/** A request in these states follows its assignment's delivery (a failed one, when a retry or a repair succeeds). */
const UNFINISHED_OR_FAILED: ReadonlySet<RequestState> = new Set(['delivering', 'partiallyDelivered', 'deliveryFailed']);

/** Brings a request in one of the states `from` to its assignment's outcome, with its event. */
async function alignRequest(deps: EntitlementDeps, targetId: string, requestId: string, outcome: DeliveryOutcome, from: ReadonlySet<RequestState>): Promise<boolean> {
  const request = await deps.grants.requestOf(targetId, requestId);
  if (!request || !from.has(request.value.state) || request.value.state === outcome) return false;
  const aligned = inState(deps, request.value, outcome);
  await replaceRequest(deps, request, aligned, [{ ...requestEvent('deliverRequest', request.value, aligned), actorId: SYSTEM_ACTOR }]);
  return true;
}

/**
 * Every resource role some package grants, with the packages granting it, and every role Portcullis has granted
 * (the grant ledger's), also one no package grants any more (its holders are then all to lose it), in role-key order.
 */
async function rolesInUse(deps: EntitlementDeps): Promise<Array<{ key: string; role: DirectoryRole; packageIds: Set<string> }>> {
  const roles = new Map<string, { key: string; role: DirectoryRole; packageIds: Set<string> }>();
  for (const role of await deps.ledger.roles()) roles.set(roleKey(role), { key: roleKey(role), role, packageIds: new Set<string>() });
  for (const stored of await deps.store.roleScopes.list()) {
    const role = directoryRoleOf(stored.value);
    const key = roleKey(role);
    const entry = roles.get(key) ?? { key, role, packageIds: new Set<string>() };
    entry.packageIds.add(stored.partitionKey);
    roles.set(key, entry);
  }
  return [...roles.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Compares each role in use with the directory, from the role after `after`. The lease is held before each role's
 * writes, after its reads (a large group's listing can take long): a run that lost it changes nothing more.
 */
async function repairDrift(deps: EntitlementDeps, after: string | null, deadline: number, lease: HeldLease) {
  const counts = { rolesChecked: 0, rolesNotCheckable: 0, added: 0, removed: 0, rolesRemaining: 0, rolesFailed: 0, errors: [] as string[] };
  const roles = (await rolesInUse(deps)).filter((r) => after === null || r.key > after);
  // Cut off before its first role, a run keeps the position it started from.
  let lastRole: string | null = after;
  for (const [index, { key, role, packageIds }] of roles.entries()) {
    if (Date.now() > deadline) {
      counts.rolesRemaining = roles.length - index;
      return { counts, lastRole };
    }
    try {
      const actual = await holdersInDirectory(deps.directory, role).catch(async (error: unknown) => {
        if (!(packageIds.size === 0 && error instanceof DirectoryError && error.kind === 'notFound')) throw error;
        // A role no package grants, whose group or application is gone: no one holds it, and it is not looked for again.
        await lease.hold();
        await forgetGoneRole(deps, role);
        return new Set<string>();
      });
      if (!actual) counts.rolesNotCheckable++;
      else {
        // Read in this order: a holder the ledger records was added after their assignment was written, so an
        // assignment read after the ledger is never missed, and an addition in flight is never taken for drift.
        const recorded = [...(await deps.ledger.holders(key))];
        const ledger = new Set(recorded.map((id) => id.toLowerCase()));
        const expected = await expectedHolders(deps, packageIds);
        await lease.hold();
        // Holders recorded before the ledger listed its roles: listed now, while a package still names the role.
        if (recorded.length > 0) await deps.ledger.list(role);
        const granted = deps.reconcileRemovesUngranted ? actual : ledger;
        const missing = [...expected].filter((id) => !actual.has(id));
        const extra = [...actual].filter((id) => granted.has(id) && !expected.has(id));
        if (missing.length > 0) counts.added += (await change(deps, role, 'add', missing)).filter((o) => o.outcome === 'changed').length;
        const removed = extra.length > 0 ? await change(deps, role, 'remove', extra) : [];
        counts.removed += removed.filter((o) => o.outcome === 'changed').length;
        // Recorded holders no assignment gives and the directory no longer has: gone, whoever removed them.
        const gone = recorded.filter((id) => !actual.has(id.toLowerCase()) && !expected.has(id.toLowerCase()));
        if (gone.length > 0) await deps.ledger.forget(key, gone);
        await confirmRemovals(deps, role, [...gone, ...removed.filter((o) => o.outcome !== 'failed').map((o) => o.userId)]);
        counts.rolesChecked++;
      }
    } catch (error) {
      if (error instanceof SweepLeaseLost) throw error;
      // One role that cannot be compared (its group deleted, the directory away) does not stop the others.
      counts.rolesFailed++;
      if (counts.errors.length < 5) counts.errors.push(`${key}: ${error instanceof Error ? error.message : String(error)}`);
    }
    lastRole = key;
  }
  // A full pass done: the next run starts from the first role again.
  return { counts, lastRole: null };
}

async function forgetGoneRole(deps: EntitlementDeps, role: DirectoryRole): Promise<void> {
  const holders = [...(await deps.ledger.holders(roleKey(role)))];
  await confirmRemovals(deps, role, holders);
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
    await deps.audit.record({ actorId: SYSTEM_ACTOR, action: `reconcile.${action}`, entityType: 'resourceRole', entityId: roleKey(role), before: null, after: { role, userIds: changed } });
  }
  return outcomes;
}

/**
 * People drift repair removed from a role (or found without it) whom no active assignment gives it: a removal of
 * the role still pending or failed on one of their assignments (an ended one, or one whose package lost the role)
 * has happened, so it is marked done and the request that ended the assignment follows. Without this, a removal
 * that ran out of attempts would leave its request deliveryFailed for good although the person is out.
 */
async function confirmRemovals(deps: EntitlementDeps, role: DirectoryRole, userIds: readonly string[]): Promise<void> {
  const key = roleKey(role);
  const unfinished = (op: DeliveryOperation) => op.action === 'remove' && op.state !== 'done' && roleKey(op.role) === key;
  await mapConcurrently(userIds, async (userId) => {
    for (const found of await deps.grants.assignmentsOf(userId)) {
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
      if (saved) await bringRequestUpToDate(deps, saved.value);
    }
  });
}

/** The targets of the active assignments of the packages that grant a role. */
async function expectedHolders(deps: EntitlementDeps, packageIds: Set<string>): Promise<Set<string>> {
  const holders = new Set<string>();
  for (const packageId of packageIds) {
    const assignments: Assignment[] = (await deps.grants.assignmentsOfPackage(packageId)).map((d) => d.value);
    for (const assignment of assignments.filter(isActive)) holders.add(assignment.targetId.toLowerCase());
  }
  return holders;
}

/** Who holds a role in the directory (user object ids, lower case); undefined where it cannot be listed. */
async function holdersInDirectory(directory: DirectoryPort, role: DirectoryRole): Promise<Set<string> | undefined> {
  switch (role.originSystem) {
    case 'AadGroup':
      if (isGroupOwnerRole(role)) return new Set((await directory.getGroupOwnerIds(role.resourceOriginId)).map((id) => id.toLowerCase()));
      return new Set((await allPages((page) => directory.listGroupMembers(role.resourceOriginId, page))).filter((m) => m.type === 'user').map((m) => m.id.toLowerCase()));
    case 'AadApplication':
      return new Set(
        (await allPages((page) => directory.listAppRoleAssignments(role.resourceOriginId, page)))
          // Only people: groups and applications holding the role are no one's assignment, and never drift.
          .filter((a) => a.principalType === 'User' && a.appRoleId.toLowerCase() === role.roleOriginId.toLowerCase())
          .map((a) => a.principalId.toLowerCase()),
      );
    case 'SharePointOnline':
      return undefined;
  }
}
