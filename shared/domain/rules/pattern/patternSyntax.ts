import { PatternError } from './patternError';

/** `\d`, `\w`, `\s` (Unicode, as .NET reads them), possibly negated (`\D`, or `[^...]` around them). */
export type Shorthand = 'digit' | 'word' | 'space';

export type CharTest = { kind: 'range'; from: number; to: number } | { kind: 'shorthand'; shorthand: Shorthand; negated: boolean };

/** `end` is `$` and `\Z` (also before a final newline, as in .NET); `inputEnd` is `\z`, the very end. */
export type AssertionKind = 'start' | 'end' | 'inputEnd' | 'wordBoundary' | 'notWordBoundary';

export type PatternNode =
  | { type: 'empty' }
  | { type: 'literal'; char: string }
  | { type: 'anyButNewline' }
  | { type: 'set'; negated: boolean; tests: CharTest[] }
  | { type: 'sequence'; items: PatternNode[] }
  | { type: 'alternation'; options: PatternNode[] }
  | { type: 'repeat'; item: PatternNode; min: number; max: number }
  | { type: 'assertion'; kind: AssertionKind };

/** A counted repeat above this is refused: it would only inflate the program (see patternProgram's cap). */
const MAX_COUNT = 1000;
/** Groups nested deeper than this are refused before they exhaust the stack. */
const MAX_GROUP_NESTING = 100;

const SHORTHANDS: Record<string, { shorthand: Shorthand; negated: boolean }> = {
  d: { shorthand: 'digit', negated: false },
  D: { shorthand: 'digit', negated: true },
  w: { shorthand: 'word', negated: false },
  W: { shorthand: 'word', negated: true },
  s: { shorthand: 'space', negated: false },
  S: { shorthand: 'space', negated: true },
};
const CONTROL_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f', v: '\v', e: '\u001b', a: '\u0007' };
const ASSERTION_ESCAPES: Record<string, AssertionKind> = { b: 'wordBoundary', B: 'notWordBoundary', A: 'start', z: 'inputEnd', Z: 'end' };
const QUANTIFIER_CHARS = new Set(['*', '+', '?']);

/**
 * Parses the regular-expression subset that runs in linear time: literals, `.`, classes, `\d \w \s` and their
 * negations, anchors `^ $ \A \z \Z \b \B`, groups (capturing, `(?:`, named), alternation, and the quantifiers
 * `* + ? {n} {n,} {n,m}` (lazy or not: only whether it matches matters). Backreferences, lookaround and other
 * `(?` constructs need backtracking, so they are refused with a PatternError, as .NET refuses malformed patterns
 * (the reference's `*@domain.ext`).
 */
export function parsePattern(source: string): PatternNode {
  return new PatternParser(Array.from(source)).parse();
}

class PatternParser {
  private at = 0;
  private groupNesting = 0;

  constructor(private readonly chars: string[]) {}

  parse(): PatternNode {
    const node = this.alternation();
    if (this.at < this.chars.length) throw new PatternError(this.at, 'a ) has no matching (');
    return node;
  }

  private peek(ahead = 0): string | undefined {
    return this.chars[this.at + ahead];
  }

  private alternation(): PatternNode {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.at += 1;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] as PatternNode) : { type: 'alternation', options };
  }

  private sequence(): PatternNode {
    const items: PatternNode[] = [];
    for (let next = this.peek(); next !== undefined && next !== '|' && next !== ')'; next = this.peek()) {
      items.push(this.quantified());
    }
    if (items.length === 0) return { type: 'empty' };
    return items.length === 1 ? (items[0] as PatternNode) : { type: 'sequence', items };
  }

  private quantified(): PatternNode {
    const item = this.atom();
    const counts = this.quantifier();
    if (!counts) return item;
    if (this.peek() === '?') this.at += 1;
    const start = this.at;
    if (this.quantifier()) throw new PatternError(start, 'a quantifier cannot follow another quantifier (nested quantifier)');
    return { type: 'repeat', item, ...counts };
  }

  /** `* + ? {n} {n,} {n,m}` at the cursor, consumed; undefined (nothing consumed) when there is none. */
  private quantifier(): { min: number; max: number } | undefined {
    const char = this.peek();
    if (char === '*' || char === '+' || char === '?') {
      this.at += 1;
      return { min: char === '+' ? 1 : 0, max: char === '?' ? 1 : Infinity };
    }
    if (char !== '{') return undefined;
    const match = /^\{(\d+)(,(\d*))?\}/.exec(this.chars.slice(this.at, this.at + 16).join(''));
    if (!match) return undefined;
    const start = this.at;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
    if (min > MAX_COUNT || (max !== Infinity && max > MAX_COUNT)) throw new PatternError(start, `a repeat count above ${MAX_COUNT} is not supported`);
    if (max < min) throw new PatternError(start, 'the repeat counts are in reverse order');
    this.at += match[0].length;
    return { min, max };
  }

  private atom(): PatternNode {
    const start = this.at;
    const char = this.peek() as string;
    this.at += 1;
    if (QUANTIFIER_CHARS.has(char)) throw new PatternError(start, `the quantifier ${char} follows nothing`);
    switch (char) {
      case '(':
        return this.group(start);
      case '[':
        return this.set(start);
      case '.':
        return { type: 'anyButNewline' };
      case '^':
        return { type: 'assertion', kind: 'start' };
      case '$':
        return { type: 'assertion', kind: 'end' };
      case '\\':
        return this.escape(false);
      case '{':
        this.at = start;
        if (this.quantifier()) throw new PatternError(start, 'the quantifier { follows nothing');
        this.at = start + 1;
        return { type: 'literal', char };
      default:
        return { type: 'literal', char };
    }
  }

  private group(start: number): PatternNode {
    if (this.groupNesting >= MAX_GROUP_NESTING) throw new PatternError(start, `groups nest more than ${MAX_GROUP_NESTING} levels deep`);
    if (this.peek() === '?') this.groupOptions(start);
    this.groupNesting += 1;
    const inner = this.alternation();
    this.groupNesting -= 1;
    if (this.peek() !== ')') throw new PatternError(start, 'a ( has no matching )');
    this.at += 1;
    return inner;
  }

  /** After `(?`: non-capturing and named groups are fine; everything else needs a backtracking engine. */
  private groupOptions(start: number): void {
    const rest = this.chars.slice(this.at, this.at + 3).join('');
    if (rest.startsWith('?:')) {
      this.at += 2;
      return;
    }
    if (rest.startsWith('?=') || rest.startsWith('?!') || rest.startsWith('?<=') || rest.startsWith('?<!')) {
      throw new PatternError(start, 'lookahead and lookbehind are not supported');
    }
    const named = /^\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/.exec(this.chars.slice(this.at, this.at + 64).join(''));
    if (!named) throw new PatternError(start, 'this (? construct is not supported; use (?: or a plain group');
    this.at += named[0].length;
  }

  private set(start: number): PatternNode {
    const negated = this.peek() === '^';
    if (negated) this.at += 1;
    const tests: CharTest[] = [];
    for (let first = true; ; first = false) {
      const char = this.peek();
      if (char === undefined) throw new PatternError(start, 'a [ has no matching ]');
      if (char === ']' && !first) {
        this.at += 1;
        return { type: 'set', negated, tests };
      }
      if (char === '-' && this.peek(1) === '[') throw new PatternError(this.at, 'character class subtraction is not supported');
      tests.push(this.setItem());
    }
  }

  /** One character, shorthand or range inside `[...]`. */
  private setItem(): CharTest {
    const from = this.setMember();
    if (from.kind === 'shorthand' || this.peek() !== '-' || this.peek(1) === ']' || this.peek(1) === undefined) return from;
    const dash = this.at;
    this.at += 1;
    const to = this.setMember();
    if (to.kind === 'shorthand') throw new PatternError(dash, 'a range cannot end in a shorthand such as \\d');
    if (to.from < from.from) throw new PatternError(dash, 'the range is in reverse order');
    return { kind: 'range', from: from.from, to: to.from };
  }

  private setMember(): CharTest {
    const char = this.peek() as string;
    this.at += 1;
    if (char !== '\\') return single(char);
    const escaped = this.escape(true);
    if (escaped.type === 'literal') return single(escaped.char);
    if (escaped.type === 'set') return escaped.tests[0] as CharTest;
    throw new PatternError(this.at - 2, 'this escape is not allowed in a character class');
  }

  /** After a backslash. Inside a class `\b` is a backspace, as in .NET. */
  private escape(inSet: boolean): PatternNode {
    const start = this.at - 1;
    const char = this.peek();
    if (char === undefined) throw new PatternError(start, 'the pattern ends with a lone \\');
    this.at += 1;
    const shorthand = SHORTHANDS[char];
    if (shorthand) return { type: 'set', negated: false, tests: [{ kind: 'shorthand', ...shorthand }] };
    if (inSet && char === 'b') return { type: 'literal', char: '\b' };
    const assertion = ASSERTION_ESCAPES[char];
    if (assertion && !inSet) return { type: 'assertion', kind: assertion };
    const control = CONTROL_ESCAPES[char];
    if (control) return { type: 'literal', char: control };
    if (char === 'x' || char === 'u') return { type: 'literal', char: this.hexEscape(start, char === 'x' ? 2 : 4) };
    if (/[0-9]/.test(char)) throw new PatternError(start, 'backreferences and octal escapes are not supported');
    if (char === 'k') throw new PatternError(start, 'backreferences are not supported');
    if (/[\p{L}\p{N}]/u.test(char)) throw new PatternError(start, `the escape \\${char} is not supported`);
    return { type: 'literal', char };
  }

  private hexEscape(start: number, digits: number): string {
    const hex = this.chars.slice(this.at, this.at + digits).join('');
    if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new PatternError(start, `\\${this.chars[start + 1]} needs ${digits} hexadecimal digits`);
    this.at += digits;
    return String.fromCodePoint(parseInt(hex, 16));
  }
}

function single(char: string): CharTest {
  const code = char.codePointAt(0) as number;
  return { kind: 'range', from: code, to: code };
}
