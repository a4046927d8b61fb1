import { RuleError } from './ruleError';

/**
 * The lexer. Punctuation and quoted strings are tokens of their own; everything else up to whitespace or
 * punctuation is a word (`user.department`, `true`, `2020-06-10T18:13:20Z`, `p1d`, `eq`). A word that starts with
 * a hyphen is an operator: the reference's examples also use the typographic en dash (`–ne`), so that counts too.
 * Whether a bare word is an operator (`eq`, `or`) is decided by the parser, which knows what it expects.
 */
export type Token =
  | { kind: '(' | ')' | '[' | ']' | ',' | 'end'; position: number }
  | { kind: 'string'; value: string; position: number }
  | { kind: 'operator'; name: string; text: string; position: number }
  | { kind: 'word'; text: string; position: number };

const HYPHENS = new Set(['-', '\u2013']);
const PUNCTUATION = new Set(['(', ')', '[', ']', ',']);
const QUOTES = new Set(['"', "'"]);
const WHITESPACE = /\s/;

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at] as string;
    if (WHITESPACE.test(char)) {
      at += 1;
    } else if (PUNCTUATION.has(char)) {
      tokens.push({ kind: char as '(' | ')' | '[' | ']' | ',', position: at });
      at += 1;
    } else if (QUOTES.has(char)) {
      const { value, end } = readString(text, at);
      tokens.push({ kind: 'string', value, position: at });
      at = end;
    } else {
      const end = wordEnd(text, at);
      const word = text.slice(at, end);
      tokens.push(HYPHENS.has(char) ? { kind: 'operator', name: word.slice(1).toLowerCase(), text: word, position: at } : { kind: 'word', text: word, position: at });
      at = end;
    }
  }
  tokens.push({ kind: 'end', position: text.length });
  return tokens;
}

function wordEnd(text: string, start: number): number {
  let end = start + 1;
  while (end < text.length) {
    const char = text[end] as string;
    if (WHITESPACE.test(char) || PUNCTUATION.has(char) || QUOTES.has(char)) break;
    end += 1;
  }
  return end;
}

/**
 * A quoted string. Per the reference (§5): a double quote inside a double-quoted string is escaped with a
 * backslash (DM24) or a backtick (DM26), and a single quote is written twice. Any other backslash is kept as
 * written, so regular expressions such as `"\d+"` need no doubling.
 */
function readString(text: string, start: number): { value: string; end: number } {
  const quote = text[start] as string;
  let value = '';
  let at = start + 1;
  while (at < text.length) {
    const char = text[at] as string;
    const next = text[at + 1];
    if (quote === '"' && (char === '\\' || char === '`') && next === '"') {
      value += '"';
      at += 2;
    } else if (char === "'" && next === "'") {
      value += "'";
      at += 2;
    } else if (char === quote) {
      return { value, end: at + 1 };
    } else {
      value += char;
      at += 1;
    }
  }
  throw new RuleError('queryCompilationError', start, `the string that starts here has no closing ${quote}`);
}
