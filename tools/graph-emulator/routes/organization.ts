import { project, ORGANIZATION_TYPE, type Entity } from '../entityTypes';
import { readQueryOptions } from '../odataQuery';
import { odataContext, ok } from '../responses';
import { route, type Route, type RouteContext } from '../router';

/** The tenant itself: a cheap call, which clients use to see that Graph answers. */
function getOrganization(context: RouteContext) {
  const options = readQueryOptions(context.query, { type: ORGANIZATION_TYPE, allowed: ['select'] });
  return ok({
    '@odata.context': odataContext(context.origin, 'organization', options.select),
    value: [project(context.directory.organization as unknown as Entity, ORGANIZATION_TYPE, options.select)],
  });
}

export const organizationRoutes: readonly Route[] = [route('GET', '/organization', getOrganization)];
