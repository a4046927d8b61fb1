import { badRequest, unsupportedQuery } from './graphErrors';

/** The `$filter` subset the emulator understands, as a syntax tree. */
export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; operator: ComparisonOperator; target: Operand; value: Literal }
  | { kind: 'in'; target: Operand; values: Literal[] }
  | { kind: 'startswith' | 'endswith'; target: Operand; value: Literal }
  | { kind: 'any'; collection: string[]; variable: string; predicate: FilterNode };

export type ComparisonOperator = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** A property path (`department`, `onPremisesExtensionAttributes/extensionAttribute1`) or a lambda variable. */
export type Operand = { kind: 'property'; path: string[] } | { kind: 'variable'; name: string };

export type Literal =
  | { kind: 'string' | 'guid' | 'dateTime'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'literal'; literal: Literal; text: string; at: number }
  | { kind: 'symbol'; text: '(' | ')' | ',' | ':' | '/'; at: number };

const COMPARISONS: readonly string[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
const MAX_DEPTH = 64;
/** Keeps the syntax tree shallow enough to evaluate recursively. */
const MAX_TOKENS = 2000;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?(?![\w:.-])/;
const WORD = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Parses a `$filter` expression; a syntax error is a 400 naming the position, an unknown function a 400 too. */
export function parseFilter(text: string): FilterNode {
  const tokens = tokenize(text);
  if (tokens.length > MAX_TOKENS) throw badRequest(`Invalid filter clause: longer than ${MAX_TOKENS} tokens.`, 'BadRequest');
  if (tokens.length === 0) throw badRequest('Invalid filter clause: the filter is empty.', 'BadRequest');
  const parser = new FilterParser(text, tokens);
  const node = parser.expression(0);
  parser.expectEnd();
  return node;
}

const syntaxError = (text: string, at: number, problem: string) =>
  badRequest(`Invalid filter clause: ${problem} at position ${at} in '${text}'.`, 'BadRequest');

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const rest = text.slice(at);
    const char = rest[0]!;
    if (/\s/.test(char)) {
      at++;
      continue;
    }
    if ('(),:/'.includes(char)) {
      tokens.push({ kind: 'symbol', text: char as '(' | ')' | ',' | ':' | '/', at });
      at++;
      continue;
    }
    if (char === "'") {
      let value = '';
      let end = at + 1;
      for (;;) {
        if (end >= text.length) throw syntaxError(text, at, 'unterminated string literal');
        if (text[end] === "'") {
          if (text[end + 1] === "'") {
            value += "'";
            end += 2;
            continue;
          }
          break;
        }
        value += text[end];
        end++;
      }
      tokens.push({ kind: 'literal', literal: { kind: 'string', value }, text: text.slice(at, end + 1), at });
      at = end + 1;
      continue;
    }
    const guid = GUID.exec(rest);
    if (guid) {
      tokens.push({ kind: 'literal', literal: { kind: 'guid', value: guid[0] }, text: guid[0], at });
      at += guid[0].length;
      continue;
    }
    const dateTime = DATE_TIME.exec(rest);
    if (dateTime) {
      tokens.push({ kind: 'literal', literal: { kind: 'dateTime', value: dateTime[0] }, text: dateTime[0], at });
      at += dateTime[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (!word) throw syntaxError(text, at, `unexpected '${char}'`);
    const lower = word[0].toLowerCase();
    if (lower === 'true' || lower === 'false') {
      tokens.push({ kind: 'literal', literal: { kind: 'boolean', value: lower === 'true' }, text: word[0], at });
    } else if (lower === 'null') {
      tokens.push({ kind: 'literal', literal: { kind: 'null' }, text: word[0], at });
    } else {
      tokens.push({ kind: 'word', text: word[0], at });
    }
    at += word[0].length;
  }
  return tokens;
}

/** Recursive descent: `or` binds loosest, then `and`, then `not`, then comparisons and functions. */
class FilterParser {
  #position = 0;
  #variables: string[] = [];

  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
  ) {}

  expression(depth: number): FilterNode {
    let node = this.#conjunction(depth);
    while (this.#acceptWord('or')) node = { kind: 'or', left: node, right: this.#conjunction(depth) };
    return node;
  }

  expectEnd(): void {
    const token = this.tokens[this.#position];
    if (token) throw syntaxError(this.text, token.at, `unexpected '${tokenText(token)}'`);
  }

  #conjunction(depth: number): FilterNode {
    let node = this.#unary(depth);
    while (this.#acceptWord('and')) node = { kind: 'and', left: node, right: this.#unary(depth) };
    return node;
  }

  #unary(depth: number): FilterNode {
    if (depth > MAX_DEPTH) throw badRequest(`Invalid filter clause: nested more than ${MAX_DEPTH} levels deep.`, 'BadRequest');
    if (this.#acceptWord('not')) return { kind: 'not', operand: this.#unary(depth + 1) };
    if (this.#acceptSymbol('(')) {
      const node = this.expression(depth + 1);
      this.#expectSymbol(')');
      return node;
    }
    const word = this.#peek();
    if (word?.kind === 'word' && this.tokens[this.#position + 1]?.text === '(' && this.tokens[this.#position + 1]?.kind === 'symbol') {
      return this.#functionCall(word);
    }
    return this.#comparison(depth);
  }

  #functionCall(word: Extract<Token, { kind: 'word' }>): FilterNode {
    const name = word.text.toLowerCase();
    if (name !== 'startswith' && name !== 'endswith') {
      throw unsupportedQuery(`The function '${word.text}' is not supported in $filter; use startswith, endswith, eq, ne, in, any, and, or, not.`);
    }
    this.#position += 2;
    const target = this.#operand();
    this.#expectSymbol(',');
    const value = this.#literal();
    this.#expectSymbol(')');
    return { kind: name, target, value };
  }

  #comparison(depth: number): FilterNode {
    const target = this.#operand();
    if (target.kind === 'property' && this.#acceptSymbol('/')) return this.#lambda(target.path, depth);
    const operator = this.#peek();
    if (operator?.kind !== 'word') {
      throw syntaxError(this.text, operator?.at ?? this.text.length, 'expected a comparison operator (eq, ne, lt, le, gt, ge, in)');
    }
    const name = operator.text.toLowerCase();
    this.#position++;
    if (name === 'in') {
      this.#expectSymbol('(');
      const values = [this.#literal()];
      while (this.#acceptSymbol(',')) values.push(this.#literal());
      this.#expectSymbol(')');
      return { kind: 'in', target, values };
    }
    if (!COMPARISONS.includes(name)) {
      if (['has', 'add', 'sub', 'mul', 'div', 'mod'].includes(name)) {
        throw unsupportedQuery(`The operator '${operator.text}' is not supported in $filter.`);
      }
      throw syntaxError(this.text, operator.at, `unknown operator '${operator.text}'`);
    }
    return { kind: 'compare', operator: name as ComparisonOperator, target, value: this.#literal() };
  }

  /** `collection/any(x: predicate)`, where the predicate refers to the elements as `x`; the `/` is read. */
  #lambda(collection: string[], depth: number): FilterNode {
    const operator = this.#peek();
    if (operator?.kind !== 'word' || operator.text.toLowerCase() !== 'any') {
      if (operator?.kind === 'word' && operator.text.toLowerCase() === 'all') {
        throw unsupportedQuery("The lambda operator 'all' is not supported in $filter; use 'any'.");
      }
      throw syntaxError(this.text, operator?.at ?? this.text.length, "expected 'any' after /");
    }
    this.#position++;
    this.#expectSymbol('(');
    const variable = this.#peek();
    if (variable?.kind !== 'word') throw syntaxError(this.text, variable?.at ?? this.text.length, 'expected a lambda variable');
    this.#position++;
    this.#expectSymbol(':');
    this.#variables.push(variable.text);
    const predicate = this.expression(depth + 1);
    this.#variables.pop();
    this.#expectSymbol(')');
    return { kind: 'any', collection, variable: variable.text, predicate };
  }

  /** A property path, stopping before a `/any(...)`, or a lambda variable. */
  #operand(): Operand {
    const first = this.#peek();
    if (first?.kind !== 'word') throw syntaxError(this.text, first?.at ?? this.text.length, 'expected a property name');
    this.#position++;
    if (this.#variables.includes(first.text)) return { kind: 'variable', name: first.text };
    const path = [first.text];
    for (;;) {
      const slash = this.#peek();
      const next = this.tokens[this.#position + 1];
      if (slash?.kind !== 'symbol' || slash.text !== '/') break;
      if (next?.kind !== 'word') throw syntaxError(this.text, next?.at ?? this.text.length, 'expected a property name after /');
      if (['any', 'all'].includes(next.text.toLowerCase())) break;
      this.#position += 2;
      path.push(next.text);
    }
    return { kind: 'property', path };
  }

  #literal(): Literal {
    const token = this.#peek();
    if (token?.kind !== 'literal') {
      throw syntaxError(this.text, token?.at ?? this.text.length, "expected a literal ('text', a GUID, a date, true, false or null)");
    }
    this.#position++;
    return token.literal;
  }

  #peek(): Token | undefined {
    return this.tokens[this.#position];
  }

  #acceptWord(word: string): boolean {
    const token = this.#peek();
    if (token?.kind === 'word' && token.text.toLowerCase() === word) {
      this.#position++;
      return true;
    }
    return false;
  }

  #acceptSymbol(symbol: string): boolean {
    const token = this.#peek();
    if (token?.kind === 'symbol' && token.text === symbol) {
      this.#position++;
      return true;
    }
    return false;
  }

  #expectSymbol(symbol: string): void {
    if (!this.#acceptSymbol(symbol)) {
      const token = this.#peek();
      throw syntaxError(this.text, token?.at ?? this.text.length, token ? `expected '${symbol}' but found '${tokenText(token)}'` : `expected '${symbol}'`);
    }
  }
}

const tokenText = (token: Token) => token.text;
