import { declaredName, type LambdaCapabilities, type PropertyType } from './capabilities';
import { tokenizeFilter, type FilterToken } from './filterLexer';
import type { ComparisonOperator, FilterNode, Literal, StringFunction, ValueExpression } from './filterTree';
import { requireString, resolveProperty, typeLiteral, type TypedOperand } from './filterTyping';
import { invalidOption } from './invalidQuery';

const MAX_FILTER_LENGTH = 2000;
const MAX_FILTER_DEPTH = 32;
const COMPARISON_OPERATORS: readonly ComparisonOperator[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];
const STRING_FUNCTIONS: readonly StringFunction[] = ['startswith', 'endswith', 'contains'];
const CASE_FUNCTIONS = ['tolower', 'toupper'] as const;
const LAMBDA_OPERATORS: readonly string[] = ['any', 'all'];
const OPERATOR_LIST = 'eq, ne, gt, ge, lt, le, in';
const FUNCTION_LIST = 'startswith, endswith, contains, tolower, toupper';

/**
 * Parses a `$filter` and checks it against the filterable properties, so nothing unknown or mistyped reaches
 * evaluation. `option` names the option in error messages (`$filter`, or one nested in an `$expand`).
 */
export function parseFilter(
  text: string,
  filterable: Readonly<Record<string, PropertyType>>,
  option = '$filter',
  lambdas: Readonly<Record<string, LambdaCapabilities>> = {},
): FilterNode {
  if (text.length > MAX_FILTER_LENGTH) throw invalidOption(option, `longer than ${MAX_FILTER_LENGTH} characters`);
  if (text.trim() === '') throw invalidOption(option, 'empty');
  const end: FilterToken = { kind: 'end', text: '', at: text.length };
  return new FilterParser(tokenizeFilter(text, option), end, { filterable }, lambdas, option).whole();
}

type WordToken = Extract<FilterToken, { kind: 'word' }>;

/** What property paths may name where the parser stands: the entity's, or inside a lambda its variable's. */
interface Scope {
  filterable: Readonly<Record<string, PropertyType>>;
  /** The lambda variable, inside a lambda. */
  variable?: string;
}

const CAST_PREFIX = 'microsoft.graph.';

/** Inside `any(v: …)`: `v/<property>` for each item property, and `v/microsoft.graph.<type>/<property>` for each cast. */
function lambdaScope(variable: string, capabilities: LambdaCapabilities): Scope {
  const filterable: Record<string, PropertyType> = {};
  for (const [property, type] of Object.entries(capabilities.properties)) {
    filterable[`${variable}/${property}`] = type;
    for (const cast of capabilities.castTypes ?? []) filterable[`${variable}/${CAST_PREFIX}${cast}/${property}`] = type;
  }
  return { filterable, variable };
}

/** Recursive descent: `or` binds loosest, then `and`, then `not`, then comparisons and function calls. */
class FilterParser {
  #position = 0;

  constructor(
    private readonly tokens: readonly FilterToken[],
    private readonly end: FilterToken,
    private scope: Scope,
    private readonly lambdas: Readonly<Record<string, LambdaCapabilities>>,
    private readonly option: string,
  ) {}

  whole(): FilterNode {
    const node = this.#disjunction(0);
    const rest = this.#peek();
    if (rest.kind !== 'end') throw this.#fail(`unexpected ${describe(rest)}`, rest.at);
    return node;
  }

  #disjunction(depth: number): FilterNode {
    const first = this.#conjunction(depth);
    if (!this.#acceptKeyword('or')) return first;
    const operands = [first];
    do operands.push(this.#conjunction(depth));
    while (this.#acceptKeyword('or'));
    return { kind: 'or', operands };
  }

  #conjunction(depth: number): FilterNode {
    const first = this.#unary(depth);
    if (!this.#acceptKeyword('and')) return first;
    const operands = [first];
    do operands.push(this.#unary(depth));
    while (this.#acceptKeyword('and'));
    return { kind: 'and', operands };
  }

  #unary(depth: number): FilterNode {
    const token = this.#peek();
    this.#checkDepth(depth, token);
    if (this.#acceptKeyword('not')) return { kind: 'not', operand: this.#unary(depth + 1) };
    if (this.#acceptSymbol('(')) {
      const node = this.#disjunction(depth + 1);
      this.#expectSymbol(')');
      return node;
    }
    const lambda = this.#lambdaAhead();
    if (lambda) return this.#lambda(lambda, depth);
    const stringFunction = STRING_FUNCTIONS.find((name) => isCall(token, this.#peek(1), name));
    return stringFunction === undefined ? this.#comparison(depth) : this.#stringFunctionCall(stringFunction, depth);
  }

  /** `a/b/any(` where the parser stands: the collection path's words and the operator. */
  #lambdaAhead(): { path: WordToken[]; operator: WordToken } | undefined {
    const path: WordToken[] = [];
    for (let ahead = 0; ; ahead += 2) {
      const token = this.#peek(ahead);
      if (token.kind !== 'word') return undefined;
      const next = this.#peek(ahead + 1);
      if (isSymbol(next, '(')) return path.length > 0 && LAMBDA_OPERATORS.includes(token.text.toLowerCase()) ? { path, operator: token } : undefined;
      if (!isSymbol(next, '/')) return undefined;
      path.push(token);
    }
  }

  /** `collection/any(v: predicate)`, `collection/all(v: predicate)` or `collection/any()`; lambdas do not nest. */
  #lambda({ path, operator }: { path: WordToken[]; operator: WordToken }, depth: number): FilterNode {
    const kind = operator.text.toLowerCase() === 'all' ? 'all' : 'any';
    const written = path.map((word) => word.text).join('/');
    const at = path[0]!.at;
    if (this.scope.variable !== undefined) throw this.#fail(`lambdas cannot be nested: found '${written}/${operator.text}('`, at);
    const names = Object.keys(this.lambdas);
    const collection = declaredName(names, written);
    const capabilities = collection === undefined ? undefined : this.lambdas[collection];
    if (collection === undefined || capabilities === undefined) {
      throw this.#fail(`'${written}' cannot be tested with ${kind} here`, at, `Collections for any and all: ${names.join(', ') || 'none'}`);
    }
    this.#position += path.length * 2 + 2;
    if (kind === 'any' && this.#acceptSymbol(')')) return { kind, collection };
    const variable = this.#peek();
    if (variable.kind !== 'word' || variable.text.includes('.')) {
      throw this.#fail(`expected a variable name such as 'x' in '${written}/${kind}(x: ...)' but found ${describe(variable)}`, variable.at);
    }
    this.#position++;
    this.#expectSymbol(':');
    const outer = this.scope;
    this.scope = lambdaScope(variable.text, capabilities);
    try {
      const predicate = this.#disjunction(depth + 1);
      this.#expectSymbol(')');
      return { kind, collection, predicate };
    } finally {
      this.scope = outer;
    }
  }

  #stringFunctionCall(name: StringFunction, depth: number): FilterNode {
    this.#position += 2;
    const operand = this.#valueExpression(depth + 1);
    requireString(operand, name, this.option);
    this.#expectSymbol(',');
    const argument = this.#peek();
    if (argument.kind !== 'literal' || argument.literal.kind !== 'string') {
      throw this.#fail(`${name} takes a quoted string as its second argument, not ${describe(argument)}`, argument.at);
    }
    this.#position++;
    this.#expectSymbol(')');
    return { kind: name, operand: operand.expression, value: argument.literal.value };
  }

  #comparison(depth: number): FilterNode {
    const left = this.#valueExpression(depth);
    const operatorToken = this.#peek();
    const operator = operatorToken.kind === 'word' ? operatorToken.text.toLowerCase() : undefined;
    if (operator === 'in') {
      this.#position++;
      this.#expectSymbol('(');
      const values = [this.#literalFor(left, 'eq')];
      while (this.#acceptSymbol(',')) values.push(this.#literalFor(left, 'eq'));
      this.#expectSymbol(')');
      return { kind: 'in', left: left.expression, values };
    }
    const comparison = COMPARISON_OPERATORS.find((candidate) => candidate === operator);
    if (comparison === undefined) {
      const problem =
        operator === undefined
          ? `expected an operator after '${left.text}' but found ${describe(operatorToken)}`
          : `unknown operator ${describe(operatorToken)}`;
      throw this.#fail(problem, operatorToken.at, `Operators: ${OPERATOR_LIST}`);
    }
    this.#position++;
    return { kind: 'comparison', operator: comparison, left: left.expression, right: this.#literalFor(left, comparison) };
  }

  /** A property path, or `tolower`/`toupper` of one. */
  #valueExpression(depth: number): TypedOperand {
    const token = this.#peek();
    this.#checkDepth(depth, token);
    if (token.kind !== 'word') throw this.#fail(`expected a property name but found ${describe(token)}`, token.at);
    if (!isSymbol(this.#peek(1), '(')) return this.#propertyPath(token);
    const caseFunction = CASE_FUNCTIONS.find((name) => name === token.text.toLowerCase());
    if (caseFunction === undefined) {
      const problem = STRING_FUNCTIONS.some((name) => name === token.text.toLowerCase())
        ? `${token.text} is a condition and cannot be used as a value`
        : `unknown function '${token.text}'`;
      throw this.#fail(problem, token.at, `Functions: ${FUNCTION_LIST}`);
    }
    this.#position += 2;
    const inner = this.#valueExpression(depth + 1);
    requireString(inner, caseFunction, this.option);
    this.#expectSymbol(')');
    return {
      expression: { kind: caseFunction, operand: inner.expression },
      type: 'string',
      text: `${caseFunction}(${inner.text})`,
      at: token.at,
    };
  }

  #propertyPath(first: Extract<FilterToken, { kind: 'word' }>): TypedOperand {
    this.#position++;
    const segments = [first.text];
    while (this.#acceptSymbol('/')) {
      const segment = this.#peek();
      if (segment.kind !== 'word') {
        throw this.#fail(`expected a property name after '/' but found ${describe(segment)}`, segment.at);
      }
      if (isSymbol(this.#peek(1), '(')) {
        throw this.#fail(`'${segment.text}(' after a path is a lambda (any, all), a condition that cannot be used as a value`, segment.at);
      }
      this.#position++;
      segments.push(segment.text);
    }
    const { path, type } = resolveProperty(segments.join('/'), first.at, this.scope.filterable, this.option);
    return { expression: this.#propertyExpression(path), type, text: path, at: first.at };
  }

  /** Inside a lambda a path is the item's (`v/tenantId` reads `tenantId`), with the cast it names, if any. */
  #propertyExpression(path: string): ValueExpression {
    const { variable } = this.scope;
    if (variable === undefined) return { kind: 'property', path };
    const [first = '', ...rest] = path.slice(variable.length + 1).split('/');
    return first.startsWith(CAST_PREFIX) ? { kind: 'property', path: rest.join('/'), cast: first.slice(CAST_PREFIX.length) } : { kind: 'property', path: [first, ...rest].join('/') };
  }

  #literalFor(operand: TypedOperand, operator: ComparisonOperator): Literal {
    const token = this.#peek();
    if (token.kind !== 'literal') {
      throw this.#fail(
        `expected a value to compare '${operand.text}' with but found ${describe(token)}`,
        token.at,
        "Values: 'quoted strings', GUIDs, numbers, date-times such as 2026-01-01T00:00:00Z, true, false, null",
      );
    }
    this.#position++;
    return typeLiteral(operand, operator, token.literal, token, this.option);
  }

  #checkDepth(depth: number, token: FilterToken): void {
    if (depth > MAX_FILTER_DEPTH) throw this.#fail(`nested deeper than ${MAX_FILTER_DEPTH} levels`, token.at);
  }

  #peek(ahead = 0): FilterToken {
    return this.tokens[this.#position + ahead] ?? this.end;
  }

  #acceptKeyword(keyword: string): boolean {
    const token = this.#peek();
    if (token.kind !== 'word' || token.text.toLowerCase() !== keyword) return false;
    this.#position++;
    return true;
  }

  #acceptSymbol(symbol: string): boolean {
    if (!isSymbol(this.#peek(), symbol)) return false;
    this.#position++;
    return true;
  }

  #expectSymbol(symbol: string): void {
    const token = this.#peek();
    if (!this.#acceptSymbol(symbol)) throw this.#fail(`expected '${symbol}' but found ${describe(token)}`, token.at);
  }

  #fail(problem: string, at: number, help?: string) {
    return invalidOption(this.option, `${problem} at position ${at}${help === undefined ? '' : `. ${help}`}`);
  }
}

const isSymbol = (token: FilterToken, symbol: string) => token.kind === 'symbol' && token.text === symbol;

const isCall = (token: FilterToken, next: FilterToken, name: string) =>
  token.kind === 'word' && token.text.toLowerCase() === name && isSymbol(next, '(');

const describe = (token: FilterToken) => (token.kind === 'end' ? 'the end of the filter' : `'${token.text}'`);
