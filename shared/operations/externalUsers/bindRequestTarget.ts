import { DirectoryError } from '../../directory/directoryError';
import { isDomainError } from '../../domain/errors';
import { SYSTEM_ACTOR, type AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { planRequestRecovery } from '../lifecycle/planDueWork';
import { refileRequest } from '../requests/refileRequest';
import { closeRequest, inState } from '../requests/requestWrites';
import { inviteSubject } from './inviteSubject';

/** Whether the request is still filed under an access package subject that has no user here yet. */
export const awaitsInvitation = (request: AssignmentRequest): boolean => request.targetSubjectId !== undefined && request.targetId === request.targetSubjectId;

/**
 * Before an approved request for a subject becomes an assignment: the subject is invited (or found) and the
 * request refiled under their object id (`ready`). A refused invitation ends the request `deliveryFailed` with
 * the reason, giving up its claim; a directory that fails for now leaves it as it is, with a recovery item that
 * carries it on later, as a delivery is retried (`stopped` either way).
 */
export async function bindRequestTarget(
  deps: EntitlementDeps,
  stored: StoredDocument<AssignmentRequest>,
): Promise<{ kind: 'ready' | 'stopped'; stored: StoredDocument<AssignmentRequest> }> {
  const request = stored.value;
  if (!awaitsInvitation(request)) return { kind: 'ready', stored };
  try {
    const bound = await inviteSubject(deps, request.targetSubjectId!, request.id);
    return { kind: 'ready', stored: await refileRequest(deps, stored, bound.user.id) };
  } catch (error) {
    // The address turned out to be a user who holds the package already: nothing to deliver, and no retry mends it.
    if (isDomainError(error) && error.code === 'conflict') return { kind: 'stopped', stored: await fail(deps, stored, error.message) };
    if (!(error instanceof DirectoryError)) throw error;
    if (error.kind === 'transient') {
      await planRequestRecovery(deps, request.id);
      return { kind: 'stopped', stored };
    }
    return { kind: 'stopped', stored: await fail(deps, stored, `The invitation was refused: ${error.message}`) };
  }
}

/** Ends the request `deliveryFailed` with the reason, giving up its claim, with its event. */
function fail(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>, reason: string): Promise<StoredDocument<AssignmentRequest>> {
  const request = stored.value;
  const failed: AssignmentRequest = { ...inState(deps, request, 'deliveryFailed'), failureReason: reason };
  return closeRequest(deps, stored, failed, { actorId: SYSTEM_ACTOR, action: 'failRequest', entityType: 'assignmentRequest', entityId: request.id, before: request, after: failed });
}
