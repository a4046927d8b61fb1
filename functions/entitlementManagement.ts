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
  // Who is calling comes first: without a caller, the answer is 401 whatever the path.
  const caller = callerFromRequest(request, getConfig());
  if (!caller) throw new DomainError('unauthenticated', 'Sign in first: the request names no caller.');
  const url = new URL(request.url);
  const segments = pathBelowArea(url.pathname);
  const match = matchRoute(ENTITLEMENT_ROUTES, request.method, segments);
  if ('allowed' in match) {
    const response = graphResponse(405, 'methodNotAllowed', `${request.method} is not allowed on ${url.pathname}.`, context.invocationId);
    return { ...response, headers: { ...(response.headers as Record<string, string>), allow: match.allowed.join(', ') } };
  }
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
