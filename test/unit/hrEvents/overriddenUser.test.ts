import { DateTime } from 'luxon';
import { activeOverrides, withChange, type AttributeValue } from '../../../shared/domain/hrEvents/attributeOverrides';
import { parseHrEvents } from '../../../shared/domain/hrEvents/hrEvent';
import { withOverriddenAttributes } from '../../../shared/domain/hrEvents/overriddenUser';
import { userAttribute } from '../../../shared/domain/rules/attributes';
import { WORKFLOW_RULES, type ScopedUser } from '../../../shared/operations/workflows/workflowScope';

const NOW = DateTime.fromISO('2026-12-07T12:00:00Z', { zone: 'utc' });
const ID = '9e8c1878-d546-4ac5-a48f-cff28cc334f4';

/** As the directory shows him: employed, in Finance, no leave date read. */
const ALLAN: ScopedUser = {
  id: ID,
  displayName: 'Allan Deyoung',
  userPrincipalName: 'AllanD@contoso.example',
  mail: 'AllanD@contoso.example',
  userType: 'Member',
  accountEnabled: true,
  department: 'Finance',
  jobTitle: 'Accountant',
  companyName: 'Contoso',
  employeeId: 'E1001',
  employeeType: 'Employee',
  officeLocation: '18/2111',
  city: 'Redmond',
  state: 'WA',
  country: 'US',
  usageLocation: 'US',
  employeeHireDate: '2020-03-02T09:00:00Z',
  onPremisesExtensionAttributes: { extensionAttribute1: 'cost-100', extensionAttribute2: 'badge-7' },
  otherMails: ['allan@personal.example'],
  proxyAddresses: [],
  creationType: null,
  externalUserState: null,
};

/** The user once an event with these attributes is recorded (names as the event gives them, kept in lower case). */
function afterEvent(attributes: Record<string, AttributeValue>, user: ScopedUser = ALLAN): ScopedUser {
  const stored = withChange(undefined, ID, { eventId: 'e1', occurredAt: NOW.minus({ minutes: 1 }).toISO()!, attributes }, NOW).next;
  return withOverriddenAttributes(user, activeOverrides(stored, user, NOW));
}

/** The one scope property the rule language spells otherwise; an HR event names it the rule language's way. */
const EVENT_NAMES: Readonly<Record<string, string>> = { officeLocation: 'physicalDeliveryOfficeName' };
const valueFor = (property: string): AttributeValue => {
  if (property === 'accountEnabled') return false;
  if (property === 'employeeHireDate') return '2027-01-04T09:00:00.000Z';
  if (property === 'userType') return 'Guest';
  return `HR ${property}`;
};

describe('a user as HR events describe them, for workflow scopes and triggers', () => {
  it('shows every scope property an event can set under its own name, whatever its case in the rule language', () => {
    const settable = WORKFLOW_RULES.changeableAttributes.filter((property) => userAttribute(EVENT_NAMES[property] ?? property));
    // The event is validated as the webhook does: its attributes are the rule language's properties.
    const [event] = parseHrEvents({ eventId: 'e1', eventType: 'mover', occurredAt: NOW.toISO(), employee: { userId: ID, attributes: Object.fromEntries(settable.map((p) => [EVENT_NAMES[p] ?? p, valueFor(p)])) } }, NOW);
    const user = afterEvent(event!.employee.attributes);

    const view: Record<string, unknown> = { ...user, ...user.onPremisesExtensionAttributes };
    expect(Object.fromEntries(settable.map((property) => [property, view[property]]))).toEqual(Object.fromEntries(settable.map((property) => [property, valueFor(property)])));
    // Only employeeType is none of the rule language's properties, so no event sets it.
    expect(WORKFLOW_RULES.changeableAttributes.filter((property) => !settable.includes(property))).toEqual(['employeeType']);
  });

  it("shows a leaver's disabled account and leave date, though the directory's read has no leave date", () => {
    const user = afterEvent({ accountEnabled: false, employeeLeaveDateTime: '2026-12-07T11:59:00.000Z' });

    expect(user).toMatchObject({ accountEnabled: false, employeeLeaveDateTime: '2026-12-07T11:59:00.000Z', department: 'Finance' });
  });

  it("puts an extension attribute among the user's others, not beside them", () => {
    const user = afterEvent({ extensionAttribute2: 'badge-9', extensionAttribute15: null });

    expect(user.onPremisesExtensionAttributes).toEqual({ extensionAttribute1: 'cost-100', extensionAttribute2: 'badge-9', extensionAttribute15: null });
    expect(user).not.toHaveProperty('extensionAttribute2');
  });

  it('leaves lists, the id and properties the user does not carry as they are', () => {
    const user = afterEvent({ otherMails: null, proxyAddresses: ['smtp:a@b.example'], objectId: 'someone-else', mobile: '+1 555 0100', department: 'Sales' });

    expect(user).toEqual({ ...ALLAN, department: 'Sales' });
  });

  it('answers the user itself when no override counts', () => {
    expect(withOverriddenAttributes(ALLAN, new Map())).toBe(ALLAN);
  });
});
