export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type StringFunction = 'startswith' | 'endswith' | 'contains';

/**
 * A literal. The lexer gives it the kind it was written as; once checked against the property it is compared with,
 * it has that property's kind (a quoted GUID compared with a GUID property becomes a `guid`).
 */
export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'guid'; value: string }
  | { kind: 'dateTime'; value: string; epochMillis: number }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' };

/** What a comparison reads from the entity: a declared property path such as `resource/id`, maybe case-mapped. */
export type ValueExpression =
  | { kind: 'property'; path: string }
  | { kind: 'tolower' | 'toupper'; operand: ValueExpression };

/** A checked `$filter`: every property in it is filterable and every literal has its property's type. */
export type FilterNode =
  | { kind: 'and' | 'or'; operands: FilterNode[] }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'comparison'; operator: ComparisonOperator; left: ValueExpression; right: Literal }
  | { kind: 'in'; left: ValueExpression; values: Literal[] }
  | { kind: StringFunction; operand: ValueExpression; value: string };
