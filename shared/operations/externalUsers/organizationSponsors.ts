import { referencedObject } from '../../api/odataReference';
import { audited, shownIn } from '../audit/auditedChange';
import { MAX_SPONSORS_PER_KIND, sponsorsOf, type Sponsor, type SponsorKind, type StoredConnectedOrganization } from '../../domain/connectedOrganizations/connectedOrganization';
import { DomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import { type Actor, type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { findConnectedOrganization } from './connectedOrganizations';

const SPONSOR_COLLECTIONS = ['users', 'groups', 'directoryObjects'] as const;
const ACTIONS: Record<SponsorKind, { add: string; remove: string }> = {
  internal: { add: 'addInternalSponsor', remove: 'removeInternalSponsor' },
  external: { add: 'addExternalSponsor', remove: 'removeExternalSponsor' },
};

/** The sponsors as Graph lists them: directory objects by type and id, without reading the directory. */
export async function listSponsors(deps: EntitlementDeps, organizationId: string, kind: SponsorKind): Promise<Array<{ '@odata.type': string; id: string }>> {
  const organization = (await findConnectedOrganization(deps, organizationId)).value;
  return sponsorsOf(organization, kind).map((sponsor) => ({ '@odata.type': `#microsoft.graph.${sponsor.type}`, id: sponsor.id }));
}

/**
 * Adds the user or group a `$ref` body names. It is read from the directory: an internal sponsor is a member of
 * this directory (a user whose userType is not Guest, or a group), an external sponsor a guest (or a group);
 * anything else is the caller's mistake (400). Adding a sponsor already there changes nothing.
 */
export async function addSponsor(deps: EntitlementDeps, actor: Actor, organizationId: string, kind: SponsorKind, body: Record<string, unknown>): Promise<void> {
  const reference = referencedObject(body, SPONSOR_COLLECTIONS);
  const stored = await findConnectedOrganization(deps, organizationId);
  const sponsor = await directoryObjectFor(deps, reference, kind);
  const current = sponsorsOf(stored.value, kind);
  if (current.some((s) => s.id === sponsor.id)) return;
  if (current.length >= MAX_SPONSORS_PER_KIND) {
    throw new DomainError('invalidRequest', `Connected organization '${organizationId}' already has ${MAX_SPONSORS_PER_KIND} ${kind} sponsors, the most it may have; remove one first.`);
  }
  await saveSponsors(deps, actor, stored, kind, [...current, sponsor], ACTIONS[kind].add);
}

export async function removeSponsor(deps: EntitlementDeps, actor: Actor, organizationId: string, kind: SponsorKind, sponsorId: string): Promise<void> {
  const stored = await findConnectedOrganization(deps, organizationId);
  const current = sponsorsOf(stored.value, kind);
  const remaining = current.filter((s) => s.id !== sponsorId.toLowerCase());
  if (remaining.length === current.length) throw new DomainError('notFound', `'${sponsorId}' is not an ${kind} sponsor of connected organization '${organizationId}'.`);
  await saveSponsors(deps, actor, stored, kind, remaining, ACTIONS[kind].remove);
}

/** One conditional write of the organization's row: two changes at once cannot lose one another (the second gets 409). */
async function saveSponsors(
  deps: EntitlementDeps,
  actor: Actor,
  stored: StoredDocument<StoredConnectedOrganization>,
  kind: SponsorKind,
  sponsors: Sponsor[],
  action: string,
): Promise<void> {
  const updated: StoredConnectedOrganization = {
    ...stored.value,
    ...(kind === 'internal' ? { internalSponsors: sponsors } : { externalSponsors: sponsors }),
    modifiedDateTime: nowIso(deps),
  };
  const entry = { actorId: actor.objectId, action, entityType: 'connectedOrganization', entityId: stored.value.id, before: stored.value, after: updated };
  await audited(deps, entry, shownIn('connectedOrganizations', stored, 'changed'), () => deps.store.connectedOrganizations.replace(stored, updated));
}

async function directoryObjectFor(deps: EntitlementDeps, reference: { collection: (typeof SPONSOR_COLLECTIONS)[number]; id: string }, kind: SponsorKind): Promise<Sponsor> {
  const { collection, id } = reference;
  const user = collection === 'groups' ? undefined : await deps.directory.getUser(id);
  if (user) {
    const guest = user.userType === 'Guest';
    if (kind === 'internal' && guest) throw new DomainError('invalidRequest', `User '${id}' is a guest; an internal sponsor must be a member of this directory.`);
    if (kind === 'external' && !guest) throw new DomainError('invalidRequest', `User '${id}' is a member of this directory; an external sponsor must be a guest from the connected organization.`);
    return { id: user.id.toLowerCase(), type: 'user' };
  }
  const group = collection === 'users' ? undefined : await deps.directory.getGroup(id);
  if (group) return { id: group.id.toLowerCase(), type: 'group' };
  throw new DomainError('invalidRequest', `'${id}' is not a ${collection === 'users' ? 'user' : collection === 'groups' ? 'group' : 'user or group'} of this directory; a sponsor must be one.`);
}
