import type { DirectoryUser } from './directoryPort';

/** The user properties Portcullis reads: what rules, approvals and external-user handling use. */
export const USER_PROPERTIES = [
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
  'onPremisesExtensionAttributes',
  'otherMails',
  'proxyAddresses',
  'creationType',
  'externalUserState',
] as const;

export const USER_SELECT = USER_PROPERTIES.join(',');

type GraphUser = Partial<Record<(typeof USER_PROPERTIES)[number], unknown>> & {
  id: string;
  manager?: { id?: string } | null;
  'manager@delta'?: Array<{ id?: string; '@removed'?: unknown }>;
};

export function toDirectoryUser(user: GraphUser): DirectoryUser {
  const text = (name: (typeof USER_PROPERTIES)[number]) => (typeof user[name] === 'string' ? (user[name] as string) : null);
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
    onPremisesExtensionAttributes: (user.onPremisesExtensionAttributes as Record<string, string | null> | null) ?? {},
    otherMails: list('otherMails'),
    proxyAddresses: list('proxyAddresses'),
    creationType: text('creationType'),
    externalUserState: text('externalUserState'),
    // In a delta, a removed manager comes as an entry marked `@removed`: the user then has none.
    managerId: user.manager?.id ?? user['manager@delta']?.find((m) => !m['@removed'])?.id ?? null,
  };
}
