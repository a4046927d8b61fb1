import { sees, type Visibility } from '../../auth/callerAccess';
import type { Assignment } from '../../domain/assignments/assignment';
import { DomainError } from '../../domain/errors';
import { GrantStore } from '../../store/grantStore';
import { rowKeysUnder } from '../../store/odataFilter';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import type { ReportCursor } from './report';

const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user's object id, as the directory and the assignments spell it; anything else is a bad request, not an empty report. */
export function reportedUserId(userId: string): string {
  if (!OBJECT_ID.test(userId)) throw new DomainError('invalidRequest', `'${userId.slice(0, 60)}' is not a user's object id (a GUID).`);
  return userId;
}

/**
 * One page of a user's assignments, read from the user's own partition (one query whatever the table holds), of
 * those the caller sees (a catalog's owners and readers: that catalog's only); the cursor resumes after it.
 */
export async function userAssignmentsPage(deps: EntitlementDeps, userId: string, visibility: Visibility, size: number, cursor: ReportCursor | undefined): Promise<{ assignments: Assignment[]; cursor?: ReportCursor }> {
  const page = await deps.grants.assignments.page({ partitionKey: GrantStore.targetKey(userId), filter: rowKeysUnder('assignment'), pageSize: size, continuationToken: cursor?.assignments });
  const assignments = page.items.map((d) => d.value).filter((a) => sees(visibility, a.catalogId));
  return { assignments, ...(page.continuationToken ? { cursor: { assignments: page.continuationToken } } : {}) };
}
