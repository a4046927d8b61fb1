import type { ODataQuery } from './parsedQuery';
import { readPath } from './propertyPaths';
import { compareText, epochMillisOf } from './valueComparison';

/** A value reduced to what it sorts by, computed once per item rather than once per comparison. */
type SortKey = undefined | number | { text: string };

/**
 * Sorts by each `$orderby` term in turn, keeping the given order for ties. Missing and null values come first
 * ascending (last descending), as in OData; text ignores case, then falls back to exact code units so the order is total.
 */
export function orderEntities<T extends Record<string, unknown>>(items: T[], orderBy: ODataQuery['orderBy']): T[] {
  if (orderBy.length === 0) return [...items];
  const keyed = items.map((item, index) => ({ item, index, keys: orderBy.map((term) => sortKeyOf(readPath(item, term.property))) }));
  keyed.sort((a, b) => {
    for (const [position, term] of orderBy.entries()) {
      const order = compareSortKeys(a.keys[position], b.keys[position]);
      if (order !== 0) return term.descending ? -order : order;
    }
    return a.index - b.index;
  });
  return keyed.map(({ item }) => item);
}

function sortKeyOf(value: unknown): SortKey {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  if (typeof value === 'boolean') return Number(value);
  if (typeof value === 'string') return epochMillisOf(value) ?? { text: value };
  return undefined;
}

function compareSortKeys(a: SortKey, b: SortKey): number {
  if (a === undefined || b === undefined) return Number(a !== undefined) - Number(b !== undefined);
  if (typeof a === 'number') return typeof b === 'number' ? Math.sign(a - b) : -1;
  if (typeof b === 'number') return 1;
  return compareText(a.text, b.text) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
}
