import type { Assignment, AssignmentState, DeliveryAction, DeliveryOperation, DirectoryRole } from './assignment';

/** One key per directory role, whatever package or role scope grants it: two packages granting it hold one role. */
export const roleKey = (role: DirectoryRole): string => `${role.originSystem}|${role.resourceOriginId}|${role.roleOriginId}`.toLowerCase();

export type DeliveryOutcome = Exclude<AssignmentState, 'expired'>;

/**
 * How the operations of one kind went: delivered when every one is done, deliveryFailed when none is and some
 * failed, partiallyDelivered when some are done and some failed, delivering while any is pending. An active
 * assignment's state is that of its additions; the request that removed an assignment takes that of its removals.
 */
export function deliveryState(operations: readonly DeliveryOperation[], action: DeliveryAction = 'add'): DeliveryOutcome {
  const relevant = operations.filter((o) => o.action === action);
  if (relevant.some((o) => o.state === 'pending')) return 'delivering';
  const failed = relevant.filter((o) => o.state === 'failed').length;
  if (failed === 0) return 'delivered';
  return failed === relevant.length ? 'deliveryFailed' : 'partiallyDelivered';
}

/**
 * An assignment nothing of which was applied yet (every operation an addition still pending, never tried): the
 * state a request carried out at once leaves between its write and its policy's check (carryOutAtOnce.ts).
 */
export function awaitsFirstDelivery(assignment: Pick<Assignment, 'state' | 'operations'>): boolean {
  return assignment.state === 'delivering' && assignment.operations.every((o) => o.action === 'add' && o.state === 'pending' && o.attempts === 0);
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

/** Operations to remove the roles, one each, pending. */
export function removals(roles: readonly DirectoryRole[]): DeliveryOperation[] {
  return roles.map((role) => ({ action: 'remove', role, state: 'pending', attempts: 0, lastError: null }));
}
