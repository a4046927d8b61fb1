import type { TableClient, TableEntityResult } from '@azure/data-tables';
import type { ODataFilter } from './odataFilter';
import { translateStoreError } from './storeErrors';

export interface Page<T> {
  items: T[];
  /** Where the next page starts; absent on the last page. */
  continuationToken?: string;
}

export interface QueryOptions {
  filter?: ODataFilter;
  select?: string[];
  pageSize?: number;
}

/** One page of a query, for callers that checkpoint their position (sweeps) or page an API response. */
export async function queryPage<T extends object>(
  table: TableClient,
  options: QueryOptions & { continuationToken?: string },
): Promise<Page<TableEntityResult<T>>> {
  try {
    const pages = table
      .listEntities<T>({ queryOptions: { filter: options.filter, select: options.select } })
      .byPage({ maxPageSize: options.pageSize, continuationToken: options.continuationToken });
    const next = await pages.next();
    if (next.done) return { items: [] };
    const page: Page<TableEntityResult<T>> = { items: [...next.value] };
    if (next.value.continuationToken) page.continuationToken = next.value.continuationToken;
    return page;
  } catch (error) {
    return translateStoreError(error, `table '${table.tableName}'`);
  }
}

/** Every entity a query matches, page by page. */
export function queryAll<T extends object>(
  table: TableClient,
  options: QueryOptions = {},
): AsyncGenerator<TableEntityResult<T>> {
  return followContinuation((continuationToken) => queryPage<T>(table, { ...options, continuationToken }));
}

/**
 * Follows continuation tokens to the end. Table Storage may answer a page with no items but a token (a query that
 * ran out of time or crossed a partition), so only a missing token ends the query, never an empty page.
 */
export async function* followContinuation<T>(
  fetchPage: (continuationToken: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let continuationToken: string | undefined;
  do {
    const page = await fetchPage(continuationToken);
    yield* page.items;
    continuationToken = page.continuationToken;
  } while (continuationToken);
}
