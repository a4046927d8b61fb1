import type { DirectoryUser } from '../../../shared/directory/directoryPort';
import { compileRule, groupsReferenced, parseRule, propertiesRead, readsTheTime } from '../../../shared/domain/rules';
import { MANAGER_ID, NOW, userWith } from './ruleTestKit';

const SALES_GROUP = '1623F912-5E86-41C2-AF47-39DD67582B66';
const FINANCE_GROUP = 'e93e24d1-4fb8-4a84-a3bb-2ff2e9d2e8c6';
const GROUPS_RULE = `user.memberOf -any (group.objectId -in ['${SALES_GROUP}', '${FINANCE_GROUP}', '${SALES_GROUP.toLowerCase()}'])`;

describe('what a rule needs from the directory', () => {
  it('names the groups of a memberOf rule once each, in lower case', () => {
    expect(groupsReferenced(parseRule(GROUPS_RULE))).toEqual([SALES_GROUP.toLowerCase(), FINANCE_GROUP]);
  });

  it('names the groups also when the rule is parenthesized or the predicate is not', () => {
    expect(groupsReferenced(parseRule(`(user.memberof -any group.objectId -in ['${FINANCE_GROUP}'])`))).toEqual([FINANCE_GROUP]);
  });

  it('names no groups and no manager for an attribute rule', () => {
    const rule = parseRule('user.department -eq "Sales"');
    expect(groupsReferenced(rule)).toEqual([]);
    expect(propertiesRead(rule)).not.toContain('manager');
  });

  it('names the manager of a Direct Reports rule, written in any case', () => {
    const rule = parseRule(`direct reports FOR "${MANAGER_ID.toUpperCase()}"`);
    expect(rule).toMatchObject({ kind: 'directReports', managerId: MANAGER_ID });
    expect(propertiesRead(rule)).toEqual(['manager']);
    expect(groupsReferenced(rule)).toEqual([]);
  });

  it('works on a compiled rule too', () => {
    expect(groupsReferenced(compileRule(GROUPS_RULE))).toHaveLength(2);
  });

  it.each([
    ['user.employeeHireDate -ge system.now -minus P60D', true],
    ['(user.department -eq "Sales") -and -not (user.employeeHireDate -le system.now -plus P1D)', true],
    ['user.otherMails -any (_ -eq "a@contoso.com") -or (user.employeeHireDate -ge system.now)', true],
    ['user.employeeHireDate -ge "2020-06-10T18:13:20Z"', false],
    ['user.employeeHireDate -eq null', false],
    ['user.department -eq "Sales"', false],
    [GROUPS_RULE, false],
    [`Direct Reports for "${MANAGER_ID}"`, false],
  ])('says whether %s compares with system.now (%s)', (rule, reads) => {
    expect(readsTheTime(parseRule(rule))).toBe(reads);
  });

  it.each([
    ['user.department -eq "Sales"', ['department']],
    ['(user.physicalDeliveryOfficeName -eq "B1") -or (user.telephoneNumber -startsWith "+33") -or (user.objectId -ne null)', ['officeLocation', 'businessPhones', 'id']],
    ['(user.extensionAttribute3 -eq "x") -and (user.extensionAttribute7 -ne "y") -and -not (user.mobile -eq null)', ['onPremisesExtensionAttributes', 'mobilePhone']],
    ['user.otherMails -any (_ -endsWith "@contoso.com")', ['otherMails']],
    ['user.assignedPlans -any (assignedPlan.capabilityStatus -eq "Enabled")', ['assignedPlans']],
    ['user.extension_c272a57b722d4eb29bfe327874ae79cb_OfficeNumber -eq "123"', ['extension_c272a57b722d4eb29bfe327874ae79cb_OfficeNumber']],
    ['(user.dirSyncEnabled -eq true) -and (user.employeeHireDate -ge system.now -minus P1D) -and (user.department -ne "IT") -and (user.department -ne "HR")', ['onPremisesSyncEnabled', 'employeeHireDate', 'department']],
    [GROUPS_RULE, []],
    [`Direct Reports for "${MANAGER_ID}"`, ['manager']],
  ])('says which directory properties %s reads', (rule, properties) => {
    expect(propertiesRead(parseRule(rule))).toEqual(properties);
  });
});

describe('evaluating rules that need directory facts', () => {
  it('admits a direct member of any named group', () => {
    const rule = compileRule(GROUPS_RULE);
    expect(rule.matches(userWith({ memberOfGroupIds: new Set([FINANCE_GROUP]) }), { now: NOW })).toBe(true);
    expect(rule.matches(userWith({ memberOfGroupIds: new Set(['00000000-0000-0000-0000-000000000000']) }), { now: NOW })).toBe(false);
  });

  it('throws a programming error, not a rule error, when memberships were not gathered', () => {
    const rule = compileRule(GROUPS_RULE);
    expect(() => rule.matches({ id: 'u1' }, { now: NOW })).toThrow('memberOfGroupIds');
  });

  it('throws a programming error when a Direct Reports rule meets a user without managerId', () => {
    const rule = compileRule(`Direct Reports for "${MANAGER_ID}"`);
    expect(() => rule.matches({ id: 'u1' }, { now: NOW })).toThrow('managerId');
  });
});

describe('a directory user as the subject', () => {
  const directoryUser: DirectoryUser = {
    id: '7deff43e-1f17-44ef-9e5f-d516b0ba11d4',
    displayName: 'Ana Lima',
    userPrincipalName: 'ana@contoso.com',
    mail: 'ana@contoso.com',
    userType: 'Member',
    accountEnabled: true,
    department: 'Sales',
    jobTitle: 'Account Manager',
    companyName: 'Contoso',
    employeeId: 'E100',
    employeeType: 'Employee',
    officeLocation: 'Lagos 2',
    city: 'Lagos',
    state: null,
    country: 'NG',
    usageLocation: 'NG',
    employeeHireDate: '2024-03-01T00:00:00Z',
    onPremisesExtensionAttributes: { extensionAttribute3: 'EMEA' },
    otherMails: [],
    proxyAddresses: ['SMTP:ana@contoso.com'],
    creationType: null,
    externalUserState: null,
    managerId: MANAGER_ID,
  };

  it('is evaluated as it comes from the directory port', () => {
    const rule = compileRule('user.extensionAttribute3 -eq "emea" -and user.proxyAddresses -any (_ -startsWith "smtp:") -and user.employeeHireDate -le system.now');
    expect(rule.matches(directoryUser, { now: NOW })).toBe(true);
    expect(compileRule(`Direct Reports for "${MANAGER_ID}"`).matches(directoryUser, { now: NOW })).toBe(true);
  });
});
