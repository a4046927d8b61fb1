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

/**
 * What a comparison reads from the entity: a declared property path such as `resource/id`, maybe case-mapped.
 * Inside a lambda the path is the item's, and `cast` (a type name without namespace) reads it only from items of
 * that type.
 */
export type ValueExpression =
  | { kind: 'property'; path: string; cast?: string }
  | { kind: 'tolower' | 'toupper'; operand: ValueExpression };

/** A checked `$filter`: every property in it is filterable and every literal has its property's type. */
export type FilterNode =
  | { kind: 'and' | 'or'; operands: FilterNode[] }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'comparison'; operator: ComparisonOperator; left: ValueExpression; right: Literal }
  | { kind: 'in'; left: ValueExpression; values: Literal[] }
  | { kind: StringFunction; operand: ValueExpression; value: string }
  /** `collection/any(v: predicate)`, `collection/all(v: predicate)`; `any()` without one: the collection is not empty. */
  | { kind: 'any' | 'all'; collection: string; predicate?: FilterNode };
