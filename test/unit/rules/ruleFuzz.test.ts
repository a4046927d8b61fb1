import { compileRule, isRuleError, type RuleSubject } from '../../../shared/domain/rules';
import { seededRandom } from '../../../tools/graph-emulator/seededRandom';
import { MANAGER_ID, NOW } from './ruleTestKit';

/** Seeded, so a failure here reproduces. */
const random = seededRandom(20250115);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const integer = (below: number) => Math.floor(random() * below);

const LONG = `${'a'.repeat(5000)}!`;

const SEEDS = [
  'user.department -eq "Sales"',
  '(user.department -eq "Sales") -or (user.department -eq "Marketing")',
  '(user.department -eq "Sales") -and -not (user.jobTitle -startsWith "SDE")',
  'user.country –eq "US" –and (user.department –eq "Marketing" –or user.department –eq "Sales")',
  'user.employeehiredate -ge system.now -plus p1d',
  'user.employeehiredate -le 2020-06-10T18:13:20Z',
  'user.displayName -match "^Da.*"',
  'user.department -in ["50001","50002","50003"]',
  '(user.proxyAddresses -any (_ -startsWith "smtp:"))',
  'user.otherMails -startsWith "alias@domain"',
  'user.assignedPlans -all (assignedPlan.service -ne "SCO" -or assignedPlan.capabilityStatus -ne "Enabled")',
  `Direct Reports for "${MANAGER_ID}"`,
  "user.memberof -any (group.objectId -in ['groupId'])",
  '(user.extensionAttribute15 -eq "Marketing")',
  'user.extension_c272a57b722d4eb29bfe327874ae79cb_OfficeNumber -eq "123"',
  'user.mail –ne null',
  'user.city -notin ["Lagos", "Ibadan"]',
  "user.displayName -startsWith 'O''Brien'",
  '(user.accountEnabled -contains true)',
  '(user.userPrincipalName -match "*@domain.ext")',
];

const FRAGMENTS = [
  '(', ')', '[', ']', ',', '"', "'", '`"', '\\"', "''", ' ', '-and ', ' -or ', '-not ', 'not ', ' and ', '_', 'user.', 'user.city',
  'user.otherMails', 'user.assignedPlans', 'user.memberOf', 'assignedPlan.service', 'group.objectId', '-any', '-all', '-eq',
  '-ne', '-in', '-notIn', '-match', '-le', '-ge', '–eq', 'eq', 'system.now', '-plus', '-minus', 'p1d', 'P', 'null', 'true',
  '2020-06-10', '12345', '"x"', '$', '^', '*', '+', '?', '{2}', '{99999}', '\\1', '(?=', '\u0000', '\u2028', 'é', '💥', 'Direct',
];

const PATHOLOGICAL_PATTERNS = [
  '(a+)+$', '(a|a)*b', '(a|aa)+$', '(.*)*x', '(a*)*$', '^(\\w+\\s?)*$', '(x+x+)+y', '([a-z]+)*[0-9]', '(a{1,1000}){1,1000}',
  '.*.*.*.*.*.*.*.*.*.*!x', '((((((((((a*)*)*)*)*)*)*)*)*)*)*$', '(a|b|ab|ba)*c', '(?:a?){30}a{30}',
];

function mutate(rule: string): string {
  const at = integer(rule.length + 1);
  const span = integer(12);
  switch (integer(6)) {
    case 0:
      return rule.slice(0, at) + rule.slice(at + span);
    case 1:
      return rule.slice(0, at) + pick(FRAGMENTS) + rule.slice(at);
    case 2:
      return rule.slice(0, at) + pick(FRAGMENTS) + rule.slice(at + span);
    case 3:
      return `${rule} ${pick(['-and', '-or', 'and', ''])} ${pick(SEEDS)}`;
    case 4:
      return rule.slice(0, at);
    default:
      return `${'('.repeat(span)}${rule}${')'.repeat(integer(14))}`;
  }
}

function randomPattern(): string {
  const alphabet = ['a', 'b', '.', '*', '+', '?', '|', '(', ')', '[', ']', '^', '$', '\\', 'd', 'w', '{', '}', '1', ',', '-', '(?:'];
  return Array.from({ length: 1 + integer(30) }, () => pick(alphabet)).join('');
}

function randomRule(): string {
  switch (integer(5)) {
    case 0:
      return `user.displayName ${pick(['-match', '-notMatch'])} "${pick(PATHOLOGICAL_PATTERNS)}"`;
    case 1:
      return `user.${pick(['displayName', 'mail', 'city'])} -match "${randomPattern()}"`;
    case 2:
      return Array.from({ length: 1 + integer(8) }, () => pick(FRAGMENTS)).join(' ');
    case 3:
      return Array.from({ length: 1 + integer(200) }, () => pick(SEEDS)).join(pick([' -or ', ' -and ', ' ']));
    default: {
      let rule = pick(SEEDS);
      for (let round = integer(4); round >= 0; round -= 1) rule = mutate(rule);
      return rule;
    }
  }
}

function randomUser(): RuleSubject {
  const text = () => pick([null, undefined, '', 'Sales', 'David', 'Lagos', LONG, 'a@contoso.com', '💥é', '\n']);
  return {
    id: pick([MANAGER_ID, 'd9c1f0a3-5e0b-4c59-9d7a-2f1f7c7f3c10']),
    managerId: pick([MANAGER_ID, null]),
    memberOfGroupIds: new Set(pick([[], ['groupid']])),
    displayName: text(),
    mail: text(),
    city: text(),
    department: text(),
    jobTitle: text(),
    userPrincipalName: text(),
    accountEnabled: pick([true, false, null]),
    employeeHireDate: pick([null, '2020-06-10T18:13:20Z', 'garbage', '2025-01-20']),
    otherMails: pick([[], ['alias@domain.com', LONG]]),
    proxyAddresses: pick([[], ['SMTP:a@contoso.com', LONG]]),
    assignedPlans: pick([[], [{ service: 'SCO', servicePlanId: null, capabilityStatus: 'Enabled' }]]),
    onPremisesExtensionAttributes: { extensionAttribute15: text() ?? null },
    extensionProperties: pick([{}, { extension_c272a57b722d4eb29bfe327874ae79cb_OfficeNumber: pick([123, '123', [1], { a: 1 }, null]) }]),
  };
}

const cpuMillis = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

describe('fuzzing the rule language', () => {
  it('throws nothing but RuleError on 5,000 random and mutated rules, and each parse and evaluation is quick', () => {
    const unexpected: Array<{ rule: string; error: unknown }> = [];
    let accepted = 0;
    let slowest = { rule: '', millis: 0 };
    // CPU time of this process, not wall time: the suite shares the machine with others, and waiting is not slowness.
    const started = cpuMillis();
    for (let round = 0; round < 5000; round += 1) {
      const rule = randomRule();
      const caseStarted = cpuMillis();
      try {
        const compiled = compileRule(rule);
        accepted += 1;
        for (let user = 0; user < 3; user += 1) compiled.matches(randomUser(), { now: NOW });
      } catch (error) {
        if (!isRuleError(error)) unexpected.push({ rule, error });
      }
      const millis = cpuMillis() - caseStarted;
      if (millis > slowest.millis) slowest = { rule, millis };
    }
    const total = cpuMillis() - started;

    expect(unexpected.slice(0, 5)).toEqual([]);
    expect(accepted).toBeGreaterThan(500);
    expect(slowest.millis).toBeLessThan(1000);
    expect(total).toBeLessThan(10000);
  });
});
