import { parseRule } from '../../../shared/domain/rules';
import { matches, NOW, userWith } from './ruleTestKit';

describe('how rules may be written', () => {
  const sales = userWith({ department: 'Sales', employeeId: '12345', accountEnabled: true, displayName: "O'Brien \"Bob\"" });

  it.each([
    ['operators without the hyphen', 'user.department eq "Sales"'],
    ['operators in any case', 'user.department -EQ "sales"'],
    ['property names in any case', 'USER.DEPARTMENT -eq "Sales"'],
    ['a typographic en dash for the hyphen', 'user.department –eq "Sales"'],
    ['single-quoted strings', "user.department -eq 'Sales'"],
    ['an unquoted number compared as text', 'user.employeeId -eq 12345'],
    ['unquoted numbers in a list', 'user.employeeId -in [12344, 12345]'],
    ['a quoted Boolean', 'user.accountEnabled -eq "True"'],
    ['a Boolean compared with -ne', 'user.accountEnabled -ne false'],
    ['extra whitespace and line breaks', '\n  ( user.department\t-eq  "Sales" )\r\n'],
    ['a doubled single quote in a single-quoted string', "user.displayName -startsWith 'O''Brien'"],
    ['a doubled single quote in a double-quoted string', 'user.displayName -startsWith "O\'\'Brien"'],
    ['a backslash-escaped double quote (DM24)', 'user.displayName -endsWith "\\"Bob\\""'],
    ['a backtick-escaped double quote (DM26)', 'user.displayName -endsWith "`"Bob`""'],
    ['a backslash kept as written in a pattern', 'user.employeeId -match "^\\d{5}$"'],
  ])('accepts %s: %s', (_situation, rule) => {
    expect(matches(rule, sales)).toBe(true);
  });

  it('compares the hire date with system.now -minus a duration', () => {
    const rule = 'user.employeeHireDate -le system.now -minus P30D';
    expect(matches(rule, userWith({ employeeHireDate: NOW.minus({ days: 31 }).toISO() }))).toBe(true);
    expect(matches(rule, userWith({ employeeHireDate: NOW.minus({ days: 29 }).toISO() }))).toBe(false);
  });

  it('compares the hire date with system.now itself, and with -eq/-ne null', () => {
    expect(matches('user.employeeHireDate -le system.now', userWith({ employeeHireDate: '2024-12-01' }))).toBe(true);
    expect(matches('user.employeeHireDate -eq null', userWith({ employeeHireDate: 'not a date' }))).toBe(true);
    expect(matches('user.employeeHireDate -ne null', userWith({ employeeHireDate: '2024-12-01T00:00:00Z' }))).toBe(true);
  });

  it('treats a missing property as null: negated operators hold, positive ones do not', () => {
    const nobody = userWith({});
    expect(matches('user.jobTitle -notContains "x"', nobody)).toBe(true);
    expect(matches('user.jobTitle -contains "x"', nobody)).toBe(false);
    expect(matches('user.jobTitle -notMatch "x"', nobody)).toBe(true);
    expect(matches('user.jobTitle -notIn ["x"]', nobody)).toBe(true);
    expect(matches('user.accountEnabled -ne true', nobody)).toBe(true);
  });

  it('reads otherMails/proxyAddresses written directly: a negated operator holds when no item has the positive one', () => {
    expect(matches('user.otherMails -notContains "contoso"', userWith({ otherMails: ['a@fabrikam.com'] }))).toBe(true);
    expect(matches('user.otherMails -notContains "contoso"', userWith({ otherMails: ['a@fabrikam.com', 'a@contoso.com'] }))).toBe(false);
    expect(matches('user.otherMails -eq null', userWith({ otherMails: [] }))).toBe(true);
    expect(matches('user.otherMails -ne null', userWith({ otherMails: ['a@b.c'] }))).toBe(true);
  });

  it('reads the properties Graph names differently', () => {
    expect(matches('user.physicalDeliveryOfficeName -eq "B1"', userWith({ officeLocation: 'B1' }))).toBe(true);
    expect(matches('user.telephoneNumber -eq "+1 555"', userWith({ businessPhones: ['+1 555'] }))).toBe(true);
    expect(matches('user.mobile -eq "+1 556"', userWith({ mobilePhone: '+1 556' }))).toBe(true);
    expect(matches('user.facsimileTelephoneNumber -eq "+1 557"', userWith({ faxNumber: '+1 557' }))).toBe(true);
  });

  it('keeps the rule text and the shape of the tree', () => {
    const parsed = parseRule('user.city -eq "a" -or user.city -eq "b"');
    expect(parsed).toMatchObject({ kind: 'expression', text: 'user.city -eq "a" -or user.city -eq "b"', expression: { type: 'or', left: { type: 'text', operand: 'a', position: 0 }, right: { type: 'text', operand: 'b', position: 22 } } });
  });
});
