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
  /** The directory user property it reads, as Graph names it; absent for groups and for a collection's items. */
  property?: string;
}

const user =
  (read: (subject: RuleSubject) => unknown) =>
  (source: unknown): unknown =>
    read(source as RuleSubject);

/**
 * The reference's §3 tables, spelled as there, with the directory property each reads (Graph's name; memberOf reads
 * groups, not the user). Names match without regard to case (its own examples vary).
 */
const USER_PROPERTIES: ReadonlyArray<[string, AttributeType, string | undefined, (source: unknown) => unknown]> = [
  ['accountEnabled', 'boolean', 'accountEnabled', user((s) => s.accountEnabled)],
  ['dirSyncEnabled', 'boolean', 'onPremisesSyncEnabled', user((s) => s.onPremisesSyncEnabled)],
  ['employeeHireDate', 'dateTime', 'employeeHireDate', user((s) => s.employeeHireDate)],
  ['city', 'string', 'city', user((s) => s.city)],
  ['country', 'string', 'country', user((s) => s.country)],
  ['companyName', 'string', 'companyName', user((s) => s.companyName)],
  ['department', 'string', 'department', user((s) => s.department)],
  ['facsimileTelephoneNumber', 'string', 'faxNumber', user((s) => s.faxNumber)],
  ['givenName', 'string', 'givenName', user((s) => s.givenName)],
  ['jobTitle', 'string', 'jobTitle', user((s) => s.jobTitle)],
  ['mobile', 'string', 'mobilePhone', user((s) => s.mobilePhone)],
  ['physicalDeliveryOfficeName', 'string', 'officeLocation', user((s) => s.officeLocation)],
  ['postalCode', 'string', 'postalCode', user((s) => s.postalCode)],
  ['sipProxyAddress', 'string', 'sipProxyAddress', user((s) => s.sipProxyAddress)],
  ['state', 'string', 'state', user((s) => s.state)],
  ['streetAddress', 'string', 'streetAddress', user((s) => s.streetAddress)],
  ['surname', 'string', 'surname', user((s) => s.surname)],
  ['telephoneNumber', 'string', 'businessPhones', user((s) => s.businessPhones?.[0])],
  ['displayName', 'string', 'displayName', user((s) => s.displayName)],
  ['employeeId', 'string', 'employeeId', user((s) => s.employeeId)],
  ['userPrincipalName', 'string', 'userPrincipalName', user((s) => s.userPrincipalName)],
  ['mailNickName', 'string', 'mailNickname', user((s) => s.mailNickname)],
  ['mail', 'string', 'mail', user((s) => s.mail)],
  ['objectId', 'string', 'id', user((s) => s.id)],
  ['onPremisesDistinguishedName', 'string', 'onPremisesDistinguishedName', user((s) => s.onPremisesDistinguishedName)],
  ['onPremisesSecurityIdentifier', 'string', 'onPremisesSecurityIdentifier', user((s) => s.onPremisesSecurityIdentifier)],
  ['passwordPolicies', 'string', 'passwordPolicies', user((s) => s.passwordPolicies)],
  ['preferredLanguage', 'string', 'preferredLanguage', user((s) => s.preferredLanguage)],
  ['usageLocation', 'string', 'usageLocation', user((s) => s.usageLocation)],
  ['userType', 'string', 'userType', user((s) => s.userType)],
  ['otherMails', 'stringCollection', 'otherMails', user((s) => s.otherMails)],
  ['proxyAddresses', 'stringCollection', 'proxyAddresses', user((s) => s.proxyAddresses)],
  ['assignedPlans', 'planCollection', 'assignedPlans', user((s) => s.assignedPlans)],
  ['memberOf', 'memberOf', undefined, user((s) => s.memberOfGroupIds)],
];

/**
 * A user property as rules read it: the subject's override of it (an HR event's value, keyed by the lower-case
 * name) when there is one, else what the directory holds. Every user property reads through this, so an override
 * counts wherever a rule is evaluated.
 */
const overridable =
  (lowerName: string, read: (source: unknown) => unknown) =>
  (source: unknown): unknown => {
    const overrides = (source as RuleSubject).attributeOverrides;
    return overrides?.has(lowerName) ? overrides.get(lowerName) : read(source);
  };

const BY_LOWER_NAME = new Map(
  USER_PROPERTIES.map(([name, type, property, read]) => [name.toLowerCase(), { name: `user.${name}`, type, read: type === 'memberOf' ? read : overridable(name.toLowerCase(), read), property }]),
);

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
    return { name: `user.${key}`, type: 'string', read: overridable(key.toLowerCase(), user((s) => s.onPremisesExtensionAttributes?.[key])), property: 'onPremisesExtensionAttributes' };
  }
  if (EXTENSION_PROPERTY.test(name)) {
    return { name: `user.${name}`, type: 'string', read: overridable(name.toLowerCase(), user((s) => extensionProperty(s, name))), property: name };
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
