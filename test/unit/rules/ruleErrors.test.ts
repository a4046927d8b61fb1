import { DomainError } from '../../../shared/domain/errors';
import { MAX_RULE_LENGTH, parseRule, RuleError, type RuleErrorKind } from '../../../shared/domain/rules';
import { refusal } from './ruleTestKit';

const ATTRIBUTE: RuleErrorKind = 'attributeNotSupported';
const OPERATOR: RuleErrorKind = 'operatorNotSupported';
const COMPILATION: RuleErrorKind = 'queryCompilationError';

const WORDING: Record<RuleErrorKind, string> = {
  attributeNotSupported: 'Attribute not supported',
  operatorNotSupported: "Operator isn't supported on attribute",
  queryCompilationError: 'Query compilation error',
};

function expectRefused(rule: string, kind: RuleErrorKind, position: number, detail?: string): void {
  const error = refusal(rule);
  expect(error).toBeInstanceOf(RuleError);
  expect(error).toBeInstanceOf(DomainError);
  const ruleError = error as RuleError;
  expect({ kind: ruleError.kind, position: ruleError.position, code: ruleError.code }).toEqual({ kind, position, code: 'invalidRequest' });
  expect(ruleError.message.startsWith(`${WORDING[kind]}: `)).toBe(true);
  if (detail) expect(ruleError.message).toContain(detail);
}

describe('the documented error cases (rule-syntax.md §7)', () => {
  const cases: Array<[string, string, RuleErrorKind, number, string]> = [
    ['(user.invalidProperty -eq "Value")', '(user.department -eq "value")', ATTRIBUTE, 1, 'user.invalidProperty'],
    ['(user.accountEnabled -contains true)', '(user.accountEnabled -eq true)', OPERATOR, 21, '-contains on user.accountEnabled'],
    ['(user.department -eq "Sales") (user.department -eq "Marketing")', '(user.department -eq "Sales") -or (user.department -eq "Marketing")', COMPILATION, 30, '-and or -or'],
    ['(user.userPrincipalName -match "*@domain.ext")', '(user.userPrincipalName -match ".*@domain.ext")', COMPILATION, 32, 'the quantifier * follows nothing'],
  ];

  it.each(cases)('%s is refused, and its correction %s accepted', (bad, corrected, kind, position, detail) => {
    expectRefused(bad, kind, position, detail);
    expect(refusal(corrected)).toBeUndefined();
  });

  it('accepts the other documented correction of the bad pattern', () => {
    expect(refusal('(user.userPrincipalName -match "@domain.ext$")')).toBeUndefined();
  });
});

describe('refused attributes', () => {
  it.each([
    ['user.employeeType -eq "Employee"', 'user.employeeType'],
    ['user.manager -eq "x"', 'user.manager'],
    ['user.officeLocation -eq "x"', 'user.officeLocation'],
    ['user.extensionAttribute16 -eq "x"', 'user.extensionAttribute16'],
    ['user.extensionAttribute0 -eq "x"', 'user.extensionAttribute0'],
    ['user.extension_notAnAppId_Office -eq "x"', 'user.extension_notAnAppId_Office'],
    ['device.objectId -ne null', 'device.objectId'],
  ])('%s: %s is not supported', (rule, attribute) => {
    expectRefused(rule, ATTRIBUTE, 0, attribute);
  });

  it('refuses an assignedPlan property the reference does not list', () => {
    expectRefused('user.assignedPlans -any (assignedPlan.displayName -eq "x")', ATTRIBUTE, 25, 'assignedPlan.displayName');
  });

  it('refuses anything but group.objectId inside memberOf', () => {
    expectRefused("user.memberOf -any (group.displayName -in ['x'])", ATTRIBUTE, 20);
  });
});

describe('refused operator and attribute combinations', () => {
  it.each([
    ['user.accountEnabled -contains true', 20],
    ['user.accountEnabled -in [true]', 20],
    ['user.department -le "x"', 16],
    ['user.city -ge system.now', 10],
    ['user.employeeHireDate -startsWith "2020"', 22],
    ['user.employeeHireDate -match "2020"', 22],
    ['user.department -any (_ -eq "a")', 16],
    ['user.accountEnabled -all (_ -eq true)', 20],
    ['user.assignedPlans -eq "x"', 19],
    ['user.assignedPlans -contains "SCO"', 19],
    ["user.memberOf -eq 'x'", 14],
    ["user.memberOf -all (group.objectId -in ['x'])", 14],
    ["user.memberOf -any (group.objectId -eq 'x')", 35],
  ])('%s', (rule, position) => {
    expectRefused(rule, OPERATOR, position);
  });
});

describe('refused syntax and values', () => {
  it.each([
    ['', 0, 'empty'],
    ['   ', 0, 'empty'],
    ['user.mail -not null', 10, '-ne null'],
    ['user.mail -eq $null', 14, 'double quotes'],
    ['user.department -eq Sales', 20, 'double quotes'],
    ['user.department -eq "Sales', 20, 'no closing "'],
    ["user.department -eq 'Sales", 20, "no closing '"],
    ['(user.department -eq "Sales"', 0, 'no matching )'],
    ['user.department -eq "Sales")', 27, 'no matching ('],
    ['user.department -gt "a"', 16, '-gt is not an operator'],
    ['user.department "Sales"', 16, 'comparison operator'],
    ['user.department', 15, 'ends where an operator'],
    ['user.department -eq', 19, 'ends where a value'],
    ['user.department -eq "a" -and', 28, 'expected a property'],
    ['user.department -eq "a" -or -or user.city -eq "b"', 28, 'expected a property'],
    ['user.department -eq "a" user.city -eq "b"', 24, '-and or -or'],
    ['department -eq "a"', 0, 'user.department'],
    ['_ -eq "a"', 0, 'only inside'],
    ['user.department -startsWith null', 28, 'null is compared only'],
    ['user.department -in "a"', 20, 'takes a list'],
    ['user.department -in []', 21, 'expected a value'],
    ['user.department -in ["a" "b"]', 25, 'expected , or ]'],
    ['user.department -in ["a", null]', 26, 'null cannot be in a list'],
    ['user.department -eq ["a"]', 20, 'not a list'],
    ['user.accountEnabled -eq "yes"', 24, 'true, false or null'],
    ['user.employeeHireDate -le "yesterday"', 26, 'date and time'],
    ['user.employeeHireDate -le null', 26, 'date and time'],
    ['user.employeeHireDate -ge system.now -plus 1 day', 43, 'ISO 8601 duration'],
    ['user.otherMails -any (user.city -eq "a")', 22, 'compare _'],
    ['user.otherMails -any (_ -eq "a") -and _ -eq "b"', 38, 'only inside'],
    ['user.assignedPlans -any (assignedPlan.service -eq "a" -and user.city -eq "b")', 59, 'assignedPlan.<property>'],
    ['user.otherMails -any (_ -any (_ -eq "a"))', 24, 'cannot be nested'],
    ['Direct Reports for "aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb" -and user.city -eq "a"', 58, 'cannot be combined'],
    ['Direct Reports "aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb"', 15, 'Direct Reports for'],
    ['Direct Reports for aaaaaaaa', 19, 'double quotes'],
    ["user.memberof -any (group.objectId -in ['g1']) -and user.city -eq \"a\"", 0, 'cannot be combined'],
    ["user.city -eq \"a\" -or -not (user.memberof -any (group.objectId -in ['g1']))", 27, 'cannot be combined'],
  ])('%s is refused at %i (%s)', (rule, position, detail) => {
    expectRefused(rule, COMPILATION, position, detail);
  });

  it('refuses a memberOf rule naming more than 50 groups', () => {
    const ids = Array.from({ length: 51 }, (_, index) => `'g${index}'`).join(',');
    expectRefused(`user.memberOf -any (group.objectId -in [${ids}])`, COMPILATION, 39, 'at most 50 groups');
  });

  it('refuses nesting more than 100 levels deep before the stack runs out', () => {
    expectRefused(`${'('.repeat(101)}user.city -eq "a"${')'.repeat(101)}`, COMPILATION, 100, 'nests');
    expectRefused(`${'-not '.repeat(101)}user.city -eq "a"`, COMPILATION, 500, 'nests');
    expect(refusal(`${'('.repeat(100)}user.city -eq "a"${')'.repeat(100)}`)).toBeUndefined();
  });
});

describe('the length limit', () => {
  const ruleOfLength = (length: number) => {
    const prefix = 'user.department -eq "';
    return `${prefix}${'x'.repeat(length - prefix.length - 1)}"`;
  };

  it(`accepts a rule of exactly ${MAX_RULE_LENGTH} characters`, () => {
    expect(parseRule(ruleOfLength(MAX_RULE_LENGTH)).text).toHaveLength(MAX_RULE_LENGTH);
  });

  it('refuses a longer one where it crosses the limit', () => {
    expectRefused(ruleOfLength(MAX_RULE_LENGTH + 1), COMPILATION, MAX_RULE_LENGTH, 'at most 3072 characters');
  });
});

describe('refused -match patterns', () => {
  it.each([
    ['(a)\\1', 'backreferences'],
    ['\\k<name>', 'backreferences'],
    ['a(?=b)', 'lookahead'],
    ['(?<!a)b', 'lookbehind'],
    ['(?i)abc', 'not supported'],
    ['a**', 'nested quantifier'],
    ['a{2}{3}', 'nested quantifier'],
    ['+a', 'follows nothing'],
    ['a|?', 'follows nothing'],
    ['{2}', 'follows nothing'],
    ['(ab', 'no matching )'],
    ['ab)', 'no matching ('],
    ['[ab', 'no matching ]'],
    ['[z-a]', 'reverse order'],
    ['a{3,2}', 'reverse order'],
    ['a{1001}', 'above 1000'],
    ['(a{1000}){1000}', 'too large'],
    ['\\p{L}', 'not supported'],
    ['\\q', 'not supported'],
    ['\\x4', 'hexadecimal'],
    ['[a-z-[aeiou]]', 'subtraction'],
    [`${'('.repeat(101)}a${')'.repeat(101)}`, 'nest'],
  ])('the pattern %s', (pattern, detail) => {
    expectRefused(`user.displayName -match "${pattern}"`, COMPILATION, expect.any(Number) as unknown as number, detail);
  });

  it('points into the pattern where the problem is', () => {
    expectRefused('user.displayName -notMatch "ab(?=c)"', COMPILATION, 30, 'lookahead');
  });

  it('refuses a pattern ending in a lone backslash (in single quotes, where the backslash escapes nothing)', () => {
    expectRefused("user.displayName -match 'abc\\'", COMPILATION, 28, 'lone \\');
  });
});
