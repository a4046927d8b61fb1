import type { Assignment, DeliveryAction, DirectoryRole } from '../../domain/assignments/assignment';
import { additions, removals, roleKey } from '../../domain/assignments/deliveryState';
import type { StoredDocument } from '../../store/documentTable';
import type { DueItem, RedeliveryKind } from '../../store/dueWork';
import { mapConcurrently } from '../../concurrently';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { PENDING_GRACE_MS, planPackageRoleChange } from '../lifecycle/planDueWork';
import type { ItemOutcome } from '../lifecycle/sweepDueWork';
import { applyOperations } from './applyOperations';
import { isActive, rolesOfPackage } from './directoryRoles';
import { withOperations } from './withOperations';

/** Assignees changed at a time: their operations saved, then one bulk directory call, then the next batch. */
export const ROLE_CHANGE_BATCH = 100;

/**
 * A role added to or taken out of a package reaches its assignees durably: first the change is recorded in the
 * redelivery index (due a little later, as pending delivery is), then the caller changes the role scope, then
 * carries the change to as many assignees as `deadline` allows. The reconcile sweep takes the item when it comes
 * due and carries the change to whoever it has not reached (a crash, a storage error, the budget run out), so no
 * assignee keeps a role taken out of the package, or lacks one put in. An item for a role scope change that never
 * happened (the process stopped between the two writes) is dropped when it comes due: the package says so.
 */
export async function planRoleChange(deps: EntitlementDeps, packageId: string, role: DirectoryRole, action: DeliveryAction): Promise<void> {
  await planPackageRoleChange(deps, packageId, role, action, deps.clock.now().plus(PENDING_GRACE_MS));
}

/**
 * Carries a package's role change to its active assignees, a batch at a time, until all have it or `deadline`
 * (wall clock, ms) passes. An assignee has it once its operation for the role is that change, done or failed (a
 * failed one is retried through the assignment's own redelivery); one still pending is applied again. Answers
 * `stale` when the package no longer says so (the role put back in, or taken out again) or every assignee has it
 * already, `unfinished` when assignees are left. Operations are written before they are applied, so a batch cut off is finished by the next pass.
 * `beforeBatch` runs before each batch's writes: the sweep's lease check, so a run that lost its lease writes no
 * further batch (the runner that took over carries the change on from the item).
 */
export async function carryRoleChange(
  deps: EntitlementDeps,
  packageId: string,
  role: DirectoryRole,
  action: DeliveryAction,
  deadline: number,
  beforeBatch: () => Promise<void> = async () => undefined,
  batchSize = ROLE_CHANGE_BATCH,
): Promise<'done' | 'unfinished' | 'stale'> {
  const key = roleKey(role);
  const granted = (await rolesOfPackage(deps, packageId)).some((r) => roleKey(r) === key);
  if (granted !== (action === 'add')) return 'stale';
  const assignees = (await deps.grants.assignmentsOfPackage(packageId)).filter((a) => isActive(a.value) && needsChange(a.value, key, action));
  if (assignees.length === 0) return 'stale';
  const operations = action === 'add' ? additions([role]) : removals([role]);
  for (let start = 0; start < assignees.length; start += batchSize) {
    if (start > 0 && Date.now() > deadline) return 'unfinished';
    await beforeBatch();
    const batch = assignees.slice(start, start + batchSize);
    const planned = await mapConcurrently(batch, (a) => withOperations(deps, a, operations));
    await applyOperations(deps, planned.filter((a): a is StoredDocument<Assignment> => a !== undefined));
  }
  return 'done';
}

/**
 * An addition reaches an assignee without the role's addition done or failed; a removal, one that was given the
 * role (an addition of it, in any state) or whose removal is still pending. An assignment made after the role left
 * the package never had it, and has nothing taken away.
 */
function needsChange(assignment: Assignment, key: string, action: DeliveryAction): boolean {
  const op = assignment.operations.find((o) => roleKey(o.role) === key);
  if (action === 'add') return !(op?.action === 'add' && op.state !== 'pending');
  return op !== undefined && (op.action === 'add' || op.state === 'pending');
}

/**
 * The reconcile sweep's handler of a package role change: carries it on, and leaves an item for what is left.
 * `holdLease` is asked before every write (each batch, the item left), as the sweep's fencing requires.
 */
export async function redrivePackageRoleChange(deps: EntitlementDeps, item: DueItem<RedeliveryKind>, deadline: number, holdLease: () => Promise<void>, batchSize?: number): Promise<ItemOutcome> {
  const action = item.detail.split('|')[0];
  if (!item.role || (action !== 'add' && action !== 'remove')) return 'stale';
  const outcome = await carryRoleChange(deps, item.entityId, item.role, action, deadline, holdLease, batchSize);
  if (outcome === 'stale') return 'stale';
  // The budget ran out: the rest is due at once, so the next run of the sweep goes on with it.
  if (outcome === 'unfinished') {
    await holdLease();
    await planPackageRoleChange(deps, item.entityId, item.role, action, deps.clock.now());
  }
  return 'processed';
}
