import type { Assignment, DeliveryOperation } from '../../domain/assignments/assignment';
import { roleKey } from '../../domain/assignments/deliveryState';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { isActive } from './directoryRoles';
import { updateAssignment } from './updateAssignment';

/**
 * Puts operations onto an assignment, replacing older ones for the same roles so its history does not grow
 * without end. A delivery saving the assignment meanwhile is no reason to fail: the operations go onto its
 * version. An assignment found ended (unless `evenIfEnded`: a compensating removal) or gone is left alone and
 * answered undefined: its end's own removals take away what it gave, and nothing may be given to it any more.
 */
export async function withOperations(
  deps: EntitlementDeps,
  stored: StoredDocument<Assignment>,
  operations: DeliveryOperation[],
  options: { evenIfEnded: boolean } = { evenIfEnded: false },
): Promise<StoredDocument<Assignment> | undefined> {
  const keys = new Set(operations.map((o) => roleKey(o.role)));
  return updateAssignment(deps, stored, (assignment) => {
    if (!options.evenIfEnded && !isActive(assignment)) return undefined;
    const kept = assignment.operations.filter((o) => !keys.has(roleKey(o.role)));
    return { ...assignment, operations: [...kept, ...operations] };
  });
}
