import { assignedPlanAttribute, CURRENT_ITEM, userAttribute, type Attribute } from './attributes';
import { comparison } from './comparisons';
import { readLiteral, type TokenCursor } from './literals';
import { isComparisonOperator, isQuantifier, operatorNamed, type OperatorName, type Quantifier } from './operators';
import { RuleError } from './ruleError';
import type { Expression } from './syntaxTree';
import type { Token } from './tokens';

/** Where operands come from: the user, or the current item of the collection an -any/-all walks. */
type Scope = { kind: 'user' } | { kind: 'item'; collection: Attribute };

/** Deep enough for any rule a person writes; stops `((((…` from exhausting the stack. */
const MAX_NESTING = 100;
/** [MOF]: a memberOf rule names at most 50 groups. */
const MAX_MEMBER_OF_GROUPS = 50;

const compilationError = (position: number, detail: string) => new RuleError('queryCompilationError', position, detail);

/**
 * Recursive descent over the tokens, with the reference's precedence: comparisons bind tightest, then -not,
 * then -and, then -or; -and and -or associate to the left. -any/-all take the parenthesized predicate (or single
 * comparison) right after them, so `user.otherMails -any (_ -eq "a") -and user.city -eq "b"` reads as two terms.
 */
export class ExpressionParser implements TokenCursor {
  private index = 0;
  private nesting = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  peek(): Token {
    return this.tokens[this.index] as Token;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  /** The whole rule: one expression and nothing after it. */
  parseRule(): Expression {
    const expression = this.or({ kind: 'user' });
    const rest = this.peek();
    if (rest.kind === 'end') return expression;
    if (rest.kind === ')') throw compilationError(rest.position, 'this ) has no matching (');
    throw this.unexpected(rest);
  }

  private or(scope: Scope): Expression {
    let left = this.and(scope);
    while (this.operatorAt(this.peek()) === 'or') {
      this.next();
      left = { type: 'or', left, right: this.and(scope), position: left.position };
    }
    return left;
  }

  private and(scope: Scope): Expression {
    let left = this.not(scope);
    while (this.operatorAt(this.peek()) === 'and') {
      this.next();
      left = { type: 'and', left, right: this.not(scope), position: left.position };
    }
    return left;
  }

  private not(scope: Scope): Expression {
    const token = this.peek();
    if (this.operatorAt(token) !== 'not') return this.primary(scope);
    this.next();
    return { type: 'not', operand: this.nested(token, () => this.not(scope)), position: token.position };
  }

  private primary(scope: Scope): Expression {
    const open = this.peek();
    if (open.kind !== '(') return this.term(scope);
    this.next();
    const expression = this.nested(open, () => this.or(scope));
    this.close(open);
    return { ...expression, position: open.position };
  }

  private nested<T>(at: Token, parse: () => T): T {
    if (this.nesting >= MAX_NESTING) throw compilationError(at.position, `the rule nests more than ${MAX_NESTING} levels deep`);
    this.nesting += 1;
    const result = parse();
    this.nesting -= 1;
    return result;
  }

  private close(open: Token): void {
    const token = this.peek();
    if (token.kind === ')') {
      this.next();
      return;
    }
    if (token.kind === 'end') throw compilationError(open.position, 'this ( has no matching )');
    throw this.unexpected(token);
  }

  /** What stands where -and, -or or ) should: another expression means the operator between them is missing. */
  private unexpected(token: Token): RuleError {
    if (token.kind === '(' || (token.kind === 'word' && this.operatorAt(token) === undefined)) {
      return compilationError(token.position, 'two expressions need -and or -or between them');
    }
    return compilationError(token.position, `expected -and, -or or the end of the rule, found ${describe(token)}`);
  }

  /** `<property> <operator> <value>`, or `<collection> -any/-all <predicate>`. */
  private term(scope: Scope): Expression {
    const subject = this.next();
    const attribute = this.attribute(subject, scope);
    const operatorToken = this.next();
    const operator = this.operatorAt(operatorToken);
    if (isQuantifier(operator)) {
      if (scope.kind === 'item') throw compilationError(operatorToken.position, '-any and -all cannot be nested');
      return this.quantified(attribute, operator, operatorToken, subject.position);
    }
    if (!isComparisonOperator(operator)) throw this.notAComparison(operatorToken, operator, attribute);
    if (attribute.type === 'memberOf' || attribute.type === 'planCollection') {
      throw new RuleError('operatorNotSupported', operatorToken.position, `-${operator} on ${attribute.name} (use -any or -all)`);
    }
    return comparison(attribute, operator, operatorToken.position, readLiteral(this), subject.position);
  }

  private notAComparison(token: Token, operator: OperatorName | undefined, attribute: Attribute): RuleError {
    if (token.kind === 'end') return compilationError(token.position, `the rule ends where an operator should follow ${attribute.name}`);
    if (operator === 'not') return compilationError(token.position, '-not is not a comparison: compare with null by -eq null or -ne null');
    if (token.kind === 'operator' && operator === undefined) return compilationError(token.position, `${token.text} is not an operator`);
    return compilationError(token.position, `expected a comparison operator after ${attribute.name}, found ${describe(token)}`);
  }

  private attribute(token: Token, scope: Scope): Attribute {
    if (token.kind !== 'word') throw compilationError(token.position, `expected a property such as user.department, found ${describe(token)}`);
    const text = token.text;
    if (scope.kind === 'item') return this.itemAttribute(token, text, scope.collection);
    const property = /^user\.(.+)$/i.exec(text)?.[1];
    if (property !== undefined) {
      const attribute = userAttribute(property);
      if (!attribute) throw new RuleError('attributeNotSupported', token.position, `user.${property}`);
      return attribute;
    }
    if (/^device\./i.test(text)) throw new RuleError('attributeNotSupported', token.position, `${text}: access packages are assigned to users, not devices`);
    if (text === '_' || /^(assignedPlan|group)\./i.test(text)) {
      throw compilationError(token.position, `${text} can be used only inside the parentheses after -any or -all`);
    }
    throw compilationError(token.position, `expected a property such as user.department, found ${text}`);
  }

  private itemAttribute(token: Token, text: string, collection: Attribute): Attribute {
    if (collection.type === 'stringCollection') {
      if (text === '_') return CURRENT_ITEM;
      throw compilationError(token.position, `inside ${collection.name} -any/-all, compare _ (the current item)`);
    }
    const field = /^assignedPlan\.(.+)$/i.exec(text)?.[1];
    if (field === undefined) throw compilationError(token.position, `inside ${collection.name} -any/-all, compare assignedPlan.<property>`);
    const attribute = assignedPlanAttribute(field);
    if (!attribute) throw new RuleError('attributeNotSupported', token.position, `assignedPlan.${field}`);
    return attribute;
  }

  private quantified(attribute: Attribute, quantifier: Quantifier, operatorToken: Token, position: number): Expression {
    if (attribute.type === 'memberOf') {
      if (quantifier !== 'any') throw new RuleError('operatorNotSupported', operatorToken.position, `-${quantifier} on ${attribute.name} (use -any)`);
      return { type: 'memberOf', groupIds: this.memberOfGroups(), position };
    }
    if (attribute.type !== 'stringCollection' && attribute.type !== 'planCollection') {
      throw new RuleError('operatorNotSupported', operatorToken.position, `-${quantifier} on ${attribute.name}, which is not a collection`);
    }
    const scope: Scope = { kind: 'item', collection: attribute };
    const predicate = this.peek().kind === '(' ? this.primary(scope) : this.term(scope);
    return { type: 'quantified', attribute, quantifier, predicate, position };
  }

  /** [MOF]: the only form is `group.objectId -in [...]`, parentheses optional. */
  private memberOfGroups(): string[] {
    const open = this.peek();
    if (open.kind === '(') this.next();
    const subject = this.next();
    if (subject.kind !== 'word' || subject.text.toLowerCase() !== 'group.objectid') {
      throw new RuleError('attributeNotSupported', subject.position, `user.memberOf -any compares only group.objectId, found ${describe(subject)}`);
    }
    const operatorToken = this.next();
    if (this.operatorAt(operatorToken) !== 'in') throw new RuleError('operatorNotSupported', operatorToken.position, 'group.objectId takes only -in [...]');
    const literal = readLiteral(this);
    if (literal.kind !== 'list') throw compilationError(literal.position, 'group.objectId -in takes a list such as [\'id\']');
    const groupIds = literal.items.map((item) => {
      if (item.kind !== 'text' || item.text.trim() === '') throw compilationError(item.position, 'expected a group object id in quotes');
      return item.text.trim().toLowerCase();
    });
    if (groupIds.length > MAX_MEMBER_OF_GROUPS) throw compilationError(literal.position, `a memberOf rule names at most ${MAX_MEMBER_OF_GROUPS} groups`);
    if (open.kind === '(') this.close(open);
    return [...new Set(groupIds)];
  }

  /** The operator a token spells: `-eq`, `–eq` or a bare `eq` (the hyphen is optional). */
  private operatorAt(token: Token): OperatorName | undefined {
    if (token.kind === 'operator') return operatorNamed(token.name);
    if (token.kind === 'word') return operatorNamed(token.text);
    return undefined;
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the rule';
    case 'string':
      return `the string "${token.value.slice(0, 40)}"`;
    case 'operator':
    case 'word':
      return token.text.slice(0, 60);
    default:
      return token.kind;
  }
}
