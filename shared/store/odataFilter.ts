import { odata } from '@azure/data-tables';
import { tableKey } from './tableKeys';

/** A filter made by the `filter` tag; queries take only these, so no filter is ever built by concatenation. */
export type ODataFilter = string & { readonly __brand: 'ODataFilter' };

/** `filter\`PartitionKey eq ${key}\``: every value is quoted and escaped by `odata`. */
export function filter(strings: TemplateStringsArray, ...values: unknown[]): ODataFilter {
  return odata(strings, ...values) as ODataFilter;
}

/** Both filters at once; each part was built by the tag, so joining them cannot change what either means. */
export function allOf(...filters: Array<ODataFilter | undefined>): ODataFilter | undefined {
  const present = filters.filter((f): f is ODataFilter => f !== undefined);
  return present.length === 0 ? undefined : (present.map((f) => `(${f})`).join(' and ') as ODataFilter);
}

/** Either filter; each part was built by the tag, so joining them cannot change what either means. */
export function anyOf(...filters: ODataFilter[]): ODataFilter {
  return filters.map((f) => `(${f})`).join(' or ') as ODataFilter;
}

/** RowKeys `tableKey(first, …)`: from `<first>|` up to `<first>}`, the character after the separator. */
export function rowKeysUnder(first: string): ODataFilter {
  const parent = tableKey(first);
  return filter`RowKey gt ${`${parent}|`} and RowKey lt ${`${parent}}`}`;
}
