/** A report cell: text, or null where the state holds nothing (an empty CSV cell, JSON null). */
export type Cell = string | null;

/**
 * Where a report's next page starts: the store's continuation tokens and the like. Only the report that made it reads
 * it; the API layer signs it into the next link, so a caller can neither forge nor alter it.
 */
export type ReportCursor = Record<string, string>;

export interface ReportPage<Column extends string> {
  rows: Array<Record<Column, Cell>>;
  /** Absent on the last page. A page may hold fewer rows than asked, even none, and still have a next one. */
  cursor?: ReportCursor;
}

/**
 * One report (DESIGN §2.8): its columns, in their contract order, and its rows a page at a time. Each page's cost
 * follows the page, so JSON pages through next links and CSV streams page after page in bounded memory.
 */
export interface Report<Column extends string = string> {
  columns: readonly Column[];
  page(cursor: ReportCursor | undefined, size: number): Promise<ReportPage<Column>>;
}

/**
 * Every row from the first page on, page after page: for the CSV stream. The next page is read while the rows of this
 * one are written out, so storage and the client overlap; at most two pages are held.
 */
export async function* rowsOf<Column extends string>(report: Report<Column>, first: ReportPage<Column>, size: number): AsyncGenerator<Record<Column, Cell>> {
  let page = first;
  for (;;) {
    const next = page.cursor ? report.page(page.cursor, size) : undefined;
    // Read now, awaited below: a failure is not left unhandled while this page's rows are written.
    next?.catch(() => undefined);
    yield* page.rows;
    if (!next) return;
    page = await next;
  }
}
