import { EXTENSION_ATTRIBUTE_NAMES, propertyKind, USER_TYPE, type ExtensionAttributes } from './entityTypes';
import type { FixtureUser } from './fixture';
import { badRequest } from './graphErrors';
import { toGraphDateTime } from './ids';

/** A user's Graph properties; relationships (manager, sponsors) are kept beside them. */
export interface UserProperties {
  id: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  userPrincipalName: string;
  mail: string | null;
  otherMails: string[];
  proxyAddresses: string[];
  userType: string | null;
  accountEnabled: boolean;
  businessPhones: string[];
  mobilePhone: string | null;
  preferredLanguage: string | null;
  jobTitle: string | null;
  department: string | null;
  companyName: string | null;
  employeeId: string | null;
  employeeType: string | null;
  officeLocation: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  usageLocation: string | null;
  employeeHireDate: string | null;
  employeeLeaveDateTime: string | null;
  onPremisesExtensionAttributes: ExtensionAttributes;
  creationType: string | null;
  externalUserState: string | null;
  createdDateTime: string;
  /** Served only when `$select` names it, as Graph does; null when no sign-in is recorded. */
  signInActivity: { lastSignInDateTime: string | null } | null;
}

/** Set by the directory, not by PATCH. */
const READ_ONLY = new Set(['id', 'createdDateTime', 'creationType', 'externalUserState', 'proxyAddresses', 'signInActivity']);
const REQUIRED_STRINGS = new Set(['displayName', 'userPrincipalName']);
const NAVIGATION = new Set(['manager', 'manager@odata.bind', 'sponsors', 'sponsors@odata.bind']);

export function extensionAttributes(values: Partial<ExtensionAttributes> = {}): ExtensionAttributes {
  return Object.fromEntries(EXTENSION_ATTRIBUTE_NAMES.map((name) => [name, values[name] ?? null]));
}

export function userFromFixture(user: FixtureUser, createdDateTime: string): UserProperties {
  const mail = user.mail ?? null;
  return {
    id: user.id.toLowerCase(),
    displayName: user.displayName,
    givenName: user.givenName ?? null,
    surname: user.surname ?? null,
    userPrincipalName: user.userPrincipalName,
    mail,
    otherMails: user.otherMails ?? [],
    proxyAddresses: user.proxyAddresses ?? (mail ? [`SMTP:${mail}`] : []),
    userType: user.userType ?? 'Member',
    accountEnabled: user.accountEnabled ?? true,
    businessPhones: user.businessPhones ?? [],
    mobilePhone: user.mobilePhone ?? null,
    preferredLanguage: user.preferredLanguage ?? null,
    jobTitle: user.jobTitle ?? null,
    department: user.department ?? null,
    companyName: user.companyName ?? null,
    employeeId: user.employeeId ?? null,
    employeeType: user.employeeType ?? null,
    officeLocation: user.officeLocation ?? null,
    city: user.city ?? null,
    state: user.state ?? null,
    country: user.country ?? null,
    usageLocation: user.usageLocation ?? null,
    employeeHireDate: user.employeeHireDate ? (toGraphDateTime(user.employeeHireDate) ?? null) : null,
    employeeLeaveDateTime: user.employeeLeaveDateTime ? (toGraphDateTime(user.employeeLeaveDateTime) ?? null) : null,
    onPremisesExtensionAttributes: extensionAttributes(user.onPremisesExtensionAttributes),
    creationType: user.creationType ?? null,
    externalUserState: user.externalUserState ?? null,
    createdDateTime: user.createdDateTime ? (toGraphDateTime(user.createdDateTime) ?? createdDateTime) : createdDateTime,
    signInActivity: user.signInActivity ? { lastSignInDateTime: user.signInActivity.lastSignInDateTime ? (toGraphDateTime(user.signInActivity.lastSignInDateTime) ?? null) : null } : null,
  };
}

/**
 * The changes a PATCH body asks for, checked against the user type. Extension attributes merge into the current
 * ones, as Graph does. `userPrincipalNameTaken` says whether another user already has a name.
 */
export function parseUserPatch(
  body: Record<string, unknown>,
  current: UserProperties,
  userPrincipalNameTaken: (name: string) => boolean,
): Partial<UserProperties> {
  const changes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    if (NAVIGATION.has(name)) {
      throw badRequest(`Property '${name}' cannot be set with PATCH; use PUT /users/{id}/manager/$ref to change a manager.`);
    }
    const kind = propertyKind(USER_TYPE, name);
    if (kind === undefined) throw badRequest(`Property '${name}' does not exist as a declared property or extension property.`);
    if (READ_ONLY.has(name)) throw badRequest(`Property '${name}' is read-only and cannot be set.`);
    const invalid = () => badRequest(`Invalid value specified for property '${name}' of resource 'User'.`);
    switch (kind) {
      case 'string':
        if (value !== null && typeof value !== 'string') throw invalid();
        if (REQUIRED_STRINGS.has(name) && (typeof value !== 'string' || value.trim() === '')) throw invalid();
        changes[name] = value;
        break;
      case 'boolean':
        if (typeof value !== 'boolean') throw invalid();
        changes[name] = value;
        break;
      case 'dateTime': {
        if (value === null) changes[name] = null;
        else if (typeof value === 'string' && toGraphDateTime(value)) changes[name] = toGraphDateTime(value);
        else throw badRequest(`Cannot convert the literal '${String(value)}' to the expected type 'Edm.DateTimeOffset'.`);
        break;
      }
      case 'stringCollection':
        if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw invalid();
        changes[name] = [...value];
        break;
      case 'extensionAttributes':
        changes[name] = mergeExtensionAttributes(current.onPremisesExtensionAttributes, value, invalid);
        break;
      case 'complex':
        throw invalid();
    }
  }
  if (typeof changes.userType === 'string' && changes.userType !== 'Member' && changes.userType !== 'Guest') {
    throw badRequest(`Invalid value specified for property 'userType' of resource 'User'.`);
  }
  const upn = changes.userPrincipalName;
  if (typeof upn === 'string') {
    if (!/^[^@\s]+@[^@\s]+$/.test(upn)) throw badRequest(`Invalid value specified for property 'userPrincipalName' of resource 'User'.`);
    if (upn.toLowerCase() !== current.userPrincipalName.toLowerCase() && userPrincipalNameTaken(upn)) {
      throw badRequest('Another object with the same value for property userPrincipalName already exists.');
    }
  }
  return changes as Partial<UserProperties>;
}

function mergeExtensionAttributes(current: ExtensionAttributes, value: unknown, invalid: () => Error): ExtensionAttributes {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  const merged = { ...current };
  for (const [name, attribute] of Object.entries(value)) {
    if (!EXTENSION_ATTRIBUTE_NAMES.includes(name)) {
      throw badRequest(`Property '${name}' does not exist on type 'microsoft.graph.onPremisesExtensionAttributes'.`);
    }
    if (attribute !== null && typeof attribute !== 'string') throw invalid();
    merged[name] = attribute;
  }
  return merged;
}
