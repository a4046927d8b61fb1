import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { getConfig } from '../../config';
import type { AuditCursor } from '../../store/auditLog';
import type { ODataQuery } from '../odata';
import { invalidOption } from '../odata/invalidQuery';

/**
 * The skip token of the audit log: where the last page stopped (a position in the log, not an offset: the next page
 * is a range query from there, whatever came before) and a fingerprint of the query, signed with HMAC-SHA256 so a
 * token is taken only as this service wrote it. The key follows from the storage connection string, a secret every
 * instance of one deployment shares and no caller has.
 */
export function writeAuditToken(cursor: AuditCursor, query: ODataQuery): string {
  const body = Buffer.from(JSON.stringify({ c: cursor, q: fingerprint(query) })).toString('base64url');
  return `${body}.${sign(body)}`;
}

export function readAuditToken(token: string, query: ODataQuery): AuditCursor {
  const [body, signature, ...rest] = token.split('.');
  const expected = body === undefined ? '' : sign(body);
  if (!body || !signature || rest.length > 0 || token.length > MAX_TOKEN_LENGTH || !sameText(signature, expected)) {
    throw invalidOption('$skiptoken', 'not a token this service issued; request the first page again without $skiptoken');
  }
  const decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { c: string; q: string };
  if (decoded.q !== fingerprint(query)) {
    throw invalidOption('$skiptoken', 'the token belongs to a different query; follow @odata.nextLink as given, or start again without $skiptoken');
  }
  return decoded.c;
}

const MAX_TOKEN_LENGTH = 400;

/** Filter and order decide where a position leads; `$top` and `$select` do not. */
const fingerprint = (query: ODataQuery) => createHash('sha256').update(JSON.stringify([query.filter ?? null, query.orderBy])).digest('base64url').slice(0, 16);

let key: Buffer | undefined;
function sign(body: string): string {
  key ??= createHash('sha256').update('portcullis audit skip token\n').update(getConfig().AzureWebJobsStorage).digest();
  return createHmac('sha256', key).update(body).digest('base64url');
}

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
