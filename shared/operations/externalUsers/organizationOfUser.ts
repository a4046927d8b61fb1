import { emailDomain, type StoredConnectedOrganization } from '../../domain/connectedOrganizations/connectedOrganization';
import type { DirectoryUser } from '../../directory/directoryPort';
import type { AccessPackageSubject } from '../../domain/subjects/accessPackageSubject';
import type { TargetFacts } from '../../domain/requests/targetScope';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { connectedOrganizationById, connectedOrganizationOfDomain } from './connectedOrganizationLookup';

/**
 * The connected organization someone comes from: the one recorded on the subject Portcullis keeps for them (an
 * external requestor), else, for a guest of the directory, the organization of their address's domain. None for
 * the tenant's own members.
 */
export async function organizationOfUser(
  deps: EntitlementDeps,
  who: { subject?: AccessPackageSubject | undefined; user?: DirectoryUser | undefined },
): Promise<StoredConnectedOrganization | undefined> {
  const recorded = who.subject?.connectedOrganizationId;
  if (recorded) return connectedOrganizationById(deps, recorded);
  const domain = who.user?.userType === 'Guest' && who.user.mail ? emailDomain(who.user.mail) : undefined;
  return domain ? connectedOrganizationOfDomain(deps, domain) : undefined;
}

/** The organization as the scope rules see it (targetScope.ts). */
export const organizationFacts = (organization: StoredConnectedOrganization | undefined): TargetFacts['connectedOrganization'] =>
  organization ? { id: organization.id, configured: organization.state === 'configured' } : null;
