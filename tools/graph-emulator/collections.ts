import { project, type Entity, type EntityType } from './entityTypes';
import { GraphHttpError } from './graphErrors';
import { readQueryOptions, type QueryOptionName, type QueryOptions } from './odataQuery';
import { odataContext, ok, type GraphResponse } from './responses';
import type { RouteContext } from './router';

export interface CollectionItem {
  /** Its place in creation order: pages are cut, and skip tokens point, by it. */
  seq: number;
  entity: Entity;
  /** The item's own type, for its default properties. */
  type: EntityType;
  /** Set in collections that mix types (members, owners, sponsors): `#microsoft.graph.user`. */
  odataType?: string;
}

export interface CollectionSpec {
  /** The `@odata.context` entity set: `users`, `directoryObjects`. */
  entitySet: string;
  /** What `$select` and `$filter` are checked against. */
  type: EntityType;
  items: Iterable<CollectionItem>;
  allowed?: readonly QueryOptionName[];
  managerType?: EntityType;
  /** How an item is written; by default its selected properties, after its `@odata.type` when set. */
  render?: (item: CollectionItem, options: QueryOptions) => Record<string, unknown>;
}

const COLLECTION_OPTIONS: readonly QueryOptionName[] = ['select', 'filter', 'top', 'count', 'skiptoken'];

/**
 * A Graph collection: filtered, cut into pages of `$top` (or the emulator's page size), with an absolute
 * `@odata.nextLink` that repeats the request's query and adds a `$skiptoken` for the rest.
 */
export function listCollection(context: RouteContext, spec: CollectionSpec): GraphResponse {
  const options = readQueryOptions(context.query, { type: spec.type, allowed: spec.allowed ?? COLLECTION_OPTIONS, managerType: spec.managerType });
  const after = options.skipToken === undefined ? 0 : decodeSkipToken(options.skipToken);
  const matching = [...spec.items].filter((item) => !options.filter || options.filter(item.entity)).sort((a, b) => a.seq - b.seq);
  const remaining = matching.filter((item) => item.seq > after);
  const pageSize = options.top ?? context.pageSize;
  const page = remaining.slice(0, pageSize);
  const render = spec.render ?? renderItem;
  const last = page.at(-1);
  return ok({
    '@odata.context': odataContext(context.origin, spec.entitySet, options.select),
    ...(options.count ? { '@odata.count': matching.length } : {}),
    ...(remaining.length > pageSize && last ? { '@odata.nextLink': linkWith(context, '$skiptoken', encodeSkipToken(last.seq)) } : {}),
    value: page.map((item) => render(item, options)),
  });
}

function renderItem(item: CollectionItem, options: QueryOptions): Record<string, unknown> {
  return { ...(item.odataType ? { '@odata.type': item.odataType } : {}), ...project(item.entity, item.type, options.select) };
}

/**
 * The request's URL, absolute, with the given token in place of any `$skiptoken` or `$deltatoken`; without the rest
 * of the query when `keepQuery` is false (a delta's token carries its query).
 */
export function linkWith(context: RouteContext, option: '$skiptoken' | '$deltatoken', token: string, keepQuery = true): string {
  const kept = keepQuery
    ? context.rawQuery.split('&').filter((part) => part !== '' && !/^(\$|%24)(skiptoken|deltatoken)=/i.test(part))
    : [];
  return `${context.origin}/v1.0${context.rawPath}?${[...kept, `${option}=${token}`].join('&')}`;
}

const encodeSkipToken = (after: number) => Buffer.from(JSON.stringify({ after })).toString('base64url');

function decodeSkipToken(token: string): number {
  try {
    const after = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown }).after;
    if (typeof after === 'number' && Number.isInteger(after) && after >= 0) return after;
  } catch {
    // Falls through to the expired-token answer below.
  }
  throw new GraphHttpError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
}
