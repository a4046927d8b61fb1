import { matches, userWith } from './ruleTestKit';

/** A, B, C, D are comparisons that hold when the user's city, state, country, department is "y". */
const A = 'user.city -eq "y"';
const B = 'user.state -eq "y"';
const C = 'user.country -eq "y"';
const D = 'user.department -eq "y"';

const userWhere = (a: boolean, b: boolean, c: boolean, d = false) =>
  userWith({ city: a ? 'y' : 'n', state: b ? 'y' : 'n', country: c ? 'y' : 'n', department: d ? 'y' : 'n' });

describe('precedence: comparisons, then -not, then -and, then -or (rule-syntax.md §4)', () => {
  const cases: Array<[string, string, [boolean, boolean, boolean, boolean], boolean]> = [
    ['-and binds tighter than -or (A -or (B -and C))', `${A} -or ${B} -and ${C}`, [true, false, false, false], true],
    ['-and binds tighter than -or, the other way round', `${A} -or ${B} -and ${C}`, [false, true, false, false], false],
    ['-and binds tighter than -or on the left ((A -and B) -or C)', `${A} -and ${B} -or ${C}`, [false, false, true, false], true],
    ['two -and groups joined by -or', `${A} -and ${B} -or ${C} -and ${D}`, [false, false, true, true], true],
    ['two -and groups joined by -or, neither whole', `${A} -and ${B} -or ${C} -and ${D}`, [true, false, true, false], false],
    ['-not binds tighter than -and ((-not A) -and B)', `-not ${A} -and ${B}`, [true, true, false, false], false],
    ['-not binds tighter than -and, A false', `-not ${A} -and ${B}`, [false, true, false, false], true],
    ['-not binds tighter than -or ((-not A) -or B)', `-not ${A} -or ${B}`, [true, true, false, false], true],
    ['parentheses override: -not (A -or B)', `-not (${A} -or ${B})`, [false, true, false, false], false],
    ['parentheses override: (A -or B) -and C', `(${A} -or ${B}) -and ${C}`, [true, false, false, false], false],
    ['double negation', `-not -not ${A}`, [true, false, false, false], true],
    ['-or is left to right over three terms', `${A} -or ${B} -or ${C}`, [false, false, true, false], true],
    ['bare and/or/not without hyphens', `not ${A} and ${B} or ${C}`, [true, true, false, false], false],
    ['bare and/or/not without hyphens, true', `not ${A} and ${B} or ${C}`, [false, true, false, false], true],
  ];

  it.each(cases)('%s: %s', (_situation, rule, [a, b, c, d], expected) => {
    expect(matches(rule, userWhere(a, b, c, d))).toBe(expected);
  });
});

describe('-any/-all and the terms around them', () => {
  it('takes the parenthesized predicate only, so -and continues at user level', () => {
    const rule = 'user.otherMails -any (_ -endsWith "@contoso.com") -and user.city -eq "y"';
    expect(matches(rule, userWith({ otherMails: ['a@contoso.com'], city: 'y' }))).toBe(true);
    expect(matches(rule, userWith({ otherMails: ['a@contoso.com'], city: 'n' }))).toBe(false);
  });

  it('takes an unparenthesized single comparison (the reference device example form)', () => {
    expect(matches('user.proxyAddresses -any _ -eq "smtp:a@contoso.com"', userWith({ proxyAddresses: ['SMTP:a@contoso.com'] }))).toBe(true);
  });

  it('evaluates -and, -or and -not inside the predicate on the same item', () => {
    const rule = 'user.proxyAddresses -any (_ -startsWith "smtp:" -and -not (_ -endsWith "@outlook.com"))';
    expect(matches(rule, userWith({ proxyAddresses: ['SMTP:a@outlook.com', 'x500:/o=contoso'] }))).toBe(false);
    expect(matches(rule, userWith({ proxyAddresses: ['SMTP:a@outlook.com', 'smtp:a@contoso.com'] }))).toBe(true);
  });

  it('reads -all over an empty collection as true and -any as false', () => {
    expect(matches('user.otherMails -all (_ -eq "x")', userWith({ otherMails: [] }))).toBe(true);
    expect(matches('user.otherMails -any (_ -eq "x")', userWith({}))).toBe(false);
  });
});
