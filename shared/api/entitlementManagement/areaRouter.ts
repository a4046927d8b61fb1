import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Action } from '../../auth/authorize';
import type { Caller } from '../../auth/caller';
import { DomainError } from '../../domain/errors';
import type { EntitlementDeps } from '../../operations/entitlements/entitlementDeps';
import type { ResponseContext } from '../graphResponses';

/** Beta entity-set and navigation names (reference §10) are taken as their v1.0 names. */
const BETA_SEGMENTS: Record<string, string> = {
  accessPackageCatalogs: 'catalogs',
  accessPackageAssignmentPolicies: 'assignmentPolicies',
  accessPackageResourceRequests: 'resourceRequests',
  accessPackageResourceRoleScopes: 'resourceRoleScopes',
  accessPackageResources: 'resources',
  accessPackageResourceRoles: 'resourceRoles',
  accessPackageResourceScopes: 'resourceScopes',
};

export interface ApiCall {
  request: HttpRequest;
  /** The `{…}` segments of the route, in order. */
  ids: string[];
  query: URLSearchParams;
  caller: Caller;
  deps: EntitlementDeps;
  response: ResponseContext;
  /** The path below the area root, for `@odata.nextLink`. */
  path: string;
}

export interface AreaRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  pattern: string;
  action: Action;
  handle: (call: ApiCall) => Promise<HttpResponseInit>;
}

export type RouteMatch = { route: AreaRoute; ids: string[] } | { allowed: string[] };

/**
 * Finds the route for a method and the (decoded) path segments below the area root; unknown segments are a 400,
 * as in Graph.
 */
export function matchRoute(routes: readonly AreaRoute[], method: string, pathSegments: readonly string[]): RouteMatch {
  const segments = pathSegments.map((s) => BETA_SEGMENTS[s] ?? s);
  const candidates = routes.flatMap((route) => {
    const ids = matchPattern(route.pattern, segments);
    return ids ? [{ route, ids }] : [];
  });
  const chosen = candidates.find((c) => c.route.method === method);
  if (chosen) return chosen;
  if (candidates.length > 0) return { allowed: [...new Set(candidates.map((c) => c.route.method))] };
  const known = new Set(routes.flatMap((r) => r.pattern.split('/')));
  const unknown = segments.find((s) => !known.has(s)) ?? segments.at(-1) ?? '';
  throw new DomainError('invalidRequest', `Resource not found for the segment '${unknown}'.`);
}

function matchPattern(pattern: string, segments: string[]): string[] | undefined {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const ids: string[] = [];
  for (const [index, part] of parts.entries()) {
    const segment = segments[index]!;
    if (part === '{id}') {
      if (segment.startsWith('$')) return undefined;
      ids.push(segment);
    } else if (part !== segment) return undefined;
  }
  return ids;
}

/** The decoded segments after the area root; each is decoded alone, so an encoded `/` stays inside its segment. */
export function pathBelowArea(pathname: string, area: string): string[] {
  const start = pathname.toLowerCase().indexOf(`/${area.toLowerCase()}`);
  const rest = pathname.slice(start + area.length + 1);
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
