import { SYSTEM_ACTOR, type AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { fulfilRequest } from './fulfilRequest';
import { insertRequest, REQUEST_STATUS, withdrawUnchangedRequest } from './requestWrites';

type SystemRequestFields = Pick<
  AssignmentRequest,
  'requestType' | 'justification' | 'schedule' | 'accessPackageId' | 'assignmentPolicyId' | 'catalogId' | 'targetId' | 'assignmentId'
>;

/** A request Portcullis makes itself (requestor `system`: an expiry, an auto-assignment), submitted now. */
export function systemRequest(deps: EntitlementDeps, fields: SystemRequestFields): AssignmentRequest {
  return {
    id: deps.newId(),
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

/** Stores a system request and carries it out; one that fails before it changed anything is taken back. */
export async function carryOut(deps: EntitlementDeps, request: AssignmentRequest): Promise<void> {
  const stored = await insertRequest(deps, request);
  try {
    await fulfilRequest(deps, stored);
  } catch (error) {
    await withdrawUnchangedRequest(deps, stored);
    throw error;
  }
}
