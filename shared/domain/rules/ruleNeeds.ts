import type { Expression, ParsedRule } from './syntaxTree';

/**
 * The group ids (lower case) of a `user.memberOf -any (group.objectId -in [...])` rule, so an operation can read
 * those groups' members before evaluating; empty for any other rule (memberOf cannot be combined with others).
 */
export function groupsReferenced(rule: ParsedRule): string[] {
  return rule.kind === 'expression' && rule.expression.type === 'memberOf' ? [...rule.expression.groupIds] : [];
}

/** The manager's object id (lower case) of a `Direct Reports for "<id>"` rule, so an operation can list the reports. */
export function directReportsManager(rule: ParsedRule): string | undefined {
  return rule.kind === 'directReports' ? rule.managerId : undefined;
}

/**
 * Whether the rule compares with `system.now`: its outcome then changes as time passes, with no change to the
 * user, so evaluating changed users alone would miss it.
 */
export function readsTheTime(rule: ParsedRule): boolean {
  return rule.kind === 'expression' && comparesWithNow(rule.expression);
}

function comparesWithNow(expression: Expression): boolean {
  switch (expression.type) {
    case 'and':
    case 'or':
      return comparesWithNow(expression.left) || comparesWithNow(expression.right);
    case 'not':
      return comparesWithNow(expression.operand);
    case 'quantified':
      return comparesWithNow(expression.predicate);
    case 'dateTime':
      return expression.operand?.kind === 'now';
    default:
      return false;
  }
}
