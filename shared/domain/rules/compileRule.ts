import { DateTime } from 'luxon';
import { NEGATION_OF } from './operators';
import { compilePattern } from './pattern/textPattern';
import { parseRule } from './parseRule';
import type { RuleContext, RuleSubject } from './ruleSubject';
import type { BooleanComparison, DateComparison, Expression, ParsedRule, TextComparison, TextOperator } from './syntaxTree';

/** A rule ready to evaluate many users: parsed and checked once, patterns compiled once. */
export type CompiledRule = ParsedRule & {
  matches(subject: RuleSubject, context: RuleContext): boolean;
};

type Predicate = (source: unknown, context: RuleContext) => boolean;

/** Parses (throwing RuleError) and compiles a membership rule. */
export function compileRule(text: string): CompiledRule {
  const parsed = parseRule(text);
  if (parsed.kind === 'directReports') return { ...parsed, matches: (subject) => isDirectReport(subject, parsed.managerId) };
  const predicate = compile(parsed.expression);
  return { ...parsed, matches: (subject, context) => predicate(subject, context) };
}

/** Per DM26, "the manager is also added to a direct reports dynamic group". Ids compare in lower case. */
function isDirectReport(subject: RuleSubject, managerId: string): boolean {
  if (subject.managerId === undefined) throw new Error(`user ${subject.id}: a Direct Reports rule needs the user's managerId`);
  return subject.id.toLowerCase() === managerId || subject.managerId?.toLowerCase() === managerId;
}

function compile(expression: Expression): Predicate {
  switch (expression.type) {
    case 'and': {
      const [left, right] = [compile(expression.left), compile(expression.right)];
      return (source, context) => left(source, context) && right(source, context);
    }
    case 'or': {
      const [left, right] = [compile(expression.left), compile(expression.right)];
      return (source, context) => left(source, context) || right(source, context);
    }
    case 'not': {
      const operand = compile(expression.operand);
      return (source, context) => !operand(source, context);
    }
    case 'text':
      return compileText(expression);
    case 'boolean':
      return compileBoolean(expression);
    case 'dateTime':
      return compileDate(expression);
    case 'quantified': {
      const predicate = compile(expression.predicate);
      const read = expression.attribute.read;
      return expression.quantifier === 'any'
        ? (source, context) => items(read(source)).some((item) => predicate(item, context))
        : (source, context) => items(read(source)).every((item) => predicate(item, context));
    }
    case 'memberOf': {
      const { groupIds } = expression;
      return (source) => {
        const subject = source as RuleSubject;
        if (!subject.memberOfGroupIds) throw new Error(`user ${subject.id}: a memberOf rule needs the user's memberOfGroupIds`);
        return groupIds.some((groupId) => subject.memberOfGroupIds?.has(groupId));
      };
    }
  }
}

const items = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** Text of a property; anything that is not a string, number or Boolean is null. */
function asText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/**
 * "Regex and string operations aren't case sensitive." A negated operator is the negation of its positive one, so
 * a null property matches -ne "x", -notStartsWith ... (the reference leaves null here undocumented). On
 * otherMails/proxyAddresses written directly (DM24's form) a positive operator holds when any item satisfies it
 * and a negated one when none does.
 */
function compileText(comparison: TextComparison): Predicate {
  const positive = (NEGATION_OF[comparison.operator] ?? comparison.operator) as TextOperator;
  const negated = positive !== comparison.operator;
  const test = textTest(positive, comparison.operand);
  const read = comparison.attribute.read;
  if (comparison.attribute.type === 'stringCollection') {
    return (source) => {
      const values = items(read(source)).map(asText).filter((value): value is string => value !== null);
      const holds = comparison.operand === null ? values.length === 0 : values.some(test);
      return holds !== negated;
    };
  }
  return (source) => {
    const value = asText(read(source));
    const holds = comparison.operand === null ? value === null : value !== null && test(value);
    return holds !== negated;
  };
}

/** The positive operator's test on a non-null value; a null operand is handled by the caller. */
function textTest(operator: TextOperator, operand: string | readonly string[] | null): (value: string) => boolean {
  if (operand === null) return () => false;
  if (typeof operand !== 'string') {
    const listed = new Set(operand.map((item) => item.toLowerCase()));
    return (value) => listed.has(value.toLowerCase());
  }
  const wanted = operand.toLowerCase();
  switch (operator) {
    case 'match': {
      const pattern = compilePattern(operand);
      return (value) => pattern.test(value);
    }
    case 'startsWith':
      return (value) => value.toLowerCase().startsWith(wanted);
    case 'endsWith':
      return (value) => value.toLowerCase().endsWith(wanted);
    case 'contains':
      return (value) => value.toLowerCase().includes(wanted);
    default:
      return (value) => value.toLowerCase() === wanted;
  }
}

function compileBoolean(comparison: BooleanComparison): Predicate {
  const { operand, operator } = comparison;
  const read = comparison.attribute.read;
  return (source) => {
    const value = read(source);
    const flag = typeof value === 'boolean' ? value : null;
    return (flag === operand) === (operator === 'eq');
  };
}

/** A hire date that is absent or not ISO 8601 is null: it satisfies no -le/-ge and only -eq null. */
function compileDate(comparison: DateComparison): Predicate {
  const { operand, operator } = comparison;
  const read = comparison.attribute.read;
  return (source, context) => {
    const text = read(source);
    const value = typeof text === 'string' ? DateTime.fromISO(text, { zone: 'utc' }) : undefined;
    const known = value?.isValid ? value.toMillis() : null;
    if (operand === null) return (known === null) === (operator === 'eq');
    if (known === null) return operator === 'ne';
    const bound = operand.kind === 'instant' ? operand.at.toMillis() : context.now.plus(operand.shift).toMillis();
    switch (operator) {
      case 'eq':
        return known === bound;
      case 'ne':
        return known !== bound;
      case 'le':
        return known <= bound;
      case 'ge':
        return known >= bound;
    }
  };
}
