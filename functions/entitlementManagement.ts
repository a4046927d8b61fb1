import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { methodNotAllowedResponse } from '../shared/api/errorResponses';
import { matchRoute, pathBelowArea } from '../shared/api/entitlementManagement/areaRouter';
import { ENTITLEMENT_ROUTES } from '../shared/api/entitlementManagement/routes';
import { httpHandler } from '../shared/api/httpHandler';
import { authorize, requireCaller } from '../shared/auth/authorize';
import { callerFromRequest } from '../shared/auth/callerFromRequest';
import { getDeps } from '../shared/composition';
import { getConfig } from '../shared/config';
import { registerHttp } from '../shared/hosting/registry';

const AREA = 'v1.0/identityGovernance/entitlementManagement';
const METHODS: HttpMethod[] = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];

/**
 * The Graph v1.0 entitlement management API. The area's own router picks the route; every route is authorized
 * here, in one place, before it runs, so a caller without the right changes nothing.
 */
export async function entitlementManagement(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  // Who is calling comes first: without a caller, the answer is 401 whatever the path.
  const caller = requireCaller(callerFromRequest(request, getConfig()));
  const url = new URL(request.url);
  const segments = pathBelowArea(url.pathname, AREA);
  const match = matchRoute(ENTITLEMENT_ROUTES, request.method, segments);
  if ('allowed' in match) return methodNotAllowedResponse(request.method, url.pathname, match.allowed, context.invocationId);
  const { entitlements } = getDeps();
  const authorized = await authorize(caller, match.route.action, entitlements.administrators);
  return match.route.handle({
    request,
    ids: match.ids,
    query: url.searchParams,
    caller: authorized,
    deps: entitlements,
    response: { serviceRoot: `${url.origin}/v1.0` },
    path: segments.map(encodeURIComponent).join('/'),
  });
}

registerHttp('entitlementManagement', { route: `${AREA}/{*path}`, methods: METHODS, handler: httpHandler(entitlementManagement) });
