import type { DirectoryRole } from '../../domain/assignments/assignment';
import { roleKey } from '../../domain/assignments/deliveryState';
import type { DirectoryPort } from '../../directory/directoryPort';
import { DirectoryError } from '../../directory/directoryError';
import type { DueItem, RedeliveryKind } from '../../store/dueWork';
import { applyOperations, MAX_ATTEMPTS } from '../assignments/applyOperations';
import { directoryRoleOf } from '../assignments/directoryRoles';
import { redrivePackageRoleChange } from '../assignments/packageRoleChanges';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { flushAuditOutbox } from '../requests/auditOutbox';
import { policyCheckOfDelivering } from '../requests/carryOutAtOnce';
import { processDueItems, withSweepLease, type DueWorkResult, type ItemOutcome, type SweepOptions } from './sweepDueWork';
import { SweepLeaseLost, type HeldLease } from './sweepLease';
import { allPages } from '../../directory/allPages';
import { bringRequestUpToDate, compareHolders, forgetGoneRole } from './driftRepair';
import { followGroupRoles, type RoleInUse } from './groupDrift';

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

export interface ReconcileCheckpoint {
  /** Where the redelivery index is read from next. */
  minute: string | null;
  /** The last application role compared, in role-key order; the next run goes on after it. */
  lastRole: string | null;
}

/**
 * `reconcileSweep` (DESIGN §1, desired state then delivery): re-drives deliveries that failed or stayed pending,
 * with backoff and a bound on attempts, then compares the resource roles in use with the directory (group roles
 * through the groups delta, only what changed and in full once a day; application roles in full): it adds what
 * the assignments say is missing, and removes what Portcullis granted that no assignment holds any more (members
 * it never granted are left alone unless RECONCILE_REMOVES_UNGRANTED is true). Undefined when another instance
 * is running it.
 */
export async function reconcile(deps: EntitlementDeps, options: SweepOptions): Promise<ReconcileResult | undefined> {
  return withSweepLease(deps, 'reconcileSweep', options, async (saved, deadline, lease) => {
    const position: ReconcileCheckpoint = saved ? (JSON.parse(saved) as ReconcileCheckpoint) : { minute: null, lastRole: null };
    const pass = await redeliveryPass(deps, position.minute, deadline, lease, options.roleChangeBatch);
    const drift = await repairDrift(deps, position.lastRole, deadline, lease);
    const result: ReconcileResult = { redelivery: pass.result, ...drift.counts };
    await recordSummary(deps, lease, result, result.added + result.removed > 0 || result.redelivery.processed > 0);
    return { checkpoint: JSON.stringify({ minute: pass.checkpoint, lastRole: drift.lastRole }), result };
  });
}

/**
 * The redelivery index read from `from` up to now: each failed or pending delivery applied again, and package role
 * changes carried on `roleChangeBatch` assignees at a time.
 */
export function redeliveryPass(deps: EntitlementDeps, from: string | null, deadline: number, lease: HeldLease, roleChangeBatch?: number) {
  const handle = (item: DueItem<RedeliveryKind>) => (item.kind === 'packageRoleChange' ? redrivePackageRoleChange(deps, item, deadline, () => lease.hold(), roleChangeBatch) : redeliver(deps, item));
  return processDueItems(deps, deps.redeliveries, handle, { from, now: deps.clock.now(), deadline, lease });
}

/** A summary of changes audited on their own (deliveries, repairs), when it changed something: it records no stored change to lose. */
export async function recordSummary(deps: EntitlementDeps, lease: HeldLease, result: object, changed: boolean): Promise<void> {
  if (!changed) return;
  await lease.hold();
  await deps.audit.record({ actorId: SYSTEM_ACTOR, action: 'reconcileSweep', entityType: 'sweep', entityId: 'reconcileSweep', before: null, after: result });
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
  // Its making request still `delivering`: maybe one carried out at once whose process stopped before checking its
  // policy, or found it gone and could not end the assignment (carryOutAtOnce.ts); checked before it is finished.
  if ((await policyCheckOfDelivering(deps, stored)) !== 'standing') return 'processed';
  const undone = stored.value.operations.filter((o) => o.state === 'pending' || (o.state === 'failed' && o.attempts < MAX_ATTEMPTS));
  const applied = undone.length > 0 ? (await applyOperations(deps, [stored], { retryFailed: true }))[0]! : stored;
  // Also with nothing left to apply: the request's own last write may be what a stopped process lost. Its policy
  // was checked above: a check that found it standing has decided (carryOutAtOnce.ts, write-then-check).
  const behind = await bringRequestUpToDate(deps, applied, { policyChecked: true });
  return undone.length > 0 || behind ? 'processed' : 'stale';
}

/**
 * Every resource role some package grants, with the packages granting it, and every role Portcullis has granted
 * (the grant ledger's), also one no package grants any more (its holders are then all to lose it), in role-key order.
 */
export async function rolesInUse(deps: EntitlementDeps): Promise<RoleInUse[]> {
  const roles = new Map<string, RoleInUse>();
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
 * Compares the roles in use with the directory. Group members and owners follow the groups delta (groupDrift.ts):
 * only what changed is compared, and each set of groups in full once a day. Application roles are compared in full
 * on every run, from the role after `after` (sites cannot be listed). The lease is held before each role's writes,
 * after its reads (a large listing can take long): a run that lost it changes nothing more.
 */
async function repairDrift(deps: EntitlementDeps, after: string | null, deadline: number, lease: HeldLease) {
  const counts = { rolesChecked: 0, rolesNotCheckable: 0, added: 0, removed: 0, rolesRemaining: 0, rolesFailed: 0, errors: [] as string[] };
  const inUse = await rolesInUse(deps);
  await followGroupRoles(deps, inUse.filter((r) => r.role.originSystem === 'AadGroup'), deadline, lease, counts);
  const roles = inUse.filter((r) => r.role.originSystem !== 'AadGroup' && (after === null || r.key > after));
  // Cut off before its first role, a run keeps the position it started from.
  let lastRole: string | null = after;
  for (const [index, role] of roles.entries()) {
    if (Date.now() > deadline) {
      counts.rolesRemaining += roles.length - index;
      return { counts, lastRole };
    }
    await compareAppRole(deps, role, lease, counts);
    lastRole = role.key;
  }
  // A full pass done: the next run starts from the first role again.
  return { counts, lastRole: null };
}

/**
 * Compares one application role's holders in full with what the assignments and the ledger say, and repairs the
 * difference. A role that cannot be compared (its application deleted, the directory away) is counted as failed.
 */
export async function compareAppRole(deps: EntitlementDeps, { key, role, packageIds }: RoleInUse, lease: HeldLease, counts: AppRoleCounts): Promise<void> {
  try {
    const actual = await holdersInDirectory(deps.directory, role).catch(async (error: unknown) => {
      if (!(packageIds.size === 0 && error instanceof DirectoryError && error.kind === 'notFound')) throw error;
      // A role no package grants, whose application is gone: no one holds it, and it is not looked for again.
      await lease.hold();
      await forgetGoneRole(deps, role, lease);
      return new Set<string>();
    });
    if (!actual) counts.rolesNotCheckable++;
    else {
      const repair = await compareHolders(deps, role, packageIds, actual, lease);
      counts.added += repair.added;
      counts.removed += repair.removed;
      counts.rolesChecked++;
    }
  } catch (error) {
    if (error instanceof SweepLeaseLost) throw error;
    // One role that cannot be compared does not stop the others.
    counts.rolesFailed++;
    if (counts.errors.length < 5) counts.errors.push(`${key}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** What comparing roles counts (ReconcileResult's drift part). */
export type AppRoleCounts = Omit<ReconcileResult, 'redelivery'>;

/** Who holds a role in the directory (user object ids, lower case); undefined where it cannot be listed. */
async function holdersInDirectory(directory: DirectoryPort, role: DirectoryRole): Promise<Set<string> | undefined> {
  switch (role.originSystem) {
    case 'AadGroup':
      // Followed by the groups delta instead (groupDrift.ts).
      return undefined;
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
