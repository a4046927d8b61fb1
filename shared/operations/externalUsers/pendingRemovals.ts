import type { Caller } from '../../auth/caller';
import { DomainError } from '../../domain/errors';
import type { AccessPackageSubject } from '../../domain/subjects/accessPackageSubject';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/** One governed guest due to be blocked or deleted: who, what, when, and why. */
export interface PendingRemovalView {
  userId: string | null;
  displayName: string | null;
  email: string;
  principalName: string | null;
  subjectId: string;
  /** What comes next: the block, or (blocked already) the deletion. */
  nextStep: 'blockSignIn' | 'delete';
  action: 'blockSignIn' | 'blockSignInAndDelete';
  blockDateTime: string;
  blockedDateTime: string | null;
  deleteDateTime: string | null;
  /** Why: the request that had them invited, and the assignment whose end left them with none. */
  invitedByRequestId: string | null;
  endedAssignmentId: string;
  accessPackageId: string;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;
const SKIP_TOKEN = /^[0-9a-f-]{36}$/i;

/**
 * `GET /api/externalUsers/pendingRemovals` (administrators): the governed guests with a block or a deletion still
 * to come, a page (`$top`, at most MAX_PAGE_SIZE) at a time; `$skiptoken` continues after the page before.
 */
export async function listPendingRemovals(
  deps: EntitlementDeps,
  caller: Caller,
  query: { top?: string | null; skipToken?: string | null },
): Promise<{ value: PendingRemovalView[]; skipToken?: string }> {
  await deps.accessOf(caller).require('readTenant');
  const top = pageSize(query.top);
  if (query.skipToken != null && !SKIP_TOKEN.test(query.skipToken)) throw new DomainError('invalidRequest', "Invalid $skiptoken: follow @odata.nextLink as given, or start again without it.");
  const page = await deps.subjects.pendingRemovals(top, query.skipToken ?? undefined);
  const value = page.items.flatMap((subject) => viewOf(subject));
  return { value, ...(page.last ? { skipToken: page.last } : {}) };
}

function pageSize(given: string | null | undefined): number {
  if (given == null) return DEFAULT_PAGE_SIZE;
  const top = /^\d{1,4}$/.test(given) ? Number(given) : NaN;
  if (!(top >= 1 && top <= MAX_PAGE_SIZE)) throw new DomainError('invalidRequest', `Invalid $top '${given.slice(0, 20)}': expected a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  return top;
}

/** A plan whose block is done and that deletes nobody has nothing left to come: it is not listed. */
function viewOf(subject: AccessPackageSubject): PendingRemovalView[] {
  const removal = subject.removal;
  if (!removal || (removal.blockedDateTime && !removal.deleteDateTime)) return [];
  return [
    {
      userId: subject.objectId,
      displayName: subject.displayName,
      email: subject.email,
      principalName: subject.principalName,
      subjectId: subject.id,
      nextStep: removal.blockedDateTime ? 'delete' : 'blockSignIn',
      action: removal.action,
      blockDateTime: removal.blockDateTime,
      blockedDateTime: removal.blockedDateTime,
      deleteDateTime: removal.deleteDateTime,
      invitedByRequestId: subject.invitation?.requestId ?? null,
      endedAssignmentId: removal.assignmentId,
      accessPackageId: removal.accessPackageId,
    },
  ];
}
