import { createHash } from 'node:crypto';
import { matchesFilter } from './filterEvaluator';
import { invalidOption } from './invalidQuery';
import { orderEntities } from './ordering';
import type { ODataQuery } from './parsedQuery';

export interface Page<T> {
  items: T[];
  /** Present when more items follow: the `$skiptoken` of the next page. */
  nextSkipToken?: string;
  /** The number of matching items across all pages, when `$count=true`. */
  count?: number;
}

interface SkipToken {
  offset: number;
  query: string;
}

const MAX_SKIP_TOKEN_LENGTH = 200;

/**
 * Filter, order, count, then cut one page of `query.top ?? defaultPageSize` items. The skip token carries the
 * offset of the next page and a fingerprint of the query, so a token used with another filter or order is refused
 * rather than silently skipping the wrong items.
 */
export function pageOf<T extends Record<string, unknown>>(items: T[], query: ODataQuery, defaultPageSize: number): Page<T> {
  const pageSize = query.top ?? defaultPageSize;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`A page holds at least one item, not ${pageSize}.`);
  const fingerprint = queryFingerprint(query);
  const offset = query.skipToken === undefined ? 0 : readSkipToken(query.skipToken, fingerprint);
  const matching = orderEntities(
    items.filter((item) => matchesFilter(query.filter, item)),
    query.orderBy,
  );
  const nextOffset = offset + pageSize;
  return {
    items: matching.slice(offset, nextOffset),
    ...(nextOffset < matching.length ? { nextSkipToken: writeSkipToken({ offset: nextOffset, query: fingerprint }) } : {}),
    ...(query.count ? { count: matching.length } : {}),
  };
}

/** Filter and order decide which item sits at which offset; `$top`, `$select` and `$expand` do not. */
function queryFingerprint(query: ODataQuery): string {
  return createHash('sha256')
    .update(JSON.stringify([query.filter ?? null, query.orderBy]))
    .digest('base64url')
    .slice(0, 16);
}

const writeSkipToken = (token: SkipToken) => Buffer.from(JSON.stringify(token)).toString('base64url');

function readSkipToken(text: string, fingerprint: string): number {
  const token = text.length <= MAX_SKIP_TOKEN_LENGTH ? decodeSkipToken(text) : undefined;
  if (token === undefined) {
    throw invalidOption('$skiptoken', 'not a token this service issued; request the first page again without $skiptoken');
  }
  if (token.query !== fingerprint) {
    const problem = 'the token belongs to a different query; follow @odata.nextLink as given, or start again without $skiptoken';
    throw invalidOption('$skiptoken', problem);
  }
  return token.offset;
}

function decodeSkipToken(text: string): SkipToken | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (typeof decoded !== 'object' || decoded === null) return undefined;
    const { offset, query } = decoded as Record<string, unknown>;
    const valid = typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0 && typeof query === 'string';
    return valid ? { offset, query } : undefined;
  } catch {
    return undefined;
  }
}
