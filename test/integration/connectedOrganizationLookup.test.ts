import { MAX_SPONSORS_PER_KIND } from '../../shared/domain/connectedOrganizations/connectedOrganization';
import { SYSTEM_ACTOR } from '../../shared/domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import {
  connectedOrganizationById,
  connectedOrganizationOfDomain,
  connectedOrganizationOfTenant,
  proposeConnectedOrganization,
  sponsorsOfConnectedOrganization,
} from '../../shared/operations/externalUsers/connectedOrganizationLookup';
import { createConnectedOrganization, deleteConnectedOrganization } from '../../shared/operations/externalUsers/connectedOrganizations';
import { addSponsor } from '../../shared/operations/externalUsers/organizationSponsors';
import { createAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createAssignmentPolicy, replaceAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { retiring } from '../../shared/operations/entitlements/parentCheck';
import { inProcessOperationsForFile } from '../support/inProcessOperations';
import { ADMIN } from '../support/packageWorld';

/**
 * The connected-organization lookups other parts use (external callers, approval stages), on Azurite with the
 * Graph emulator's demo tenant: found by tenant and by email domain, proposed once however many ask at once.
 */
const FABRIKAM_TENANT = '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const LITWARE_TENANT = '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const BEN_GUEST = '5d4a47ec-58ca-418c-a7e5-67e387ed23b1';
const FINANCE_APPROVERS = '1e036ff5-150f-47fd-9da7-e515e33a2538';

let deps: EntitlementDeps;
inProcessOperationsForFile((world) => (deps = world.deps));

const auditOf = async (organizationId: string) => {
  const day = deps.clock.now().toUTC().toISODate()!;
  return (await deps.audit.ofDay(day)).filter((e) => e.entityId === organizationId).map((e) => ({ action: e.action, actorId: e.actorId }));
};

describe('connected organization lookups (Azurite)', () => {
  it('finds an organization by id, by its tenant in any case, and by the domain of an email', async () => {
    const byTenant = await createConnectedOrganization(deps, ADMIN, {
      displayName: 'Fabrikam',
      identitySources: [{ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: FABRIKAM_TENANT, displayName: 'Fabrikam' }],
    });
    const byDomain = await createConnectedOrganization(deps, ADMIN, {
      displayName: 'Woodgrove',
      identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'woodgrove.example', displayName: 'Woodgrove' }],
    });
    expect((await connectedOrganizationById(deps, byTenant.id.toUpperCase()))?.displayName).toBe('Fabrikam');
    expect((await connectedOrganizationOfTenant(deps, FABRIKAM_TENANT.toUpperCase()))?.id).toBe(byTenant.id);
    expect((await connectedOrganizationOfDomain(deps, 'Pat.Lee@WOODGROVE.example'))?.id).toBe(byDomain.id);
    expect((await connectedOrganizationOfDomain(deps, 'woodgrove.example'))?.id).toBe(byDomain.id);
    // A tenant is not a domain, nor the other way round; an unknown one is nobody.
    expect(await connectedOrganizationOfDomain(deps, FABRIKAM_TENANT)).toBeUndefined();
    expect(await connectedOrganizationOfTenant(deps, LITWARE_TENANT)).toBeUndefined();
    expect(await connectedOrganizationOfDomain(deps, 'someone@sub.woodgrove.example')).toBeUndefined();
    expect(await connectedOrganizationOfDomain(deps, 'not an address@')).toBeUndefined();
  });

  it("gives an organization's sponsors by kind, users and groups, and none for an organization that is gone", async () => {
    const organization = await createConnectedOrganization(deps, ADMIN, {
      displayName: 'Sponsored',
      identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'sponsored.example', displayName: 'S' }],
    });
    await addSponsor(deps, ADMIN, organization.id, 'internal', { '@odata.id': `https://graph.microsoft.com/v1.0/users/${DEBRA}` });
    await addSponsor(deps, ADMIN, organization.id, 'internal', { '@odata.id': `https://graph.microsoft.com/v1.0/groups/${FINANCE_APPROVERS}` });
    await addSponsor(deps, ADMIN, organization.id, 'external', { '@odata.id': `https://graph.microsoft.com/v1.0/users/${BEN_GUEST}` });
    expect(await sponsorsOfConnectedOrganization(deps, organization.id, 'internal')).toEqual([
      { id: DEBRA, type: 'user' },
      { id: FINANCE_APPROVERS, type: 'group' },
    ]);
    expect(await sponsorsOfConnectedOrganization(deps, organization.id, 'external')).toEqual([{ id: BEN_GUEST, type: 'user' }]);
    await deleteConnectedOrganization(deps, ADMIN, organization.id);
    expect(await sponsorsOfConnectedOrganization(deps, organization.id, 'internal')).toEqual([]);
    expect(await connectedOrganizationOfDomain(deps, 'sponsored.example')).toBeUndefined();
  });

  it('proposes one organization for requestors of an unknown tenant, however many ask at once, audited once', async () => {
    const requestors = Array.from({ length: 5 }, (_, i) => proposeConnectedOrganization(deps, { objectId: `requestor-${i}` }, { tenantId: LITWARE_TENANT, email: `user${i}@Litware.example` }));
    const proposed = await Promise.all(requestors);
    const ids = new Set(proposed.map((o) => o.id));
    expect(ids.size).toBe(1);
    const [organization] = proposed;
    expect(organization).toMatchObject({
      displayName: 'litware.example',
      state: 'proposed',
      identitySources: [{ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId: LITWARE_TENANT, displayName: 'litware.example' }],
      internalSponsors: [],
      externalSponsors: [],
    });
    expect((await connectedOrganizationOfTenant(deps, LITWARE_TENANT))?.id).toBe(organization!.id);
    const audited = await auditOf(organization!.id);
    expect(audited).toEqual([{ action: 'createConnectedOrganization', actorId: expect.stringMatching(/^requestor-\d$/) }]);
  });

  it('proposes by email domain when the requestor brings no tenant, and reuses a configured organization that has it', async () => {
    const proposed = await proposeConnectedOrganization(deps, { objectId: SYSTEM_ACTOR }, { email: 'kim@otp-only.example' });
    expect(proposed.identitySources).toEqual([{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'otp-only.example', displayName: 'otp-only.example' }]);
    const existing = await proposeConnectedOrganization(deps, { objectId: SYSTEM_ACTOR }, { email: 'pat@woodgrove.example' });
    expect(existing).toMatchObject({ displayName: 'Woodgrove', state: 'configured' });
    await expect(proposeConnectedOrganization(deps, { objectId: SYSTEM_ACTOR }, { email: 'no-at-sign' })).rejects.toMatchObject({ code: 'invalidRequest' });
  });

  it('refuses a sponsor past the 100 of one kind, leaving the organization as it was', async () => {
    const now = deps.clock.now().toUTC().toISO()!;
    const full = Array.from({ length: MAX_SPONSORS_PER_KIND }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, type: 'user' as const }));
    const stored = await deps.store.connectedOrganizations.insert({
      id: deps.newId(),
      displayName: 'Full',
      description: null,
      identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'full.example', displayName: 'Full' }],
      state: 'configured',
      createdDateTime: now,
      modifiedDateTime: now,
      internalSponsors: full,
      externalSponsors: [],
    });
    await expect(addSponsor(deps, ADMIN, stored.value.id, 'internal', { '@odata.id': `https://graph.microsoft.com/v1.0/users/${DEBRA}` })).rejects.toMatchObject({
      code: 'invalidRequest',
      message: expect.stringContaining('already has 100 internal sponsors'),
    });
    expect((await deps.store.connectedOrganizations.get(stored.value.id))?.etag).toBe(stored.etag);
    // The other kind has its own 100.
    await addSponsor(deps, ADMIN, stored.value.id, 'external', { '@odata.id': `https://graph.microsoft.com/v1.0/users/${BEN_GUEST}` });
    expect(await sponsorsOfConnectedOrganization(deps, stored.value.id, 'external')).toEqual([{ id: BEN_GUEST, type: 'user' }]);
  });

  it('a policy written while its organization is being deleted undoes itself, so no policy names a deleted organization', async () => {
    const organization = await createConnectedOrganization(deps, ADMIN, {
      displayName: 'Going',
      identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'going.example', displayName: 'G' }],
    });
    const catalog = await createCatalog(deps, ADMIN, { displayName: 'Race' });
    const accessPackage = await createAccessPackage(deps, ADMIN, { displayName: 'Race', catalog: { id: catalog.id } });
    const policyNaming = (connectedOrganizationId: string | null) => ({
      displayName: 'Partners',
      allowedTargetScope: connectedOrganizationId ? 'specificConnectedOrganizationUsers' : 'notSpecified',
      specificAllowedTargets: connectedOrganizationId ? [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId }] : [],
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'noExpiration' },
      accessPackage: { id: accessPackage.id },
    });
    const unrelated = await createAssignmentPolicy(deps, ADMIN, policyNaming(null));
    // The delete has placed its mark and not yet looked for policies: the writes land in between.
    await retiring(deps, { kind: 'connectedOrganization', id: organization.id }, async () => {
      await expect(createAssignmentPolicy(deps, ADMIN, policyNaming(organization.id))).rejects.toMatchObject({ code: 'conflict' });
      await expect(replaceAssignmentPolicy(deps, ADMIN, unrelated.id, { ...policyNaming(organization.id), id: unrelated.id })).rejects.toMatchObject({ code: 'conflict' });
    });
    const policies = (await deps.store.policies.list({ partitionId: accessPackage.id })).map((d) => d.value);
    expect(policies).toEqual([expect.objectContaining({ id: unrelated.id, allowedTargetScope: 'notSpecified', specificAllowedTargets: [] })]);
    await deleteConnectedOrganization(deps, ADMIN, organization.id);
    expect(await connectedOrganizationById(deps, organization.id)).toBeUndefined();
  });
});
