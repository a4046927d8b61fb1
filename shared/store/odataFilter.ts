import { odata } from '@azure/data-tables';

/** A filter made by the `filter` tag; queries take only these, so no filter is ever built by concatenation. */
export type ODataFilter = string & { readonly __brand: 'ODataFilter' };

/** `filter\`PartitionKey eq ${key}\``: every value is quoted and escaped by `odata`. */
export function filter(strings: TemplateStringsArray, ...values: unknown[]): ODataFilter {
  return odata(strings, ...values) as ODataFilter;
}
