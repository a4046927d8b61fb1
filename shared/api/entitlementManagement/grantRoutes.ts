import { servedListResponse, type ServedPaths } from './servedListing';
import { DomainError } from '../../domain/errors';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { approvalView, stageDueTimes, stageView, type ApprovalStageView } from '../../domain/requests/approvalStages';
import * as assignments from '../../operations/assignments/assignmentQueries';
import { decideApprovalStage } from '../../operations/requests/approvalFlow';
import { applicableRequirements } from '../../operations/requests/applicableRequirements';
import * as actions from '../../operations/requests/requestActions';
import * as requests from '../../operations/requests/requestQueries';
import { submitAssignmentRequest } from '../../operations/requests/submitAssignmentRequest';
import { submitExternalRequest } from '../../operations/externalUsers/externalRequests';
import { isExternal } from '../../auth/externalCaller';
import { accepted, collectionResponse, noContent } from '../graphResponses';
import { BODY_LIMITS, parseJsonBody, readBounded } from '../requestBody';
import { isJsonObject } from '../../domain/policies/graphValues';
import { functionArgument, pathId, requestBody, type ApiCall, type AreaRoute } from './areaRouter';
import * as can from './capabilities';
import { catalogOfAssignmentInPath, catalogOfRequestInPath } from './routeCatalogs';
import { assignmentView, requestView } from './grantViews';
import { entityResult, listResponse } from './listing';
import type { EntityView } from './views';

const EM = 'identityGovernance/entitlementManagement';
const id = pathId;
const body = requestBody;

/** An approval (its id is the request's) with the stages started so far, as the caller sees them. */
const approvalEntityView = (callerId: string): EntityView<AssignmentRequest> => ({
  filterView: (r) => ({ id: r.id }),
  render: async (_deps, r) => approvalView(r.id, r.approval ?? { stages: [] }, callerId),
});

/** The request behind an approval; a request that needs no approval has none (404). */
async function approvalRequest(call: ApiCall): Promise<AssignmentRequest> {
  const request = await requests.readRequest(call.deps, call.caller, id(call));
  if (!request.approval) throw new DomainError('notFound', `Assignment request '${id(call)}' needs no approval; there is no approval '${id(call)}'.`);
  return request;
}

async function stagesOf(call: ApiCall) {
  const request = await approvalRequest(call);
  return request.approval!.stages.filter((s) => s.status !== 'NotStarted').map((s) => ({ ...stageView(s, call.caller.objectId), ...stageDueTimes(s, request.approval!) }));
}

const stageEntityView: EntityView<ApprovalStageView> = { filterView: (s) => ({ ...s }), render: async (_deps, s) => ({ ...s }) };

/** A body that may be left out (Graph's actions without parameters): undefined when empty. */
async function optionalBody(call: ApiCall): Promise<Record<string, unknown> | undefined> {
  const bytes = await readBounded(call.request, BODY_LIMITS.bytes);
  if (bytes.length === 0) return undefined;
  const parsed = parseJsonBody(bytes, BODY_LIMITS, 'a JSON object');
  if (!isJsonObject(parsed)) throw new DomainError('invalidRequest', 'The body must be a JSON object.');
  return parsed;
}

/** A request from a caller of another tenant is admitted by their connected organization, anyone else's as before. */
async function submitAnyRequest(call: ApiCall): Promise<AssignmentRequest> {
  const { caller } = call;
  return isExternal(caller) ? submitExternalRequest(call.deps, caller, await body(call)) : submitAssignmentRequest(call.deps, caller, await body(call));
}

/** The `$filter` paths administrators' lists of assignments and requests serve in the storage query (servedListing.ts). */
const ASSIGNMENT_PATHS: ServedPaths = { 'target/objectId': 'targetId', 'accessPackage/id': 'accessPackageId', 'accessPackage/catalog/id': 'catalogId', 'assignmentPolicy/id': 'assignmentPolicyId', state: 'state' };
const REQUEST_PATHS: ServedPaths = { 'accessPackage/id': 'accessPackageId', 'accessPackage/catalog/id': 'catalogId', 'requestor/objectId': 'requestorId', state: 'state' };

/** Requests, assignments and approvals (reference §5.5–§5.7), each route with the action it needs. */
export const GRANT_ROUTES: AreaRoute[] = [
  // Assignment requests
  {
    method: 'GET',
    pattern: 'assignmentRequests',
    action: 'list',
    handle: async (c) =>
      (await servedListResponse(c, `${EM}/assignmentRequests`, requestView, can.ASSIGNMENT_REQUESTS, REQUEST_PATHS, (w, n, t) => c.deps.grants.pageRequests(w, n, t))) ??
      listResponse(c, `${EM}/assignmentRequests`, await requests.listRequests(c.deps, c.caller), requestView, can.ASSIGNMENT_REQUESTS),
  },
  { method: 'POST', pattern: 'assignmentRequests', action: 'submitRequest', handle: async (c) => entityResult(c, `${EM}/assignmentRequests`, async () => submitAnyRequest(c), requestView, can.ASSIGNMENT_REQUESTS, 201) },
  {
    method: 'GET',
    pattern: 'assignmentRequests/filterByCurrentUser()',
    action: 'selfServiceRead',
    handle: async (c) => {
      const on = functionArgument(id(c), 'on', ['target', 'createdBy', 'approver'] as const);
      return listResponse(c, `${EM}/assignmentRequests`, await requests.requestsOfCurrentUser(c.deps, c.caller, on), requestView, can.ASSIGNMENT_REQUESTS);
    },
  },
  { method: 'GET', pattern: 'assignmentRequests/{id}', action: 'list', handle: async (c) => entityResult(c, `${EM}/assignmentRequests`, () => requests.readRequest(c.deps, c.caller, id(c)), requestView, can.ASSIGNMENT_REQUESTS) },
  { method: 'DELETE', pattern: 'assignmentRequests/{id}', action: 'manageAssignments', catalog: catalogOfRequestInPath, handle: async (c) => (await actions.deleteRequest(c.deps, c.caller, id(c)), noContent()) },
  { method: 'POST', pattern: 'assignmentRequests/{id}/cancel', action: 'selfService', handle: async (c) => (await actions.cancelRequest(c.deps, c.caller, id(c)), noContent()) },
  { method: 'POST', pattern: 'assignmentRequests/{id}/reprocess', action: 'manageAssignments', catalog: catalogOfRequestInPath, handle: async (c) => (await actions.reprocessRequest(c.deps, c.caller, id(c)), accepted()) },

  // Assignments
  {
    method: 'GET',
    pattern: 'assignments',
    action: 'list',
    handle: async (c) =>
      (await servedListResponse(c, `${EM}/assignments`, assignmentView, can.ASSIGNMENTS, ASSIGNMENT_PATHS, (w, n, t) => c.deps.grants.pageAssignments(w, n, t))) ??
      listResponse(c, `${EM}/assignments`, await assignments.listAssignments(c.deps, c.caller), assignmentView, can.ASSIGNMENTS),
  },
  {
    method: 'GET',
    pattern: 'assignments/filterByCurrentUser()',
    action: 'selfServiceRead',
    handle: async (c) => {
      const on = functionArgument(id(c), 'on', ['target', 'createdBy'] as const);
      return listResponse(c, `${EM}/assignments`, await assignments.assignmentsOfCurrentUser(c.deps, c.caller, on), assignmentView, can.ASSIGNMENTS);
    },
  },
  { method: 'GET', pattern: 'assignments/{id}', action: 'list', handle: async (c) => entityResult(c, `${EM}/assignments`, () => assignments.readAssignment(c.deps, c.caller, id(c)), assignmentView, can.ASSIGNMENTS) },
  { method: 'POST', pattern: 'assignments/{id}/reprocess', action: 'manageAssignments', catalog: catalogOfAssignmentInPath, handle: async (c) => (await assignments.reprocessAssignment(c.deps, c.caller, id(c)), accepted()) },

  // Approvals
  {
    method: 'GET',
    pattern: 'accessPackageAssignmentApprovals/filterByCurrentUser()',
    action: 'selfServiceRead',
    handle: async (c) => {
      functionArgument(id(c), 'on', ['approver'] as const);
      return listResponse(c, `${EM}/accessPackageAssignmentApprovals`, await requests.approvalsOfCurrentUser(c.deps, c.caller), approvalEntityView(c.caller.objectId), can.APPROVALS);
    },
  },
  {
    method: 'GET',
    pattern: 'accessPackageAssignmentApprovals/{id}',
    action: 'list',
    handle: async (c) => entityResult(c, `${EM}/accessPackageAssignmentApprovals`, () => approvalRequest(c), approvalEntityView(c.caller.objectId), can.APPROVALS),
  },
  {
    method: 'GET',
    pattern: 'accessPackageAssignmentApprovals/{id}/stages',
    action: 'list',
    handle: async (c) => listResponse(c, `${EM}/accessPackageAssignmentApprovals('${id(c)}')/stages`, await stagesOf(c), stageEntityView, can.APPROVAL_STAGES),
  },
  {
    method: 'GET',
    pattern: 'accessPackageAssignmentApprovals/{id}/stages/{id}',
    action: 'list',
    handle: async (c) =>
      entityResult(
        c,
        `${EM}/accessPackageAssignmentApprovals('${id(c)}')/stages`,
        async () => {
          const stage = (await stagesOf(c)).find((s) => s.id.toLowerCase() === id(c, 1).toLowerCase());
          if (!stage) throw new DomainError('notFound', `Approval stage '${id(c, 1)}' was not found in approval '${id(c)}'.`);
          return stage;
        },
        stageEntityView,
        can.APPROVAL_STAGES,
      ),
  },
  {
    method: 'PATCH',
    pattern: 'accessPackageAssignmentApprovals/{id}/stages/{id}',
    action: 'selfService',
    handle: async (c) => (await decideApprovalStage(c.deps, c.caller, id(c), id(c, 1), await body(c)), noContent()),
  },

  // What a requestor needs to know before asking
  {
    method: 'POST',
    pattern: 'accessPackages/{id}/getApplicablePolicyRequirements',
    action: 'selfServiceRead',
    handle: async (c) =>
      collectionResponse(c.response, 'Collection(microsoft.graph.accessPackageAssignmentRequestRequirements)', await applicableRequirements(c.deps, c.caller, id(c), await optionalBody(c))),
  },
];
