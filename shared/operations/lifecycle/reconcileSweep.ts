import type { Assignment, DirectoryRole } from '../../domain/assignments/assignment';
import { deliveryState, roleKey } from '../../domain/assignments/deliveryState';
import type { DirectoryPort } from '../../directory/directoryPort';
import type { DueItem, RedeliveryKind } from '../../store/dueWork';
import { applyOperations, changeRole, MAX_ATTEMPTS, recordInLedger } from '../assignments/applyOperations';
import { directoryRoleOf, isActive, isGroupOwnerRole } from '../assignments/directoryRoles';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { inState } from '../requests/requestWrites';
import { processDueItems, withSweepLease, type DueWorkResult, type ItemOutcome, type SweepOptions } from './sweepDueWork';
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
  return withSweepLease(deps, 'reconcileSweep', options, async (saved, deadline) => {
    const position: Checkpoint = saved ? (JSON.parse(saved) as Checkpoint) : { minute: null, lastRole: null };
    const pass = await processDueItems(deps.redeliveries, (item) => redeliver(deps, item), { from: position.minute, now: deps.clock.now(), deadline });
    const drift = await repairDrift(deps, position.lastRole, deadline);
    const result: ReconcileResult = { redelivery: pass.result, ...drift.counts };
    if (result.added + result.removed > 0 || result.redelivery.processed > 0) {
      await deps.audit.record({ actorId: SYSTEM_ACTOR, action: 'reconcileSweep', entityType: 'sweep', entityId: 'reconcileSweep', before: null, after: result });
    }
    return { checkpoint: JSON.stringify({ minute: pass.checkpoint, lastRole: drift.lastRole }), result };
  });
}

/**
 * Applies an assignment's failed or pending operations again, and brings the request that made it up to date. The
 * request is aligned also when nothing is left to apply: a process that applied every operation and then stopped
 * (or lost the answer of) the request's own final write left it `delivering`; this is what repairs that.
 */
async function redeliver(deps: EntitlementDeps, item: DueItem<RedeliveryKind>): Promise<ItemOutcome> {
  const stored = await deps.grants.findAssignment(item.entityId);
  if (!stored) return 'stale';
  const undone = stored.value.operations.filter((o) => o.state === 'pending' || (o.state === 'failed' && o.attempts < MAX_ATTEMPTS));
  const applied = undone.length > 0 ? (await applyOperations(deps, [stored], { retryFailed: true }))[0]! : stored;
  // The request whose outcome this delivery is: the one that ended the assignment, or the one that made it.
  const ended = !isActive(applied.value);
  const request = await deps.grants.requestOf(applied.value.targetId, ended ? (applied.value.endedByRequestId ?? '') : applied.value.requestId);
  const outcome = deliveryState(applied.value.operations, ended ? 'remove' : 'add');
  const behind = request && ['delivering', 'partiallyDelivered', 'deliveryFailed'].includes(request.value.state) && request.value.state !== outcome;
  if (behind) await deps.grants.requests.replace(request, inState(deps, request.value, outcome));
  return undone.length > 0 || behind ? 'processed' : 'stale';
}

/** Every resource role some package grants, with the packages granting it, in role-key order. */
async function rolesInUse(deps: EntitlementDeps): Promise<Array<{ key: string; role: DirectoryRole; packageIds: Set<string> }>> {
  const roles = new Map<string, { key: string; role: DirectoryRole; packageIds: Set<string> }>();
  for (const stored of await deps.store.roleScopes.list()) {
    const role = directoryRoleOf(stored.value);
    const key = roleKey(role);
    const entry = roles.get(key) ?? { key, role, packageIds: new Set<string>() };
    entry.packageIds.add(stored.partitionKey);
    roles.set(key, entry);
  }
  return [...roles.values()].sort((a, b) => a.key.localeCompare(b.key));
}

async function repairDrift(deps: EntitlementDeps, after: string | null, deadline: number) {
  const counts = { rolesChecked: 0, rolesNotCheckable: 0, added: 0, removed: 0, rolesRemaining: 0, rolesFailed: 0, errors: [] as string[] };
  const roles = (await rolesInUse(deps)).filter((r) => after === null || r.key > after);
  let lastRole: string | null = null;
  for (const [index, { key, role, packageIds }] of roles.entries()) {
    if (Date.now() > deadline) {
      counts.rolesRemaining = roles.length - index;
      return { counts, lastRole };
    }
    try {
      const actual = await holdersInDirectory(deps.directory, role);
      if (!actual) counts.rolesNotCheckable++;
      else {
        const expected = await expectedHolders(deps, packageIds);
        const granted = deps.reconcileRemovesUngranted ? actual : await deps.ledger.holders(key);
        const missing = [...expected].filter((id) => !actual.has(id));
        const extra = [...actual].filter((id) => granted.has(id) && !expected.has(id));
        if (missing.length > 0) counts.added += await change(deps, role, 'add', missing);
        if (extra.length > 0) counts.removed += await change(deps, role, 'remove', extra);
        counts.rolesChecked++;
      }
    } catch (error) {
      // One role that cannot be compared (its group deleted, the directory away) does not stop the others.
      counts.rolesFailed++;
      if (counts.errors.length < 5) counts.errors.push(`${key}: ${error instanceof Error ? error.message : String(error)}`);
    }
    lastRole = key;
  }
  // A full pass done: the next run starts from the first role again.
  return { counts, lastRole: null };
}

async function change(deps: EntitlementDeps, role: DirectoryRole, action: 'add' | 'remove', userIds: string[]): Promise<number> {
  const outcomes = [...(await changeRole(deps.directory, role, action, userIds)).values()];
  const changed = outcomes.filter((o) => o.outcome === 'changed').map((o) => o.userId);
  await recordInLedger(deps, role, action, outcomes);
  if (changed.length > 0) {
    await deps.audit.record({ actorId: SYSTEM_ACTOR, action: `reconcile.${action}`, entityType: 'resourceRole', entityId: roleKey(role), before: null, after: { role, userIds: changed } });
  }
  return changed.length;
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
          .filter((a) => a.appRoleId.toLowerCase() === role.roleOriginId.toLowerCase())
          .map((a) => a.principalId.toLowerCase()),
      );
    case 'SharePointOnline':
      return undefined;
  }
}
