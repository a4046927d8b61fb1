import type { Assignment } from '../../domain/assignments/assignment';
import { SYSTEM_ACTOR, type AssignmentRequest, type RequestType } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/** Which of the system's removals a due item finishes: its request type and its own reason. */
export interface OwnEnd {
  requestType: RequestType;
  justification: string;
}

/**
 * The system removal that ended this assignment, of the kind `own` names, and has not carried out its removals yet:
 * Graph deferred them (429, in a queue function, whose message brings the item back after the wait), or the run
 * stopped before them. The item that made it (an assignment's end, a grace period's removal) finishes it as an
 * `endedBy` (systemRemovals.ts), sooner than its redelivery item would. Anything else (an administrator's removal
 * or a review's in flight, an end delivered) is not that item's to finish: its reason tells the kinds apart.
 */
export async function unfinishedEnd(deps: EntitlementDeps, assignment: Assignment, own: OwnEnd): Promise<StoredDocument<AssignmentRequest> | undefined> {
  if (!assignment.endedByRequestId || !assignment.operations.some((o) => o.action === 'remove' && o.state === 'pending')) return undefined;
  const request = await deps.grants.requestOf(assignment.targetId, assignment.endedByRequestId);
  const { requestType, justification, requestorId, state } = request?.value ?? {};
  return requestType === own.requestType && justification === own.justification && requestorId === SYSTEM_ACTOR && state === 'delivering' ? request : undefined;
}
