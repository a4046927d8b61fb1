import { mapConcurrently } from '../../concurrently';
import type { Assignment, DeliveryOperation, DirectoryRole } from '../../domain/assignments/assignment';
import { additions, deliveryState, removals, roleKey, STATUS_OF_STATE } from '../../domain/assignments/deliveryState';
import { DirectoryError } from '../../directory/directoryError';
import type { ChangeOutcome, DirectoryPort, SiteRole } from '../../directory/directoryPort';
import { doublingWaitMs } from '../../domain/doublingWait';
import { DomainError } from '../../domain/errors';
import { updateAssignment, type SaveAssignment } from './updateAssignment';
import type { StoredDocument } from '../../store/documentTable';
import { SITE_ROLES } from '../entitlements/resourceOrigins';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { planRedelivery } from '../lifecycle/planDueWork';
import { grantsElsewhere, isActive, isGroupOwnerRole, rolesOfPackage, type GrantsElsewhere } from './directoryRoles';
import { withOperations } from './withOperations';

/** After this many attempts a failed operation is left failed, with its reason, for an administrator to reprocess. */
export const MAX_ATTEMPTS = 5;
/** The first retry waits a minute, each next one twice as long, at most an hour. */
const FIRST_RETRY_MS = 60_000;
const LONGEST_RETRY_MS = 3_600_000;

type Outcomes = Map<string, ChangeOutcome>;

/**
 * How many rounds of compensation one application may start (see `compensate`): each round answers a change that
 * raced with this one; one racing again with the compensation gets another round, and beyond that the reconcile
 * sweep's drift repair (groups and app roles) has the last word.
 */
const COMPENSATION_ROUNDS = 3;

export interface ApplyOptions {
  retryFailed: boolean;
  /** Rounds of compensation left; a compensation is applied with one fewer. */
  compensationRounds?: number;
  /**
   * Where the roles a target holds through its other assignments are looked up (before a removal, and again after
   * it): by default the target's assignments (one partition query); a batch of removals passes a lookup by point
   * reads (claimedGrants.ts).
   */
  grantsElsewhere?: GrantsElsewhere;
  /** How an assignment's outcomes are saved, when with more than itself (a request's outcome, in one transaction). */
  save?: SaveAssignment;
  /**
   * A package's roles as read after its assignment was written, from a snapshot kept while no change of the
   * package was under way (a request carried out at once: its policy check): when it lists every role added,
   * `compensate` takes it instead of reading them again after the change.
   */
  grantedAfterWrite?: PackageRoles;
}

/** The roles one package grants, as read at one moment. */
export interface PackageRoles {
  packageId: string;
  roles: readonly DirectoryRole[];
}

/** What the directory answered for each change of one pass, and the changes that changed it. */
export interface DirectoryPass {
  results: Map<string, Outcomes>;
  made: MadeChange[];
}

/**
 * Applies the pending (and, when asked, failed) operations of some assignments: the same change for many users
 * becomes one bulk directory call, each outcome is recorded on its operation, and each assignment is saved with
 * its new state. Applying twice is harmless: the directory treats a change already made as done. Changes that
 * raced with another change of the same person and role are then compensated (see `compensate`).
 */
export async function applyOperations(
  deps: EntitlementDeps,
  assignments: readonly StoredDocument<Assignment>[],
  options: ApplyOptions = { retryFailed: false },
): Promise<StoredDocument<Assignment>[]> {
  const pass = await changeDirectory(deps, assignments, options);
  const saved = await mapConcurrently(assignments, (stored) => saveOutcomes(deps, stored, options.save, withOutcomes(pass, stored.value.targetId, options)));
  await afterOutcomes(deps, saved, pass, options);
  return saved;
}

const isDue = (options: ApplyOptions) => (op: DeliveryOperation) => op.state === 'pending' || (options.retryFailed && op.state === 'failed' && op.attempts < MAX_ATTEMPTS);

/**
 * The directory side of applyOperations: the operations due, grouped by role and action into bulk directory calls
 * (a removal of a role the target still holds through another assignment is kept, not sent), and the grant ledger
 * told. Nothing is saved on the assignments: withOutcomes says what to save.
 */
export async function changeDirectory(deps: EntitlementDeps, assignments: readonly StoredDocument<Assignment>[], options: ApplyOptions): Promise<DirectoryPass> {
  const due = isDue(options);
  const lookUp = options.grantsElsewhere ?? ((targetId, exceptId) => grantsElsewhere(deps, targetId, exceptId));
  const groups = new Map<string, { role: DirectoryRole; action: DeliveryOperation['action']; userIds: Set<string> }>();
  const results = new Map<string, Outcomes>();
  const sent: MadeChange[] = [];
  // An ended assignment gives nothing: an addition found on one (appended by a writer that raced with its end) is
  // never applied, whatever else it holds.
  const applicable = (value: Assignment) => value.operations.filter((op) => due(op) && !(op.action === 'add' && !isActive(value)));
  const held = await mapConcurrently(assignments, async ({ value }) =>
    applicable(value).some((op) => op.action === 'remove') ? new Set((await lookUp(value.targetId, value.id)).keys()) : new Set<string>(),
  );
  for (const [index, { value }] of assignments.entries()) {
    const stillHeld = held[index]!;
    for (const op of applicable(value)) {
      const key = `${op.action}|${roleKey(op.role)}`;
      // Checked now, after the ending assignment was saved as ended: of two assignments of one person ending at
      // once, the later check sees the other ended, so a role both gave is removed, and one still given is kept.
      if (op.action === 'remove' && stillHeld.has(roleKey(op.role))) {
        const kept = results.get(key) ?? new Map<string, ChangeOutcome>();
        kept.set(value.targetId, { userId: value.targetId, outcome: 'unchanged' });
        results.set(key, kept);
        continue;
      }
      const group = groups.get(key) ?? { role: op.role, action: op.action, userIds: new Set<string>() };
      group.userIds.add(value.targetId);
      groups.set(key, group);
      sent.push({ assignmentId: value.id, userId: value.targetId, action: op.action, role: op.role });
    }
  }
  for (const [key, group] of groups) {
    const outcomes = await changeRole(deps.directory, group.role, group.action, [...group.userIds]);
    results.set(key, new Map([...(results.get(key) ?? []), ...outcomes]));
    await recordInLedger(deps, group.role, group.action, [...outcomes.values()]);
  }
  // Only changes that changed the directory can have overtaken another: a role found already there (or already
  // gone) was put there (or taken) by a change that lands before this one, and that change's writer checks after it.
  const made = sent.filter((m) => results.get(`${m.action}|${roleKey(m.role)}`)?.get(m.userId)?.outcome === 'changed');
  return { results, made };
}

/** An assignment's operation as the pass left it: done, or failed with the directory's reason (an attempt counted). */
export function withOutcomes(pass: DirectoryPass, targetId: string, options: ApplyOptions): (op: DeliveryOperation) => DeliveryOperation {
  const due = isDue(options);
  return (op) => {
    if (!due(op)) return op;
    const outcome = pass.results.get(`${op.action}|${roleKey(op.role)}`)?.get(targetId);
    if (!outcome) return op;
    if (outcome.outcome !== 'failed') return { ...op, state: 'done', attempts: op.attempts + 1, lastError: null };
    return { ...op, state: 'failed', attempts: op.attempts + 1, lastError: outcome.error?.message ?? 'The directory refused the change.' };
  };
}

/** Once the outcomes are saved: retries planned, given-up group changes flagged, raced changes compensated. */
export async function afterOutcomes(deps: EntitlementDeps, saved: readonly StoredDocument<Assignment>[], pass: DirectoryPass, options: ApplyOptions): Promise<void> {
  for (const assignment of saved) await planRetry(deps, assignment.value);
  for (const assignment of saved) await flagGivenUp(deps, assignment.value);
  const rounds = options.compensationRounds ?? COMPENSATION_ROUNDS;
  const lookUp = options.grantsElsewhere ?? ((targetId, exceptId) => grantsElsewhere(deps, targetId, exceptId));
  if (rounds > 0 && pass.made.length > 0) await compensate(deps, saved, pass.made, rounds - 1, lookUp, options.grantedAfterWrite);
}

export interface MadeChange {
  assignmentId: string;
  userId: string;
  action: DeliveryOperation['action'];
  role: DirectoryRole;
}

/**
 * Changes to one person's role can race: an addition can land after the assignment ended (or after the role left
 * its package) and the removal that followed; a removal checked "no other active assignment gives it" before a new
 * assignment giving it was written, and lands after that assignment's addition. Rather than serialise a person's
 * changes (a lock per person, held across directory calls), every writer records the desired state first (the
 * assignment, its end, its operations, the package's role scopes) and acts after; and here, after acting, reads
 * the desired state again and compensates. Whichever change lands last, its writer reads the desired state after
 * it landed, so the directory ends as the desired state says:
 * - an addition: the assignment as saved with the outcome (a conditional write, so it is the latest version) still
 *   gives the role, and its package still grants it, or else its removal is applied again (which keeps the role
 *   where another assignment gives it);
 * - a removal: no other active assignment gives the role now, or else that assignment's addition is applied again.
 * A compensation is an ordinary operation on the assignment it belongs to, so when it fails it is retried by the
 * reconcile sweep like any other.
 *
 * `afterWrite`: the package's roles read after the assignment was written, from its kept snapshot (which shows no
 * change of the package under way), confirm the roles it lists in place of the read after the addition. A role
 * taken out of the package after that read is taken out by a change that began after it (it drops the snapshot
 * first), so its carrying to the assignees (packageRoleChanges.ts, through their pointers) reads them after this
 * assignment was written and puts the removal onto it: before this delivery saved its outcome (which then lands on
 * the removal, and the assignment as saved no longer gives the role: compensated here), or after it (the removal
 * then lands after this addition). A role the snapshot lacks only confirms nothing: it may have been put back into
 * the package since, so the package's roles are read again before anything is taken away. (An instance of an
 * earlier version, which changes the tables without dropping the snapshot, is caught up by the role change's own
 * item, planned before the role scope is deleted: the reconcile sweep carries the removal to every assignee then.)
 */
async function compensate(
  deps: EntitlementDeps,
  saved: readonly StoredDocument<Assignment>[],
  made: readonly MadeChange[],
  rounds: number,
  lookUp: GrantsElsewhere,
  afterWrite?: PackageRoles,
): Promise<void> {
  const granted = new Map<string, Promise<Set<string>>>();
  const confirmed = afterWrite && { packageId: afterWrite.packageId, roles: new Set(afterWrite.roles.map(roleKey)) };
  const grantedBy = async (packageId: string, additionsMade: readonly MadeChange[]) => {
    if (confirmed?.packageId === packageId && additionsMade.every((m) => confirmed.roles.has(roleKey(m.role)))) return confirmed.roles;
    const roles = granted.get(packageId) ?? rolesOfPackage(deps, packageId).then((r) => new Set(r.map(roleKey)));
    granted.set(packageId, roles);
    return roles;
  };
  await mapConcurrently(saved, async (assignment) => {
    const mine = made.filter((m) => m.assignmentId === assignment.value.id);
    const additionsMade = mine.filter((m) => m.action === 'add');
    const stillGranted = additionsMade.length > 0 ? await grantedBy(assignment.value.accessPackageId, additionsMade) : new Set<string>();
    const added = additionsMade.filter((m) => !(stillGranted.has(roleKey(m.role)) && wantsRole(assignment.value, roleKey(m.role))));
    if (added.length > 0) await reopen(deps, assignment, removals(added.map((m) => m.role)), rounds);
    const removed = mine.filter((m) => m.action === 'remove');
    if (removed.length === 0) return;
    const grants = await lookUp(assignment.value.targetId, assignment.value.id);
    for (const { role } of removed) {
      const granter = grants.get(roleKey(role));
      if (granter) await reopen(deps, granter, additions([role]), rounds);
    }
  });
}

/** The assignment, as saved, gives the role: it is active and its last word on the role is not a removal. */
function wantsRole(assignment: Assignment, key: string): boolean {
  return isActive(assignment) && !assignment.operations.some((o) => o.action === 'remove' && roleKey(o.role) === key);
}

/**
 * Puts operations onto an assignment (in place of its older ones for the same roles) and applies them: a removal
 * also onto an ended assignment, an addition never (an assignment that ended meanwhile gives nothing).
 */
async function reopen(deps: EntitlementDeps, stored: StoredDocument<Assignment>, operations: DeliveryOperation[], rounds: number): Promise<void> {
  const updated = await withOperations(deps, stored, operations, { evenIfEnded: operations.every((o) => o.action === 'remove') });
  if (updated) await applyOperations(deps, [updated], { retryFailed: false, compensationRounds: rounds });
}

/** What Portcullis changed goes into the ledger (additions) or out of it (removals, also of what was already gone). */
export async function recordInLedger(deps: EntitlementDeps, role: DirectoryRole, action: DeliveryOperation['action'], outcomes: ChangeOutcome[]): Promise<void> {
  if (action === 'add') await deps.ledger.record(role, outcomes.filter((o) => o.outcome === 'changed').map((o) => o.userId));
  else await deps.ledger.forget(roleKey(role), outcomes.filter((o) => o.outcome !== 'failed').map((o) => o.userId));
}

/** A failed operation with attempts left is tried again by the reconcile sweep, later each time. */
async function planRetry(deps: EntitlementDeps, assignment: Assignment): Promise<void> {
  const retriable = assignment.operations.filter((o) => o.state === 'failed' && o.attempts < MAX_ATTEMPTS);
  if (retriable.length === 0) return;
  const attempts = Math.max(...retriable.map((o) => o.attempts));
  const wait = doublingWaitMs(attempts, FIRST_RETRY_MS, LONGEST_RETRY_MS);
  await planRedelivery(deps, assignment.id, deps.clock.now().plus(wait));
}

/**
 * A group role change the directory refused until the attempts ran out leaves drift the groups delta never shows:
 * the holder is flagged, so the reconcile sweep compares the role in full on its next run (groupDrift.ts).
 */
async function flagGivenUp(deps: EntitlementDeps, assignment: Assignment): Promise<void> {
  for (const op of assignment.operations) {
    if (op.state === 'failed' && op.attempts >= MAX_ATTEMPTS && op.role.originSystem === 'AadGroup') await deps.ledger.flag(op.role, [assignment.targetId]);
  }
}

/** Records outcomes; when the assignment changed meanwhile (another delivery), the outcomes go onto the new version. */
async function saveOutcomes(
  deps: EntitlementDeps,
  stored: StoredDocument<Assignment>,
  save: SaveAssignment | undefined,
  update: (op: DeliveryOperation) => DeliveryOperation,
): Promise<StoredDocument<Assignment>> {
  const saved = await updateAssignment(
    deps,
    stored,
    (assignment) => {
      const operations = assignment.operations.map(update);
      const state = assignment.state === 'expired' ? 'expired' : deliveryState(operations);
      return { ...assignment, operations, state, status: STATUS_OF_STATE[state] };
    },
    save,
  );
  if (!saved) throw new DomainError('notFound', `Assignment '${stored.value.id}' was deleted during delivery.`);
  return saved;
}

/** One role change for many users; a failure of the whole call is recorded against each of them. */
export async function changeRole(directory: DirectoryPort, role: DirectoryRole, action: DeliveryOperation['action'], userIds: string[]): Promise<Outcomes> {
  let outcomes: ChangeOutcome[];
  try {
    outcomes = await callDirectory(directory, role, action, userIds);
  } catch (error) {
    if (!(error instanceof DirectoryError)) throw error;
    outcomes = userIds.map((userId) => ({ userId, outcome: 'failed', error }));
  }
  return new Map(outcomes.map((o) => [o.userId, o]));
}

async function callDirectory(directory: DirectoryPort, role: DirectoryRole, action: DeliveryOperation['action'], userIds: string[]): Promise<ChangeOutcome[]> {
  const adding = action === 'add';
  switch (role.originSystem) {
    case 'AadGroup': {
      if (isGroupOwnerRole(role)) return adding ? directory.addGroupOwners(role.resourceOriginId, userIds) : directory.removeGroupOwners(role.resourceOriginId, userIds);
      return adding ? directory.addGroupMembers(role.resourceOriginId, userIds) : directory.removeGroupMembers(role.resourceOriginId, userIds);
    }
    case 'AadApplication':
      return adding
        ? directory.grantAppRole(role.resourceOriginId, role.roleOriginId, userIds)
        : directory.revokeAppRole(role.resourceOriginId, role.roleOriginId, userIds);
    case 'SharePointOnline': {
      const siteRole = siteRoleOf(role.roleOriginId);
      const site = /^https:\/\//i.test(role.resourceOriginId) ? await directory.getSiteByUrl(role.resourceOriginId) : await directory.getSite(role.resourceOriginId);
      if (!site) throw new DirectoryError('notFound', `The site '${role.resourceOriginId}' no longer exists.`);
      const outcomes: ChangeOutcome[] = [];
      for (const userId of userIds) outcomes.push(await (adding ? directory.grantSiteRole(site.id, siteRole, userId) : directory.revokeSiteRole(site.id, siteRole, userId)));
      return outcomes;
    }
  }
}

function siteRoleOf(siteGroupId: string): SiteRole {
  const known = SITE_ROLES.find((r) => r.originId === siteGroupId);
  if (!known) throw new DirectoryError('permanent', `Site group '${siteGroupId}' is not one Portcullis can grant.`);
  return known.permission;
}
