import type { RuleSubject } from './ruleSubject';

/**
 * What a property holds, which decides the operators and values it accepts. `memberOf` is a collection of its
 * own because the reference allows exactly one form on it.
 */
export type AttributeType = 'string' | 'boolean' | 'dateTime' | 'stringCollection' | 'planCollection' | 'memberOf';

/**
 * A property a rule may read: `read` takes the user (or, inside -any/-all, the item) and returns whatever is
 * there; evaluation turns that into text, a flag or a list and treats anything else as null.
 */
export interface Attribute {
  /** As the reference spells it, for messages: `user.department`, `_`, `assignedPlan.service`. */
  name: string;
  type: AttributeType;
  read(source: unknown): unknown;
}

const user =
  (read: (subject: RuleSubject) => unknown) =>
  (source: unknown): unknown =>
    read(source as RuleSubject);

/** The reference's §3 tables, spelled as there. Names match without regard to case (its own examples vary). */
const USER_PROPERTIES: ReadonlyArray<[string, AttributeType, (source: unknown) => unknown]> = [
  ['accountEnabled', 'boolean', user((s) => s.accountEnabled)],
  ['dirSyncEnabled', 'boolean', user((s) => s.onPremisesSyncEnabled)],
  ['employeeHireDate', 'dateTime', user((s) => s.employeeHireDate)],
  ['city', 'string', user((s) => s.city)],
  ['country', 'string', user((s) => s.country)],
  ['companyName', 'string', user((s) => s.companyName)],
  ['department', 'string', user((s) => s.department)],
  ['facsimileTelephoneNumber', 'string', user((s) => s.faxNumber)],
  ['givenName', 'string', user((s) => s.givenName)],
  ['jobTitle', 'string', user((s) => s.jobTitle)],
  ['mobile', 'string', user((s) => s.mobilePhone)],
  ['physicalDeliveryOfficeName', 'string', user((s) => s.officeLocation)],
  ['postalCode', 'string', user((s) => s.postalCode)],
  ['sipProxyAddress', 'string', user((s) => s.sipProxyAddress)],
  ['state', 'string', user((s) => s.state)],
  ['streetAddress', 'string', user((s) => s.streetAddress)],
  ['surname', 'string', user((s) => s.surname)],
  ['telephoneNumber', 'string', user((s) => s.businessPhones?.[0])],
  ['displayName', 'string', user((s) => s.displayName)],
  ['employeeId', 'string', user((s) => s.employeeId)],
  ['userPrincipalName', 'string', user((s) => s.userPrincipalName)],
  ['mailNickName', 'string', user((s) => s.mailNickname)],
  ['mail', 'string', user((s) => s.mail)],
  ['objectId', 'string', user((s) => s.id)],
  ['onPremisesDistinguishedName', 'string', user((s) => s.onPremisesDistinguishedName)],
  ['onPremisesSecurityIdentifier', 'string', user((s) => s.onPremisesSecurityIdentifier)],
  ['passwordPolicies', 'string', user((s) => s.passwordPolicies)],
  ['preferredLanguage', 'string', user((s) => s.preferredLanguage)],
  ['usageLocation', 'string', user((s) => s.usageLocation)],
  ['userType', 'string', user((s) => s.userType)],
  ['otherMails', 'stringCollection', user((s) => s.otherMails)],
  ['proxyAddresses', 'stringCollection', user((s) => s.proxyAddresses)],
  ['assignedPlans', 'planCollection', user((s) => s.assignedPlans)],
  ['memberOf', 'memberOf', user((s) => s.memberOfGroupIds)],
];

const BY_LOWER_NAME = new Map(USER_PROPERTIES.map(([name, type, read]) => [name.toLowerCase(), { name: `user.${name}`, type, read }]));

const EXTENSION_ATTRIBUTE = /^extensionattribute([1-9]|1[0-5])$/i;
/** `[GUID]` is the creating application's id without hyphens (32 characters of 0-9 and A-Z per the reference). */
const EXTENSION_PROPERTY = /^extension_[0-9a-z]{32}_[a-z0-9_]+$/i;

/** The user property `user.<name>` names, or undefined when the reference does not list it. */
export function userAttribute(name: string): Attribute | undefined {
  const listed = BY_LOWER_NAME.get(name.toLowerCase());
  if (listed) return listed;
  const extensionAttribute = EXTENSION_ATTRIBUTE.exec(name);
  if (extensionAttribute) {
    const key = `extensionAttribute${extensionAttribute[1]}`;
    return { name: `user.${key}`, type: 'string', read: user((s) => s.onPremisesExtensionAttributes?.[key]) };
  }
  if (EXTENSION_PROPERTY.test(name)) {
    return { name: `user.${name}`, type: 'string', read: user((s) => extensionProperty(s, name)) };
  }
  return undefined;
}

/** By its exact name first; directory extension names are case-insensitive, so then by any case. */
function extensionProperty(subject: RuleSubject, name: string): unknown {
  const properties = subject.extensionProperties;
  if (!properties) return undefined;
  if (Object.hasOwn(properties, name)) return properties[name];
  const lower = name.toLowerCase();
  const key = Object.keys(properties).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : properties[key];
}

/** `_`: the current item of a string collection inside -any/-all. */
export const CURRENT_ITEM: Attribute = { name: '_', type: 'string', read: (item) => item };

const PLAN_FIELDS = ['capabilityStatus', 'service', 'servicePlanId'] as const;

/** `assignedPlan.<field>` inside `user.assignedPlans -any/-all`, or undefined for another field. */
export function assignedPlanAttribute(field: string): Attribute | undefined {
  const known = PLAN_FIELDS.find((candidate) => candidate.toLowerCase() === field.toLowerCase());
  if (!known) return undefined;
  return { name: `assignedPlan.${known}`, type: 'string', read: (item) => (typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[known] : undefined) };
}
