import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { beginApproval, fulfilOrDeny } from './approvalFlow';
import { effectOf } from './fulfilRequest';
import { flushAuditOutbox, publishingOnceAfter } from './auditOutbox';

/**
 * Re-drives a request that stopped where only its own process moves it on (its `requestRecovery` item, planned
 * when it was written or approved, has come due and it has not moved):
 * - `submitted`: written, then the process stopped before its approval started or it was carried out. It holds
 *   its claim, so without this the target (or auto-assignment) would get 409 for ever.
 * - `delivering` with nothing done yet: approved, then the process stopped before the assignment was written (an
 *   addition without an assignment, a removal whose assignment it has not ended; an update, applied again).
 * It is carried on as it would have been; if it can no longer be, it is denied with the reason (fulfilOrDeny).
 * A request whose assignment is written is the reconcile sweep's (redelivery), not this. Answers whether anything
 * was done. What it carries on is one pipeline: its events are appended together at its end (auditOutbox.ts).
 */
export function recoverRequest(deps: EntitlementDeps, requestId: string): Promise<boolean> {
  return publishingOnceAfter(deps, () => recover(deps, requestId));
}

async function recover(deps: EntitlementDeps, requestId: string): Promise<boolean> {
  const stored = await deps.grants.findRequest(requestId);
  if (!stored) return false;
  // Events a stopped process wrote with its changes and did not append: this item comes due after every submit.
  await flushAuditOutbox(deps, stored.value.targetId);
  if (!(await isStalled(deps, stored))) return false;
  if (stored.value.state === 'submitted' && stored.value.approval !== null) await beginApproval(deps, stored);
  else await fulfilOrDeny(deps, stored);
  return true;
}

async function isStalled(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>): Promise<boolean> {
  const request = stored.value;
  if (request.state === 'submitted') return true;
  if (request.state !== 'delivering') return false;
  switch (effectOf(request)) {
    case 'add':
      return request.assignmentId === null;
    case 'update':
      // Applying an update again is harmless: it sets the same schedule and completes the request.
      return true;
    case 'remove': {
      const assignment = await deps.grants.assignmentOf(request.targetId, request.assignmentId ?? '');
      return assignment?.value.endedByRequestId !== request.id;
    }
  }
}
