import type { DirectoryState } from './directoryState';
import { badRequest } from './graphErrors';
import type { Outbox } from './outbox';
import type { GraphResponse } from './responses';

/** What a handler sees of one Graph request, top-level or inside a `$batch`. */
export interface RouteContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: ReadonlyMap<string, string>;
  /** The path after `/v1.0` and the query string as the client sent them, for links that repeat the request. */
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly body: unknown;
  /** Scheme, host and port the client called, for absolute links: `http://127.0.0.1:7072`. */
  readonly origin: string;
  readonly directory: DirectoryState;
  readonly outbox: Outbox;
  readonly pageSize: number;
}

export type RouteHandler = (context: RouteContext) => GraphResponse;

export interface Route {
  method: string;
  /** Relative to `/v1.0`, with `{name}` for a path parameter: `/groups/{id}/members/{memberId}/$ref`. */
  template: string;
  handler: RouteHandler;
}

export type Resolution =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; template: string }
  | { kind: 'notFound'; segment: string };

export const route = (method: string, template: string, handler: RouteHandler): Route => ({ method, template, handler });

/** The path's segments, percent-decoded; a malformed escape is a 400. */
export function pathSegments(rawPath: string): string[] {
  try {
    return rawPath.split('/').filter((segment) => segment !== '').map((segment) => decodeURIComponent(segment));
  } catch {
    throw badRequest(`The path '${rawPath}' is not correctly percent-encoded.`, 'BadRequest');
  }
}

/**
 * The first route, in table order, whose template matches the segments and the method. Literal segments match
 * without regard to case, as Graph's do, and a literal route is listed before a parameter that would also match.
 */
export function resolve(routes: readonly Route[], method: string, segments: readonly string[]): Resolution {
  let matchedPath: string | undefined;
  let longestPrefix = 0;
  for (const candidate of routes) {
    const template = templateSegments(candidate.template);
    const params: Record<string, string> = {};
    let matched = 0;
    while (matched < Math.min(template.length, segments.length)) {
      const expected = template[matched]!;
      const actual = segments[matched]!;
      if (expected.startsWith('{')) params[expected.slice(1, -1)] = actual;
      else if (expected.toLowerCase() !== actual.toLowerCase()) break;
      matched++;
    }
    longestPrefix = Math.max(longestPrefix, matched);
    if (matched !== segments.length || matched !== template.length) continue;
    if (candidate.method === method) return { kind: 'found', route: candidate, params };
    matchedPath ??= candidate.template;
  }
  if (matchedPath !== undefined) return { kind: 'methodNotAllowed', template: matchedPath };
  return { kind: 'notFound', segment: segments[Math.min(longestPrefix, segments.length - 1)] ?? '' };
}

/** The route's template with every parameter written `{id}`, for request counts: `PATCH /v1.0/groups/{id}`. */
export const normalizedTemplate = (template: string): string => template.replace(/\{[^}]+\}/g, '{id}');

const templateSegments = (template: string) => template.split('/').filter((segment) => segment !== '');
