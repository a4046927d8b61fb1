import { audited, shownIn } from '../audit/auditedChange';
import { organizationRow } from '../../store/connectedOrganizationStore';
import {
  emailDomain,
  sponsorsOf,
  type IdentitySource,
  type Sponsor,
  type SponsorKind,
  type StoredConnectedOrganization,
} from '../../domain/connectedOrganizations/connectedOrganization';
import { DomainError, isDomainError } from '../../domain/errors';
import { type Actor, type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';

/** What the lookups need: the stores, and for a proposed organization the audit, clock and ids. */
export type OrganizationDeps = Pick<EntitlementDeps, 'store' | 'audit' | 'due' | 'clock' | 'newId' | 'tenantId'>;

/**
 * How the rest of Portcullis finds connected organizations: by id, by the tenant an external caller signs in from,
 * by the domain of their email; how it makes a `proposed` one for a requestor of no known organization; and
 * whom an approval stage of `internalSponsors` or `externalSponsors` means.
 */
export async function connectedOrganizationById(deps: Pick<OrganizationDeps, 'store'>, id: string): Promise<StoredConnectedOrganization | undefined> {
  return (await deps.store.connectedOrganizations.get(id))?.value;
}

/** The organization with an `azureActiveDirectoryTenant` source for this tenant id. */
export async function connectedOrganizationOfTenant(deps: Pick<OrganizationDeps, 'store'>, tenantId: string): Promise<StoredConnectedOrganization | undefined> {
  return (await deps.store.connectedOrganizations.findByIdentity({ kind: 'tenant', value: tenantId.toLowerCase() }))?.value;
}

/** The organization with a `domainIdentitySource` or `externalDomainFederation` for this domain (or an email's domain). */
export async function connectedOrganizationOfDomain(deps: Pick<OrganizationDeps, 'store'>, domainOrEmail: string): Promise<StoredConnectedOrganization | undefined> {
  const domain = domainOrEmail.includes('@') ? emailDomain(domainOrEmail) : domainOrEmail.trim().toLowerCase();
  if (!domain) return undefined;
  return (await deps.store.connectedOrganizations.findByIdentity({ kind: 'domain', value: domain }))?.value;
}

/** The sponsors of one kind (ids and whether each is a user or a group); none for an organization that is gone. */
export async function sponsorsOfConnectedOrganization(deps: Pick<OrganizationDeps, 'store'>, organizationId: string, kind: SponsorKind): Promise<Sponsor[]> {
  const organization = await connectedOrganizationById(deps, organizationId);
  return organization ? sponsorsOf(organization, kind) : [];
}

export interface UnknownRequestor {
  /** The requestor's home tenant (`tid`), when they sign in through one; the organization is then known by it. */
  tenantId?: string;
  /** Their email; its domain names the organization (and identifies it when there is no tenant). */
  email: string;
}

/**
 * A `proposed` organization for a requestor of no connected organization, under an `allExternalUsers` policy
 * (reference §1.6), audited as made by `actor`. Known by the tenant when there is one (as Entra creates it),
 * otherwise by the email domain. Two requestors of the same organization at once get the same one: the second
 * creation loses on the tenant or domain claim and takes the organization the first made.
 */
export async function proposeConnectedOrganization(deps: OrganizationDeps, actor: Actor, requestor: UnknownRequestor): Promise<StoredConnectedOrganization> {
  const domain = emailDomain(requestor.email);
  if (!domain) throw new DomainError('invalidRequest', `'${requestor.email}' is not an email address; no connected organization can be proposed for it.`);
  const source: IdentitySource = requestor.tenantId
    ? { '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: requestor.tenantId.toLowerCase(), displayName: domain }
    : { '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: domain, displayName: domain };
  const existing = requestor.tenantId ? await connectedOrganizationOfTenant(deps, requestor.tenantId) : await connectedOrganizationOfDomain(deps, domain);
  if (existing) return existing;
  const now = nowIso(deps);
  const organization: StoredConnectedOrganization = {
    id: deps.newId(),
    displayName: domain,
    description: `Proposed for a requestor from ${domain}.`,
    identitySources: [source],
    state: 'proposed',
    createdDateTime: now,
    modifiedDateTime: now,
    internalSponsors: [],
    externalSponsors: [],
  };
  try {
    await createOrganization(deps, actor, organization);
    return organization;
  } catch (error) {
    if (!(isDomainError(error) && error.code === 'conflict')) throw error;
    const winner = requestor.tenantId ? await connectedOrganizationOfTenant(deps, requestor.tenantId) : await connectedOrganizationOfDomain(deps, domain);
    if (!winner) throw error;
    return winner;
  }
}

/** Stores a new organization (409 when its tenant or domain is taken) and records its creation. */
export async function createOrganization(deps: Pick<OrganizationDeps, 'store' | 'audit' | 'due' | 'clock'>, actor: Actor, organization: StoredConnectedOrganization): Promise<void> {
  const entry = { actorId: actor.objectId, action: 'createConnectedOrganization', entityType: 'connectedOrganization', entityId: organization.id, before: null, after: organization };
  await audited(deps, entry, shownIn('connectedOrganizations', organizationRow(organization.id), 'present'), () => deps.store.connectedOrganizations.insert(organization));
}
