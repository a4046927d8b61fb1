import type { Caller } from '../../auth/caller';
import { mapConcurrently } from '../../concurrently';
import type { Assignment } from '../../domain/assignments/assignment';
import { isActive } from '../assignments/directoryRoles';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { ASSIGNMENT_COLUMNS, assignmentRow, type AssignmentColumn } from './assignmentRows';
import type { Report } from './report';
import { reportedPackage, reportScope } from './reportScope';
import { namesOf } from './userNames';

/** Point reads at once for a page of assignments: Table Storage serves many in parallel, and a page holds up to 1,000. */
export const READS_AT_ONCE = 32;

/**
 * `GET /api/reports/accessPackages/{id}/assignments`: who has an assignment of the package (Entra's "who has
 * access" and its CSV download). Read through the package's assignee index, a page of pointers at a time, then
 * each assignment by its key: a page costs one index query and its own point reads, whatever the tables hold.
 * Ended assignments leave the index, and one ending meanwhile is skipped.
 */
export async function packageAssignmentsReport(deps: EntitlementDeps, caller: Caller, packageId: string): Promise<Report<AssignmentColumn>> {
  const accessPackage = await reportedPackage(deps, caller, await reportScope(deps, caller), packageId);
  return {
    columns: ASSIGNMENT_COLUMNS,
    async page(cursor, size) {
      const { pointers, continuationToken } = await deps.grants.assigneePointerPage(accessPackage.id, size, cursor?.index);
      const found = await mapConcurrently(pointers, (p) => deps.grants.assignmentOf(p.targetId, p.id), READS_AT_ONCE);
      const assignments = found.flatMap((d): Assignment[] => (d && d.value.accessPackageId === accessPackage.id && isActive(d.value) ? [d.value] : []));
      const nameOf = await namesOf(deps, assignments.map((a) => a.targetId));
      return {
        rows: assignments.map((a) => assignmentRow(a, accessPackage, nameOf(a.targetId))),
        ...(continuationToken ? { cursor: { index: continuationToken } } : {}),
      };
    },
  };
}
