export type PropertyType = 'string' | 'boolean' | 'dateTime' | 'guid' | 'number';

/** What one resource's list or get accepts. Anything not declared here is a 400 that names what is allowed. */
export interface QueryCapabilities {
  /** Filterable property paths and their types, e.g. `{ id: 'guid', 'resource/id': 'guid', displayName: 'string' }`. */
  filter?: Record<string, PropertyType>;
  /** Collections `$filter` may test with `any` and `all` lambdas, each with what its items answer to. */
  filterLambdas?: Record<string, LambdaCapabilities>;
  /** Selectable top-level properties. */
  select?: string[];
  /** Expandable navigation properties, each with what its nested `$select`, `$expand` and `$filter` may use. */
  expand?: Record<string, QueryCapabilities>;
  orderBy?: string[];
  /** Whether `$count=true` is allowed. */
  count?: boolean;
  /** The largest `$top`; 999 unless set. */
  maxTop?: number;
}

/**
 * The items of a collection inside a lambda (`identitySources/any(s: s/tenantId eq '…')`): their filterable
 * properties, and the derived types a path may cast to (`s/microsoft.graph.azureActiveDirectoryTenant/tenantId`),
 * named without the namespace.
 */
export interface LambdaCapabilities {
  properties: Record<string, PropertyType>;
  castTypes?: string[];
}

export const DEFAULT_MAX_TOP = 999;

/**
 * The declared spelling of a name the caller wrote. Names match ignoring case, as Graph's do (its own documentation
 * writes `target/objectid` for `target/objectId`); the parsed query always carries the declared spelling.
 */
export function declaredName(declared: readonly string[], written: string): string | undefined {
  const wanted = written.toLowerCase();
  return declared.find((name) => name === written) ?? declared.find((name) => name.toLowerCase() === wanted);
}
