import { randomBytes } from 'node:crypto';
import { odata, TableClient, TableServiceClient } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost, runTimerNow, waitUntil } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874';
/** A guest invited by hand before Portcullis: never governed by it. */
const BEN = { id: '5d4a47ec-58ca-418c-a7e5-67e387ed23b1', mail: 'ben.walters@fabrikam.com' };
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const EM = '/identityGovernance/entitlementManagement';

let host: RunningHost;
let admin: Client;
let prefix: string;
let emulator: string;
let pkg: { packageId: string; policyId: string };

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface GraphUser {
  id: string;
  userType: string;
  accountEnabled: boolean;
  externalUserState: string | null;
  creationType: string | null;
}

interface PendingRemoval {
  userId: string;
  nextStep: string;
  deleteDateTime: string | null;
  invitedByRequestId: string | null;
  endedAssignmentId: string;
}

beforeAll(async () => {
  prefix = `x${randomBytes(4).toString('hex')}`;
  host = await startHost({ AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix, ...TIMERS_DISABLED });
  admin = graphClientFor(host.url, clientPrincipal(ADMIN, TENANT));
  emulator = host.emulatorUrl!;
  const catalogId = (await admin.api(`${EM}/catalogs`).post({ displayName: 'Partners', isExternallyVisible: true })).id;
  await admin.api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: FALCON_GROUP, originSystem: 'AadGroup' }, catalog: { id: catalogId } });
  const { id: packageId } = await admin.api(`${EM}/accessPackages`).post({ displayName: 'Partner project', catalog: { id: catalogId } });
  await admin.api(`${EM}/accessPackages/${packageId}/resourceRoleScopes`).post({
    role: { originId: `Member_${FALCON_GROUP}`, originSystem: 'AadGroup' },
    scope: { originId: FALCON_GROUP, originSystem: 'AadGroup' },
  });
  const { id: policyId } = await admin.api(`${EM}/assignmentPolicies`).post({
    displayName: 'Direct assignment',
    allowedTargetScope: 'notSpecified',
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    accessPackage: { id: packageId },
  });
  pkg = { packageId, policyId };
});
afterAll(async () => {
  await host?.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

afterEach(async () => {
  await emulatorCall('DELETE', '/_emulator/faults');
  await emulatorCall('PUT', '/_emulator/invitationPolicy', { blockedDomains: [] });
});

async function emulatorCall(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

/** The users of the emulated directory an address belongs to, read as any Graph client would. */
async function usersWithMail(mail: string): Promise<GraphUser[]> {
  const filter = encodeURIComponent(`mail eq '${mail}'`);
  const found = (await emulatorCall('GET', `/v1.0/users?$filter=${filter}&$select=id,userType,accountEnabled,externalUserState,creationType`)) as { value: GraphUser[] };
  return found.value;
}

async function userById(id: string): Promise<GraphUser | undefined> {
  const response = await fetch(`${emulator}/v1.0/users/${id}?$select=id,userType,accountEnabled,externalUserState,creationType`);
  return response.status === 404 ? undefined : ((await response.json()) as GraphUser);
}

async function memberIds(groupId: string): Promise<string[]> {
  return ((await emulatorCall('GET', `/v1.0/groups/${groupId}/members?$select=id&$top=999`)) as { value: Array<{ id: string }> }).value.map((m) => m.id);
}

async function userCount(): Promise<number> {
  return ((await emulatorCall('GET', '/v1.0/users?$select=id&$top=999')) as { value: unknown[] }).value.length;
}

const runSweep = (name: string) => runTimerNow(host, name);

const setLifecycle = (externalUserLifecycleAction: string, durationUntilExternalUserDeletedAfterBlocked: string) =>
  admin.api(`${EM}/settings`).patch({ externalUserLifecycleAction, durationUntilExternalUserDeletedAfterBlocked });

const addByEmail = (email: string, key: 'assignment' | 'accessPackageAssignment' = 'assignment') =>
  admin.api(`${EM}/assignmentRequests`).post({ requestType: 'adminAdd', [key]: { target: { email, displayName: email.split('@')[0] }, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });

const requestOf = async (id: string) => admin.api(`${EM}/assignmentRequests/${id}`).get();

async function activeAssignmentOf(userId: string): Promise<{ id: string; state: string } | undefined> {
  const found = await admin.api(`${EM}/assignments`).filter(`target/objectId eq '${userId}' and accessPackage/id eq '${pkg.packageId}'`).get();
  return (found.value as Array<{ id: string; state: string }>).find((a) => a.state !== 'expired');
}

async function removeAssignment(assignmentId: string): Promise<void> {
  await admin.api(`${EM}/assignmentRequests`).post({ requestType: 'adminRemove', assignment: { id: assignmentId } });
}

async function pendingRemovals(as = ADMIN, query = ''): Promise<Response> {
  return fetch(`${host.url}/api/externalUsers/pendingRemovals${query}`, { headers: { 'x-ms-client-principal': clientPrincipal(as, TENANT) } });
}

async function pendingFor(userId: string): Promise<PendingRemoval | undefined> {
  const response = await pendingRemovals();
  expect(response.status).toBe(200);
  return ((await response.json()) as { value: PendingRemoval[] }).value.find((p) => p.userId === userId);
}

/** The audit events of an action, read from the audit table. */
async function auditEvents(action: string): Promise<Array<{ entityId: string; after: Record<string, unknown> }>> {
  const table = TableClient.fromConnectionString(testStorageConnectionString(), `${prefix}auditEvents`, { allowInsecureConnection: true });
  const events: Array<{ entityId: string; after: Record<string, unknown> }> = [];
  for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`action eq ${action}` } })) {
    const json = Array.from({ length: Number(row.parts ?? 1) }, (_, i) => String(row[`part${i}`] ?? '')).join('');
    events.push(JSON.parse(json) as { entityId: string; after: Record<string, unknown> });
  }
  return events;
}

async function deliveredGuest(requestId: string, email: string): Promise<GraphUser> {
  expect(await requestOf(requestId)).toMatchObject({ state: 'delivered', status: 'Delivered' });
  const guests = await usersWithMail(email);
  expect(guests).toHaveLength(1);
  return guests[0]!;
}

describe('adminAdd by email', () => {
  it('invites a guest (no invitation mail), puts them in the group as governed; the end blocks them at once and externalUserSweep deletes them after the duration', async () => {
    await setLifecycle('blockSignInAndDelete', 'PT3S');
    const email = `nina.${prefix}@partner.example`;
    await emulatorCall('DELETE', '/_emulator/outbox');

    const { id: requestId } = await addByEmail(email);

    const guest = await deliveredGuest(requestId, email);
    expect(guest).toMatchObject({ userType: 'Guest', accountEnabled: true, externalUserState: 'PendingAcceptance', creationType: 'Invitation' });
    expect(await memberIds(FALCON_GROUP)).toContain(guest.id);
    const outbox = (await emulatorCall('GET', '/_emulator/outbox')) as { value: Array<{ to: string[]; subject: string }> };
    expect(outbox.value.filter((m) => m.to.includes(email) && /invited you/.test(m.subject))).toEqual([]);
    const assignment = await activeAssignmentOf(guest.id);
    expect(assignment).toMatchObject({ state: 'delivered' });
    expect((await admin.api(`${EM}/assignments/${assignment!.id}`).expand('target').get()).target).toMatchObject({ objectId: guest.id, email, subjectLifecycle: 'governed' });
    expect((await auditEvents('inviteExternalUser')).map((e) => e.after.objectId)).toContain(guest.id);
    expect(await pendingFor(guest.id)).toBeUndefined();

    await removeAssignment(assignment!.id);
    // At once, while the three seconds before the deletion run.
    await runSweep('externalUserSweep');
    expect(await userById(guest.id)).toBeDefined(); // not yet due

    expect(await memberIds(FALCON_GROUP)).not.toContain(guest.id);
    expect(await userById(guest.id)).toMatchObject({ accountEnabled: false });
    const pending = await pendingFor(guest.id);
    expect(pending).toMatchObject({ nextStep: 'delete', invitedByRequestId: requestId, endedAssignmentId: assignment!.id });
    expect((await auditEvents('blockExternalUser')).length).toBeGreaterThan(0);

    await sleep(Math.max(0, Date.parse(pending!.deleteDateTime!) - Date.now()));
    // Timers are off: the deletion is the sweep's doing.
    expect(await waitUntil(async () => (await runSweep('externalUserSweep'), (await userById(guest.id)) === undefined), 15_000)).toBe(true);
    expect(await pendingFor(guest.id)).toBeUndefined();
    expect((await auditEvents('deleteExternalUser')).length).toBeGreaterThan(0);
  });

  it('unblocks a guest assigned again before their deletion, and cancels it', async () => {
    await setLifecycle('blockSignInAndDelete', 'PT1S');
    const email = `omar.${prefix}@partner.example`;
    const { id: first } = await addByEmail(email);
    const guest = await deliveredGuest(first, email);
    await removeAssignment((await activeAssignmentOf(guest.id))!.id);
    expect(await userById(guest.id)).toMatchObject({ accountEnabled: false });
    const pending = await pendingFor(guest.id);
    expect(pending).toBeDefined();

    // Beta names this time.
    const { id: second } = await addByEmail(email, 'accessPackageAssignment');

    expect(await requestOf(second)).toMatchObject({ state: 'delivered' });
    expect(await userById(guest.id)).toMatchObject({ accountEnabled: true });
    expect(await memberIds(FALCON_GROUP)).toContain(guest.id);
    expect(await pendingFor(guest.id)).toBeUndefined();
    expect(await usersWithMail(email)).toHaveLength(1);
    // Past the deletion time the block had set: the sweep then finds nothing to delete.
    await sleep(Math.max(0, Date.parse(pending!.deleteDateTime!) - Date.now()) + 100);
    await runSweep('externalUserSweep');
    expect(await userById(guest.id)).toMatchObject({ accountEnabled: true });
  });

  it('reuses a guest already in the directory, who stays ungoverned: never blocked, listed or deleted', async () => {
    await setLifecycle('blockSignInAndDelete', 'PT0S');
    const users = await userCount();
    const { id: requestId } = await addByEmail(BEN.mail.toUpperCase());
    expect(await requestOf(requestId)).toMatchObject({ state: 'delivered' });
    expect(await userCount()).toBe(users);
    expect(await memberIds(FALCON_GROUP)).toContain(BEN.id);
    const assignment = (await activeAssignmentOf(BEN.id))!;
    expect((await admin.api(`${EM}/assignments/${assignment.id}`).expand('target').get()).target.subjectLifecycle).not.toBe('governed');

    await removeAssignment(assignment.id);
    await runSweep('externalUserSweep');

    expect(await memberIds(FALCON_GROUP)).not.toContain(BEN.id);
    expect(await userById(BEN.id)).toMatchObject({ accountEnabled: true });
    expect(await pendingFor(BEN.id)).toBeUndefined();
  });

  it('leaves a governed guest alone under externalUserLifecycleAction none', async () => {
    await setLifecycle('none', 'PT0S');
    const email = `pia.${prefix}@partner.example`;
    const { id } = await addByEmail(email);
    const guest = await deliveredGuest(id, email);
    await removeAssignment((await activeAssignmentOf(guest.id))!.id);
    await runSweep('externalUserSweep');
    expect(await userById(guest.id)).toMatchObject({ accountEnabled: true });
    expect(await pendingFor(guest.id)).toBeUndefined();
  });

  it('ends the request deliveryFailed, with the reason, when the invitation is refused (a blocked domain); nobody is invited', async () => {
    await emulatorCall('PUT', '/_emulator/invitationPolicy', { blockedDomains: ['blocked.example'] });
    const users = await userCount();
    const { id } = await addByEmail(`quinn.${prefix}@blocked.example`);

    expect(await requestOf(id)).toMatchObject({ state: 'deliveryFailed', status: 'DeliveryFailed' });
    expect(await userCount()).toBe(users);
    const [failed] = (await auditEvents('failRequest')).filter((e) => e.entityId === id);
    expect(String(failed?.after.failureReason)).toContain('blocked.example');
    // The claim is given up: once the domain is allowed, the same person can be assigned.
    await emulatorCall('PUT', '/_emulator/invitationPolicy', { blockedDomains: [] });
    const { id: again } = await addByEmail(`quinn.${prefix}@blocked.example`);
    expect(await requestOf(again)).toMatchObject({ state: 'delivered' });
  });

  it('delivers through throttling on /invitations, with exactly one guest', async () => {
    await emulatorCall('PUT', '/_emulator/faults', { rules: [{ pathPattern: '^/v1.0/invitations', method: 'POST', status: 503, rate: 0.5, retryAfterSeconds: 0.01 }], seed: 7 });
    await emulatorCall('DELETE', '/_emulator/requests');
    const email = `rui.${prefix}@partner.example`;

    const { id } = await addByEmail(email);

    const guest = await deliveredGuest(id, email);
    expect(((await emulatorCall('GET', '/_emulator/requests')) as { faultsInjected: number }).faultsInjected).toBeGreaterThan(0);
    expect(await memberIds(FALCON_GROUP)).toContain(guest.id);
  });

  it('keeps the request for a later attempt while /invitations keeps failing, inviting nobody yet', async () => {
    await emulatorCall('PUT', '/_emulator/faults', { rules: [{ pathPattern: '^/v1.0/invitations', status: 503, rate: 1, retryAfterSeconds: 0 }] });
    const email = `sara.${prefix}@partner.example`;

    const { id } = await addByEmail(email);

    expect(await requestOf(id)).toMatchObject({ state: 'submitted' });
    expect(await usersWithMail(email)).toEqual([]);
  });
});

describe('bad input and refusals', () => {
  it.each([
    ['an address that is no address', { target: { email: 'not-an-address' } }],
    ['both a target id and an address', { targetId: MEGAN, target: { email: 'x@partner.example' } }],
    ['an unknown property of the target', { target: { email: 'x@partner.example', objectId: MEGAN } }],
  ])('refuses %s with 400, changing nothing', async (_situation, target) => {
    const before = await storageSnapshot(prefix);
    const users = await userCount();
    const response = await fetch(`${host.url}/v1.0${EM}/assignmentRequests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ms-client-principal': clientPrincipal(ADMIN, TENANT) },
      body: JSON.stringify({ requestType: 'adminAdd', assignment: { ...target, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBeTruthy();
    expect(await storageSnapshot(prefix)).toBe(before);
    expect(await userCount()).toBe(users);
  });

  it('refuses an adminAdd by email naming a policy of another package (400), storing no subject and inviting nobody', async () => {
    const before = await storageSnapshot(prefix);
    const users = await userCount();
    const response = await fetch(`${host.url}/v1.0${EM}/assignmentRequests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ms-client-principal': clientPrincipal(ADMIN, TENANT) },
      body: JSON.stringify({ requestType: 'adminAdd', assignment: { target: { email: `wes.${prefix}@partner.example` }, accessPackageId: pkg.packageId, assignmentPolicyId: MEGAN } }),
    });
    expect(response.status).toBe(400);
    expect(await storageSnapshot(prefix)).toBe(before);
    expect(await userCount()).toBe(users);
  });

  it('refuses an adminAdd by email from someone who may not manage assignments (403), inviting nobody', async () => {
    const before = await storageSnapshot(prefix);
    const users = await userCount();
    const response = await fetch(`${host.url}/v1.0${EM}/assignmentRequests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ms-client-principal': clientPrincipal(MEGAN, TENANT) },
      body: JSON.stringify({ requestType: 'adminAdd', assignment: { target: { email: `tom.${prefix}@partner.example` }, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } }),
    });
    expect(response.status).toBe(403);
    expect(await storageSnapshot(prefix)).toBe(before);
    expect(await userCount()).toBe(users);
  });
});

describe('GET /api/externalUsers/pendingRemovals', () => {
  it('lists a blocked guest due for deletion, a page at a time', async () => {
    await setLifecycle('blockSignInAndDelete', 'P30D');
    const guests: string[] = [];
    for (const name of ['uma', 'vic']) {
      const email = `${name}.${prefix}@partner.example`;
      const { id } = await addByEmail(email);
      const guest = await deliveredGuest(id, email);
      await removeAssignment((await activeAssignmentOf(guest.id))!.id);
      guests.push(guest.id);
    }
    const first = await pendingRemovals(ADMIN, '?$top=1');
    expect(first.status).toBe(200);
    const page = (await first.json()) as { value: PendingRemoval[]; '@odata.nextLink'?: string };
    expect(page.value).toHaveLength(1);
    const seen = [...page.value];
    let next = page['@odata.nextLink'];
    while (next) {
      const more = (await (await fetch(next, { headers: { 'x-ms-client-principal': clientPrincipal(ADMIN, TENANT) } })).json()) as typeof page;
      seen.push(...more.value);
      next = more['@odata.nextLink'];
    }
    for (const id of guests) {
      const listed = seen.find((p) => p.userId === id);
      expect(listed).toMatchObject({ nextStep: 'delete' });
      expect(Date.parse(listed!.deleteDateTime!) - Date.now()).toBeGreaterThan(29 * 24 * 3600_000);
    }
  });

  it('refuses a non-administrator (403) and a caller with no principal (401)', async () => {
    expect((await pendingRemovals(MEGAN)).status).toBe(403);
    expect((await fetch(`${host.url}/api/externalUsers/pendingRemovals`)).status).toBe(401);
  });

  it.each(['?$top=0', '?$top=100000', '?$top=abc', '?$skiptoken=nope'])('refuses %s with 400 in Graph error shape', async (query) => {
    const response = await pendingRemovals(ADMIN, query);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string; message: string } }).error.message).toMatch(/\$top|\$skiptoken/);
  });
});
