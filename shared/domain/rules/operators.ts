/**
 * Operator names as the reference spells them. Operators may be written with or without the hyphen and in any
 * case (the reference's own examples write `-startswith`, `-notin`), so they are looked up by lower-case name.
 */
const COMPARISON_OPERATORS = [
  'eq',
  'ne',
  'startsWith',
  'notStartsWith',
  'endsWith',
  'notEndsWith',
  'contains',
  'notContains',
  'match',
  'notMatch',
  'in',
  'notIn',
  'le',
  'ge',
] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

const LOGICAL_OPERATORS = ['and', 'or', 'not'] as const;
type LogicalOperator = (typeof LOGICAL_OPERATORS)[number];

const QUANTIFIERS = ['any', 'all'] as const;
export type Quantifier = (typeof QUANTIFIERS)[number];

/** `-plus`/`-minus` only follow `system.now`; `-minus` is not in Microsoft's docs but is used by rules in the wild. */
const TIME_SHIFTS = ['plus', 'minus'] as const;
type TimeShift = (typeof TIME_SHIFTS)[number];

export type OperatorName = ComparisonOperator | LogicalOperator | Quantifier | TimeShift;

const BY_LOWER_NAME = new Map<string, OperatorName>(
  [...COMPARISON_OPERATORS, ...LOGICAL_OPERATORS, ...QUANTIFIERS, ...TIME_SHIFTS].map((name) => [name.toLowerCase(), name]),
);

/** The operator a name (already without its hyphen) spells, or undefined. */
export function operatorNamed(name: string): OperatorName | undefined {
  return BY_LOWER_NAME.get(name.toLowerCase());
}

const isOneOf =
  <T extends OperatorName>(names: readonly T[]) =>
  (name: OperatorName | undefined): name is T =>
    (names as readonly string[]).includes(name as string);

export const isComparisonOperator = isOneOf(COMPARISON_OPERATORS);
export const isQuantifier = isOneOf(QUANTIFIERS);
export const isTimeShift = isOneOf(TIME_SHIFTS);

/** The operators that are the negation of another; evaluation computes the positive one and inverts it. */
export const NEGATION_OF: Partial<Record<ComparisonOperator, ComparisonOperator>> = {
  ne: 'eq',
  notStartsWith: 'startsWith',
  notEndsWith: 'endsWith',
  notContains: 'contains',
  notMatch: 'match',
  notIn: 'in',
};
