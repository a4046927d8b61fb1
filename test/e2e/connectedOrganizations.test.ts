import { randomBytes } from 'node:crypto';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * Connected organizations through the local host (reference/graph-wave2.md §1.3): create, list with `$filter`
 * (displayName, and the identity-source lambda Graph documents), `$select`, paging, PATCH (202 with the entity),
 * sponsors by `$ref`, DELETE refused while a policy names the organization; and every refusal a 4xx in Graph's
 * error shape that changes nothing stored and writes nothing to the directory.
 */

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d'; // a member without roles
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7'; // a member
const BEN_GUEST = '5d4a47ec-58ca-418c-a7e5-67e387ed23b1'; // ben.walters@fabrikam.com, a guest
const KAI_GUEST = '0476dff0-f4fb-4348-a325-af54a30a6e7a'; // kai.carter@adatum.com, a guest
const FINANCE_APPROVERS = '1e036ff5-150f-47fd-9da7-e515e33a2538';
const SALESFORCE_APP = '63c7fe35-2f6d-4f84-9d1d-95e1ad61682b'; // a service principal
const FABRIKAM_TENANT = '7a1c2e3d-4b5f-4a6b-9c7d-8e9f0a1b2c3d';
const ADATUM_TENANT = '0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f';
const EM = '/v1.0/identityGovernance/entitlementManagement';
const ORGS = `${EM}/connectedOrganizations`;
const TIMEOUT = 120_000;

const CALLERS = {
  administrator: clientPrincipal(ADMIN, TENANT),
  plainUser: clientPrincipal(OWEN, TENANT),
  adminReadOnly: clientPrincipal(ADMIN, TENANT, [{ typ: 'scp', val: 'EntitlementManagement.Read.All' }]),
  anonymous: undefined,
};
type Caller = keyof typeof CALLERS;

let host: RunningHost;
let prefix: string;

interface Answer {
  status: number;
  body: any;
}

async function send(caller: Caller, method: string, path: string, body?: unknown): Promise<Answer> {
  const principal = CALLERS[caller];
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(principal ? { 'x-ms-client-principal': principal } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function asAdmin(method: string, path: string, body?: unknown, expected?: number): Promise<any> {
  const answer = await send('administrator', method, path, body);
  if (answer.status >= 300 || (expected !== undefined && answer.status !== expected)) {
    throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}

const tenantSource = (tenantId: string, displayName = 'Tenant') => ({ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId, displayName });
const domainSource = (domainName: string) => ({ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName, displayName: domainName });
const userRef = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/users/${id}` });
const groupRef = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/groups/${id}` });

/** The directory writes the emulator has seen since the counts were last cleared. */
async function directoryWrites(): Promise<string[]> {
  const response = await fetch(`${host.emulatorUrl}/_emulator/requests`);
  const counts = (await response.json()) as { byRoute: Record<string, number> };
  return Object.keys(counts.byRoute).filter((route) => !route.startsWith('GET '));
}

const clearDirectoryCounts = () => fetch(`${host.emulatorUrl}/_emulator/requests`, { method: 'DELETE' });

/** Sends a call that must be refused: its status, Graph's error shape, nothing stored changed, no directory write. */
async function refused(caller: Caller, method: string, path: string, body: unknown, status: number, message?: RegExp): Promise<string> {
  const before = await storageSnapshot(prefix);
  await clearDirectoryCounts();
  const answer = await send(caller, method, path, body);
  expect({ status: answer.status, body: answer.body }).toEqual({ status, body: expect.anything() });
  expect(answer.body).toEqual({ error: { code: expect.any(String), message: expect.any(String), innerError: expect.objectContaining({ 'request-id': expect.any(String), date: expect.any(String) }) } });
  if (message) expect(answer.body.error.message).toMatch(message);
  expect(await storageSnapshot(prefix)).toBe(before);
  expect(await directoryWrites()).toEqual([]);
  return answer.body.error.message as string;
}

async function auditActions(): Promise<Array<{ action: string; entityId: string; actorId: string }>> {
  const audit = TableClient.fromConnectionString(testStorageConnectionString(), `${prefix}auditEvents`, { allowInsecureConnection: true });
  const events: Array<{ action: string; entityId: string; actorId: string; at: string }> = [];
  for await (const row of audit.listEntities<{ part0: string }>()) {
    const event = JSON.parse(row.part0) as { action: string; entityId: string; actorId: string; entityType: string; occurredDateTime: string };
    if (event.entityType === 'connectedOrganization') events.push({ action: event.action, entityId: event.entityId, actorId: event.actorId, at: event.occurredDateTime });
  }
  // The table's key order is not time order (events are spread over partitions): order them by time.
  return events.sort((a, b) => a.at.localeCompare(b.at)).map(({ at: _at, ...event }) => event);
}

beforeAll(async () => {
  prefix = `o${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
}, TIMEOUT);

afterAll(async () => {
  await host?.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe('connected organizations through the local host', () => {
  const ids: Record<string, string> = {};

  it('an administrator creates one by tenant: 201, configured by default, and reads it back', async () => {
    const created = await send('administrator', 'POST', ORGS, { displayName: 'Fabrikam', description: 'Partner', identitySources: [tenantSource(FABRIKAM_TENANT, 'Fabrikam')] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      '@odata.context': expect.stringContaining('$metadata#identityGovernance/entitlementManagement/connectedOrganizations/$entity'),
      displayName: 'Fabrikam',
      description: 'Partner',
      state: 'configured',
      identitySources: [tenantSource(FABRIKAM_TENANT, 'Fabrikam')],
      createdDateTime: expect.any(String),
      modifiedDateTime: expect.any(String),
    });
    expect(created.body).not.toHaveProperty('internalSponsors');
    ids.fabrikam = created.body.id;
    const read = await asAdmin('GET', `${ORGS}/${ids.fabrikam}`);
    expect(read).toMatchObject({ id: ids.fabrikam, displayName: 'Fabrikam', state: 'configured' });
  }, TIMEOUT);

  it('creates a proposed one by domain (the documented example) and one by SAML/WS-Fed federation', async () => {
    const proposed = await asAdmin('POST', ORGS, { displayName: 'Adatum', description: 'by domain', identitySources: [{ ...domainSource('adatum.com'), domainName: 'Adatum.COM' }], state: 'proposed' }, 201);
    // Domains are kept in lower case, as the directory compares them.
    expect(proposed).toMatchObject({ state: 'proposed', identitySources: [domainSource('adatum.com')] });
    ids.adatum = proposed.id;
    const federated = await asAdmin('POST', ORGS, {
      displayName: 'Tailspin',
      identitySources: [{ '@odata.type': '#microsoft.graph.externalDomainFederation', domainName: 'tailspin.example', displayName: 'Tailspin IdP', issuerUri: 'https://idp.tailspin.example/saml' }],
    }, 201);
    expect(federated.identitySources[0]).toMatchObject({ issuerUri: 'https://idp.tailspin.example/saml' });
    ids.tailspin = federated.id;
  }, TIMEOUT);

  it("lists with $filter on displayName and on the identity source's tenant id (Graph's lambda with a cast), and $select", async () => {
    const byName = await asAdmin('GET', `${ORGS}?$filter=${encodeURIComponent("displayName eq 'adatum'")}`);
    expect(byName.value.map((o: { id: string }) => o.id)).toEqual([ids.adatum]);
    const documented = `identitySources/any(is:is/microsoft.graph.azureActiveDirectoryTenant/tenantId eq '${FABRIKAM_TENANT}')`;
    const byTenant = await asAdmin('GET', `${ORGS}?$filter=${encodeURIComponent(documented)}`);
    expect(byTenant.value.map((o: { id: string }) => o.id)).toEqual([ids.fabrikam]);
    const byDomain = await asAdmin('GET', `${ORGS}?$filter=${encodeURIComponent("identitySources/any(s: s/domainName eq 'tailspin.example')")}`);
    expect(byDomain.value.map((o: { id: string }) => o.id)).toEqual([ids.tailspin]);
    const selected = await asAdmin('GET', `${ORGS}?$select=displayName,state&$filter=${encodeURIComponent("state eq 'proposed'")}`);
    expect(selected.value).toEqual([{ id: ids.adatum, displayName: 'Adatum', state: 'proposed' }]);
  }, TIMEOUT);

  it('pages with $top and @odata.nextLink, and a skip token of another query is refused', async () => {
    const first = await asAdmin('GET', `${ORGS}?$top=2&$orderby=displayName`);
    expect(first.value.map((o: { displayName: string }) => o.displayName)).toEqual(['Adatum', 'Fabrikam']);
    const next = new URL(first['@odata.nextLink']);
    const second = await asAdmin('GET', `${next.pathname}${next.search}`);
    expect(second.value.map((o: { displayName: string }) => o.displayName)).toEqual(['Tailspin']);
    expect(second['@odata.nextLink']).toBeUndefined();
    await refused('administrator', 'GET', `${ORGS}?$top=2&$skiptoken=${next.searchParams.get('$skiptoken')}`, undefined, 400, /different query/);
  }, TIMEOUT);

  it('PATCH answers 202 with the entity; identitySources may be sent unchanged but not changed', async () => {
    const patched = await send('administrator', 'PATCH', `${ORGS}/${ids.adatum}`, { displayName: 'Adatum Corporation', state: 'configured', identitySources: [domainSource('adatum.com')] });
    expect(patched.status).toBe(202);
    expect(patched.body).toMatchObject({ id: ids.adatum, displayName: 'Adatum Corporation', description: 'by domain', state: 'configured', identitySources: [domainSource('adatum.com')] });
    await refused('administrator', 'PATCH', `${ORGS}/${ids.adatum}`, { identitySources: [domainSource('other.example')] }, 400, /identitySources cannot be changed/);
    await refused('administrator', 'PATCH', `${ORGS}/${ids.adatum}`, { state: 'retired' }, 400, /state/);
  }, TIMEOUT);

  it('adds sponsors by $ref (a member user and a group inside, a guest outside), lists and removes them', async () => {
    const sponsors = `${ORGS}/${ids.fabrikam}`;
    expect((await send('administrator', 'POST', `${sponsors}/internalSponsors/$ref`, userRef(DEBRA))).status).toBe(204);
    expect((await send('administrator', 'POST', `${sponsors}/internalSponsors/$ref`, groupRef(FINANCE_APPROVERS))).status).toBe(204);
    expect((await send('administrator', 'POST', `${sponsors}/externalSponsors/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${BEN_GUEST}` })).status).toBe(204);
    // Adding one already there changes nothing.
    const before = await storageSnapshot(prefix);
    expect((await send('administrator', 'POST', `${sponsors}/internalSponsors/$ref`, userRef(DEBRA))).status).toBe(204);
    expect(await storageSnapshot(prefix)).toBe(before);

    const internal = await asAdmin('GET', `${sponsors}/internalSponsors`);
    expect(internal.value).toEqual([
      { '@odata.type': '#microsoft.graph.user', id: DEBRA },
      { '@odata.type': '#microsoft.graph.group', id: FINANCE_APPROVERS },
    ]);
    const external = await asAdmin('GET', `${sponsors}/externalSponsors?$top=1`);
    expect(external.value).toEqual([{ '@odata.type': '#microsoft.graph.user', id: BEN_GUEST }]);

    expect((await send('administrator', 'DELETE', `${sponsors}/internalSponsors/${FINANCE_APPROVERS}/$ref`)).status).toBe(204);
    expect((await asAdmin('GET', `${sponsors}/internalSponsors`)).value).toEqual([{ '@odata.type': '#microsoft.graph.user', id: DEBRA }]);
    await refused('administrator', 'DELETE', `${sponsors}/internalSponsors/${FINANCE_APPROVERS}/$ref`, undefined, 404);
  }, TIMEOUT);

  it('refuses sponsors that are not users or groups, or on the wrong side of the directory', async () => {
    const sponsors = `${ORGS}/${ids.fabrikam}`;
    await refused('administrator', 'POST', `${sponsors}/internalSponsors/$ref`, userRef(KAI_GUEST), 400, /is a guest; an internal sponsor must be a member/);
    await refused('administrator', 'POST', `${sponsors}/externalSponsors/$ref`, userRef(OWEN), 400, /external sponsor must be a guest/);
    await refused('administrator', 'POST', `${sponsors}/internalSponsors/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${SALESFORCE_APP}` }, 400, /not a user or group of this directory/);
    await refused('administrator', 'POST', `${sponsors}/internalSponsors/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/servicePrincipals/${SALESFORCE_APP}` }, 400, /must end in \/users\/\{id\} or \/groups\/\{id\}/);
    await refused('administrator', 'POST', `${sponsors}/internalSponsors/$ref`, userRef('00000000-0000-4000-8000-00000000dead'), 400, /not a user of this directory/);
    await refused('administrator', 'POST', `${sponsors}/externalSponsors/$ref`, {}, 400, /needs "@odata.id"/);
    await refused('administrator', 'POST', `${ORGS}/00000000-0000-4000-8000-00000000beef/internalSponsors/$ref`, userRef(DEBRA), 404);
  }, TIMEOUT);

  it('refuses bad organizations with 400 and a second one for the same tenant or domain with 409', async () => {
    await refused('administrator', 'POST', ORGS, { displayName: 'Two', identitySources: [tenantSource(ADATUM_TENANT), domainSource('two.example')] }, 400, /exactly one identity source \(got 2\)/);
    await refused('administrator', 'POST', ORGS, { displayName: 'None', identitySources: [] }, 400, /exactly one identity source \(got 0\)/);
    await refused('administrator', 'POST', ORGS, { displayName: 'Odd', identitySources: [{ '@odata.type': '#microsoft.graph.carrierPigeon', tenantId: ADATUM_TENANT }] }, 400, /is not an identity source type/);
    await refused('administrator', 'POST', ORGS, { displayName: 'Social', identitySources: [{ '@odata.type': '#microsoft.graph.socialIdentitySource', displayName: 'x', socialIdentitySourceType: 'facebook' }] }, 400, /not supported for connected organizations/);
    await refused('administrator', 'POST', ORGS, { displayName: 'Bad tenant', identitySources: [tenantSource('not-a-guid')] }, 400, /tenantId: 'not-a-guid' is not a GUID/);
    await refused('administrator', 'POST', ORGS, { displayName: 'Bad domain', identitySources: [domainSource('no spaces.example')] }, 400, /is not a domain name/);
    await refused('administrator', 'POST', ORGS, { displayName: 'Ourselves', identitySources: [tenantSource(TENANT)] }, 400, /this directory's own tenant/);
    await refused('administrator', 'POST', ORGS, { displayName: 'Extra', identitySources: [domainSource('extra.example')], colour: 'blue' }, 400, /unknown property 'colour'/);
    await refused('administrator', 'POST', ORGS, { identitySources: [domainSource('nameless.example')] }, 400, /displayName/);
    await refused('administrator', 'POST', ORGS, { displayName: 'Adatum again', identitySources: [domainSource('ADATUM.com')] }, 409, /already has domain 'adatum.com'/);
    await refused('administrator', 'POST', ORGS, { displayName: 'Fabrikam again', identitySources: [tenantSource(FABRIKAM_TENANT.toUpperCase())] }, 409, /already has tenant/);
  }, TIMEOUT);

  it('lets only administrators write: a member gets 403, an anonymous caller 401, a read-only token 403 on writes', async () => {
    const body = { displayName: 'Northwind', identitySources: [domainSource('northwind.example')] };
    await refused('plainUser', 'POST', ORGS, body, 403);
    await refused('anonymous', 'POST', ORGS, body, 401);
    await refused('adminReadOnly', 'POST', ORGS, body, 403);
    await refused('plainUser', 'GET', ORGS, undefined, 403);
    await refused('plainUser', 'PATCH', `${ORGS}/${ids.fabrikam}`, { displayName: 'Mine' }, 403);
    await refused('plainUser', 'POST', `${ORGS}/${ids.fabrikam}/internalSponsors/$ref`, userRef(OWEN), 403);
    await refused('plainUser', 'DELETE', `${ORGS}/${ids.fabrikam}`, undefined, 403);
    expect((await send('adminReadOnly', 'GET', `${ORGS}/${ids.fabrikam}`)).status).toBe(200);
  }, TIMEOUT);

  it('of several creations for one domain at once, exactly one succeeds', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => send('administrator', 'POST', ORGS, { displayName: `Race ${i}`, identitySources: [domainSource('race.example')] })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const listed = await asAdmin('GET', `${ORGS}?$filter=${encodeURIComponent("identitySources/any(s: s/domainName eq 'race.example')")}`);
    expect(listed.value).toHaveLength(1);
    ids.race = listed.value[0].id;
  }, TIMEOUT);

  it('refuses to delete an organization a policy names (409), then deletes it once the policy is gone', async () => {
    const catalog = await asAdmin('POST', `${EM}/catalogs`, { displayName: 'Partners', isExternallyVisible: true });
    const accessPackage = await asAdmin('POST', `${EM}/accessPackages`, { displayName: 'Partner access', catalog: { id: catalog.id } });
    const policyFor = (connectedOrganizationId: string) => ({
      displayName: 'Fabrikam users',
      allowedTargetScope: 'specificConnectedOrganizationUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId }],
      requestorSettings: { enableTargetsToSelfAddAccess: true },
      requestApprovalSettings: {
        isApprovalRequiredForAdd: true,
        stages: [{ durationBeforeAutomaticDenial: 'P7D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.externalSponsors' }], fallbackPrimaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: ADMIN }] }],
      },
      expiration: { type: 'afterDuration', duration: 'P1D' },
      accessPackage: { id: accessPackage.id },
    });
    const missing = '00000000-0000-4000-8000-00000000cafe';
    await refused('administrator', 'POST', `${EM}/assignmentPolicies`, policyFor(missing), 400, new RegExp(`specificAllowedTargets.0.connectedOrganizationId: connected organization '${missing}' does not exist`));
    const policy = await asAdmin('POST', `${EM}/assignmentPolicies`, policyFor(ids.fabrikam!));
    await refused('administrator', 'DELETE', `${ORGS}/${ids.fabrikam}`, undefined, 409, new RegExp(`named by 1 assignment policy \\('${policy.id}'\\)`));
    await asAdmin('DELETE', `${EM}/assignmentPolicies/${policy.id}`);
    expect((await send('administrator', 'DELETE', `${ORGS}/${ids.fabrikam}`)).status).toBe(204);
    await refused('administrator', 'GET', `${ORGS}/${ids.fabrikam}`, undefined, 404);
    // Its tenant is free again.
    const again = await asAdmin('POST', ORGS, { displayName: 'Fabrikam anew', identitySources: [tenantSource(FABRIKAM_TENANT)] }, 201);
    ids.fabrikamAgain = again.id;
  }, TIMEOUT);

  it('audited every change under the administrator', async () => {
    const events = await auditActions();
    const of = (id: string) => events.filter((e) => e.entityId === id).map((e) => e.action);
    expect(of(ids.fabrikam!)).toEqual(['createConnectedOrganization', 'addInternalSponsor', 'addInternalSponsor', 'addExternalSponsor', 'removeInternalSponsor', 'deleteConnectedOrganization']);
    expect(of(ids.adatum!)).toEqual(['createConnectedOrganization', 'updateConnectedOrganization']);
    expect(of(ids.race!)).toEqual(['createConnectedOrganization']);
    expect(events.every((e) => e.actorId === ADMIN)).toBe(true);
    // One event per change that happened: the refused creations of the race left none.
    expect(events.filter((e) => e.action === 'createConnectedOrganization')).toHaveLength(5);
  }, TIMEOUT);
});

describe('external user lifecycle settings', () => {
  const SETTINGS = `${EM}/settings`;

  it('accepts the enum in any case and a duration from zero to ten years, and stores them', async () => {
    expect((await send('administrator', 'PATCH', SETTINGS, { externalUserLifecycleAction: 'BlockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'P0D' })).status).toBe(204);
    expect(await asAdmin('GET', SETTINGS)).toMatchObject({ externalUserLifecycleAction: 'blockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'PT0S' });
    expect((await send('administrator', 'PATCH', SETTINGS, { durationUntilExternalUserDeletedAfterBlocked: 'P3650D' })).status).toBe(204);
    expect(await asAdmin('GET', SETTINGS)).toMatchObject({ externalUserLifecycleAction: 'blockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'P3650D' });
  }, TIMEOUT);

  it.each([
    [{ externalUserLifecycleAction: 'deleteAtOnce' }, /is not one of none, blockSignIn, blockSignInAndDelete/],
    [{ durationUntilExternalUserDeletedAfterBlocked: 'P3651D' }, /longer than P3650D/],
    [{ durationUntilExternalUserDeletedAfterBlocked: '-P1D' }, /is not an ISO 8601 duration of zero or more/],
    [{ durationUntilExternalUserDeletedAfterBlocked: 'thirty days' }, /is not an ISO 8601 duration/],
    [{ durationUntilExternalUserDeletedAfterBlocked: null }, /durationUntilExternalUserDeletedAfterBlocked/],
  ])('refuses %j with 400, changing nothing', async (body, message) => {
    await refused('administrator', 'PATCH', SETTINGS, body, 400, message);
  }, TIMEOUT);
});
