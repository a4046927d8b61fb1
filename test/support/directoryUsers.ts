import type { DirectoryUser } from '../../shared/domain/directoryUser';

/** An enabled Member as the directory port builds one: every property it can lack null, `properties` over them. */
export function memberUser(id: string, properties: Partial<DirectoryUser> = {}): DirectoryUser {
  return {
    id,
    displayName: id,
    userPrincipalName: `${id}@contoso.com`,
    mail: null,
    userType: 'Member',
    accountEnabled: true,
    department: null,
    jobTitle: null,
    companyName: null,
    employeeId: null,
    employeeType: null,
    officeLocation: null,
    city: null,
    state: null,
    country: null,
    usageLocation: null,
    employeeHireDate: null,
    onPremisesExtensionAttributes: {},
    otherMails: [],
    proxyAddresses: [],
    creationType: null,
    externalUserState: null,
    managerId: null,
    ...properties,
  };
}
