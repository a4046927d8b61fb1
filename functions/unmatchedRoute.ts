import type { HttpMethod, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { graphResponse, methodNotAllowedResponse } from '../shared/api/errorResponses';
import { registeredFunctions, registerHttp } from '../shared/hosting/registry';
import { allowedMethods, parseRouteTemplate, type RoutedFunction } from '../shared/hosting/routeTemplate';

const ALL_METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

let otherRoutes: RoutedFunction[] | undefined;

/**
 * Answers every request no other function takes, in Graph's error shape: 405 with `Allow` where another function
 * has the path, 404 otherwise. Routing prefers literal segments to a catch-all, so this never shadows a function;
 * it makes the Functions host answer unknown paths the way Graph clients expect, as the local host does.
 */
export async function unmatchedRoute(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  otherRoutes ??= registeredFunctions().flatMap((fn) =>
    fn.trigger === 'http' && fn.name !== 'unmatchedRoute' ? [{ route: parseRouteTemplate(fn.route), methods: fn.methods }] : [],
  );
  const path = new URL(request.url).pathname;
  const allowed = allowedMethods(otherRoutes, path);
  if (allowed.length === 0) return graphResponse(404, 'itemNotFound', `No resource at ${path}.`, context.invocationId);
  return methodNotAllowedResponse(request.method, path, allowed, context.invocationId);
}

registerHttp('unmatchedRoute', { route: '{*path}', methods: ALL_METHODS, handler: unmatchedRoute });
