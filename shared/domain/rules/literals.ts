import { Duration } from 'luxon';
import { RuleError } from './ruleError';
import type { Token } from './tokens';
import { isTimeShift, operatorNamed } from './operators';

/** A value as written, before it is checked against the attribute it is compared with. */
export type ScalarLiteral =
  | { kind: 'text'; text: string; quoted: boolean; position: number }
  | { kind: 'boolean'; value: boolean; position: number }
  | { kind: 'null'; position: number }
  | { kind: 'now'; shift: Duration; position: number };

export type Literal = ScalarLiteral | { kind: 'list'; items: ScalarLiteral[]; position: number };

/** Reads tokens one at a time; the literal reader needs no more than that. */
export interface TokenCursor {
  peek(): Token;
  next(): Token;
}

/**
 * A value: a quoted string, `true`/`false`, `null`, a list in `[ ]`, `system.now` (optionally `-plus`/`-minus` an
 * ISO 8601 duration), or an unquoted number or date. "Double quotation marks are optional unless the value is a
 * string", so any other unquoted word is refused; `"null"` is the text null, as the reference says.
 */
export function readLiteral(cursor: TokenCursor): Literal {
  const token = cursor.peek();
  if (token.kind !== '[') return readScalar(cursor);
  cursor.next();
  const items: ScalarLiteral[] = [];
  for (;;) {
    items.push(readScalar(cursor));
    const separator = cursor.next();
    if (separator.kind === ']') return { kind: 'list', items, position: token.position };
    if (separator.kind !== ',') throw new RuleError('queryCompilationError', separator.position, 'expected , or ] in the list');
  }
}

function readScalar(cursor: TokenCursor): ScalarLiteral {
  const token = cursor.next();
  const { position } = token;
  if (token.kind === 'string') return { kind: 'text', text: token.value, quoted: true, position };
  if (token.kind !== 'word') throw new RuleError('queryCompilationError', position, token.kind === 'end' ? 'the rule ends where a value was expected' : 'expected a value');
  const word = token.text.toLowerCase();
  if (word === 'true' || word === 'false') return { kind: 'boolean', value: word === 'true', position };
  if (word === 'null') return { kind: 'null', position };
  if (word === 'system.now') return { kind: 'now', shift: readShift(cursor), position };
  if (/^[0-9]/.test(word)) return { kind: 'text', text: token.text, quoted: false, position };
  throw new RuleError('queryCompilationError', position, `${token.text} is not a value: put text in double quotes`);
}

/** After `system.now`: nothing, or `-plus`/`-minus` and a duration such as `p1d` (any case). */
function readShift(cursor: TokenCursor): Duration {
  const sign = cursor.peek();
  const shift = sign.kind === 'operator' ? operatorNamed(sign.name) : undefined;
  if (!isTimeShift(shift)) return Duration.fromMillis(0);
  cursor.next();
  const token = cursor.next();
  const duration = token.kind === 'word' && token.text.length <= 64 ? Duration.fromISO(token.text.toUpperCase()) : undefined;
  if (!duration?.isValid || Object.values(duration.toObject()).some((part) => part < 0)) {
    throw new RuleError('queryCompilationError', token.position, `system.now -${shift} takes an ISO 8601 duration such as P1D`);
  }
  return shift === 'minus' ? duration.negate() : duration;
}
