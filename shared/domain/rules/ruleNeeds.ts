import type { Expression, ParsedRule } from './syntaxTree';

/**
 * The group ids (lower case) of a `user.memberOf -any (group.objectId -in [...])` rule, so an operation can read
 * those groups' members before evaluating; empty for any other rule (memberOf cannot be combined with others).
 */
export function groupsReferenced(rule: ParsedRule): string[] {
  return rule.kind === 'expression' && rule.expression.type === 'memberOf' ? [...rule.expression.groupIds] : [];
}

/**
 * Whether the rule compares with `system.now`: its outcome then changes as time passes, with no change to the
 * user, so evaluating changed users alone would miss it.
 */
export function readsTheTime(rule: ParsedRule): boolean {
  return rule.kind === 'expression' && [...nodesOf(rule.expression)].some((node) => node.type === 'dateTime' && node.operand?.kind === 'now');
}

/**
 * The directory user properties the rule reads, as Graph names them (`manager` for a Direct Reports rule): a
 * change to any other property cannot change whether the user matches.
 */
export function propertiesRead(rule: ParsedRule): string[] {
  if (rule.kind === 'directReports') return ['manager'];
  const properties = [...nodesOf(rule.expression)].map((node) => ('attribute' in node ? node.attribute.property : undefined));
  return [...new Set(properties.filter((property) => property !== undefined))];
}

function* nodesOf(expression: Expression): Generator<Expression> {
  yield expression;
  switch (expression.type) {
    case 'and':
    case 'or':
      yield* nodesOf(expression.left);
      yield* nodesOf(expression.right);
      break;
    case 'not':
      yield* nodesOf(expression.operand);
      break;
    case 'quantified':
      yield* nodesOf(expression.predicate);
      break;
  }
}
