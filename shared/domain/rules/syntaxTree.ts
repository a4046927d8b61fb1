import type { DateTime, Duration } from 'luxon';
import type { Attribute } from './attributes';
import type { ComparisonOperator, Quantifier } from './operators';

/**
 * The syntax tree of a rule, already checked: every comparison pairs an attribute with an operator and operand
 * its type allows, so compiling it cannot fail. `position` is where the node starts in the rule text.
 */
export type Expression = Conjunction | Negation | TextComparison | BooleanComparison | DateComparison | Quantified | MemberOf;

export interface Conjunction {
  type: 'and' | 'or';
  left: Expression;
  right: Expression;
  position: number;
}

export interface Negation {
  type: 'not';
  operand: Expression;
  position: number;
}

export type TextOperator = Exclude<ComparisonOperator, 'le' | 'ge'>;

/**
 * A string property (or, written directly on `otherMails`/`proxyAddresses`, each of their items) against text.
 * The operand is null only for -eq/-ne, a list only for -in/-notIn, and a pattern's source text for -match.
 */
export interface TextComparison {
  type: 'text';
  attribute: Attribute;
  operator: TextOperator;
  operand: string | readonly string[] | null;
  position: number;
}

export interface BooleanComparison {
  type: 'boolean';
  attribute: Attribute;
  operator: 'eq' | 'ne';
  operand: boolean | null;
  position: number;
}

/** A point in time: fixed, or `system.now` shifted by a duration (negative for `-minus`). */
export type TimeOperand = { kind: 'instant'; at: DateTime } | { kind: 'now'; shift: Duration };

export interface DateComparison {
  type: 'dateTime';
  attribute: Attribute;
  operator: 'eq' | 'ne' | 'le' | 'ge';
  operand: TimeOperand | null;
  position: number;
}

/** `user.<collection> -any/-all (<predicate on _ or assignedPlan.*>)`. */
export interface Quantified {
  type: 'quantified';
  attribute: Attribute;
  quantifier: Quantifier;
  predicate: Expression;
  position: number;
}

/** `user.memberOf -any (group.objectId -in [...])`, ids in lower case. */
export interface MemberOf {
  type: 'memberOf';
  groupIds: readonly string[];
  position: number;
}

export type ParsedRule =
  | { kind: 'expression'; text: string; expression: Expression }
  | { kind: 'directReports'; text: string; managerId: string };
