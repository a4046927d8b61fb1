import type { Caller } from '../../auth/caller';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { ASSIGNMENT_COLUMNS, assignmentRow, type AssignmentColumn } from './assignmentRows';
import { packagesById } from './packagesById';
import type { Report } from './report';
import { reportScope } from './reportScope';
import { reportedUserId, userAssignmentsPage } from './userAssignments';
import { namesOf } from './userNames';

/**
 * `GET /api/reports/users/{userId}/accessPackages`: every assignment of the user, ended ones too (their state says
 * so), read a page at a time from the user's own partition. A catalog's owners and readers see its rows only.
 */
export async function userAccessPackagesReport(deps: EntitlementDeps, caller: Caller, userId: string): Promise<Report<AssignmentColumn>> {
  const visibility = await reportScope(deps, caller);
  const target = reportedUserId(userId);
  return {
    columns: ASSIGNMENT_COLUMNS,
    async page(cursor, size) {
      const { assignments, cursor: next } = await userAssignmentsPage(deps, target, visibility, size, cursor);
      const [packages, nameOf] = await Promise.all([packagesById(deps, assignments.map((a) => a.accessPackageId)), namesOf(deps, [target])]);
      return {
        rows: assignments.map((a) => assignmentRow(a, packages.get(a.accessPackageId), nameOf(a.targetId))),
        ...(next ? { cursor: next } : {}),
      };
    },
  };
}
