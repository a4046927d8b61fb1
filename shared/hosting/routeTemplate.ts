/**
 * Azure Functions route templates, the subset we use: literal segments (case-insensitive), `{name}`, a trailing
 * optional `{name?}`, and a trailing catch-all `{*name}`. Anything else is refused when the route is registered,
 * so a route never silently matches differently here than in Azure.
 */
type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'param'; name: string; optional: boolean }
  | { kind: 'catchAll'; name: string };

export interface RouteTemplate {
  template: string;
  match(path: string): Record<string, string> | undefined;
  /** Orders templates as ASP.NET routing does: literals before parameters before catch-alls, segment by segment. */
  precedence: number[];
}

export function parseRouteTemplate(template: string): RouteTemplate {
  const segments = splitPath(template).map((text, index, all): Segment => {
    const param = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(\?)?\}$/.exec(text);
    if (!param) {
      if (/[{}]/.test(text)) throw new Error(`Route '${template}': segment '${text}' is not supported here.`);
      return { kind: 'literal', text: text.toLowerCase() };
    }
    const [, star, name = '', optional] = param;
    const last = index === all.length - 1;
    if ((star || optional) && !last) throw new Error(`Route '${template}': '${text}' must be the last segment.`);
    if (star && optional) throw new Error(`Route '${template}': a catch-all is already optional.`);
    return star ? { kind: 'catchAll', name } : { kind: 'param', name, optional: Boolean(optional) };
  });

  return {
    template,
    precedence: segments.map((s) => (s.kind === 'literal' ? 0 : s.kind === 'param' ? (s.optional ? 2 : 1) : 3)),
    match(path) {
      const parts = splitPath(path);
      const params: Record<string, string> = {};
      for (const [index, segment] of segments.entries()) {
        const part = parts[index];
        if (segment.kind === 'catchAll') {
          params[segment.name] = parts.slice(index).map(decode).join('/');
          return params;
        }
        if (part === undefined) return segment.kind === 'param' && segment.optional ? params : undefined;
        if (segment.kind === 'literal') {
          if (decode(part).toLowerCase() !== segment.text) return undefined;
        } else {
          params[segment.name] = decode(part);
        }
      }
      return parts.length === segments.length ? params : undefined;
    },
  };
}

export function comparePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  for (let i = 0; i < Math.max(a.precedence.length, b.precedence.length); i++) {
    const difference = (a.precedence[i] ?? -1) - (b.precedence[i] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}

const splitPath = (path: string) => path.split('/').filter((part) => part !== '');

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export interface RoutedFunction {
  route: RouteTemplate;
  methods: readonly string[];
}

/**
 * The methods allowed at a path by the given routes, or an empty list when no route has the path: the difference
 * between 405 and 404.
 */
export function allowedMethods(routes: readonly RoutedFunction[], path: string): string[] {
  return [...new Set(routes.filter((r) => r.route.match(path)).flatMap((r) => r.methods))];
}
