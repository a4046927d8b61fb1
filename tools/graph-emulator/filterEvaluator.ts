import { EXTENSION_ATTRIBUTE_NAMES, propertyKind, type Entity, type EntityType } from './entityTypes';
import { parseFilter, type ComparisonOperator, type FilterNode, type Literal, type Operand } from './filterParser';
import { badRequest, unsupportedQuery } from './graphErrors';

export type EntityPredicate = (entity: Entity) => boolean;

type ScalarKind = 'string' | 'boolean' | 'dateTime';
type Scope = ReadonlyMap<string, unknown>;
type Compiled = (entity: Entity, scope: Scope) => boolean;
interface Scalar {
  kind: ScalarKind;
  read: (entity: Entity, scope: Scope) => unknown;
}

const OPERATOR_NAMES: Record<ComparisonOperator | 'in' | 'startswith' | 'endswith', string> = {
  eq: 'Equal',
  ne: 'NotEqual',
  lt: 'LessThan',
  le: 'LessThanOrEqual',
  gt: 'GreaterThan',
  ge: 'GreaterThanOrEqual',
  in: 'In',
  startswith: 'startswith',
  endswith: 'endswith',
};
const EDM_NAMES: Record<ScalarKind | Literal['kind'], string> = {
  string: 'Edm.String',
  guid: 'Edm.Guid',
  boolean: 'Edm.Boolean',
  dateTime: 'Edm.DateTimeOffset',
  null: 'null',
};

/**
 * Parses a `$filter` and checks it against the entity type, so an unknown property or a literal of the wrong type
 * is a 400 before anything is evaluated. String comparisons ignore case, as directory queries do.
 */
export function compileFilter(text: string, type: EntityType): EntityPredicate {
  const compiled = compile(parseFilter(text), type, new Set());
  const empty: Scope = new Map();
  return (entity) => compiled(entity, empty);
}

function compile(node: FilterNode, type: EntityType, variables: ReadonlySet<string>): Compiled {
  switch (node.kind) {
    case 'and': {
      const [left, right] = [compile(node.left, type, variables), compile(node.right, type, variables)];
      return (entity, scope) => left(entity, scope) && right(entity, scope);
    }
    case 'or': {
      const [left, right] = [compile(node.left, type, variables), compile(node.right, type, variables)];
      return (entity, scope) => left(entity, scope) || right(entity, scope);
    }
    case 'not': {
      const operand = compile(node.operand, type, variables);
      return (entity, scope) => !operand(entity, scope);
    }
    case 'compare': {
      const target = scalar(node.target, type, variables);
      checkLiteral(target.kind, node.value, node.operator);
      if (target.kind === 'boolean' && node.operator !== 'eq' && node.operator !== 'ne') {
        throw unsupportedQuery(`The operator '${node.operator}' cannot compare Edm.Boolean values.`);
      }
      const { operator, value } = node;
      return (entity, scope) => compare(target.kind, target.read(entity, scope), operator, value);
    }
    case 'in': {
      const target = scalar(node.target, type, variables);
      for (const value of node.values) checkLiteral(target.kind, value, 'in');
      const { values } = node;
      return (entity, scope) => {
        const actual = target.read(entity, scope);
        return values.some((value) => compare(target.kind, actual, 'eq', value));
      };
    }
    case 'startswith':
    case 'endswith': {
      const target = scalar(node.target, type, variables);
      if (target.kind !== 'string' || (node.value.kind !== 'string' && node.value.kind !== 'guid')) {
        throw badRequest(`The function '${node.kind}' takes a string property and a string literal.`, 'BadRequest');
      }
      const expected = node.value.value.toLowerCase();
      const test = node.kind === 'startswith' ? (s: string) => s.startsWith(expected) : (s: string) => s.endsWith(expected);
      return (entity, scope) => {
        const actual = target.read(entity, scope);
        return typeof actual === 'string' && test(actual.toLowerCase());
      };
    }
    case 'any': {
      const [name, ...rest] = node.collection;
      if (name === undefined || propertyKind(type, name) === undefined) {
        throw badRequest(`Could not find a property named '${name}' on type '${type.name}'.`, 'BadRequest');
      }
      if (rest.length > 0 || propertyKind(type, name) !== 'stringCollection') {
        throw unsupportedQuery(`Unsupported or invalid query filter clause specified for property '${node.collection.join('/')}' of resource '${type.resource}'.`);
      }
      const predicate = compile(node.predicate, type, new Set([...variables, node.variable]));
      const { variable } = node;
      return (entity, scope) => {
        const items = entity[name];
        return Array.isArray(items) && items.some((item) => predicate(entity, new Map([...scope, [variable, item]])));
      };
    }
  }
}

function scalar(operand: Operand, type: EntityType, variables: ReadonlySet<string>): Scalar {
  if (operand.kind === 'variable') {
    if (!variables.has(operand.name)) throw badRequest(`Invalid filter clause: '${operand.name}' is not defined.`, 'BadRequest');
    return { kind: 'string', read: (_, scope) => scope.get(operand.name) };
  }
  const [name, ...rest] = operand.path;
  const kind = name === undefined ? undefined : propertyKind(type, name);
  if (name === undefined || kind === undefined) {
    throw badRequest(`Could not find a property named '${name}' on type '${type.name}'.`, 'BadRequest');
  }
  if (rest.length === 0) {
    if (kind === 'string' || kind === 'boolean' || kind === 'dateTime') return { kind, read: (entity) => entity[name] };
    throw unsupportedQuery(`Unsupported or invalid query filter clause specified for property '${name}' of resource '${type.resource}'.`);
  }
  const [child, ...deeper] = rest;
  if (kind !== 'extensionAttributes' || child === undefined || deeper.length > 0 || !EXTENSION_ATTRIBUTE_NAMES.includes(child)) {
    throw badRequest(`Could not find a property named '${rest.join('/')}' on the property '${name}' of type '${type.name}'.`, 'BadRequest');
  }
  return { kind: 'string', read: (entity) => (entity[name] as Record<string, unknown> | null)?.[child] };
}

function checkLiteral(kind: ScalarKind, literal: Literal, operator: keyof typeof OPERATOR_NAMES): void {
  const compatible =
    literal.kind === 'null' ||
    (kind === 'string' && (literal.kind === 'string' || literal.kind === 'guid')) ||
    kind === literal.kind;
  if (!compatible) {
    throw badRequest(
      `A binary operator with incompatible types was detected. Found operand types '${EDM_NAMES[kind]}' and '${EDM_NAMES[literal.kind]}' for operator kind '${OPERATOR_NAMES[operator]}'.`,
      'BadRequest',
    );
  }
}

function compare(kind: ScalarKind, actual: unknown, operator: ComparisonOperator, literal: Literal): boolean {
  if (literal.kind === 'null') {
    if (operator === 'eq') return actual === null || actual === undefined;
    if (operator === 'ne') return actual !== null && actual !== undefined;
    return false;
  }
  if (actual === null || actual === undefined) return operator === 'ne';
  const order = ordering(kind, actual, literal);
  if (order === undefined) return operator === 'ne';
  switch (operator) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'lt':
      return order < 0;
    case 'le':
      return order <= 0;
    case 'gt':
      return order > 0;
    case 'ge':
      return order >= 0;
  }
}

/** Negative, zero or positive as the value sorts before, with or after the literal; undefined when incomparable. */
function ordering(kind: ScalarKind, actual: unknown, literal: Exclude<Literal, { kind: 'null' }>): number | undefined {
  if (kind === 'boolean') return actual === literal.value ? 0 : 1;
  if (typeof actual !== 'string' || typeof literal.value !== 'string') return undefined;
  if (kind === 'dateTime') {
    const [a, b] = [Date.parse(actual), Date.parse(literal.value)];
    return Number.isNaN(a) || Number.isNaN(b) ? undefined : a - b;
  }
  const [a, b] = [actual.toLowerCase(), literal.value.toLowerCase()];
  return a < b ? -1 : a > b ? 1 : 0;
}
