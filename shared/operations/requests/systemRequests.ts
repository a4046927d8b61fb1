import type { Assignment } from '../../domain/assignments/assignment';
import { isDomainError } from '../../domain/errors';
import { SYSTEM_ACTOR, type AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { fulfilRequest, type KnownFacts } from './fulfilRequest';
import { publishingOnceAfter } from './auditOutbox';
import { insertRequest, REQUEST_STATUS, withdrawUnchangedRequest, writeClaimedRequest } from './requestWrites';
import type { StoredDocument } from '../../store/documentTable';
import { newRequestId } from '../../store/groupedIds';

type SystemRequestFields = Pick<
  AssignmentRequest,
  'requestType' | 'justification' | 'schedule' | 'accessPackageId' | 'assignmentPolicyId' | 'catalogId' | 'targetId' | 'assignmentId'
>;

/** A request Portcullis makes itself (requestor `system`: an expiry, an auto-assignment), submitted now. */
export function systemRequest(deps: EntitlementDeps, fields: SystemRequestFields): AssignmentRequest {
  return {
    id: newRequestId(deps.clock.now()),
    state: 'submitted',
    status: REQUEST_STATUS.submitted,
    createdDateTime: nowIso(deps),
    completedDateTime: null,
    answers: [],
    requestorId: SYSTEM_ACTOR,
    approval: null,
    ...fields,
  };
}

/**
 * The system's removal of one assignment, its justification saying why (an expiry, a review's decision); a workflow
 * task removes as an administrator would (`adminRemove`), on the workflow's authority.
 */
export function systemRemovalOf(deps: EntitlementDeps, assignment: Assignment, justification: string, requestType: 'systemRemove' | 'adminRemove' = 'systemRemove'): AssignmentRequest {
  return systemRequest(deps, {
    requestType,
    justification,
    schedule: assignment.schedule,
    accessPackageId: assignment.accessPackageId,
    assignmentPolicyId: assignment.assignmentPolicyId,
    catalogId: assignment.catalogId,
    targetId: assignment.targetId,
    assignmentId: assignment.id,
  });
}

/** Stores a system request and carries it out; one that fails before it changed anything is taken back. */
export function carryOut(deps: EntitlementDeps, request: AssignmentRequest): Promise<void> {
  return publishingOnceAfter(deps, async () => fulfilOrWithdraw(deps, await insertRequest(deps, request)));
}

/**
 * Like `carryOut`, for a request that claims its target's package (an assignment made for someone): when the target
 * already holds the package or has a request open for it, nothing is made (false).
 */
export function carryOutClaimed(deps: EntitlementDeps, request: AssignmentRequest): Promise<boolean> {
  return publishingOnceAfter(deps, async () => {
    let written;
    try {
      written = await writeClaimedRequest(deps, request);
    } catch (error) {
      if (isDomainError(error) && error.code === 'conflict') return false;
      throw error;
    }
    await fulfilOrWithdraw(deps, written.request, { claim: written.claim });
    return true;
  });
}

async function fulfilOrWithdraw(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>, known: KnownFacts = {}): Promise<void> {
  try {
    await fulfilRequest(deps, stored, known);
  } catch (error) {
    await withdrawUnchangedRequest(deps, stored);
    throw error;
  }
}
