import { ExpressionParser } from './expressionParser';
import { RuleError } from './ruleError';
import type { Expression, ParsedRule } from './syntaxTree';
import { tokenize, type Token } from './tokens';

/** [DM24]: "The maximum length of the rule body is 3,072 characters". */
export const MAX_RULE_LENGTH = 3072;

const compilationError = (position: number, detail: string) => new RuleError('queryCompilationError', position, detail);

/**
 * Parses and checks a membership rule, or throws RuleError with Entra's wording and the offset of the problem.
 * Besides expressions, a rule may be exactly `Direct Reports for "<manager object id>"`.
 */
export function parseRule(text: string): ParsedRule {
  if (text.length > MAX_RULE_LENGTH) throw compilationError(MAX_RULE_LENGTH, `a rule has at most ${MAX_RULE_LENGTH} characters (this one has ${text.length})`);
  const tokens = tokenize(text);
  const first = tokens[0] as Token;
  if (first.kind === 'end') throw compilationError(0, 'the rule is empty');
  if (first.kind === 'word' && first.text.toLowerCase() === 'direct') return { kind: 'directReports', text, managerId: directReportsManagerIn(tokens) };
  const expression = new ExpressionParser(tokens).parseRule();
  refuseCombinedMemberOf(expression);
  return { kind: 'expression', text, expression };
}

/** `Direct Reports for "<id>"` and nothing else: "You can't combine this rule with any other membership rules". */
function directReportsManagerIn(tokens: readonly Token[]): string {
  const [, reports, forWord, manager, end] = tokens;
  const isWord = (token: Token | undefined, word: string) => token?.kind === 'word' && token.text.toLowerCase() === word;
  const misspelt = !isWord(reports, 'reports') ? reports : !isWord(forWord, 'for') ? forWord : undefined;
  if (misspelt) throw compilationError(misspelt.position, 'expected Direct Reports for "<manager object id>"');
  if (manager?.kind !== 'string' || manager.value.trim() === '') {
    throw compilationError(manager?.position ?? 0, 'Direct Reports for takes the manager\'s object id in double quotes');
  }
  if (end?.kind !== 'end') throw compilationError(end?.position ?? 0, 'Direct Reports for cannot be combined with other expressions');
  return manager.value.trim().toLowerCase();
}

/** [MOF]: a memberOf rule "can't be used with other rules". */
function refuseCombinedMemberOf(expression: Expression): void {
  if (expression.type === 'memberOf') return;
  const memberOf = findMemberOf(expression);
  if (memberOf) throw compilationError(memberOf.position, 'user.memberOf cannot be combined with other expressions');
}

function findMemberOf(expression: Expression): Expression | undefined {
  switch (expression.type) {
    case 'memberOf':
      return expression;
    case 'and':
    case 'or':
      return findMemberOf(expression.left) ?? findMemberOf(expression.right);
    case 'not':
      return findMemberOf(expression.operand);
    default:
      return undefined;
  }
}
