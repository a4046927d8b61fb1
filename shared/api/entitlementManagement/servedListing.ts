import { createHash } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import { sees, type Visibility } from '../../auth/callerAccess';
import { mapConcurrently } from '../../concurrently';
import type { StoredDocument } from '../../store/documentTable';
import type { ListedBy } from '../../store/grantStore';
import { collectionResponse } from '../graphResponses';
import { parseODataQuery, selectProperties, type FilterNode, type QueryCapabilities } from '../odata';
import { invalidOption } from '../odata/invalidQuery';
import { readSkipToken, writeSkipToken } from '../skipTokens';
import type { ApiCall } from './areaRouter';
import type { EntityView } from './views';

/** One page of the storage query, and its continuation token. */
export type StoragePage<T> = (where: ListedBy, pageSize: number, continuationToken?: string) => Promise<{ items: StoredDocument<T>[]; continuationToken?: string }>;

/** Which `$filter` paths a list's storage query serves, and the stored column (or the partition: targetId) of each. */
export type ServedPaths = Readonly<Record<string, keyof ListedBy>>;

const PAGE_SIZE = 100;
/** As listing.ts: a page that expands holds at most this many items. */
const EXPANDED_PAGE_LIMIT = 100;
/** Storage queries one response makes at most to fill its page (Table Storage may answer short or empty pages). */
const QUERIES_PER_PAGE = 5;

/**
 * An administrator's list served by the storage query itself: no `$orderby` (the order is the store's key order,
 * the order the scan gave too), and a `$filter` that is absent or an `and` of equalities on the served paths. The
 * page comes from one storage query (a few when the store answers short pages) and `$skiptoken` carries the
 * storage's continuation token, signed (HMAC-SHA256 with the deployment's list token key) and bound to the filter,
 * so each page costs the same whatever the table holds. `$count=true` counts by reading every matching row: a scan.
 * Answers undefined when the query is not one it serves (or not to this caller: servesCaller): the caller then lists
 * as before.
 */
export async function servedListResponse<T>(
  call: ApiCall,
  contextPath: string,
  view: EntityView<T>,
  capabilities: QueryCapabilities,
  paths: ServedPaths,
  page: StoragePage<T>,
): Promise<HttpResponseInit | undefined> {
  const query = parseODataQuery(call.query, capabilities);
  const where = query.orderBy.length === 0 ? servedBy(query.filter, paths) : undefined;
  if (!where || !servesCaller(await call.deps.accessOf(call.caller).visibility(), where)) return undefined;
  const key = await call.deps.listTokenKey.key();
  const binding = fingerprint(where);
  let continuation = query.skipToken === undefined ? undefined : readContinuation(key, query.skipToken, binding);
  const pageSize = query.expand.length > 0 ? Math.min(query.top ?? PAGE_SIZE, EXPANDED_PAGE_LIMIT) : (query.top ?? PAGE_SIZE);
  const items: T[] = [];
  for (let n = 0; n < QUERIES_PER_PAGE && items.length < pageSize; n++) {
    const found = await page(where, pageSize - items.length, continuation);
    items.push(...found.items.map((d) => d.value));
    continuation = found.continuationToken;
    if (!continuation) break;
  }
  const rendered = await mapConcurrently(items, async (item) => selectProperties(await view.render(call.deps, item, query.expand), query.select, ['id', ...query.expand.map((e) => e.name)]));
  const count = query.count ? await countAll(where, page) : undefined;
  const nextLink = continuation === undefined ? undefined : linkWith(call, writeSkipToken(key, continuation, binding));
  return collectionResponse(call.response, contextPath, rendered, { nextLink, count });
}

/**
 * Administrators are served any list; a catalog role holder one narrowed to a catalog of theirs, which then holds
 * all the caller may see of it (their own assignments in it among them). Graph makes such callers name an access
 * package instead and page every package in turn.
 */
const servesCaller = (visibility: Visibility, where: ListedBy): boolean => visibility.everything || (where.catalogId !== undefined && sees(visibility, where.catalogId));

/** The equalities of a filter on served paths, or undefined when it holds anything else. */
function servedBy(filter: FilterNode | undefined, paths: ServedPaths): ListedBy | undefined {
  const terms = filter === undefined ? [] : filter.kind === 'and' ? filter.operands : [filter];
  const where: ListedBy = {};
  for (const term of terms) {
    if (term.kind !== 'comparison' || term.operator !== 'eq' || term.left.kind !== 'property') return undefined;
    const column = Object.hasOwn(paths, term.left.path) ? paths[term.left.path] : undefined;
    const { right } = term;
    if (!column || where[column] !== undefined || (right.kind !== 'guid' && right.kind !== 'string')) return undefined;
    // Ids are stored as the directory and this service write them, in lower case; a GUID compares in any case.
    where[column] = right.kind === 'guid' ? right.value.toLowerCase() : right.value;
  }
  return where;
}

async function countAll<T>(where: ListedBy, page: StoragePage<T>): Promise<number> {
  let count = 0;
  let continuation: string | undefined;
  do {
    const found = await page(where, 1000, continuation);
    count += found.items.length;
    continuation = found.continuationToken;
  } while (continuation);
  return count;
}

const fingerprint = (where: ListedBy) =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(where).sort(([a], [b]) => a.localeCompare(b))))
    .digest('base64url')
    .slice(0, 16);

function readContinuation(key: Buffer, token: string, binding: string): string {
  const position = readSkipToken(key, token, binding);
  if (typeof position !== 'string') throw invalidOption('$skiptoken', 'not a token of this list; request the first page again without $skiptoken');
  return position;
}

function linkWith(call: ApiCall, skipToken: string): string {
  const query = new URLSearchParams(call.query);
  query.set('$skiptoken', skipToken);
  return `${call.response.serviceRoot}/${call.path}?${query.toString()}`;
}
