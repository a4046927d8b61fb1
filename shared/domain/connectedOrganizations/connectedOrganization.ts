/**
 * Connected organizations (reference/graph-wave2.md §1): the outside organizations whose users may request access
 * packages, each known by one identity source, with the sponsors who approve for it.
 */
export type ConnectedOrganizationState = 'configured' | 'proposed';

export const IDENTITY_SOURCE_TYPES = ['azureActiveDirectoryTenant', 'domainIdentitySource', 'externalDomainFederation'] as const;
export type IdentitySourceType = (typeof IDENTITY_SOURCE_TYPES)[number];

export type IdentitySource =
  | { '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant'; tenantId: string; displayName: string | null }
  | { '@odata.type': '#microsoft.graph.domainIdentitySource'; domainName: string; displayName: string | null }
  | { '@odata.type': '#microsoft.graph.externalDomainFederation'; domainName: string; displayName: string | null; issuerUri: string | null };

/** The entity as Graph v1.0 shows it. */
export interface ConnectedOrganization {
  id: string;
  displayName: string;
  description: string | null;
  identitySources: IdentitySource[];
  state: ConnectedOrganizationState;
  createdDateTime: string;
  modifiedDateTime: string;
}

export type SponsorKind = 'internal' | 'external';

/** A sponsor is a user or a group of this directory (internal: members; external: guests of that organization). */
export interface Sponsor {
  id: string;
  type: 'user' | 'group';
}

/** The organization as stored: its sponsors live in the same row, so a sponsor change is one conditional write. */
export interface StoredConnectedOrganization extends ConnectedOrganization {
  internalSponsors: Sponsor[];
  externalSponsors: Sponsor[];
}

/** The most sponsors of each kind one organization has: a list or an approval stage reads at most this many. */
export const MAX_SPONSORS_PER_KIND = 100;

/**
 * What makes an organization unique: the tenant, or the email domain, its identity source names. Tenant ids and
 * domains compare in lower case, as the directory compares them.
 */
export interface IdentityKey {
  kind: 'tenant' | 'domain';
  value: string;
}

export function identityKeyOf(source: IdentitySource): IdentityKey {
  return source['@odata.type'] === '#microsoft.graph.azureActiveDirectoryTenant'
    ? { kind: 'tenant', value: source.tenantId.toLowerCase() }
    : { kind: 'domain', value: source.domainName.toLowerCase() };
}

export const sponsorsOf = (organization: StoredConnectedOrganization, kind: SponsorKind): Sponsor[] =>
  kind === 'internal' ? organization.internalSponsors : organization.externalSponsors;

/** The Graph shape: the sponsors are navigation properties, not fields. */
export function organizationView({ internalSponsors: _i, externalSponsors: _e, ...organization }: StoredConnectedOrganization): ConnectedOrganization {
  return organization;
}

/** The domain of an email address, lower case; undefined when the text is not an address. */
export function emailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  const domain = at > 0 ? email.slice(at + 1).trim().toLowerCase() : '';
  return domain === '' ? undefined : domain;
}
