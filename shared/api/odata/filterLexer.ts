import { DateTime } from 'luxon';
import type { Literal } from './filterTree';
import { invalidOption } from './invalidQuery';

export type FilterToken =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'literal'; literal: Literal; text: string; at: number }
  | { kind: 'symbol'; text: '(' | ')' | ',' | '/' | ':'; at: number }
  | { kind: 'end'; text: ''; at: number };

export const GUID_PATTERN = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

const WHITESPACE = /\s+/y;
const GUID = new RegExp(`${GUID_PATTERN}(?![\\w-])`, 'y');
const DATE_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})(?![\w:.+-])/iy;
/** Anything that starts like a date, so a malformed one is reported as a date-time rather than as a number. */
const DATE_LIKE = /\d{4}-\d{2}-\d{2}[\w:.+-]*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])/y;
/** A name, also namespace-qualified (`microsoft.graph.azureActiveDirectoryTenant`, a cast in a path). */
const WORD = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
/** `:` separates a lambda's variable from its predicate: `any(x: ...)`. */
const SYMBOLS = ['(', ')', ',', '/', ':'] as const;
/** What a `+` offset becomes when the client did not percent-encode it: `...T10:00:00 01:00`. */
const DECODED_PLUS_OFFSET = /^ \d{2}:\d{2}/;
const HINTS: Record<string, string> = {
  '"': '; strings take single quotes',
  '=': '; compare with eq, ne, gt, ge, lt or le',
  '!': '; negate with not, or compare with ne',
  '<': '; compare with lt or le',
  '>': '; compare with gt or ge',
};

/** Splits a `$filter` into tokens, without the `end` token the parser stands at once they run out. */
export function tokenizeFilter(text: string, option: string): FilterToken[] {
  const tokens: FilterToken[] = [];
  let at = 0;
  const matchHere = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = at;
    return pattern.exec(text)?.[0];
  };
  while (at < text.length) {
    const char = text.charAt(at);
    const whitespace = matchHere(WHITESPACE);
    if (whitespace !== undefined) {
      at += whitespace.length;
      continue;
    }
    const symbol = SYMBOLS.find((candidate) => candidate === char);
    if (symbol !== undefined) {
      tokens.push({ kind: 'symbol', text: symbol, at });
      at++;
      continue;
    }
    const token = char === "'" ? stringToken(text, at, option) : bareToken(text, at, option, matchHere);
    tokens.push(token);
    at += token.text.length;
  }
  return tokens;
}

/** A quoted string; a quote inside it is written twice. */
function stringToken(text: string, start: number, option: string): FilterToken {
  let value = '';
  let at = start + 1;
  for (;;) {
    const quote = text.indexOf("'", at);
    if (quote < 0) throw invalidOption(option, `unterminated string starting at position ${start}`);
    value += text.slice(at, quote);
    if (text.charAt(quote + 1) !== "'") {
      return { kind: 'literal', literal: { kind: 'string', value }, text: text.slice(start, quote + 1), at: start };
    }
    value += "'";
    at = quote + 2;
  }
}

function bareToken(text: string, at: number, option: string, matchHere: (pattern: RegExp) => string | undefined): FilterToken {
  const guid = matchHere(GUID);
  if (guid !== undefined) return { kind: 'literal', literal: { kind: 'guid', value: guid }, text: guid, at };
  const dateTime = matchHere(DATE_TIME);
  if (dateTime !== undefined) return { kind: 'literal', literal: dateTimeLiteral(dateTime, at, option), text: dateTime, at };
  const dateLike = matchHere(DATE_LIKE);
  if (dateLike !== undefined) {
    const hint = DECODED_PLUS_OFFSET.test(text.slice(at + dateLike.length)) ? " (in a URL, write the offset's '+' as %2B)" : '';
    throw invalidOption(option, `'${dateLike}' at position ${at} is not a date-time; write one like 2026-01-01T00:00:00Z${hint}`);
  }
  const number = matchHere(NUMBER);
  if (number !== undefined) return { kind: 'literal', literal: { kind: 'number', value: Number(number) }, text: number, at };
  const word = matchHere(WORD);
  if (word === undefined) {
    const char = text.charAt(at);
    throw invalidOption(option, `unexpected character '${char}' at position ${at}${HINTS[char] ?? ''}`);
  }
  return { ...keywordLiteral(word), text: word, at };
}

function dateTimeLiteral(text: string, at: number, option: string): Literal {
  const parsed = DateTime.fromISO(text.toUpperCase(), { setZone: true });
  if (!parsed.isValid) throw invalidOption(option, `'${text}' at position ${at} is not a valid date-time`);
  return { kind: 'dateTime', value: text, epochMillis: parsed.toMillis() };
}

/** `true`, `false` and `null` are literals in any case, as OData keywords are; other words are names or keywords. */
function keywordLiteral(word: string): { kind: 'literal'; literal: Literal } | { kind: 'word' } {
  switch (word.toLowerCase()) {
    case 'true':
      return { kind: 'literal', literal: { kind: 'boolean', value: true } };
    case 'false':
      return { kind: 'literal', literal: { kind: 'boolean', value: false } };
    case 'null':
      return { kind: 'literal', literal: { kind: 'null' } };
    default:
      return { kind: 'word' };
  }
}
