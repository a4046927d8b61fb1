import { mapConcurrently } from '../../concurrently';
import type { Assignment, DirectoryRole } from '../../domain/assignments/assignment';
import { additions, removals, roleKey } from '../../domain/assignments/deliveryState';
import { isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { applyOperations } from './applyOperations';
import { isActive } from './directoryRoles';

/**
 * A role added to a package reaches everyone assigned the package: one pending operation per assignment, saved
 * first, then applied in bulk (one directory call for all of them).
 */
export async function deliverRoleToAssignees(deps: EntitlementDeps, packageId: string, role: DirectoryRole): Promise<void> {
  const assignees = (await deps.grants.assignmentsOfPackage(packageId)).filter((a) => isActive(a.value));
  const planned = await mapConcurrently(assignees, (a) => withOperations(deps, a, additions([role])));
  await applyOperations(deps, planned);
}

/** A role taken out of a package is removed from its assignees, except where another assignment still grants it. */
export async function withdrawRoleFromAssignees(deps: EntitlementDeps, packageId: string, role: DirectoryRole): Promise<void> {
  const assignees = (await deps.grants.assignmentsOfPackage(packageId)).filter((a) => isActive(a.value));
  // Whether another assignment still gives the role is decided per person when the removals are applied.
  const planned = await mapConcurrently(assignees, (a) => withOperations(deps, a, removals([role])));
  await applyOperations(deps, planned);
}

/**
 * Adds operations to an assignment, replacing older ones for the same role so its history does not grow without
 * end. A delivery saving the assignment meanwhile is no reason to fail: the operations go onto its version.
 */
async function withOperations(deps: EntitlementDeps, stored: StoredDocument<Assignment>, operations: Assignment['operations']): Promise<StoredDocument<Assignment>> {
  const keys = new Set(operations.map((o) => roleKey(o.role)));
  let current = stored;
  for (;;) {
    const kept = current.value.operations.filter((o) => !keys.has(roleKey(o.role)));
    try {
      return await deps.grants.assignments.replace(current, { ...current.value, operations: [...kept, ...operations] });
    } catch (error) {
      if (!(isDomainError(error) && error.code === 'concurrencyConflict')) throw error;
      const reread = await deps.grants.assignments.get(current.partitionKey, current.rowKey);
      if (!reread) throw error;
      current = reread;
    }
  }
}
