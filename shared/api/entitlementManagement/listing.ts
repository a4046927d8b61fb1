import { mapConcurrently } from '../../concurrently';
import type { HttpResponseInit } from '@azure/functions';
import { collectionResponse, entityResponse } from '../graphResponses';
import { pageOf, parseODataQuery, selectProperties, type QueryCapabilities } from '../odata';
import type { ApiCall } from './areaRouter';
import type { EntityView } from './views';

/** Graph's default page size for these collections. */
const PAGE_SIZE = 100;
/**
 * Each expanded item costs reads of its own, so a page that expands anything holds at most this many items, and
 * each expanded collection is cut to `EXPANDED_ITEMS_LIMIT` (views.ts): the work of one request stays bounded.
 */
const EXPANDED_PAGE_LIMIT = 100;

/** A collection answer: `$filter`, `$orderby`, `$count`, paging, then `$expand` and `$select` on the page shown. */
export async function listResponse<T>(
  call: ApiCall,
  contextPath: string,
  items: readonly T[],
  view: EntityView<T>,
  capabilities: QueryCapabilities,
): Promise<HttpResponseInit> {
  const query = parseODataQuery(call.query, capabilities);
  const originals = new Map<Record<string, unknown>, T>();
  const filterViews = items.map((item) => {
    const filterView = view.filterView(item);
    originals.set(filterView, item);
    return filterView;
  });
  const bounded = query.expand.length > 0 ? { ...query, top: Math.min(query.top ?? PAGE_SIZE, EXPANDED_PAGE_LIMIT) } : query;
  const page = pageOf(filterViews, bounded, PAGE_SIZE);
  const rendered = await mapConcurrently(page.items, async (filterView) => {
    const entity = await view.render(call.deps, originals.get(filterView)!, query.expand);
    return selectProperties(entity, query.select, ['id', ...query.expand.map((e) => e.name)]);
  });
  return collectionResponse(call.response, contextPath, rendered, { nextLink: page.nextSkipToken && nextLink(call, page.nextSkipToken), count: page.count });
}

/**
 * One entity, with `$select` and `$expand`. The query is read before `produce` runs, so a create or replace with a
 * bad query option is refused before it writes anything.
 */
export async function entityResult<T>(
  call: ApiCall,
  contextPath: string,
  produce: () => Promise<T>,
  view: EntityView<T>,
  capabilities: QueryCapabilities,
  status = 200,
): Promise<HttpResponseInit> {
  const query = parseODataQuery(call.query, { select: capabilities.select, expand: capabilities.expand });
  const rendered = await view.render(call.deps, await produce(), query.expand);
  return entityResponse(call.response, contextPath, selectProperties(rendered, query.select, ['id', ...query.expand.map((e) => e.name)]), status);
}

function nextLink(call: ApiCall, skipToken: string): string {
  const query = new URLSearchParams(call.query);
  query.set('$skiptoken', skipToken);
  return `${call.response.serviceRoot}/${call.path}?${query.toString()}`;
}
