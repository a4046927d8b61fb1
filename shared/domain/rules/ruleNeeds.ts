import type { ParsedRule } from './syntaxTree';

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
