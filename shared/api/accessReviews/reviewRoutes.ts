import * as manage from '../../operations/reviews/manageReview';
import * as record from '../../operations/reviews/recordDecisions';
import * as reviews from '../../operations/reviews/reviewQueries';
import { entityResult, listResponse } from '../entitlementManagement/listing';
import { functionArgument, pathId, requestBody, type ApiCall, type AreaRoute } from '../entitlementManagement/areaRouter';
import { catalogOfPolicyInPath } from '../entitlementManagement/routeCatalogs';
import { noContent } from '../graphResponses';
import { parseODataQuery } from '../odata';
import * as can from './reviewCapabilities';
import { decisionView, definitionView, instanceView } from './reviewViews';

const AR = 'identityGovernance/accessReviews';
const id = pathId;
const body = requestBody;
/** The definition, instance and decision ids of a path under `definitions/{d}/instances/{i}/decisions/{id}`. */
const definitionOf = (c: ApiCall) => id(c, 0);
const instanceOf = (c: ApiCall) => id(c, 1);
const instancesPath = (c: ApiCall) => `${AR}/definitions('${definitionOf(c)}')/instances`;
const decisionsPath = (c: ApiCall) => `${instancesPath(c)}('${instanceOf(c)}')/decisions`;
/** Only `on='reviewer'` is offered for reviews. */
const onReviewer = (c: ApiCall, index: number) => functionArgument(id(c, index), 'on', ['reviewer'] as const);
/** A POST action takes no query options; one given is refused before the action runs. */
const noQuery = (c: ApiCall) => parseODataQuery(c.query, {});

/**
 * The Graph v1.0 access reviews surface for the reviews of access package assignments (reference graph-wave2
 * §2.3), plus the beta cross-instance `decisions/filterByCurrentUser`. Reads are open at the route and decided in
 * the operation (administrators and catalog readers all, reviewers their own: decision.ts permitsReview); decisions
 * are for signed-in reviewers (selfService); stop, apply, remind and reset for the catalog's managers (manageReviews).
 */
export const ACCESS_REVIEW_ROUTES: AreaRoute[] = [
  { method: 'GET', pattern: 'definitions', action: 'list', handle: async (c) => listResponse(c, `${AR}/definitions`, await reviews.listDefinitions(c.deps, c.access), definitionView, can.DEFINITIONS) },
  {
    method: 'GET',
    pattern: 'definitions/filterByCurrentUser()',
    action: 'selfServiceRead',
    handle: async (c) => (onReviewer(c, 0), listResponse(c, `${AR}/definitions`, await reviews.definitionsOfReviewer(c.deps, c.caller.objectId), definitionView, can.DEFINITIONS)),
  },
  { method: 'GET', pattern: 'definitions/{id}', action: 'list', handle: async (c) => entityResult(c, `${AR}/definitions`, () => reviews.readDefinition(c.deps, c.access, definitionOf(c)), definitionView, can.DEFINITIONS) },
  { method: 'GET', pattern: 'definitions/{id}/instances', action: 'list', handle: async (c) => listResponse(c, instancesPath(c), await reviews.listInstances(c.deps, c.access, definitionOf(c)), instanceView(c.deps), can.INSTANCES) },
  {
    method: 'GET',
    pattern: 'definitions/{id}/instances/filterByCurrentUser()',
    action: 'selfServiceRead',
    handle: async (c) => (onReviewer(c, 1), listResponse(c, instancesPath(c), await reviews.instancesOfReviewer(c.deps, c.caller.objectId, definitionOf(c)), instanceView(c.deps), can.INSTANCES)),
  },
  { method: 'GET', pattern: 'definitions/{id}/instances/{id}', action: 'list', handle: async (c) => entityResult(c, instancesPath(c), () => reviews.readInstance(c.deps, c.access, definitionOf(c), instanceOf(c)), instanceView(c.deps), can.INSTANCES) },
  {
    method: 'GET',
    pattern: 'definitions/{id}/instances/{id}/decisions',
    action: 'list',
    handle: async (c) => listResponse(c, decisionsPath(c), await reviews.listDecisions(c.deps, c.access, definitionOf(c), instanceOf(c)), decisionView(c.deps), can.DECISIONS),
  },
  {
    method: 'GET',
    pattern: 'definitions/{id}/instances/{id}/decisions/filterByCurrentUser()',
    action: 'selfServiceRead',
    handle: async (c) =>
      (onReviewer(c, 2),
      listResponse(c, decisionsPath(c), await reviews.decisionsOfReviewer(c.deps, c.caller.objectId, { definitionId: definitionOf(c), instanceId: instanceOf(c) }), decisionView(c.deps), can.DECISIONS)),
  },
  {
    method: 'GET',
    pattern: 'definitions/{id}/instances/{id}/decisions/{id}',
    action: 'list',
    handle: async (c) => entityResult(c, decisionsPath(c), () => reviews.readDecision(c.deps, c.access, definitionOf(c), instanceOf(c), id(c, 2)), decisionView(c.deps), can.DECISIONS),
  },
  {
    method: 'PATCH',
    pattern: 'definitions/{id}/instances/{id}/decisions/{id}',
    action: 'selfService',
    handle: async (c) => (noQuery(c), await record.recordDecision(c.deps, c.caller, definitionOf(c), instanceOf(c), id(c, 2), await body(c)), noContent()),
  },
  {
    method: 'POST',
    pattern: 'definitions/{id}/instances/{id}/batchRecordDecisions',
    action: 'selfService',
    handle: async (c) => (noQuery(c), await record.batchRecordDecisions(c.deps, c.caller, definitionOf(c), instanceOf(c), await body(c)), noContent()),
  },
  {
    method: 'POST',
    pattern: 'definitions/{id}/instances/{id}/acceptRecommendations',
    action: 'selfService',
    handle: async (c) => (noQuery(c), await record.acceptRecommendations(c.deps, c.caller, definitionOf(c), instanceOf(c)), noContent()),
  },
  { method: 'POST', pattern: 'definitions/{id}/instances/{id}/stop', action: 'manageReviews', catalog: catalogOfPolicyInPath, handle: async (c) => (noQuery(c), await manage.stopReview(c.deps, c.caller, definitionOf(c), instanceOf(c)), noContent()) },
  {
    method: 'POST',
    pattern: 'definitions/{id}/instances/{id}/applyDecisions',
    action: 'manageReviews',
    catalog: catalogOfPolicyInPath,
    handle: async (c) => (noQuery(c), await manage.applyDecisions(c.deps, c.caller, definitionOf(c), instanceOf(c)), noContent()),
  },
  {
    method: 'POST',
    pattern: 'definitions/{id}/instances/{id}/sendReminder',
    action: 'manageReviews',
    catalog: catalogOfPolicyInPath,
    handle: async (c) => (noQuery(c), await manage.sendReminder(c.deps, c.caller, definitionOf(c), instanceOf(c)), noContent()),
  },
  {
    method: 'POST',
    pattern: 'definitions/{id}/instances/{id}/resetDecisions',
    action: 'manageReviews',
    catalog: catalogOfPolicyInPath,
    handle: async (c) => (noQuery(c), await manage.resetDecisions(c.deps, c.caller, definitionOf(c), instanceOf(c)), noContent()),
  },
  // beta: every item the caller reviews, across instances.
  {
    method: 'GET',
    pattern: 'decisions/filterByCurrentUser()',
    action: 'selfServiceRead',
    handle: async (c) => (onReviewer(c, 0), listResponse(c, `${AR}/decisions`, await reviews.decisionsOfReviewer(c.deps, c.caller.objectId), decisionView(c.deps), can.DECISIONS)),
  },
];
