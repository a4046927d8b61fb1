import { compilePattern } from '../../../shared/domain/rules/pattern/textPattern';

/**
 * Patterns whose meaning JavaScript's RegExp (with the i and u flags) shares with .NET, checked against it on
 * inputs chosen to hit their edges.
 */
const PATTERNS = [
  '^Da.*', '.*vid', 'ago', '.*?ago.*', '@contoso\\.com$', '^[A-Z]{2}\\d{3}$', '^(sales|marketing)$', 'a|b|', '^$',
  '(ab)+c', 'x?y*z+', 'a{2,}', 'a{1,3}b', '[^a-c]+', '[\\d_]+$', '\\bdev\\b', '\\Bvel', '^\\w+@\\w+\\.\\w+$', '\\s',
  '\\S+\\s\\S+', '(?:ab|cd){2}', '(?<word>x)y', '[-a]', '[a-]', '\\x41\\u0042', 'a.c', '^(a+)+$', '(a|aa)*b', '\\.',
  '[\\]]', '\\D\\W', 'É', '[à-ÿ]',
];
const INPUTS = [
  '', 'Da', 'David', 'aDa', 'Lagos', 'a@Contoso.com', 'AB123', 'ab123', 'Sales', 'SALES', 'abababc', 'xyzz', 'z', 'aaa',
  'aab', 'dddd', 'my dev box', 'developer', 'a@b.c', 'ab cd', 'abcd', 'xy', '-', ']', 'AB', 'a\nc', 'abc', 'aaaa!', 'aaab',
  '.', 'q{', 'q{,3}', '1 ', 'é', 'Ü', 'a_1',
];

describe('the linear-time -match engine', () => {
  const rows = PATTERNS.map((pattern) => [pattern] as const);

  it.each(rows)('agrees with RegExp on %s', (pattern) => {
    const ours = compilePattern(pattern);
    const reference = new RegExp(pattern, 'iu');
    for (const input of INPUTS) expect([input, ours.test(input)]).toEqual([input, reference.test(input)]);
  });

  it.each([
    ['[]a]', ']', true],
    ['[]a]', 'a', true],
    ['[]a]', 'b', false],
    ['q{', 'Q{', true],
    ['q{,3}', 'q{,3}', true],
    ['q{,3}', 'qqq', false],
  ])('reads %s as .NET does (where RegExp differs): %s is %s', (pattern, input, expected) => {
    expect(compilePattern(pattern).test(input)).toBe(expected);
  });

  it('matches $ before a final newline, as .NET does', () => {
    expect(compilePattern('abc$').test('abc\n')).toBe(true);
  });

  it('reads \\b inside a class as a backspace', () => {
    expect(compilePattern('[\\b]').test('\b')).toBe(true);
  });

  it.each([
    ['(a+)+$', `${'a'.repeat(30000)}!`],
    ['(a|a)*b', 'a'.repeat(30000)],
    ['(.*)*x', 'y'.repeat(30000)],
    ['(a*)*(b*)*$c', 'ab'.repeat(15000)],
    ['^(\\w+\\s?)*$', `${'word '.repeat(6000)}!`],
    ['.*.*.*.*.*.*.*.*x', 'y'.repeat(30000)],
  ])('answers %s on a 30,000-character input at once (no catastrophic backtracking)', (pattern, input) => {
    const started = performance.now();
    expect(compilePattern(pattern).test(input)).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
