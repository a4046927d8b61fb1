import type { Caller } from '../../auth/caller';
import { mapConcurrently } from '../../concurrently';
import type { Assignment } from '../../domain/assignments/assignment';
import { DomainError } from '../../domain/errors';
import type { AccessPackage } from '../../domain/entitlements';
import { isActive } from '../assignments/directoryRoles';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { ASSIGNMENT_COLUMNS, assignmentRow, type AssignmentColumn } from './assignmentRows';
import type { Report, ReportCursor, ReportPage } from './report';
import { reportedPackage, reportScope } from './reportScope';
import { namesOf } from './userNames';

/** Point reads at once for a page of assignments: Table Storage serves many in parallel, and a page holds up to 1,000. */
export const READS_AT_ONCE = 32;

/**
 * `GET /api/reports/accessPackages/{id}/assignments`: who has an assignment of the package (Entra's "who has
 * access" and its CSV download). The first page looks at the package's assignee index. A package whose assignees
 * all fit in that page is read by key, one point read each: the cost follows the package, however many assignments
 * the tenant holds. A larger one is read from the assignments' own rows, by the package and state columns stored
 * with each, one query a page with no read per row (a point read per row bound the report to Azurite's or Table
 * Storage's point-read rate: 78 rows/s at 20,000 rows on the shared machine). Ended assignments are left out by
 * both ways; an assignment being written (its pointer is written first) is in neither until it is there.
 */
export async function packageAssignmentsReport(deps: EntitlementDeps, caller: Caller, packageId: string): Promise<Report<AssignmentColumn>> {
  const accessPackage = await reportedPackage(deps, caller, await reportScope(deps, caller), packageId);
  const rowsOf = async (assignments: readonly Assignment[]) => {
    const nameOf = await namesOf(deps, assignments.map((a) => a.targetId));
    return assignments.map((a) => assignmentRow(a, accessPackage, nameOf(a.targetId)));
  };
  return {
    columns: ASSIGNMENT_COLUMNS,
    async page(cursor, size) {
      if (cursor === undefined) {
        const small = await wholePackageByKey(deps, accessPackage, size);
        if (small) return { rows: await rowsOf(small) };
      } else if (cursor.assignments === undefined) {
        throw new DomainError('invalidRequest', 'This $skiptoken was made by an earlier version of the report: start the report again.');
      }
      return activeAssignmentsPage(deps, accessPackage, size, cursor, rowsOf);
    },
  };
}

/** The package's active assignments read by key, when its assignee index fits in one page; undefined when it does not. */
async function wholePackageByKey(deps: EntitlementDeps, accessPackage: AccessPackage, size: number): Promise<Assignment[] | undefined> {
  const { pointers, continuationToken } = await deps.grants.assigneePointerPage(accessPackage.id, size);
  if (continuationToken) return undefined;
  const found = await mapConcurrently(pointers, (p) => deps.grants.assignmentOf(p.targetId, p.id), READS_AT_ONCE);
  return found.flatMap((d): Assignment[] => (d && d.value.accessPackageId === accessPackage.id && isActive(d.value) ? [d.value] : []));
}

async function activeAssignmentsPage(
  deps: EntitlementDeps,
  accessPackage: AccessPackage,
  size: number,
  cursor: ReportCursor | undefined,
  rowsOf: (assignments: readonly Assignment[]) => Promise<ReportPage<AssignmentColumn>['rows']>,
): Promise<ReportPage<AssignmentColumn>> {
  const page = await deps.grants.pageActiveAssignmentsOfPackage(accessPackage.id, size, cursor?.assignments);
  return {
    rows: await rowsOf(page.items.map((d) => d.value)),
    ...(page.continuationToken ? { cursor: { assignments: page.continuationToken } } : {}),
  };
}
