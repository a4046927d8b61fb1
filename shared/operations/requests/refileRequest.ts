import { DomainError, isDomainError } from '../../domain/errors';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import { GrantStore, type PackageClaim } from '../../store/grantStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { writeAudited } from './auditOutbox';

/**
 * Moves a request filed under an access package subject's id to the partition of the user it was bound to, keeping
 * its id: the copy and its claim are written in the user's partition (with the event), the pointers moved, then
 * the subject's copy and claim deleted. From then on the request, and the assignment it makes, are the user's.
 * Crash windows: a copy written but pointers not moved is found again by the next attempt (the copy is there:
 * done); pointers moved but the old copy left is an orphan in a partition no pointer leads to any more.
 * A user who already holds the package (an open request or an assignment) refuses the move: 409.
 */
export async function refileRequest(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>, objectId: string): Promise<StoredDocument<AssignmentRequest>> {
  const { grants } = deps;
  const from = stored.value;
  const moved: AssignmentRequest = { ...from, targetId: objectId, requestorId: from.requestorId === from.targetId ? objectId : from.requestorId };
  const target = GrantStore.targetKey(objectId);
  const claim: PackageClaim = { packageId: from.accessPackageId, requestId: from.id, assignmentId: null };
  let refiled: StoredDocument<AssignmentRequest>;
  try {
    const [copy] = await writeAudited(
      deps,
      [grants.requests.insertion(target, GrantStore.requestKey(from.id), moved), grants.claims.insertion(target, GrantStore.claimKey(from.accessPackageId), claim)],
      [{ actorId: from.requestorId, action: 'bindAccessPackageSubject', entityType: 'assignmentRequest', entityId: from.id, before: from, after: moved }],
    );
    refiled = copy as StoredDocument<AssignmentRequest>;
  } catch (error) {
    if (!isDomainError(error) || error.code !== 'alreadyExists') throw error;
    const earlier = await grants.requestOf(objectId, from.id);
    if (!earlier) {
      throw new DomainError('conflict', `The invited user '${objectId}' already has an open request or an active assignment for access package '${from.accessPackageId}'.`);
    }
    refiled = earlier;
  }
  await grants.relocateRequest(refiled.value);
  const oldClaim = await grants.claimOf(from.targetId, from.accessPackageId);
  await grants.together([grants.requests.deletion(stored), ...(oldClaim?.value.requestId === from.id ? [grants.claims.deletion(oldClaim)] : [])]);
  return refiled;
}
