/**
 * The user properties a DirectoryUser carries, as Graph names them: what every directory adapter reads, and so all
 * that rules, approvals and external-user handling can see of a user.
 */
export const DIRECTORY_USER_PROPERTIES = [
  'id',
  'displayName',
  'userPrincipalName',
  'mail',
  'userType',
  'accountEnabled',
  'department',
  'jobTitle',
  'companyName',
  'employeeId',
  'employeeType',
  'officeLocation',
  'city',
  'state',
  'country',
  'usageLocation',
  'employeeHireDate',
  'employeeLeaveDateTime',
  'createdDateTime',
  'onPremisesExtensionAttributes',
  'otherMails',
  'proxyAddresses',
  'creationType',
  'externalUserState',
] as const;

/** Whether the directory port reads a user property (Graph's name), the manager included. */
export const isReadFromDirectory = (property: string): boolean =>
  property === 'manager' || (DIRECTORY_USER_PROPERTIES as readonly string[]).includes(property);

/** A user as the directory has them: what rules, approvals and external-user handling read. */
export interface DirectoryUser {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
  userType: 'Member' | 'Guest' | null;
  accountEnabled: boolean | null;
  department: string | null;
  jobTitle: string | null;
  companyName: string | null;
  employeeId: string | null;
  employeeType: string | null;
  officeLocation: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  usageLocation: string | null;
  employeeHireDate: string | null;
  /** When the user leaves and when the account was made: what lifecycle workflows' time triggers count from. */
  employeeLeaveDateTime?: string | null;
  createdDateTime?: string | null;
  onPremisesExtensionAttributes: Record<string, string | null>;
  otherMails: string[];
  proxyAddresses: string[];
  creationType: string | null;
  externalUserState: string | null;
  /** The manager's object id, when the user has one. */
  managerId: string | null;
}
