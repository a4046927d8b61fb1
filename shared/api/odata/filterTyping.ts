import { declaredName, type PropertyType } from './capabilities';
import { GUID_PATTERN } from './filterLexer';
import type { ComparisonOperator, Literal, ValueExpression } from './filterTree';
import { invalidOption } from './invalidQuery';

/** A parsed left operand with what the checks need: its type, how to name it, and where it was written. */
export interface TypedOperand {
  expression: ValueExpression;
  type: PropertyType;
  text: string;
  at: number;
}

const EXPECTED_VALUES: Record<PropertyType, string> = {
  string: "a quoted string such as 'Sales'",
  guid: 'a GUID',
  boolean: 'true or false',
  dateTime: 'a date-time such as 2026-01-01T00:00:00Z',
  number: 'a number',
};
const WHOLE_GUID = new RegExp(`^${GUID_PATTERN}$`);

export function resolveProperty(
  written: string,
  at: number,
  filterable: Readonly<Record<string, PropertyType>>,
  option: string,
): { path: string; type: PropertyType } {
  const names = Object.keys(filterable);
  const path = declaredName(names, written);
  const type = path === undefined ? undefined : filterable[path];
  if (path === undefined || type === undefined) {
    throw invalidOption(option, `unknown property '${written}' at position ${at}. Filterable here: ${names.join(', ')}`);
  }
  return { path, type };
}

/** Checks a literal against the operand it is compared with and gives it the operand's type. */
export function typeLiteral(
  operand: TypedOperand,
  operator: ComparisonOperator,
  literal: Literal,
  literalToken: { text: string; at: number },
  option: string,
): Literal {
  const ordering = operator !== 'eq' && operator !== 'ne';
  if (literal.kind === 'null') {
    if (ordering) throw invalidOption(option, `'${operator}' cannot compare with null at position ${literalToken.at}; use eq or ne`);
    return literal;
  }
  if (ordering && operand.type === 'boolean') {
    const problem = `'${operator}' cannot compare '${operand.text}', which is true or false, at position ${operand.at}; use eq or ne`;
    throw invalidOption(option, problem);
  }
  const typed = asType(operand.type, literal);
  if (typed === undefined) {
    throw invalidOption(
      option,
      `'${operand.text}' takes ${EXPECTED_VALUES[operand.type]}, not ${literalToken.text} at position ${literalToken.at}`,
    );
  }
  return typed;
}

export function requireString(operand: TypedOperand, usedBy: string, option: string): void {
  if (operand.type !== 'string') {
    throw invalidOption(
      option,
      `${usedBy} works on string properties, and '${operand.text}' at position ${operand.at} holds ${EXPECTED_VALUES[operand.type]}`,
    );
  }
}

function asType(type: PropertyType, literal: Exclude<Literal, { kind: 'null' }>): Literal | undefined {
  switch (type) {
    case 'string':
      if (literal.kind === 'guid') return { kind: 'string', value: literal.value };
      return literal.kind === 'string' ? literal : undefined;
    case 'guid':
      if (literal.kind === 'string' && WHOLE_GUID.test(literal.value)) return { kind: 'guid', value: literal.value };
      return literal.kind === 'guid' ? literal : undefined;
    default:
      return literal.kind === type ? literal : undefined;
  }
}
