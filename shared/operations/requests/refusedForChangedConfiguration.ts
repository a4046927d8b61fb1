import type { Assignment } from '../../domain/assignments/assignment';
import { isDomainError } from '../../domain/errors';
import { SYSTEM_ACTOR, type AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { writeAudited } from './auditOutbox';
import { inState } from './requestWrites';

/**
 * Why a request decided from a remembered configuration was undone by its own check after the write (carryOutAtOnce.ts):
 * it is submitted again. Should the undo lose (a role carried to the assignment meanwhile), the justification of the
 * system removal that ends the assignment instead.
 */
export function configurationChanged(packageId: string): string {
  return `The configuration of access package '${packageId}' changed while the request was made; it was submitted again under the configuration now.`;
}

/**
 * Why a request decided from a remembered configuration was ended by what finished it, its own check not run
 * (carryOutAtOnce.ts, checkDecidedFrom): the justification of the system removal that ends its assignment, and the
 * reason its making request is refused with.
 */
export function configurationChangedUnchecked(packageId: string): string {
  return `The configuration of access package '${packageId}' changed while the request was made; the request was not carried out and may be submitted again.`;
}

/**
 * The making request of an assignment a system removal ended for its configuration changed before it was ever
 * delivered: refused (kept, with the reason, as an undo refuses it), not left to be finished as delivered. Tried on
 * the ETag read; a conflict is read again and tried again while the request is still `delivering` (another writer
 * having moved it on, to delivered or denied, decides instead). Should it still lose (or this process stop), whatever
 * finishes the request later refuses it (refusesMadeRequest), the removal being there to tell.
 */
export async function refuseDelivering(deps: EntitlementDeps, read: StoredDocument<AssignmentRequest>, reason: string): Promise<void> {
  let current: StoredDocument<AssignmentRequest> | undefined = read;
  for (let attempt = 1; current?.value.state === 'delivering'; attempt++) {
    const denied = { ...inState(deps, current.value, 'denied'), status: 'FulfilmentRefused' };
    const event = { actorId: SYSTEM_ACTOR, action: 'denyRequest.unfulfillable', entityType: 'assignmentRequest', entityId: denied.id, before: current.value, after: { ...denied, reason } };
    try {
      await writeAudited(deps, [deps.grants.requests.replacement(current, denied)], [event]);
      return;
    } catch (error) {
      if (attempt >= REFUSAL_ATTEMPTS || !isConflict(error)) throw error;
    }
    current = await deps.grants.requestOf(read.value.targetId, read.value.id);
  }
}

const REFUSAL_ATTEMPTS = 3;

/**
 * For whatever finishes the making request of an ended assignment (drift repair's bringRequestUpToDate, from the
 * redelivery too): a request still `delivering`, decided from a remembered configuration (`decidedFrom`), whose
 * assignment was ended by a system removal for that configuration changed (its justification tells that removal from
 * any other), is refused with the removal's reason: as that removal's process would have refused it had it not
 * stopped (or failed) between the two writes, or as the undo its own check lost would have. Answers whether it was:
 * else the request is finished as its assignment's outcome. The ending request is read only for such a request.
 */
export async function refusesMadeRequest(deps: EntitlementDeps, ended: Assignment, request: StoredDocument<AssignmentRequest>): Promise<boolean> {
  if (request.value.state !== 'delivering' || request.value.decidedFrom === undefined || !ended.endedByRequestId) return false;
  const packageId = request.value.accessPackageId;
  const endedBy = (await deps.grants.requestOf(ended.targetId, ended.endedByRequestId))?.value;
  const reason = endedBy?.requestType === 'systemRemove' ? endedBy.justification : null;
  if (reason !== configurationChangedUnchecked(packageId) && reason !== configurationChanged(packageId)) return false;
  await refuseDelivering(deps, request, reason);
  return true;
}

const isConflict = (error: unknown) => isDomainError(error) && error.code === 'concurrencyConflict';
