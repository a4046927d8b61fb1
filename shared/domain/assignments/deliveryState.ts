import type { AssignmentState, DeliveryOperation, DirectoryRole } from './assignment';

/** One key per directory role, whatever package or role scope grants it: two packages granting it hold one role. */
export const roleKey = (role: DirectoryRole): string => `${role.originSystem}|${role.resourceOriginId}|${role.roleOriginId}`.toLowerCase();

/**
 * An active assignment's state from its operations: delivered when every one is done, deliveryFailed when none
 * is and some failed, partiallyDelivered when some are done and some failed, delivering while any is pending.
 */
export function deliveryState(operations: readonly DeliveryOperation[]): Exclude<AssignmentState, 'expired'> {
  const adds = operations.filter((o) => o.action === 'add');
  if (adds.some((o) => o.state === 'pending')) return 'delivering';
  const failed = adds.filter((o) => o.state === 'failed').length;
  if (failed === 0) return 'delivered';
  return failed === adds.length ? 'deliveryFailed' : 'partiallyDelivered';
}

/** How the removal of an ended assignment went, in the same terms, for the request that removed it. */
export function removalState(operations: readonly DeliveryOperation[]): Exclude<AssignmentState, 'expired'> {
  const removals = operations.filter((o) => o.action === 'remove');
  if (removals.some((o) => o.state === 'pending')) return 'delivering';
  const failed = removals.filter((o) => o.state === 'failed').length;
  if (failed === 0) return 'delivered';
  return failed === removals.length ? 'deliveryFailed' : 'partiallyDelivered';
}

/** Graph's free-form status for a state, as Entra spells it. */
export const STATUS_OF_STATE: Record<AssignmentState, string> = {
  delivering: 'Delivering',
  delivered: 'Delivered',
  partiallyDelivered: 'PartiallyDelivered',
  deliveryFailed: 'DeliveryFailed',
  expired: 'Expired',
};

/** Operations to add the roles, one each, pending. */
export function additions(roles: readonly DirectoryRole[]): DeliveryOperation[] {
  return roles.map((role) => ({ action: 'add', role, state: 'pending', attempts: 0, lastError: null }));
}

/** Operations to remove the roles that nothing else holds (`heldElsewhere`: role keys another assignment holds). */
export function removals(roles: readonly DirectoryRole[], heldElsewhere: ReadonlySet<string>): DeliveryOperation[] {
  return roles
    .filter((role) => !heldElsewhere.has(roleKey(role)))
    .map((role) => ({ action: 'remove', role, state: 'pending', attempts: 0, lastError: null }));
}
