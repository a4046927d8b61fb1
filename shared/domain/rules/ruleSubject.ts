import type { DateTime } from 'luxon';
import type { DirectoryUser } from '../directoryUser';

/** One item of `user.assignedPlans`, as the rule language reads it. */
export interface AssignedPlan {
  capabilityStatus: string | null;
  service: string | null;
  servicePlanId: string | null;
}

/** The DirectoryUser properties a rule reads under the same name (objectId is `id`, physicalDeliveryOfficeName is `officeLocation`). */
type DirectoryProperties = Pick<
  DirectoryUser,
  | 'displayName'
  | 'userPrincipalName'
  | 'mail'
  | 'userType'
  | 'accountEnabled'
  | 'department'
  | 'jobTitle'
  | 'companyName'
  | 'employeeId'
  | 'officeLocation'
  | 'city'
  | 'state'
  | 'country'
  | 'usageLocation'
  | 'employeeHireDate'
  | 'onPremisesExtensionAttributes'
  | 'otherMails'
  | 'proxyAddresses'
  | 'managerId'
>;

/**
 * The user a rule is evaluated against: plain data, so evaluation is a pure function of the user and the time.
 * A DirectoryUser is one. Absent and null properties are both "null" to the rule. Properties the directory port
 * does not read yet are named as Graph names them (onPremisesSyncEnabled is the rule's dirSyncEnabled,
 * faxNumber its facsimileTelephoneNumber, mobilePhone its mobile, businessPhones[0] its telephoneNumber).
 *
 * Facts that need another directory call are data here too, rather than callbacks: `memberOfGroupIds` (the user's
 * direct group memberships, lower-case ids; only the groups `groupsReferenced(rule)` names need be present) and
 * `managerId` (for `Direct Reports for`). Evaluating a rule that needs one of them without it is a programming
 * error and throws, because guessing "not a member" would remove access.
 */
export interface RuleSubject extends Partial<DirectoryProperties> {
  id: string;
  onPremisesSyncEnabled?: boolean | null;
  faxNumber?: string | null;
  givenName?: string | null;
  mobilePhone?: string | null;
  postalCode?: string | null;
  sipProxyAddress?: string | null;
  streetAddress?: string | null;
  surname?: string | null;
  businessPhones?: readonly string[];
  mailNickname?: string | null;
  onPremisesDistinguishedName?: string | null;
  onPremisesSecurityIdentifier?: string | null;
  passwordPolicies?: string | null;
  preferredLanguage?: string | null;
  assignedPlans?: readonly AssignedPlan[];
  /** Custom directory extension properties by full name, `extension_<appId>_<name>`. */
  extensionProperties?: Readonly<Record<string, unknown>>;
  memberOfGroupIds?: ReadonlySet<string>;
  /**
   * Values that take precedence over the directory's, by the rule's property name in lower case
   * (`department`, `physicaldeliveryofficename`, `extensionattribute3`): an HR event's attributes until the
   * directory shows them (shared/domain/hrEvents/attributeOverrides.ts).
   */
  attributeOverrides?: ReadonlyMap<string, unknown>;
}

/** What evaluation needs besides the user: the time that `system.now` stands for. */
export interface RuleContext {
  now: DateTime;
}
