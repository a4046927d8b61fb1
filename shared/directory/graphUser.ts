import { DIRECTORY_USER_PROPERTIES, type ChangedUser, type DirectoryUser } from './directoryPort';

export const USER_SELECT = DIRECTORY_USER_PROPERTIES.join(',');

/**
 * The `$select` of a users delta, which is what it tracks: a change to a property not selected does not report the
 * user. Without `tracking`, every property Portcullis reads, and the manager.
 */
export function deltaSelect(tracking?: readonly string[]): string {
  if (!tracking) return `${USER_SELECT},manager`;
  const tracked = DIRECTORY_USER_PROPERTIES.filter((property) => property === 'id' || tracking.includes(property));
  return [...tracked, ...(tracking.includes('manager') ? ['manager'] : [])].join(',');
}

type UserProperty = (typeof DIRECTORY_USER_PROPERTIES)[number];

/** A user as Graph sends it: the selected properties, with the manager expanded or, in a delta, `manager@delta`. */
export type GraphUser = Partial<Record<UserProperty, unknown>> & {
  id: string;
  manager?: { id?: string } | null;
  'manager@delta'?: Array<{ id?: string; '@removed'?: unknown }>;
};

/** A user read with `$expand=manager`, where no manager means the user has none. */
export function toDirectoryUser(user: GraphUser): DirectoryUser {
  return { ...userAttributes(user), managerId: user.manager?.id ?? null };
}

/**
 * A user from a delta. Graph sends `manager@delta` only when the manager changed, so without it the manager is not
 * reported; a removed manager comes as an entry marked `@removed`, and the user then has none.
 */
export function toChangedUser(user: GraphUser): ChangedUser {
  const attributes = userAttributes(user);
  const managers = user['manager@delta'];
  if (managers === undefined) return attributes;
  return { ...attributes, managerId: managers.find((manager) => !manager['@removed'])?.id ?? null };
}

function userAttributes(user: GraphUser): Omit<DirectoryUser, 'managerId'> {
  const text = (name: UserProperty) => (typeof user[name] === 'string' ? (user[name] as string) : null);
  const list = (name: 'otherMails' | 'proxyAddresses') =>
    Array.isArray(user[name]) ? (user[name] as unknown[]).filter((v): v is string => typeof v === 'string') : [];
  const userType = text('userType');
  return {
    id: user.id,
    displayName: text('displayName'),
    userPrincipalName: text('userPrincipalName'),
    mail: text('mail'),
    userType: userType === 'Member' || userType === 'Guest' ? userType : null,
    accountEnabled: typeof user.accountEnabled === 'boolean' ? user.accountEnabled : null,
    department: text('department'),
    jobTitle: text('jobTitle'),
    companyName: text('companyName'),
    employeeId: text('employeeId'),
    employeeType: text('employeeType'),
    officeLocation: text('officeLocation'),
    city: text('city'),
    state: text('state'),
    country: text('country'),
    usageLocation: text('usageLocation'),
    employeeHireDate: text('employeeHireDate'),
    employeeLeaveDateTime: text('employeeLeaveDateTime'),
    createdDateTime: text('createdDateTime'),
    onPremisesExtensionAttributes: (user.onPremisesExtensionAttributes as Record<string, string | null> | null) ?? {},
    otherMails: list('otherMails'),
    proxyAddresses: list('proxyAddresses'),
    creationType: text('creationType'),
    externalUserState: text('externalUserState'),
  };
}
