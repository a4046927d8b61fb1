import type { Caller } from '../../auth/caller';
import { sees } from '../../auth/callerAccess';
import { DomainError } from '../../domain/errors';
import { GrantStore } from '../../store/grantStore';
import { rowKeysUnder } from '../../store/odataFilter';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { ASSIGNMENT_COLUMNS, assignmentRow, type AssignmentColumn } from './assignmentRows';
import { packagesById } from './packagesById';
import type { Report } from './report';
import { reportScope } from './reportScope';
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
      const page = await deps.grants.assignments.page({ partitionKey: GrantStore.targetKey(target), filter: rowKeysUnder('assignment'), pageSize: size, continuationToken: cursor?.assignments });
      const assignments = page.items.map((d) => d.value).filter((a) => sees(visibility, a.catalogId));
      const [packages, nameOf] = await Promise.all([packagesById(deps, assignments.map((a) => a.accessPackageId)), namesOf(deps, [target])]);
      return {
        rows: assignments.map((a) => assignmentRow(a, packages.get(a.accessPackageId), nameOf(a.targetId))),
        ...(page.continuationToken ? { cursor: { assignments: page.continuationToken } } : {}),
      };
    },
  };
}

const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user's object id, as the directory and the assignments spell it; anything else is a bad request, not an empty report. */
export function reportedUserId(userId: string): string {
  if (!OBJECT_ID.test(userId)) throw new DomainError('invalidRequest', `'${userId.slice(0, 60)}' is not a user's object id (a GUID).`);
  return userId;
}
