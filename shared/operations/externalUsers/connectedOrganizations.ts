import { parseInput } from '../../api/validation';
import { audited, shownIn } from '../audit/auditedChange';
import { mapConcurrently } from '../../concurrently';
import { identityKeyOf, type StoredConnectedOrganization } from '../../domain/connectedOrganizations/connectedOrganization';
import { newOrganizationInput, organizationChangeInput } from '../../domain/connectedOrganizations/organizationInput';
import { DomainError } from '../../domain/errors';
import type { AssignmentPolicy } from '../../domain/policies';
import type { StoredDocument } from '../../store/documentTable';
import { type Actor, type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { retiring, undoUnlessParentRemains } from '../entitlements/parentCheck';
import { createOrganization } from './connectedOrganizationLookup';

export async function listConnectedOrganizations(deps: EntitlementDeps): Promise<StoredConnectedOrganization[]> {
  return (await deps.store.connectedOrganizations.list()).map((d) => d.value);
}

export async function findConnectedOrganization(deps: Pick<EntitlementDeps, 'store'>, id: string): Promise<StoredDocument<StoredConnectedOrganization>> {
  const found = await deps.store.connectedOrganizations.get(id);
  if (!found) throw new DomainError('notFound', `Connected organization '${id}' was not found.`);
  return found;
}

/** An organization of this directory's own tenant would make its members external users of themselves. */
function refuseOwnTenant(deps: EntitlementDeps, organization: StoredConnectedOrganization): void {
  const own = organization.identitySources.some((source) => {
    const key = identityKeyOf(source);
    return key.kind === 'tenant' && key.value === deps.tenantId.toLowerCase();
  });
  if (own) throw new DomainError('invalidRequest', `Invalid connected organization: identitySources: tenant '${deps.tenantId}' is this directory's own tenant.`);
}

export async function createConnectedOrganization(deps: EntitlementDeps, actor: Actor, body: unknown): Promise<StoredConnectedOrganization> {
  const input = parseInput(newOrganizationInput, body, 'connected organization');
  const now = nowIso(deps);
  const organization: StoredConnectedOrganization = {
    id: deps.newId(),
    displayName: input.displayName,
    description: input.description,
    identitySources: input.identitySources,
    state: input.state ?? 'configured',
    createdDateTime: now,
    modifiedDateTime: now,
    internalSponsors: [],
    externalSponsors: [],
  };
  refuseOwnTenant(deps, organization);
  await createOrganization(deps, actor, organization);
  return organization;
}

/** The identity sources are what the organization is (and what makes it unique): given, they must be unchanged. */
export async function updateConnectedOrganization(deps: EntitlementDeps, actor: Actor, id: string, body: unknown): Promise<StoredConnectedOrganization> {
  const change = parseInput(organizationChangeInput, body, 'connected organization');
  const stored = await findConnectedOrganization(deps, id);
  const { identitySources, ...fields } = change;
  if (identitySources !== undefined && !sameSources(identitySources, stored.value.identitySources)) {
    throw new DomainError('invalidRequest', 'Invalid connected organization: identitySources cannot be changed; create another connected organization instead.');
  }
  const updated: StoredConnectedOrganization = { ...stored.value, ...definedOnly(fields), modifiedDateTime: nowIso(deps) };
  const entry = { actorId: actor.objectId, action: 'updateConnectedOrganization', entityType: 'connectedOrganization', entityId: id, before: stored.value, after: updated };
  await audited(deps, entry, shownIn('connectedOrganizations', stored, 'changed'), () => deps.store.connectedOrganizations.replace(stored, updated));
  return updated;
}

const namedOrganizationIds = (policy: Pick<AssignmentPolicy, 'specificAllowedTargets'>): string[] => [
  ...new Set(policy.specificAllowedTargets.flatMap((target) => (target['@odata.type'] === '#microsoft.graph.connectedOrganizationMembers' ? [target.connectedOrganizationId.toLowerCase()] : []))),
];

/**
 * The connected organizations a policy admits (`connectedOrganizationMembers`) must exist: a mistyped id would
 * admit nobody, silently. Each distinct id is read once.
 */
export async function requireNamedOrganizations(deps: Pick<EntitlementDeps, 'store'>, policy: Pick<AssignmentPolicy, 'specificAllowedTargets'>): Promise<void> {
  const found = await mapConcurrently(namedOrganizationIds(policy), async (id) => ({ id, exists: (await deps.store.connectedOrganizations.get(id)) !== undefined }));
  const missing = found.find((organization) => !organization.exists);
  if (missing) {
    const index = policy.specificAllowedTargets.findIndex((target) => target['@odata.type'] === '#microsoft.graph.connectedOrganizationMembers' && target.connectedOrganizationId.toLowerCase() === missing.id);
    throw new DomainError('invalidRequest', `Invalid policy: specificAllowedTargets.${index}.connectedOrganizationId: connected organization '${missing.id}' does not exist.`);
  }
}

/**
 * After a policy naming organizations was written: undoes the write when one of them was deleted meanwhile, or is
 * being deleted (its delete runs under a deletion mark, parentCheck.ts), so no policy outlives an organization it names.
 */
export async function undoUnlessNamedOrganizationsRemain(deps: EntitlementDeps, policy: Pick<AssignmentPolicy, 'specificAllowedTargets'>, undo: () => Promise<void>): Promise<void> {
  for (const id of namedOrganizationIds(policy)) {
    await undoUnlessParentRemains(deps, { kind: 'connectedOrganization', id }, () => findConnectedOrganization(deps, id), undo);
  }
}

/**
 * Refused (409) while a policy names the organization among its allowed requestors: the policy would admit members
 * of an organization that no longer exists, or nobody.
 */
export async function deleteConnectedOrganization(deps: EntitlementDeps, actor: Actor, id: string): Promise<void> {
  const stored = await findConnectedOrganization(deps, id);
  // Under the organization's deletion mark: a policy written meanwhile that names it sees the mark and undoes itself.
  await retiring(deps, { kind: 'connectedOrganization', id: stored.value.id }, async () => {
    const naming = await policiesNaming(deps, stored.value.id);
    if (naming.length > 0) {
      throw new DomainError('conflict', `Connected organization '${id}' is named by ${naming.length} assignment polic${naming.length === 1 ? 'y' : 'ies'} ('${naming[0]}'${naming.length > 1 ? ', …' : ''}); change them first.`);
    }
    const entry = { actorId: actor.objectId, action: 'deleteConnectedOrganization', entityType: 'connectedOrganization', entityId: id, before: stored.value, after: null };
    await audited(deps, entry, shownIn('connectedOrganizations', stored, 'absent'), () => deps.store.connectedOrganizations.delete(stored));
  });
}

/** The ids of the policies whose allowed requestors include the organization's members. */
async function policiesNaming(deps: EntitlementDeps, organizationId: string): Promise<string[]> {
  const policies = await deps.store.policies.list({});
  return policies
    .filter(({ value }) =>
      value.specificAllowedTargets.some(
        (target) => target['@odata.type'] === '#microsoft.graph.connectedOrganizationMembers' && target.connectedOrganizationId.toLowerCase() === organizationId.toLowerCase(),
      ),
    )
    .map(({ value }) => value.id);
}

function sameSources(given: StoredConnectedOrganization['identitySources'], stored: StoredConnectedOrganization['identitySources']): boolean {
  const keys = (sources: StoredConnectedOrganization['identitySources']) => sources.map((s) => `${s['@odata.type']}|${identityKeyOf(s).value}`).sort().join(',');
  return keys(given) === keys(stored);
}

function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
