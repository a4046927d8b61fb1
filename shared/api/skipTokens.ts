import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { invalidOption } from './odata/invalidQuery';

/** Longer than any token this service writes (a few storage continuation tokens), short enough to refuse junk unread. */
const MAX_TOKEN_LENGTH = 4096;

/**
 * The `$skiptoken` of every paged answer (administrators' lists, the audit log, reports): a storage position and a
 * fingerprint of what it belongs to (the query; for reports also the caller), signed with HMAC-SHA256 under the
 * deployment's key (store/listTokenKey.ts). A position is a storage continuation token, which would let a hand-made
 * token start a read anywhere, so a token altered, or made for another query or caller, is refused (400) before
 * anything is read. The binding travels only as a hash: a report's binding names its caller.
 */
export function writeSkipToken(key: Buffer, position: unknown, binding: string): string {
  const payload = Buffer.from(JSON.stringify({ p: position, q: fingerprint(binding) })).toString('base64url');
  return `${payload}.${mac(key, payload)}`;
}

/** The position in a token this deployment signed for this binding; anything else is a 400. */
export function readSkipToken(key: Buffer, token: string, binding: string): unknown {
  const [payload, signature, ...rest] = token.length <= MAX_TOKEN_LENGTH ? token.split('.') : [];
  const expected = payload === undefined ? '' : mac(key, payload);
  const signed = payload !== undefined && rest.length === 0 && signature !== undefined && signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
  if (!signed) throw invalidOption('$skiptoken', 'not a token this service issued; request the first page again without $skiptoken');
  const { p, q } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { p?: unknown; q?: unknown };
  if (q !== fingerprint(binding)) {
    throw invalidOption('$skiptoken', 'the token belongs to a different query; follow @odata.nextLink as given, or start again without $skiptoken');
  }
  return p;
}

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
const fingerprint = (binding: string) => createHash('sha256').update(binding).digest('base64url').slice(0, 22);
