import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { Caller } from '../../auth/caller';
import type { CallerAccess } from '../../auth/callerAccess';
import type { Action } from '../../auth/decision';
import { DomainError } from '../../domain/errors';
import type { EntitlementDeps } from '../../operations/entitlements/entitlementDeps';
import type { ResponseContext } from '../graphResponses';
import { readJsonObject } from '../requestBody';

/**
 * Beta entity-set and navigation names (reference §10) are taken as their v1.0 names. A Map, so that a segment such
 * as `toString` is not found on Object's prototype.
 */
const BETA_SEGMENTS: ReadonlyMap<string, string> = new Map(Object.entries({
  accessPackageCatalogs: 'catalogs',
  accessPackageAssignmentPolicies: 'assignmentPolicies',
  accessPackageResourceRequests: 'resourceRequests',
  accessPackageResourceRoleScopes: 'resourceRoleScopes',
  accessPackageResources: 'resources',
  accessPackageResourceRoles: 'resourceRoles',
  accessPackageResourceScopes: 'resourceScopes',
  accessPackageAssignmentRequests: 'assignmentRequests',
  accessPackageAssignments: 'assignments',
}));

export interface ApiCall {
  request: HttpRequest;
  /** The `{…}` segments of the route, in order. */
  ids: string[];
  query: URLSearchParams;
  caller: Caller;
  /** What the caller may do; lists use it to show only what the caller may read. */
  access: CallerAccess;
  deps: EntitlementDeps;
  response: ResponseContext;
  /** The path below the version (`identityGovernance/entitlementManagement/catalogs`), for `@odata.nextLink`. */
  path: string;
}

export interface AreaRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  pattern: string;
  /** What the route does, decided before it runs; in the catalog `catalog` finds, when it concerns one. */
  action: Action;
  catalog?: (call: ApiCall) => Promise<string | undefined>;
  handle: (call: ApiCall) => Promise<HttpResponseInit>;
}

/** The `index`th `{id}` of the route's path. */
export const pathId = (call: ApiCall, index = 0): string => call.ids[index]!;

const bodies = new WeakMap<ApiCall, Promise<Record<string, unknown>>>();

/** The request body, a JSON object (400 otherwise); read once, so authorization and the handler can both use it. */
export function requestBody(call: ApiCall): Promise<Record<string, unknown>> {
  let body = bodies.get(call);
  if (!body) bodies.set(call, (body = readJsonObject(call.request)));
  return body;
}

export type RouteMatch = { route: AreaRoute; ids: string[] } | { allowed: string[] };

/**
 * Finds the route for a method and the (decoded) path segments below the area root; unknown segments are a 400,
 * as in Graph.
 */
export function matchRoute(routes: readonly AreaRoute[], method: string, pathSegments: readonly string[]): RouteMatch {
  const segments = pathSegments.map((s) => BETA_SEGMENTS.get(s) ?? s);
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

/** A bound function call as a path segment: `filterByCurrentUser(on='target')`. */
const FUNCTION_CALL = /^([A-Za-z]+)\((.*)\)$/s;

/**
 * A pattern part `{id}` takes any segment but a `$` one or a function call; `name()` takes a call of that function
 * and passes its arguments (`on='target'`) on as an id, for `functionArgument` to read.
 */
function matchPattern(pattern: string, segments: string[]): string[] | undefined {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const ids: string[] = [];
  for (const [index, part] of parts.entries()) {
    const segment = segments[index]!;
    const call = FUNCTION_CALL.exec(segment);
    if (part === '{id}') {
      if (segment.startsWith('$') || call) return undefined;
      ids.push(segment);
    } else if (part.endsWith('()')) {
      if (call?.[1]?.toLowerCase() !== part.slice(0, -2).toLowerCase()) return undefined;
      ids.push(call[2]!);
    } else if (part !== segment) return undefined;
  }
  return ids;
}

/** The value of one argument of a bound function call, from `name='value'` pairs; one of `allowed`, any case. */
export function functionArgument<T extends string>(args: string, name: string, allowed: readonly T[]): T {
  const pairs = new Map(
    args.split(',').map((pair) => {
      const [key = '', ...rest] = pair.split('=');
      return [key.trim().toLowerCase(), rest.join('=').trim().replace(/^'(.*)'$/s, '$1')] as const;
    }),
  );
  const value = pairs.get(name.toLowerCase());
  const known = allowed.find((a) => a.toLowerCase() === value?.toLowerCase());
  if (!known) {
    throw new DomainError('invalidRequest', `The function needs ${name}= one of ${allowed.map((a) => `'${a}'`).join(', ')}${value === undefined ? '' : `; got '${value}'`}.`);
  }
  return known;
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
