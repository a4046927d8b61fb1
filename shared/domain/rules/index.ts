/**
 * The membership-rule language of auto-assignment policies (reference/rule-syntax.md): parseRule checks a rule
 * and gives its syntax tree, compileRule also makes it evaluable, groupsReferenced says which memberships an
 * operation must fetch first, readsTheTime whether the outcome changes as time passes, propertiesRead which changes
 * of a user can change it. Pure: the user's facts (group memberships, manager) and `now` come in as data.
 */
export type { Attribute, AttributeType } from './attributes';
export { compileRule, type CompiledRule } from './compileRule';
export { MAX_RULE_LENGTH, parseRule } from './parseRule';
export { isRuleError, RuleError, type RuleErrorKind } from './ruleError';
export { groupsReferenced, propertiesRead, readsTheTime } from './ruleNeeds';
export type { AssignedPlan, RuleContext, RuleSubject } from './ruleSubject';
export type { Expression, ParsedRule } from './syntaxTree';
