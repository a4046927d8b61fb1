import { randomBytes, randomUUID } from 'node:crypto';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, waitUntil, type RunningHost, runTimerNow } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * Users outside the organization, end to end through the local host and the Graph emulator (DESIGN §2.4, reference
 * graph-wave2 §1): the seed scenario "Govern access for users outside your organization", from the administrator's
 * connected organization to the guest's deletion, then who is admitted under which scope, and what a caller from
 * another tenant is refused (a 4xx in Graph's shape, nothing stored changed).
 */

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7'; // a member: Fabrikam's internal sponsor
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874'; // a member without roles
const BEN_GUEST = '5d4a47ec-58ca-418c-a7e5-67e387ed23b1'; // ben.walters@fabrikam.com, a guest: Fabrikam's external sponsor
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
/** Other tenants: Fabrikam is connected, Woodgrove is not (until a request proposes it), Adatum is proposed by the test. */
const FABRIKAM_TENANT = '3c1e7a52-8f4d-4c1b-9a6e-2d5f7b9c1e4a';
const WOODGROVE_TENANT = '9d2b4f61-3a7c-4e8d-b5f0-1c6a8e2d4b7f';
const ADATUM_TENANT = '6e8a0c2d-4f1b-4a3c-9e5d-7b9f1d3c5a8e';
const EM = '/v1.0/identityGovernance/entitlementManagement';
const TIMEOUT = 120_000;

let host: RunningHost;
let prefix: string;

interface Answer {
  status: number;
  body: any;
}

/** Someone of another tenant, signed in as App Service Authentication describes them. */
interface Outsider {
  objectId: string;
  tenantId: string;
  email: string;
  name: string;
  emailVerified: boolean;
}

const outsider = (tenantId: string, email: string, name: string, emailVerified = false): Outsider => ({ objectId: randomUUID(), tenantId, email, name, emailVerified });
const principalOf = (who: Outsider) =>
  clientPrincipal(who.objectId, who.tenantId, [
    { typ: 'preferred_username', val: who.email },
    { typ: 'name', val: who.name },
    // The issuer vouches that the address's domain is the tenant's (the `xms_edov` optional claim).
    ...(who.emailVerified ? [{ typ: 'xms_edov', val: 'true' }] : []),
  ]);

async function send(principal: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${host.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-ms-client-principal': principal },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** A call that must succeed, as the given principal. */
async function ok(principal: string, method: string, path: string, body?: unknown): Promise<any> {
  const answer = await send(principal, method, path, body);
  if (answer.status >= 300) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

const admin = clientPrincipal(ADMIN, TENANT);
const asAdmin = (method: string, path: string, body?: unknown) => ok(admin, method, path, body);

const runSweep = (name: string) => runTimerNow(host, name);

const emulatorGet = async (path: string): Promise<Answer> => {
  const response = await fetch(`${host.emulatorUrl}${path}`);
  return { status: response.status, body: await response.json() };
};
const groupMembers = async (groupId: string): Promise<string[]> => (await emulatorGet(`/v1.0/groups/${groupId}/members?$select=id&$top=999`)).body.value.map((m: { id: string }) => m.id);
const directoryUserByMail = async (email: string): Promise<any> =>
  (await emulatorGet(`/v1.0/users?$filter=${encodeURIComponent(`mail eq '${email}'`)}&$select=id,userType,accountEnabled,creationType,externalUserState,displayName`)).body.value[0];
const directoryWrites = async (): Promise<Record<string, number>> => {
  const counts = (await emulatorGet('/_emulator/requests')).body as { byRoute: Record<string, number> };
  return Object.fromEntries(Object.entries(counts.byRoute).filter(([route]) => !route.startsWith('GET ')));
};
const clearDirectoryCounts = () => fetch(`${host.emulatorUrl}/_emulator/requests`, { method: 'DELETE' });

const tenantSource = (tenantId: string, displayName: string) => ({ '@odata.type': '#microsoft.graph.azureActiveDirectoryTenant', tenantId, displayName });
const organizationMembers = (connectedOrganizationId: string) => ({ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId });
const singleUser = (userId: string) => ({ '@odata.type': '#microsoft.graph.singleUser', userId });

/** The audit events' actions about one entity (or every entity of a type), read from the audit table itself. */
async function auditActions(about: { entityId?: string; entityType?: string }): Promise<string[]> {
  const table = TableClient.fromConnectionString(testStorageConnectionString(), `${prefix}auditEvents`, { allowInsecureConnection: true });
  const actions: string[] = [];
  for await (const row of table.listEntities<{ entityId: string; entityType: string; action: string }>()) {
    if ((about.entityId === undefined || row.entityId === about.entityId) && (about.entityType === undefined || row.entityType === about.entityType)) actions.push(row.action);
  }
  return actions;
}

/** A published catalog, enabled for external users unless told otherwise, granting membership of Project Falcon. */
async function catalogWithFalcon(name: string, isExternallyVisible = true): Promise<string> {
  const { id } = await asAdmin('POST', `${EM}/catalogs`, { displayName: name, state: 'published', isExternallyVisible });
  await asAdmin('POST', `${EM}/resourceRequests`, { requestType: 'adminAdd', resource: { originId: FALCON_GROUP, originSystem: 'AadGroup' }, catalog: { id } });
  return id;
}

/** A package granting Project Falcon's membership with one self-service policy (fields of `policy` override). */
async function packageFor(catalogId: string, name: string, policy: Record<string, unknown>): Promise<{ packageId: string; policyId: string }> {
  const { id: packageId } = await asAdmin('POST', `${EM}/accessPackages`, { displayName: name, catalog: { id: catalogId } });
  await asAdmin('POST', `${EM}/accessPackages/${packageId}/resourceRoleScopes`, { role: { originId: `Member_${FALCON_GROUP}`, originSystem: 'AadGroup' }, scope: { originId: FALCON_GROUP, originSystem: 'AadGroup' } });
  const { id: policyId } = await asAdmin('POST', `${EM}/assignmentPolicies`, {
    displayName: `${name} policy`,
    requestorSettings: { enableTargetsToSelfAddAccess: true, allowCustomAssignmentSchedule: true },
    requestApprovalSettings: { isApprovalRequiredForAdd: true, isRequestorJustificationRequired: true, stages: [{ durationBeforeAutomaticDenial: 'P7D', primaryApprovers: [singleUser(DEBRA)] }] },
    expiration: { type: 'afterDuration', duration: 'P1D' },
    ...policy,
    accessPackage: { id: packageId },
  });
  return { packageId, policyId };
}

let fabrikam: Promise<{ id: string }> | undefined;

/** Fabrikam as a configured connected organization, with Debra as internal and Ben as external sponsor (made once). */
function connectFabrikam(): Promise<{ id: string }> {
  fabrikam ??= (async () => {
    const organization = await asAdmin('POST', `${EM}/connectedOrganizations`, { displayName: 'Fabrikam', identitySources: [tenantSource(FABRIKAM_TENANT, 'Fabrikam')] });
    await asAdmin('POST', `${EM}/connectedOrganizations/${organization.id}/internalSponsors/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/users/${DEBRA}` });
    await asAdmin('POST', `${EM}/connectedOrganizations/${organization.id}/externalSponsors/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/users/${BEN_GUEST}` });
    return organization;
  })();
  return fabrikam;
}

const requestFor = (packageId: string, extra: Record<string, unknown> = {}) => ({ requestType: 'userAdd', assignment: { accessPackageId: packageId }, justification: 'Working on the Falcon launch with Contoso.', ...extra });

beforeAll(async () => {
  prefix = `x${randomBytes(4).toString('hex')}`;
  host = await startHost({ AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix, ...TIMERS_DISABLED });
}, TIMEOUT);

afterAll(async () => {
  await host?.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe('governing access for users outside the organization (the seed scenario)', () => {
  it(
    'takes a Fabrikam user from request through sponsor approval, invitation and membership to their guest being blocked and deleted',
    async () => {
      // The administrator connects Fabrikam, with an internal and an external sponsor.
      const fabrikam = await connectFabrikam();
      expect((await asAdmin('GET', `${EM}/connectedOrganizations/${fabrikam.id}/externalSponsors`)).value).toEqual([expect.objectContaining({ id: BEN_GUEST })]);
      await asAdmin('PATCH', `${EM}/settings`, { externalUserLifecycleAction: 'blockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'PT3S' });

      // A package for Fabrikam's users, approved by Fabrikam's external sponsors, for a day at most.
      const catalogId = await catalogWithFalcon('Partners');
      const { packageId } = await packageFor(catalogId, 'Falcon for partners', {
        allowedTargetScope: 'specificConnectedOrganizationUsers',
        specificAllowedTargets: [organizationMembers(fabrikam.id)],
        requestApprovalSettings: {
          isApprovalRequiredForAdd: true,
          isRequestorJustificationRequired: true,
          stages: [{ durationBeforeAutomaticDenial: 'P7D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.externalSponsors' }], fallbackPrimaryApprovers: [singleUser(ADMIN)] }],
        },
      });

      // Rosa, signed in at Fabrikam, finds the package and what it asks.
      const rosa = outsider(FABRIKAM_TENANT, 'rosa.rivera@fabrikam.com', 'Rosa Rivera');
      const asRosa = principalOf(rosa);
      const listed = await ok(asRosa, 'GET', `${EM}/accessPackages/filterByCurrentUser(on='allowedRequestor')`);
      expect(listed.value.map((p: { id: string }) => p.id)).toEqual([packageId]);
      expect(await ok(asRosa, 'GET', `${EM}/accessPackages/${packageId}`)).toMatchObject({ id: packageId, displayName: 'Falcon for partners' });
      const requirements = await ok(asRosa, 'POST', `${EM}/accessPackages/${packageId}/getApplicablePolicyRequirements`);
      expect(requirements.value).toHaveLength(1);
      expect(requirements.value[0]).toMatchObject({ isApprovalRequiredForAdd: true, isRequestorJustificationRequired: true });

      // She asks for a short period within the policy's day, with a justification. Timers are off: the period
      // ends only when the expiration sweep finds it over.
      const submitted = await ok(asRosa, 'POST', `${EM}/assignmentRequests`, requestFor(packageId, { schedule: { expiration: { type: 'afterDuration', duration: 'PT2S' } } }));
      const [pending] = (await ok(asRosa, 'GET', `${EM}/assignmentRequests/filterByCurrentUser(on='target')?$expand=requestor`)).value;
      expect(pending).toMatchObject({ id: submitted.id, state: 'pendingApproval' });
      expect(pending.requestor).toMatchObject({ email: rosa.email, displayName: 'Rosa Rivera', objectId: null, subjectType: 'user' });

      // Ben, Fabrikam's external sponsor, decides; Debra (the internal sponsor) is not asked by this stage.
      const asBen = clientPrincipal(BEN_GUEST, TENANT);
      expect((await ok(asBen, 'GET', `${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`)).value.map((a: { id: string }) => a.id)).toEqual([submitted.id]);
      expect((await ok(clientPrincipal(DEBRA, TENANT), 'GET', `${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`)).value).toEqual([]);
      const [stage] = (await ok(asBen, 'GET', `${EM}/accessPackageAssignmentApprovals/${submitted.id}/stages`)).value;
      await ok(asBen, 'PATCH', `${EM}/accessPackageAssignmentApprovals/${submitted.id}/stages/${stage.id}`, { reviewResult: 'Approve', justification: 'Rosa leads our side of Falcon.' });

      // She is invited (no invitation mail: Entra mails "delivered" instead) and her guest joins the group.
      const delivered = await asAdmin('GET', `${EM}/assignmentRequests/${submitted.id}`);
      expect(delivered.state).toBe('delivered');
      const guest = await directoryUserByMail(rosa.email);
      expect(guest).toMatchObject({ userType: 'Guest', creationType: 'Invitation', accountEnabled: true, displayName: 'Rosa Rivera' });
      expect(await groupMembers(FALCON_GROUP)).toContain(guest.id);
      const invitationMails = (await emulatorGet('/_emulator/outbox')).body.value.filter((m: { to: string[]; from?: string }) => m.to.includes(rosa.email) && m.from === 'invites@microsoft.com');
      expect(invitationMails).toEqual([]);

      // She sees her active assignment, with her token from Fabrikam and with her new guest account alike.
      const mine = await ok(asRosa, 'GET', `${EM}/assignments/filterByCurrentUser(on='target')?$expand=target`);
      expect(mine.value).toHaveLength(1);
      expect(mine.value[0]).toMatchObject({ state: 'delivered', target: { objectId: guest.id, email: rosa.email } });
      const asRosaGuest = clientPrincipal(guest.id, TENANT);
      expect((await ok(asRosaGuest, 'GET', `${EM}/assignments/filterByCurrentUser(on='target')`)).value.map((a: { id: string }) => a.id)).toEqual([mine.value[0].id]);

      // Her period ends: the guest leaves the group and is blocked at once, then deleted after PT3S.
      const herState = async () => (await ok(asRosa, 'GET', `${EM}/assignments/filterByCurrentUser(on='target')`)).value[0].state;
      expect(await waitUntil(async () => (await runSweep('expirationSweep'), (await herState()) === 'expired'), 15_000)).toBe(true);
      expect(await groupMembers(FALCON_GROUP)).not.toContain(guest.id);
      await runSweep('externalUserSweep');
      expect((await directoryUserByMail(rosa.email)).accountEnabled).toBe(false);
      expect(
        await waitUntil(async () => {
          await runSweep('externalUserSweep');
          return (await emulatorGet(`/v1.0/users/${guest.id}`)).status === 404;
        }, 15_000),
      ).toBe(true);

      // Every step is in the audit: the request, the decision, the invitation, and the guest's block and deletion.
      expect(await auditActions({ entityId: submitted.id })).toEqual(expect.arrayContaining(['submitRequest', 'decideApprovalStage.approved']));
      expect(await auditActions({ entityType: 'accessPackageSubject' })).toEqual(expect.arrayContaining(['inviteExternalUser', 'blockExternalUser', 'deleteExternalUser']));
    },
    TIMEOUT,
  );
});

describe('who from outside is admitted', () => {
  it(
    'proposes a connected organization for a requestor of an unknown one under allExternalUsers, and audits it',
    async () => {
      const catalogId = await catalogWithFalcon('Anyone outside');
      const { packageId } = await packageFor(catalogId, 'Falcon for anyone outside', { allowedTargetScope: 'allExternalUsers' });
      const wendy = outsider(WOODGROVE_TENANT, 'wendy@woodgrove.example', 'Wendy Woodgrove');

      expect((await ok(principalOf(wendy), 'GET', `${EM}/accessPackages/filterByCurrentUser(on='allowedRequestor')`)).value.map((p: { id: string }) => p.id)).toContain(packageId);
      // Looking creates nothing; asking does.
      expect((await asAdmin('GET', `${EM}/connectedOrganizations?$filter=displayName eq 'woodgrove.example'`)).value).toEqual([]);
      const submitted = await ok(principalOf(wendy), 'POST', `${EM}/assignmentRequests`, requestFor(packageId));

      const [proposed] = (await asAdmin('GET', `${EM}/connectedOrganizations?$filter=displayName eq 'woodgrove.example'`)).value;
      expect(proposed).toMatchObject({ state: 'proposed', identitySources: [expect.objectContaining({ tenantId: WOODGROVE_TENANT })] });
      expect(await auditActions({ entityId: proposed.id })).toEqual(['createConnectedOrganization']);
      expect((await asAdmin('GET', `${EM}/assignmentRequests/${submitted.id}`)).state).toBe('pendingApproval');

      // She may withdraw her own request while it waits.
      await ok(principalOf(wendy), 'POST', `${EM}/assignmentRequests/${submitted.id}/cancel`);
      expect((await asAdmin('GET', `${EM}/assignmentRequests/${submitted.id}`)).state).toBe('canceled');

      // A second requestor of the same tenant joins the same proposed organization.
      await ok(principalOf(outsider(WOODGROVE_TENANT, 'will@woodgrove.example', 'Will')), 'POST', `${EM}/assignmentRequests`, requestFor(packageId));
      expect((await asAdmin('GET', `${EM}/connectedOrganizations?$filter=displayName eq 'woodgrove.example'`)).value).toHaveLength(1);
    },
    TIMEOUT,
  );

  it(
    'refuses a requestor of an unconnected organization under the configured-only scope, and a proposed organization’s users too, changing nothing',
    async () => {
      await connectFabrikam();
      const catalogId = await catalogWithFalcon('Configured only');
      const { packageId } = await packageFor(catalogId, 'Falcon for configured partners', { allowedTargetScope: 'allConfiguredConnectedOrganizationUsers' });
      await ok(admin, 'POST', `${EM}/connectedOrganizations`, { displayName: 'Adatum (proposed)', state: 'proposed', identitySources: [tenantSource(ADATUM_TENANT, 'Adatum')] });
      const stranger = principalOf(outsider('1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b', 'sam@unconnected.example', 'Sam'));
      const proposedUser = principalOf(outsider(ADATUM_TENANT, 'ada@adatum.example', 'Ada'));

      for (const who of [stranger, proposedUser]) {
        expect((await ok(who, 'GET', `${EM}/accessPackages/filterByCurrentUser(on='allowedRequestor')`)).value.map((p: { id: string }) => p.id)).not.toContain(packageId);
        expect((await ok(who, 'POST', `${EM}/accessPackages/${packageId}/getApplicablePolicyRequirements`)).value).toEqual([]);
        await refusedWithoutChange(who, 'POST', `${EM}/assignmentRequests`, requestFor(packageId), 403);
        await refusedWithoutChange(who, 'GET', `${EM}/accessPackages/${packageId}`, undefined, 403);
      }
      // Configured, Fabrikam's users are admitted by the same policy.
      const fabrikamUser = principalOf(outsider(FABRIKAM_TENANT, 'fred@fabrikam.com', 'Fred'));
      expect((await ok(fabrikamUser, 'POST', `${EM}/accessPackages/${packageId}/getApplicablePolicyRequirements`)).value).toHaveLength(1);
    },
    TIMEOUT,
  );
});

describe('what the address in a token cannot do (any tenant can write any address)', () => {
  it(
    'matches a connected organization by email domain only when the token vouches for the address',
    async () => {
      const catalogId = await catalogWithFalcon('Partner by domain');
      const partner = await asAdmin('POST', `${EM}/connectedOrganizations`, {
        displayName: 'Partner by domain',
        identitySources: [{ '@odata.type': '#microsoft.graph.domainIdentitySource', domainName: 'partner.example', displayName: 'Partner' }],
      });
      const { packageId } = await packageFor(catalogId, 'Falcon for the partner', { allowedTargetScope: 'specificConnectedOrganizationUsers', specificAllowedTargets: [organizationMembers(partner.id)] });
      const anyTenant = '2a4c6e8f-1b3d-4f5a-8c7e-9d0b2f4a6c8e';

      await refusedWithoutChange(principalOf(outsider(anyTenant, 'eve@partner.example', 'Eve')), 'POST', `${EM}/assignmentRequests`, requestFor(packageId), 403);
      const vouched = await ok(principalOf(outsider(anyTenant, 'pat@partner.example', 'Pat', true)), 'POST', `${EM}/assignmentRequests`, requestFor(packageId));
      expect((await asAdmin('GET', `${EM}/assignmentRequests/${vouched.id}`)).state).toBe('pendingApproval');
    },
    TIMEOUT,
  );

  it(
    'never makes a requestor from outside into a member who has their address: the request fails and shows the member nothing',
    async () => {
      const catalogId = await catalogWithFalcon('Open to anyone outside, no approval');
      const { packageId } = await packageFor(catalogId, 'Falcon without approval', {
        allowedTargetScope: 'allExternalUsers',
        requestApprovalSettings: { isApprovalRequiredForAdd: false, isRequestorJustificationRequired: false, stages: [] },
      });
      const pretender = outsider('7c9e1a3b-5d7f-4b2a-9c4e-6f8a0b2c4d6e', 'megan.bowen@contoso.com', 'Not Megan', true);
      const membersBefore = await groupMembers(FALCON_GROUP);

      const submitted = await ok(principalOf(pretender), 'POST', `${EM}/assignmentRequests`, requestFor(packageId));

      await waitUntil(async () => (await asAdmin('GET', `${EM}/assignmentRequests/${submitted.id}`)).state === 'deliveryFailed', 30_000);
      expect(await groupMembers(FALCON_GROUP)).toEqual(membersBefore);
      expect(await directoryUserByMail('megan.bowen@contoso.com')).toMatchObject({ id: MEGAN, userType: 'Member' });
      expect((await ok(principalOf(pretender), 'GET', `${EM}/assignments/filterByCurrentUser(on='target')`)).value).toEqual([]);
      const theirRequests = (await ok(principalOf(pretender), 'GET', `${EM}/assignmentRequests/filterByCurrentUser(on='target')`)).value as Array<{ id: string }>;
      expect(theirRequests.map((r) => r.id)).toEqual([submitted.id]);
    },
    TIMEOUT,
  );
});

describe('the packages a member may request', () => {
  it(
    'lists for a member the packages open to members only, shows one by id without its policies, and leaves out those for outsiders',
    async () => {
      const catalogId = await catalogWithFalcon('Mixed');
      const forMembers = await packageFor(catalogId, 'Falcon for members of Mixed', { allowedTargetScope: 'allMemberUsers' });
      const forOutsiders = await packageFor(catalogId, 'Falcon for outsiders of Mixed', { allowedTargetScope: 'allExternalUsers' });
      const megan = clientPrincipal(MEGAN, TENANT);

      const listed = (await ok(megan, 'GET', `${EM}/accessPackages/filterByCurrentUser(on='allowedRequestor')`)).value.map((p: { id: string }) => p.id);
      expect(listed).toContain(forMembers.packageId);
      expect(listed).not.toContain(forOutsiders.packageId);
      expect(await ok(megan, 'GET', `${EM}/accessPackages/${forMembers.packageId}`)).toMatchObject({ id: forMembers.packageId });
      // A requestor reads the package alone: its policies and resources are for its catalog's readers.
      await refusedWithoutChange(megan, 'GET', `${EM}/accessPackages/${forMembers.packageId}?$expand=assignmentPolicies`, undefined, 400);
      await refusedWithoutChange(megan, 'GET', `${EM}/accessPackages/${forOutsiders.packageId}`, undefined, 403);
      // A package that does not exist is refused to her as one she may not read: the answer tells nothing.
      await refusedWithoutChange(megan, 'GET', `${EM}/accessPackages/${randomUUID()}`, undefined, 403);
    },
    TIMEOUT,
  );
});

/** Sends a call that must be refused: its status, Graph's error shape, nothing stored changed, no directory write. */
async function refusedWithoutChange(principal: string, method: string, path: string, body: unknown, status: number): Promise<Answer> {
  await clearDirectoryCounts();
  const before = await storageSnapshot(prefix);
  const answer = await send(principal, method, path, body);
  expect({ path, status: answer.status }).toEqual({ path, status });
  expect(answer.body.error).toEqual({ code: expect.any(String), message: expect.any(String), innerError: expect.objectContaining({ 'request-id': expect.any(String), date: expect.any(String) }) });
  expect(await storageSnapshot(prefix)).toEqual(before);
  expect(await directoryWrites()).toEqual({});
  return answer;
}

describe('what a caller from another tenant is refused', () => {
  it(
    'refuses reading catalogs, policies, requests and administration, and requesting an internal-only package or one of a catalog not enabled for external users, changing nothing',
    async () => {
      await connectFabrikam();
      const internalCatalog = await catalogWithFalcon('Internal only', false);
      const internalOnly = await packageFor(internalCatalog, 'Falcon for members', { allowedTargetScope: 'allMemberUsers' });
      const hiddenFromOutside = await packageFor(internalCatalog, 'Falcon for anyone, catalog closed to outsiders', { allowedTargetScope: 'allExternalUsers' });
      const openCatalog = await catalogWithFalcon('Open to partners');
      const membersOnlyInOpenCatalog = await packageFor(openCatalog, 'Members only, in an open catalog', { allowedTargetScope: 'allDirectoryUsers' });
      const fred = principalOf(outsider(FABRIKAM_TENANT, 'fred@fabrikam.com', 'Fred'));

      for (const path of [
        `${EM}/catalogs`,
        `${EM}/catalogs/${openCatalog}`,
        `${EM}/accessPackages`,
        `${EM}/assignmentPolicies`,
        `${EM}/assignmentRequests`,
        `${EM}/assignments`,
        `${EM}/connectedOrganizations`,
        `${EM}/settings`,
        `${EM}/accessPackages/${internalOnly.packageId}`,
        `${EM}/accessPackages/${membersOnlyInOpenCatalog.packageId}/assignmentPolicies`,
        '/v1.0/roleManagement/entitlementManagement/roleAssignments',
      ]) {
        await refusedWithoutChange(fred, 'GET', path, undefined, 403);
      }
      await refusedWithoutChange(fred, 'POST', `${EM}/catalogs`, { displayName: 'Mine' }, 403);
      await refusedWithoutChange(fred, 'POST', `${EM}/assignmentRequests`, requestFor(internalOnly.packageId), 403);
      await refusedWithoutChange(fred, 'POST', `${EM}/assignmentRequests`, requestFor(hiddenFromOutside.packageId), 403);
      await refusedWithoutChange(fred, 'POST', `${EM}/assignmentRequests`, requestFor(membersOnlyInOpenCatalog.packageId), 403);
      await refusedWithoutChange(fred, 'POST', `${EM}/assignmentRequests`, { requestType: 'adminAdd', assignment: { accessPackageId: internalOnly.packageId, targetId: DEBRA, assignmentPolicyId: internalOnly.policyId } }, 403);
      // A request that leaves out what the policy asks is refused before anything is made for the requestor.
      const fabrikamPackage = await packageFor(openCatalog, 'Falcon for all configured', { allowedTargetScope: 'allConfiguredConnectedOrganizationUsers' });
      const newcomer = principalOf(outsider(FABRIKAM_TENANT, 'nina@fabrikam.com', 'Nina'));
      await refusedWithoutChange(newcomer, 'POST', `${EM}/assignmentRequests`, { requestType: 'userAdd', assignment: { accessPackageId: fabrikamPackage.packageId } }, 400);
      expect((await ok(fred, 'GET', `${EM}/accessPackages/filterByCurrentUser(on='allowedRequestor')`)).value.map((p: { id: string }) => p.id)).toEqual(
        expect.not.arrayContaining([internalOnly.packageId, hiddenFromOutside.packageId, membersOnlyInOpenCatalog.packageId]),
      );
    },
    TIMEOUT,
  );
});
