import type { DirectoryUser } from '../../directory/directoryPort';
import type { AccessPackageSubject } from '../../domain/subjects/accessPackageSubject';

/**
 * The user a subject not yet in the directory will be once invited, as the policy checks read a target: a guest
 * with their address and name, under the subject's id, and nothing else known (no groups, no attributes).
 */
export function guestToBe(subject: AccessPackageSubject): DirectoryUser {
  return {
    id: subject.id,
    displayName: subject.displayName,
    userPrincipalName: subject.principalName,
    mail: subject.email,
    userType: 'Guest',
    accountEnabled: null,
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
    otherMails: [subject.email],
    proxyAddresses: [],
    creationType: 'Invitation',
    externalUserState: null,
    managerId: null,
  };
}
