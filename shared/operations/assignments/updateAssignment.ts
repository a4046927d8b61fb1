import type { Assignment } from '../../domain/assignments/assignment';
import { isDomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/** Writes `next` over `stored` on its ETag (a concurrencyConflict when it changed), answering it as stored. */
export type SaveAssignment = (stored: StoredDocument<Assignment>, next: Assignment) => Promise<StoredDocument<Assignment>>;

/**
 * Read-modify-write of an assignment on its ETag. `change` is applied to the version given and, when another write
 * (a delivery saving its outcomes) got there first, to the version that write left, so neither change is lost.
 * `change` answers undefined to leave the assignment as it is. Answers the saved version, or undefined when nothing
 * was saved (left as it is, or the assignment is gone).
 */
export async function updateAssignment(
  deps: EntitlementDeps,
  stored: StoredDocument<Assignment>,
  change: (assignment: Assignment) => Assignment | undefined,
  save: SaveAssignment = (current, next) => deps.grants.assignments.replace(current, next),
): Promise<StoredDocument<Assignment> | undefined> {
  for (let current: StoredDocument<Assignment> | undefined = stored; current; ) {
    const next = change(current.value);
    if (!next) return undefined;
    try {
      return await save(current, next);
    } catch (error) {
      if (!(isDomainError(error) && error.code === 'concurrencyConflict')) throw error;
      current = await deps.grants.assignments.get(current.partitionKey, current.rowKey);
    }
  }
  return undefined;
}
