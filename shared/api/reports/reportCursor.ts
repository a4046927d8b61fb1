import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../domain/errors';
import type { ReportCursor } from '../../operations/reports/report';

/** Longer than any token this service writes (a few continuation tokens), short enough to refuse junk unread. */
const MAX_TOKEN_LENGTH = 4096;

/**
 * The `$skiptoken` of a report's next link: the report's position, and an HMAC over it and what it belongs to (the
 * caller, the report and its arguments). The position holds Table Storage continuation tokens, which would let a
 * hand-made token start a read anywhere, so a token that was altered, or made for another caller or report, is
 * refused (400) before anything is read. The key is the service's own (store/serviceSecrets.ts), kept in its storage:
 * every instance of the app has it and callers do not, so a link made by one instance is honoured by another.
 */
export class ReportCursors {
  constructor(private readonly key: Buffer) {}

  write(cursor: ReportCursor, binding: string): string {
    const payload = Buffer.from(JSON.stringify(cursor)).toString('base64url');
    return `${payload}.${this.#mac(payload, binding).toString('base64url')}`;
  }

  read(token: string, binding: string): ReportCursor {
    const [payload, mac, extra] = token.length <= MAX_TOKEN_LENGTH ? token.split('.') : [];
    const given = mac === undefined ? undefined : Buffer.from(mac, 'base64url');
    const expected = payload === undefined ? undefined : this.#mac(payload, binding);
    if (extra !== undefined || !given || !expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new DomainError('invalidRequest', 'Invalid $skiptoken: follow @odata.nextLink as given, or start again without it.');
    }
    return JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as ReportCursor;
  }

  #mac(payload: string, binding: string): Buffer {
    return createHmac('sha256', this.key).update(binding).update('\0').update(payload).digest();
  }
}
