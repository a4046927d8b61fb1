import { DateTime } from 'luxon';
import type { Attribute } from './attributes';
import type { Literal, ScalarLiteral } from './literals';
import type { ComparisonOperator } from './operators';
import { compilePattern } from './pattern/textPattern';
import { PatternError } from './pattern/patternError';
import { RuleError } from './ruleError';
import type { Expression, TextOperator, TimeOperand } from './syntaxTree';

const compilationError = (position: number, detail: string) => new RuleError('queryCompilationError', position, detail);

/**
 * Checks that an attribute, an operator and a value go together, and builds the comparison. Which operators an
 * attribute takes follows the reference: -le/-ge only on employeeHireDate, only -eq/-ne on Booleans (Entra's own
 * example refuses `accountEnabled -contains true`), and null only with -eq/-ne.
 */
export function comparison(attribute: Attribute, operator: ComparisonOperator, operatorPosition: number, literal: Literal, position: number): Expression {
  const refuse = () => new RuleError('operatorNotSupported', operatorPosition, `-${operator} on ${attribute.name}`);
  switch (attribute.type) {
    case 'string':
    case 'stringCollection':
      if (operator === 'le' || operator === 'ge') throw refuse();
      return { type: 'text', attribute, operator, operand: textOperand(attribute, operator, literal), position };
    case 'boolean':
      if (operator !== 'eq' && operator !== 'ne') throw refuse();
      return { type: 'boolean', attribute, operator, operand: booleanOperand(attribute, literal), position };
    case 'dateTime':
      if (operator !== 'eq' && operator !== 'ne' && operator !== 'le' && operator !== 'ge') throw refuse();
      return { type: 'dateTime', attribute, operator, operand: timeOperand(attribute, operator, literal), position };
    case 'planCollection':
    case 'memberOf':
      throw refuse();
  }
}

function textOperand(attribute: Attribute, operator: TextOperator, literal: Literal): string | readonly string[] | null {
  if (operator === 'in' || operator === 'notIn') {
    if (literal.kind !== 'list') throw compilationError(literal.position, `-${operator} takes a list such as ["a", "b"]`);
    return literal.items.map((item) => text(attribute, item));
  }
  if (literal.kind === 'list') throw compilationError(literal.position, `-${operator} takes one value, not a list (use -in)`);
  if (literal.kind === 'null') {
    if (operator === 'eq' || operator === 'ne') return null;
    throw compilationError(literal.position, 'null is compared only with -eq or -ne');
  }
  const value = text(attribute, literal);
  if (operator === 'match' || operator === 'notMatch') checkPattern(value, literal);
  return value;
}

/** Text for a string attribute; an unquoted number or Boolean stands for its spelling (extension properties hold both). */
function text(attribute: Attribute, literal: ScalarLiteral): string {
  if (literal.kind === 'text') return literal.text;
  if (literal.kind === 'boolean') return String(literal.value);
  throw compilationError(literal.position, literal.kind === 'null' ? 'null cannot be in a list' : `${attribute.name} is text and cannot be compared with system.now`);
}

function checkPattern(pattern: string, literal: ScalarLiteral): void {
  try {
    compilePattern(pattern);
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    const position = literal.position + (literal.kind === 'text' && literal.quoted ? 1 : 0) + error.offset;
    throw compilationError(position, `invalid regular expression: ${error.message}`);
  }
}

function booleanOperand(attribute: Attribute, literal: Literal): boolean | null {
  if (literal.kind === 'boolean') return literal.value;
  if (literal.kind === 'null') return null;
  const spelled = literal.kind === 'text' ? literal.text.toLowerCase() : undefined;
  if (spelled === 'true' || spelled === 'false') return spelled === 'true';
  throw compilationError(literal.position, `${attribute.name} is compared with true, false or null`);
}

function timeOperand(attribute: Attribute, operator: 'eq' | 'ne' | 'le' | 'ge', literal: Literal): TimeOperand | null {
  if (literal.kind === 'now') return { kind: 'now', shift: literal.shift };
  if (literal.kind === 'null' && (operator === 'eq' || operator === 'ne')) return null;
  const at = literal.kind === 'text' ? DateTime.fromISO(literal.text, { zone: 'utc' }) : undefined;
  if (at?.isValid) return { kind: 'instant', at };
  throw compilationError(literal.position, `${attribute.name} is compared with a date and time such as 2020-06-10T18:13:20Z, or system.now`);
}
