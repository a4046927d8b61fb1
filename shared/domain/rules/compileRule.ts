import { DateTime, type Duration } from 'luxon';
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

/** Hire dates remembered, parsed: a tenant's users share a few thousand; the bound keeps a long-running process small. */
const DATES_KEPT = 10_000;
const parsedDates = new Map<string, number | null>();

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

/** A date's time, null when it is not ISO 8601: parsed once per text. */
function millisOf(text: string): number | null {
  let known = parsedDates.get(text);
  if (known === undefined) {
    const value = DateTime.fromISO(text, { zone: 'utc' });
    known = value.isValid ? value.toMillis() : null;
    if (parsedDates.size >= DATES_KEPT) parsedDates.clear();
    parsedDates.set(text, known);
  }
  return known;
}

/**
 * A hire date that is absent or not ISO 8601 is null: it satisfies no -le/-ge and only -eq null. A full evaluation
 * compares every user with one `system.now`: dates are parsed once per text and the bound once per time, not per
 * user (luxon's parsing per user was a third of a full evaluation's rule time).
 */
function compileDate(comparison: DateComparison): Predicate {
  const { operand, operator } = comparison;
  const read = comparison.attribute.read;
  let boundAt: { now: DateTime; millis: number } | undefined;
  const boundOf = (now: DateTime, shift: Duration): number => {
    if (boundAt?.now !== now) boundAt = { now, millis: now.plus(shift).toMillis() };
    return boundAt.millis;
  };
  return (source, context) => {
    const text = read(source);
    const known = typeof text === 'string' ? millisOf(text) : null;
    if (operand === null) return (known === null) === (operator === 'eq');
    if (known === null) return operator === 'ne';
    const bound = operand.kind === 'instant' ? operand.at.toMillis() : boundOf(context.now, operand.shift);
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
