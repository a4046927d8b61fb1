export type PropertyType = 'string' | 'boolean' | 'dateTime' | 'guid' | 'number';

/** What one resource's list or get accepts. Anything not declared here is a 400 that names what is allowed. */
export interface QueryCapabilities {
  /** Filterable property paths and their types, e.g. `{ id: 'guid', 'resource/id': 'guid', displayName: 'string' }`. */
  filter?: Record<string, PropertyType>;
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

export const DEFAULT_MAX_TOP = 999;

/**
 * The declared spelling of a name the caller wrote. Names match ignoring case, as Graph's do (its own documentation
 * writes `target/objectid` for `target/objectId`); the parsed query always carries the declared spelling.
 */
export function declaredName(declared: readonly string[], written: string): string | undefined {
  const wanted = written.toLowerCase();
  return declared.find((name) => name === written) ?? declared.find((name) => name.toLowerCase() === wanted);
}
