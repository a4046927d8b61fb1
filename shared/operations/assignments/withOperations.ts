import type { Assignment, DeliveryOperation } from '../../domain/assignments/assignment';
import { roleKey } from '../../domain/assignments/deliveryState';
import { isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { isActive } from './directoryRoles';

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
  let current = stored;
  for (;;) {
    if (!options.evenIfEnded && !isActive(current.value)) return undefined;
    const kept = current.value.operations.filter((o) => !keys.has(roleKey(o.role)));
    try {
      return await deps.grants.assignments.replace(current, { ...current.value, operations: [...kept, ...operations] });
    } catch (error) {
      if (!(isDomainError(error) && error.code === 'concurrencyConflict')) throw error;
      const reread = await deps.grants.assignments.get(current.partitionKey, current.rowKey);
      if (!reread) return undefined;
      current = reread;
    }
  }
}
