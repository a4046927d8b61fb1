import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { graphResponse } from '../shared/api/errorResponses';
import { matchRoute } from '../shared/api/entitlementManagement/areaRouter';
import { ENTITLEMENT_ROUTES } from '../shared/api/entitlementManagement/routes';
import { httpHandler } from '../shared/api/httpHandler';
import { authorize } from '../shared/auth/authorize';
import { callerFromRequest } from '../shared/auth/callerFromRequest';
import { getDeps } from '../shared/composition';
import { getConfig } from '../shared/config';
import { DomainError } from '../shared/domain/errors';
import { registerHttp } from '../shared/hosting/registry';

const AREA = 'v1.0/identityGovernance/entitlementManagement';
const METHODS: HttpMethod[] = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];

/**
 * The Graph v1.0 entitlement management API. The area's own router picks the route; every route is authorized
 * here, in one place, before it runs, so a caller without the right changes nothing.
 */
export async function entitlementManagement(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const url = new URL(request.url);
  const match = matchRoute(ENTITLEMENT_ROUTES, request.method, pathBelowArea(url.pathname));
  if ('allowed' in match) {
    const response = graphResponse(405, 'methodNotAllowed', `${request.method} is not allowed on ${url.pathname}.`, context.invocationId);
    return { ...response, headers: { ...(response.headers as Record<string, string>), allow: match.allowed.join(', ') } };
  }
  const { entitlements } = getDeps();
  const caller = await authorize(callerFromRequest(request, getConfig()), match.route.action, entitlements.administrators);
  const segments = pathBelowArea(url.pathname);
  return match.route.handle({
    request,
    ids: match.ids,
    query: url.searchParams,
    caller,
    deps: entitlements,
    response: { serviceRoot: `${url.origin}/v1.0` },
    path: segments.map(encodeURIComponent).join('/'),
  });
}

/** The decoded segments after the area root; each is decoded alone, so an encoded `/` stays inside its segment. */
function pathBelowArea(pathname: string): string[] {
  const start = pathname.toLowerCase().indexOf(`/${AREA.toLowerCase()}`);
  const rest = pathname.slice(start + AREA.length + 1);
  return rest
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new DomainError('invalidRequest', `The path segment '${segment}' is not validly encoded.`);
      }
    });
}

registerHttp('entitlementManagement', { route: `${AREA}/{*path}`, methods: METHODS, handler: httpHandler(entitlementManagement) });
