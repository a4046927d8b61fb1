import { pipeline, Readable } from 'node:stream';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { stringify } from 'csv-stringify';
import { DomainError } from '../../domain/errors';
import { rowsOf, type Report } from '../../operations/reports/report';
import type { ReportCursor } from '../../operations/reports/report';
import { readSkipToken, writeSkipToken } from '../skipTokens';

export const DEFAULT_PAGE_SIZE = 200;
export const MAX_PAGE_SIZE = 1000;
/** What a CSV stream reads at a time: Table Storage's largest page. */
const CSV_PAGE_SIZE = 1000;

/** What a report's answer needs besides the report: the key that signs next links and what a link is bound to. */
export interface ReportAnswer {
  /** The deployment's skip-token key (store/listTokenKey.ts). */
  tokenKey: () => Promise<Buffer>;
  /** The caller and the report with its arguments, so a next link serves only the call that made it. */
  binding: string;
  /** The CSV file's name, without extension. */
  name: string;
}

/**
 * The report as JSON (`{"value":[...],"@odata.nextLink"?}`, a page of `$top` rows) or, asked with `?format=csv` or
 * `Accept: text/csv`, as CSV streamed page after page: the header row, then every row, never the whole report in
 * memory. The first page is read before answering, so a bad request or a failing store still gets its status code.
 */
export async function answerReport(request: HttpRequest, context: InvocationContext, report: Report, answer: ReportAnswer): Promise<HttpResponseInit> {
  const csv = wantsCsv(request);
  const size = csv ? CSV_PAGE_SIZE : pageSize(request.query.get('$top'));
  const token = request.query.get('$skiptoken');
  const cursor = token === null ? undefined : (readSkipToken(await answer.tokenKey(), token, answer.binding) as ReportCursor);
  const first = await report.page(cursor, size);
  if (csv) return { status: 200, headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${answer.name}.csv"` }, body: csvStream(report, first, size, context) };
  const next = new URL(request.url);
  if (first.cursor) next.searchParams.set('$skiptoken', writeSkipToken(await answer.tokenKey(), first.cursor, answer.binding));
  return { status: 200, jsonBody: { value: first.rows, ...(first.cursor ? { '@odata.nextLink': next.toString() } : {}) } };
}

/**
 * CSV by csv-stringify, with its formula escaping on: a cell starting with `=`, `+`, `-`, `@`, tab or carriage return
 * gets a leading `'`, because a spreadsheet opening the file would otherwise run it as a formula (CSV injection), and
 * display names and such are chosen by users. A failure midway ends the stream with an error, which cuts the
 * response short: the client sees a broken download, never a file that looks complete.
 */
function csvStream(report: Report, first: Awaited<ReturnType<Report['page']>>, size: number, context: InvocationContext): Readable {
  const csv = stringify({ header: true, columns: [...report.columns], escape_formulas: true });
  return pipeline(Readable.from(rowsOf(report, first, size)), csv, (error) => {
    if (error) context.error(`${context.functionName}: the CSV report stopped midway: ${error.message}`);
  });
}

function wantsCsv(request: HttpRequest): boolean {
  const format = request.query.get('format');
  if (format !== null && format !== 'csv' && format !== 'json') throw new DomainError('invalidRequest', `Invalid format '${format.slice(0, 20)}': expected csv or json.`);
  if (format !== null) return format === 'csv';
  return (request.headers.get('accept') ?? '').toLowerCase().includes('text/csv');
}

function pageSize(given: string | null): number {
  if (given === null) return DEFAULT_PAGE_SIZE;
  const top = /^\d{1,4}$/.test(given) ? Number(given) : NaN;
  if (!(top >= 1 && top <= MAX_PAGE_SIZE)) throw new DomainError('invalidRequest', `Invalid $top '${given.slice(0, 20)}': expected a whole number from 1 to ${MAX_PAGE_SIZE}.`);
  return top;
}
