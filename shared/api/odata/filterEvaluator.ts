import type { ComparisonOperator, FilterNode, Literal, ValueExpression } from './filterTree';
import { readPath } from './propertyPaths';
import { compareText, epochMillisOf } from './valueComparison';

/**
 * Whether the entity satisfies a parsed `$filter` (no filter: every entity does). A missing or null value equals
 * only `null`, is unequal to everything else, and is neither greater nor less than anything, as in OData.
 */
export function matchesFilter(filter: FilterNode | undefined, entity: Record<string, unknown>): boolean {
  return filter === undefined || holds(filter, entity);
}

function holds(node: FilterNode, entity: Record<string, unknown>): boolean {
  switch (node.kind) {
    case 'and':
      return node.operands.every((operand) => holds(operand, entity));
    case 'or':
      return node.operands.some((operand) => holds(operand, entity));
    case 'not':
      return !holds(node.operand, entity);
    case 'comparison':
      return compare(valueOf(node.left, entity), node.operator, node.right);
    case 'in': {
      const actual = valueOf(node.left, entity);
      return node.values.some((value) => compare(actual, 'eq', value));
    }
    case 'startswith':
    case 'endswith':
    case 'contains': {
      const actual = valueOf(node.operand, entity);
      return typeof actual === 'string' && containsText(node.kind, actual.toLowerCase(), node.value.toLowerCase());
    }
    case 'any':
    case 'all': {
      const collection = readPath(entity, node.collection);
      const items = Array.isArray(collection) ? collection.filter(isObject) : [];
      const { predicate } = node;
      if (predicate === undefined) return items.length > 0;
      return node.kind === 'any' ? items.some((item) => holds(predicate, item)) : items.every((item) => holds(predicate, item));
    }
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An item of a derived type: its `@odata.type` names the type, with or without `#microsoft.graph.`, in any case. */
function isOfType(entity: Record<string, unknown>, typeName: string): boolean {
  const declared = entity['@odata.type'];
  return typeof declared === 'string' && declared.replace(/^#?microsoft\.graph\./i, '').toLowerCase() === typeName.toLowerCase();
}

function containsText(how: 'startswith' | 'endswith' | 'contains', text: string, part: string): boolean {
  switch (how) {
    case 'startswith':
      return text.startsWith(part);
    case 'endswith':
      return text.endsWith(part);
    case 'contains':
      return text.includes(part);
  }
}

function valueOf(expression: ValueExpression, entity: Record<string, unknown>): unknown {
  switch (expression.kind) {
    case 'property':
      return expression.cast === undefined || isOfType(entity, expression.cast) ? readPath(entity, expression.path) : undefined;
    case 'tolower':
    case 'toupper': {
      const value = valueOf(expression.operand, entity);
      if (typeof value !== 'string') return value;
      return expression.kind === 'tolower' ? value.toLowerCase() : value.toUpperCase();
    }
  }
}

function compare(actual: unknown, operator: ComparisonOperator, literal: Literal): boolean {
  if (literal.kind === 'null') return (actual === null || actual === undefined) === (operator === 'eq');
  const order = orderAgainst(actual, literal);
  if (order === undefined) return operator === 'ne';
  switch (operator) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'gt':
      return order > 0;
    case 'ge':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'le':
      return order <= 0;
  }
}

/** Negative, zero or positive as the value sorts before, with or after the literal; undefined when they cannot be compared. */
function orderAgainst(actual: unknown, literal: Exclude<Literal, { kind: 'null' }>): number | undefined {
  switch (literal.kind) {
    case 'string':
    case 'guid':
      return typeof actual === 'string' ? compareText(actual, literal.value) : undefined;
    case 'number':
      return typeof actual === 'number' && !Number.isNaN(actual) ? Math.sign(actual - literal.value) : undefined;
    case 'boolean':
      return typeof actual === 'boolean' ? Number(actual) - Number(literal.value) : undefined;
    case 'dateTime': {
      const millis = epochMillisOf(actual);
      return millis === undefined ? undefined : Math.sign(millis - literal.epochMillis);
    }
  }
}
