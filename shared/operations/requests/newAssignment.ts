import type { Assignment, DeliveryOperation } from '../../domain/assignments/assignment';
import { STATUS_OF_STATE } from '../../domain/assignments/deliveryState';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { AuditEntry } from '../../store/auditLog';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';

/**
 * The assignment an approved addition becomes, delivering its operations (the roles its package grants now), as
 * the request pipeline (fulfilRequest) and the bulk path (assignInBulk) both write it.
 */
export function newAssignment(deps: EntitlementDeps, request: AssignmentRequest, operations: DeliveryOperation[], id = deps.newId()): Assignment {
  return {
    id,
    state: 'delivering',
    status: STATUS_OF_STATE.delivering,
    accessPackageId: request.accessPackageId,
    assignmentPolicyId: request.assignmentPolicyId,
    catalogId: request.catalogId,
    targetId: request.targetId,
    schedule: request.schedule,
    expiredDateTime: null,
    createdDateTime: nowIso(deps),
    requestId: request.id,
    createdById: request.requestorId,
    operations,
  };
}

/** The event of an assignment's creation: its request's requestor made it. */
export const assignmentCreated = (request: AssignmentRequest, assignment: Assignment): AuditEntry => ({
  actorId: request.requestorId,
  action: 'createAssignment',
  entityType: 'assignment',
  entityId: assignment.id,
  before: null,
  after: assignment,
});
