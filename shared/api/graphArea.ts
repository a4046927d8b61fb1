import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { requireCaller } from '../auth/authorize';
import { callerFromRequest } from '../auth/callerFromRequest';
import { getDeps } from '../composition';
import { getConfig } from '../config';
import { matchRoute, pathBelowArea, type AreaRoute } from './entitlementManagement/areaRouter';
import { methodNotAllowedResponse } from './errorResponses';

export const AREA_METHODS: HttpMethod[] = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];

/**
 * One Graph API area (`v1.0/identityGovernance/entitlementManagement`, `v1.0/roleManagement/entitlementManagement`):
 * the caller first (401 without one, whatever the path), then the area's route, then the one authorization
 * decision for the route's action in the route's catalog, before the route runs, so a caller without the right
 * changes nothing.
 */
export function graphArea(area: string, routes: readonly AreaRoute[]) {
  const belowVersion = area.replace(/^v1\.0\//, '');
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const caller = requireCaller(await callerFromRequest(request, getConfig(), getDeps().bearerTokens));
    const url = new URL(request.url);
    const segments = pathBelowArea(url.pathname, area);
    const match = matchRoute(routes, request.method, segments);
    if ('allowed' in match) return methodNotAllowedResponse(request.method, url.pathname, match.allowed, context.invocationId);
    const { entitlements } = getDeps();
    const call = {
      request,
      ids: match.ids,
      query: url.searchParams,
      caller,
      access: entitlements.accessOf(caller),
      deps: entitlements,
      response: { serviceRoot: `${url.origin}/v1.0` },
      path: [belowVersion, ...segments.map(encodeURIComponent)].join('/'),
    };
    await call.access.require(match.route.action, await match.route.catalog?.(call));
    return match.route.handle(call);
  };
}
