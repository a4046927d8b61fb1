import { mapConcurrently } from '../../concurrently';
import type { Assignment, DeliveryOperation, DirectoryRole } from '../../domain/assignments/assignment';
import { deliveryState, roleKey, STATUS_OF_STATE } from '../../domain/assignments/deliveryState';
import { DirectoryError } from '../../directory/directoryError';
import type { ChangeOutcome, DirectoryPort, SiteRole } from '../../directory/directoryPort';
import { DomainError, isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import { SITE_ROLES } from '../entitlements/resourceOrigins';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { planRedelivery } from '../lifecycle/planDueWork';
import { isGroupOwnerRole, rolesHeldElsewhere } from './directoryRoles';

/** After this many attempts a failed operation is left failed, with its reason, for an administrator to reprocess. */
export const MAX_ATTEMPTS = 5;
/** The first retry waits a minute, each next one twice as long, at most an hour. */
const FIRST_RETRY_MS = 60_000;
const LONGEST_RETRY_MS = 3_600_000;

type Outcomes = Map<string, ChangeOutcome>;

/**
 * Applies the pending (and, when asked, failed) operations of some assignments: the same change for many users
 * becomes one bulk directory call, each outcome is recorded on its operation, and each assignment is saved with
 * its new state. Applying twice is harmless: the directory treats a change already made as done.
 */
export async function applyOperations(
  deps: EntitlementDeps,
  assignments: readonly StoredDocument<Assignment>[],
  options: { retryFailed: boolean } = { retryFailed: false },
): Promise<StoredDocument<Assignment>[]> {
  const due = (op: DeliveryOperation) => op.state === 'pending' || (options.retryFailed && op.state === 'failed' && op.attempts < MAX_ATTEMPTS);
  const groups = new Map<string, { role: DirectoryRole; action: DeliveryOperation['action']; userIds: Set<string> }>();
  const results = new Map<string, Outcomes>();
  for (const { value } of assignments) {
    const removing = value.operations.filter((op) => due(op) && op.action === 'remove');
    const stillHeld = removing.length > 0 ? await rolesHeldElsewhere(deps, value.targetId, value.id) : new Set<string>();
    for (const op of value.operations.filter(due)) {
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
    }
  }
  for (const [key, group] of groups) {
    const outcomes = await changeRole(deps.directory, group.role, group.action, [...group.userIds]);
    results.set(key, new Map([...(results.get(key) ?? []), ...outcomes]));
    await recordInLedger(deps, group.role, group.action, [...outcomes.values()]);
  }

  const saved = await mapConcurrently(assignments, (stored) =>
    saveOutcomes(deps, stored, (op) => {
      if (!due(op)) return op;
      const outcome = results.get(`${op.action}|${roleKey(op.role)}`)?.get(stored.value.targetId);
      if (!outcome) return op;
      if (outcome.outcome !== 'failed') return { ...op, state: 'done', attempts: op.attempts + 1, lastError: null };
      return { ...op, state: 'failed', attempts: op.attempts + 1, lastError: outcome.error?.message ?? 'The directory refused the change.' };
    }),
  );
  for (const assignment of saved) await planRetry(deps, assignment.value);
  return saved;
}

/** What Portcullis changed goes into the ledger (additions) or out of it (removals, also of what was already gone). */
export async function recordInLedger(deps: EntitlementDeps, role: DirectoryRole, action: DeliveryOperation['action'], outcomes: ChangeOutcome[]): Promise<void> {
  if (action === 'add') await deps.ledger.record(roleKey(role), outcomes.filter((o) => o.outcome === 'changed').map((o) => o.userId));
  else await deps.ledger.forget(roleKey(role), outcomes.filter((o) => o.outcome !== 'failed').map((o) => o.userId));
}

/** A failed operation with attempts left is tried again by the reconcile sweep, later each time. */
async function planRetry(deps: EntitlementDeps, assignment: Assignment): Promise<void> {
  const retriable = assignment.operations.filter((o) => o.state === 'failed' && o.attempts < MAX_ATTEMPTS);
  if (retriable.length === 0) return;
  const attempts = Math.max(...retriable.map((o) => o.attempts));
  const wait = Math.min(FIRST_RETRY_MS * 2 ** (attempts - 1), LONGEST_RETRY_MS);
  await planRedelivery(deps, assignment.id, deps.clock.now().plus(wait));
}

/** Records outcomes; when the assignment changed meanwhile (another delivery), the outcomes go onto the new version. */
async function saveOutcomes(
  deps: EntitlementDeps,
  stored: StoredDocument<Assignment>,
  update: (op: DeliveryOperation) => DeliveryOperation,
): Promise<StoredDocument<Assignment>> {
  let current = stored;
  for (;;) {
    const operations = current.value.operations.map(update);
    const state = current.value.state === 'expired' ? 'expired' : deliveryState(operations);
    const next: Assignment = { ...current.value, operations, state, status: STATUS_OF_STATE[state] };
    try {
      return await deps.grants.assignments.replace(current, next);
    } catch (error) {
      if (!(isDomainError(error) && error.code === 'concurrencyConflict')) throw error;
      const reread = await deps.grants.assignments.get(current.partitionKey, current.rowKey);
      if (!reread) throw new DomainError('notFound', `Assignment '${current.value.id}' was deleted during delivery.`);
      current = reread;
    }
  }
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
