import { DomainError } from '../../domain/errors';
import { listAuditEvents } from '../../operations/audit/listAuditEvents';
import { z } from 'zod';
import { AUDIT_SHARDS, type AuditEvent, type AuditPosition, type AuditSelection } from '../../store/auditLog';
import { pathId, type ApiCall, type AreaRoute } from '../entitlementManagement/areaRouter';
import { collectionResponse, entityResponse } from '../graphResponses';
import { matchesFilter, parseODataQuery, selectProperties, type ODataQuery, type QueryCapabilities } from '../odata';
import { invalidOption } from '../odata/invalidQuery';
import { directoryAuditOf, parseGraphId } from './directoryAuditView';
import { selectionOf } from './auditSelection';
import { readSkipToken, writeSkipToken } from '../skipTokens';

const SET = 'auditLogs/directoryAudits';
/** Graph's default page of directory audits. */
const PAGE_SIZE = 100;

const SELECTABLE = ['id', 'category', 'correlationId', 'result', 'resultReason', 'activityDisplayName', 'activityDateTime', 'loggedByService', 'operationType', 'initiatedBy', 'targetResources', 'additionalDetails'];

export const DIRECTORY_AUDITS_QUERY: QueryCapabilities = {
  filter: {
    id: 'string',
    activityDateTime: 'dateTime',
    category: 'string',
    activityDisplayName: 'string',
    correlationId: 'string',
    result: 'string',
    operationType: 'string',
    loggedByService: 'string',
    'initiatedBy/user/id': 'string',
    'initiatedBy/app/servicePrincipalId': 'string',
  },
  filterLambdas: { targetResources: { properties: { id: 'string', displayName: 'string', type: 'string' } } },
  select: SELECTABLE,
  orderBy: ['activityDateTime'],
};

/**
 * Whose events the caller reads (`readAudit`, through CallerAccess.auditVisibility): the tenant's, or their catalogs'
 * (a catalog owner or reader); anyone else is refused, whatever they ask for.
 */
async function visibleTo(call: ApiCall): Promise<{ catalogIds?: string[] }> {
  const visibility = await call.access.auditVisibility();
  if (visibility.everything) return {};
  if (visibility.catalogIds.size === 0) throw new DomainError('forbidden', 'You may not read audit events: that needs an administrator, Global Reader or Reports Reader role, or a catalog owner or reader role.');
  return { catalogIds: [...visibility.catalogIds] };
}

const sees = (scope: { catalogIds?: string[] }, event: AuditEvent) => scope.catalogIds === undefined || (event.catalogId !== null && scope.catalogIds.includes(event.catalogId));

async function listDirectoryAudits(call: ApiCall) {
  const query = parseODataQuery(call.query, DIRECTORY_AUDITS_QUERY);
  const [order] = query.orderBy;
  if (order && !order.descending) throw invalidOption('$orderby', 'directory audits are listed newest first: use activityDateTime desc');
  const scope = await visibleTo(call);
  const selection: AuditSelection = { ...selectionOf(query.filter), ...scope };
  const top = query.top ?? PAGE_SIZE;
  const position = query.skipToken === undefined ? undefined : await readAuditPosition(call, query.skipToken, query);
  const page = await listAuditEvents(call.deps, selection, (event) => sees(scope, event) && matchesFilter(query.filter, directoryAuditOf(event)), top, position);
  const value = page.events.map((event) => selectProperties(directoryAuditOf(event), query.select, ['id']));
  return collectionResponse(call.response, SET, value, { nextLink: page.next && nextLink(call, writeSkipToken(await call.deps.listTokenKey.key(), page.next, positionBinding(query))) });
}

async function getDirectoryAudit(call: ApiCall) {
  const query = parseODataQuery(call.query, { select: SELECTABLE });
  const scope = await visibleTo(call);
  const named = parseGraphId(pathId(call));
  const event = named && (await call.deps.audit.find(named.id, named.at));
  // Another catalog's event is answered as a missing one: the answer tells nothing the caller may not read.
  if (!event || !sees(scope, event)) throw new DomainError('notFound', `Directory audit '${pathId(call)}' was not found.`);
  return entityResponse(call.response, SET, selectProperties(directoryAuditOf(event), query.select, ['id']));
}

function nextLink(call: ApiCall, skipToken: string): string {
  const query = new URLSearchParams(call.query);
  query.set('$skiptoken', skipToken);
  return `${call.response.serviceRoot}/${call.path}?${query.toString()}`;
}

/**
 * `/v1.0/auditLogs/directoryAudits`: the audit log in Graph's shape. The route's own decision lets any signed-in
 * caller through (`list`); `visibleTo` is the audit decision, as it depends on the caller's catalogs, not on one.
 */
export const AUDIT_ROUTES: AreaRoute[] = [
  { method: 'GET', pattern: 'directoryAudits', action: 'list', handle: listDirectoryAudits },
  { method: 'GET', pattern: 'directoryAudits/{id}', action: 'list', handle: getDirectoryAudit },
];

/** Filter and order decide where a position leads; `$top` and `$select` do not. */
const positionBinding = (query: ODataQuery) => JSON.stringify(['auditLog', query.filter ?? null, query.orderBy]);

/** A RowKey of the log (`<inverted ms>|<id>`): the position a shard resumes after. */
const rowKey = z.string().regex(/^\d{13}\|/).max(1024);
const shardPosition = z.union([z.literal('done'), z.object({ after: rowKey.optional(), continuation: z.string().max(2048).optional() }).strict()]);
/** Each shard's position; a token of an earlier release holds one RowKey, where every shard resumes. */
const auditPosition = z.union([z.array(shardPosition).length(AUDIT_SHARDS), rowKey.transform((after) => Array.from({ length: AUDIT_SHARDS }, () => ({ after })))]);

async function readAuditPosition(call: ApiCall, token: string, query: ODataQuery): Promise<AuditPosition> {
  const position = auditPosition.safeParse(readSkipToken(await call.deps.listTokenKey.key(), token, positionBinding(query)));
  if (!position.success) throw invalidOption('$skiptoken', 'not a token of the audit log; request the first page again without $skiptoken');
  return position.data;
}
