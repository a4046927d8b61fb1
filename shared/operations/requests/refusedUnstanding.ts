import type { Assignment } from '../../domain/assignments/assignment';
import { isDomainError } from '../../domain/errors';
import { SYSTEM_ACTOR, type AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { writeAudited } from './auditOutbox';
import { notStanding } from './fulfilRequest';
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
 * The making request of an assignment a system removal ended before it was ever delivered, its decision found not to
 * stand (its configuration changed, its policy gone): refused (kept, with the reason, as an undo refuses it), not left
 * to be finished as delivered. Tried on the ETag read; a conflict is read again and tried again while the request is
 * still `delivering` (another writer having moved it on, to delivered or denied, decides instead). Should it still
 * lose (or this process stop), whatever finishes the request later refuses it (refusesMadeRequest), the removal being
 * there to tell.
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
 * redelivery too): a request still `delivering` whose assignment was ended by a system removal for a decision that
 * never stood (its justification tells that removal from any other): its configuration changed (decided from a
 * remembered one), or its policy gone or being deleted (notStanding). It is refused with the removal's reason: as
 * that removal's process would have refused it had it not stopped (or failed) between the two writes
 * (carryOutAtOnce.ts, removeAndRefuse). Answers whether it was: else the request is finished as its assignment's
 * outcome. The ending request is read only for a making request still `delivering` when its assignment has ended.
 */
export async function refusesMadeRequest(deps: EntitlementDeps, ended: Assignment, request: StoredDocument<AssignmentRequest>): Promise<boolean> {
  if (request.value.state !== 'delivering' || !ended.endedByRequestId) return false;
  const endedBy = (await deps.grants.requestOf(ended.targetId, ended.endedByRequestId))?.value;
  const reason = endedBy?.requestType === 'systemRemove' ? endedBy.justification : null;
  if (reason === null || !refusalReasons(request.value).includes(reason)) return false;
  await refuseDelivering(deps, request, reason);
  return true;
}

/** The justifications of the system removals that end an assignment whose making request is then refused. */
function refusalReasons(request: AssignmentRequest): string[] {
  const { accessPackageId: packageId, assignmentPolicyId: policyId } = request;
  return [configurationChangedUnchecked(packageId), configurationChanged(packageId), notStanding(policyId, false).message, notStanding(policyId, true).message];
}

const isConflict = (error: unknown) => isDomainError(error) && error.code === 'concurrencyConflict';
