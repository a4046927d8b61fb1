import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost, runTimerNow, waitUntil } from '../support/localHostProcess';
import { testStorageConnectionString } from '../support/testStorage';

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d';
const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb';
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const CHRISTIE = 'a5240b60-20d0-429c-8cf1-97f45625871b';
const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65';
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const EM = '/identityGovernance/entitlementManagement';

let host: RunningHost;
let admin: Client;
let prefix: string;
let emulator: string;
let catalogId: string;

const as = (userId: string) => graphClientFor(host.url, clientPrincipal(userId, TENANT));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  prefix = `l${randomBytes(4).toString('hex')}`;
  // Timers off: what falls due is done when a test runs a sweep, never by a timer in between.
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  admin = as(ADMIN);
  emulator = host.emulatorUrl!;
  catalogId = (await admin.api(`${EM}/catalogs`).post({ displayName: 'Lifecycle' })).id;
  await admin.api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: FALCON_GROUP, originSystem: 'AadGroup' }, catalog: { id: catalogId } });
});
afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

const runSweep = (name: string) => runTimerNow(host, name);
/** Runs the expiration sweep until `condition` holds (what falls due is done by a sweep only, not by time alone). */
const sweepUntil = (condition: () => Promise<boolean>) => waitUntil(async () => (await runSweep('expirationSweep'), condition()), 15_000);

async function memberIds(groupId: string): Promise<string[]> {
  const members = (await (await fetch(`${emulator}/v1.0/groups/${groupId}/members?$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
  return members.value.map((m) => m.id);
}

async function outbox(): Promise<Array<{ to: string[]; subject: string }>> {
  return ((await (await fetch(`${emulator}/_emulator/outbox`)).json()) as { value: Array<{ to: string[]; subject: string }> }).value;
}

async function packageWith(name: string, policy: Record<string, unknown>): Promise<{ packageId: string; policyId: string }> {
  const { id: packageId } = await admin.api(`${EM}/accessPackages`).post({ displayName: name, catalog: { id: catalogId } });
  await admin.api(`${EM}/accessPackages/${packageId}/resourceRoleScopes`).post({ role: { originId: `Member_${FALCON_GROUP}`, originSystem: 'AadGroup' }, scope: { originId: FALCON_GROUP, originSystem: 'AadGroup' } });
  const { id: policyId } = await admin.api(`${EM}/assignmentPolicies`).post({ displayName: `${name} policy`, requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] }, ...policy, accessPackage: { id: packageId } });
  return { packageId, policyId };
}

const adminAdd = (targetId: string, pkg: { packageId: string; policyId: string }) =>
  admin.api(`${EM}/assignmentRequests`).post({ requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });

const requestOf = (id: string) => admin.api(`${EM}/assignmentRequests/${id}`).get();

const stageApprovals = (approvers: Record<string, unknown>) => ({
  allowedTargetScope: 'allMemberUsers',
  requestorSettings: { enableTargetsToSelfAddAccess: true },
  requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [approvers] },
});

describe('expirationSweep', () => {
  it('removes an assignment that ends in seconds from its group, keeps a role held through a second package, and says so', async () => {
    const [shortLived, lasting] = await Promise.all([
      packageWith('Four seconds', { allowedTargetScope: 'notSpecified', expiration: { type: 'afterDuration', duration: 'PT4S' } }),
      packageWith('Lasting', { allowedTargetScope: 'notSpecified', expiration: { type: 'noExpiration' } }),
    ]);
    await adminAdd(HANNAH, lasting);
    await adminAdd(HANNAH, shortLived);
    // Owen's last: the sweep just after checks that his four seconds have not yet run out.
    await adminAdd(OWEN, shortLived);
    expect(await memberIds(FALCON_GROUP)).toEqual(expect.arrayContaining([OWEN, HANNAH]));

    await runSweep('expirationSweep');
    expect(await memberIds(FALCON_GROUP)).toContain(OWEN); // not yet due
    expect(await sweepUntil(async () => !(await memberIds(FALCON_GROUP)).includes(OWEN))).toBe(true);

    const members = await memberIds(FALCON_GROUP);
    expect(members).not.toContain(OWEN);
    expect(members).toContain(HANNAH);
    const ended = await admin.api(`${EM}/assignments`).filter(`accessPackage/id eq '${shortLived.packageId}'`).get();
    expect(ended.value.map((a: { state: string }) => a.state)).toEqual(['expired', 'expired']);
    const removals = (await admin.api(`${EM}/assignmentRequests`).filter("requestType eq 'systemRemove'").get()).value;
    expect(removals).toHaveLength(2);
    expect(removals.every((r: { state: string }) => r.state === 'delivered')).toBe(true);
    expect((await outbox()).map((m) => m.subject)).toContain('Access ended: Four seconds');

    // A second run finds nothing left to do.
    await runSweep('expirationSweep');
    expect((await admin.api(`${EM}/assignmentRequests`).filter("requestType eq 'systemRemove'").get()).value).toHaveLength(2);
  });

  it('denies a request whose stage is not decided within PT1S', async () => {
    const pkg = await packageWith('Quick decision', stageApprovals({ durationBeforeAutomaticDenial: 'PT1S', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }));
    const { id } = await as(SOFIA).api(`${EM}/assignmentRequests`).post({ requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    expect(await requestOf(id)).toMatchObject({ state: 'pendingApproval' });
    expect((await outbox()).map((m) => m.subject)).toContain('Approval needed: Quick decision for Sofia Rossi');
    expect(await sweepUntil(async () => (await requestOf(id)).state !== 'pendingApproval')).toBe(true);
    expect(await requestOf(id)).toMatchObject({ state: 'denied', status: 'ApprovalTimedOut' });
    const [stage] = (await as(SOFIA).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages`).get()).value;
    expect(stage).toMatchObject({ status: 'Expired', reviewResult: 'NotReviewed' });
    expect((await as(DEBRA).api(`${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`).get()).value).toEqual([]);
  });

  it('escalates a stage to its escalation approvers, who can then decide', async () => {
    const pkg = await packageWith(
      'Escalating',
      stageApprovals({
        durationBeforeAutomaticDenial: 'PT60S',
        isEscalationEnabled: true,
        durationBeforeEscalation: 'PT1S',
        primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }],
        escalationApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: CHRISTIE }],
      }),
    );
    const { id } = await as(MEGAN).api(`${EM}/assignmentRequests`).post({ requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId } });
    const pendingFor = async (userId: string) => (await as(userId).api(`${EM}/accessPackageAssignmentApprovals/filterByCurrentUser(on='approver')`).get()).value.map((a: { id: string }) => a.id);
    expect(await pendingFor(CHRISTIE)).not.toContain(id);
    expect(await sweepUntil(async () => (await pendingFor(CHRISTIE)).includes(id))).toBe(true);
    expect(await pendingFor(DEBRA)).toContain(id);
    expect((await outbox()).map((m) => m.subject)).toContain('Escalated: approval needed: Escalating for Megan Bowen');
    const [stage] = (await as(CHRISTIE).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages`).get()).value;
    await as(CHRISTIE).api(`${EM}/accessPackageAssignmentApprovals/${id}/stages/${stage.id}`).patch({ reviewResult: 'Approve' });
    expect(await requestOf(id)).toMatchObject({ state: 'delivered' });
  });

  it('delivers a scheduled request at its start', async () => {
    const pkg = await packageWith('Starts later', {
      allowedTargetScope: 'allMemberUsers',
      requestorSettings: { enableTargetsToSelfAddAccess: true, allowCustomAssignmentSchedule: true },
      expiration: { type: 'afterDuration', duration: 'P1D' },
    });
    const startDateTime = new Date(Date.now() + 8_000).toISOString();
    const { id } = await as(CHRISTIE).api(`${EM}/assignmentRequests`).post({ requestType: 'userAdd', assignment: { accessPackageId: pkg.packageId }, schedule: { startDateTime } });
    expect(await requestOf(id)).toMatchObject({ state: 'scheduled' });
    await runSweep('expirationSweep');
    expect(await requestOf(id)).toMatchObject({ state: 'scheduled' });
    expect(await memberIds(FALCON_GROUP)).not.toContain(CHRISTIE);
    await sleep(Math.max(0, Date.parse(startDateTime) - Date.now()));
    expect(await sweepUntil(async () => (await requestOf(id)).state !== 'scheduled')).toBe(true);
    expect(await requestOf(id)).toMatchObject({ state: 'delivered' });
    expect(await memberIds(FALCON_GROUP)).toContain(CHRISTIE);
  });

  it('does the work once when two sweeps run at the same time', async () => {
    const pkg = await packageWith('Racing sweeps', { allowedTargetScope: 'notSpecified', expiration: { type: 'afterDuration', duration: 'PT1S' } });
    const targets = ['a22fa1f7-2560-4b2f-8a7c-e6e5f89c8d33', '5043796d-4061-4823-9b39-320448410fe3', '1098d6a9-0494-4815-8587-18296e887807', '8935b28f-afb5-454b-b80b-86486a2a1812'];
    await Promise.all(targets.map((target) => adminAdd(target, pkg)));
    // Every assignment began before this point, so each has ended once its second is over.
    await sleep(1_200);
    await Promise.all([runSweep('expirationSweep'), runSweep('expirationSweep')]);
    await runSweep('expirationSweep');
    const removals = (await admin.api(`${EM}/assignmentRequests`).filter("requestType eq 'systemRemove'").get()).value as Array<{ id: string }>;
    const assignments = (await admin.api(`${EM}/assignments`).filter(`accessPackage/id eq '${pkg.packageId}'`).get()).value as Array<{ state: string }>;
    expect(assignments.map((a) => a.state)).toEqual(targets.map(() => 'expired'));
    expect(removals).toHaveLength(2 + targets.length); // the two of the first test, and one for each here
    const members = await memberIds(FALCON_GROUP);
    for (const target of targets) expect(members).not.toContain(target);
  });
});

describe('reconcileSweep', () => {
  const DIEGO = '67c8765c-5781-4ce8-98f0-1733d942b204'; // Diego: already in Project Falcon, added by hand, never by Portcullis
  const JONAS = '8935b28f-afb5-454b-b80b-86486a2a1812';
  const ELENA = '17cde531-518b-48ab-af8d-8e8e32474e22';

  const removeMember = (userId: string) => fetch(`${emulator}/v1.0/groups/${FALCON_GROUP}/members/${userId}/$ref`, { method: 'DELETE' });

  it('restores a member removed by hand, removes one Portcullis granted that no assignment holds, and leaves the rest alone', async () => {
    const pkg = await packageWith('Reconciled', { allowedTargetScope: 'notSpecified', expiration: { type: 'noExpiration' } });
    await adminAdd(ELENA, pkg);
    await adminAdd(JONAS, pkg);
    expect(await memberIds(FALCON_GROUP)).toEqual(expect.arrayContaining([ELENA, JONAS, DIEGO]));

    // Drift: Elena removed by hand; Jonas's assignment ended while the directory refused the removal.
    expect((await removeMember(ELENA)).status).toBe(204);
    const jonas = (await admin.api(`${EM}/assignments`).filter(`accessPackage/id eq '${pkg.packageId}' and target/objectId eq '${JONAS}'`).get()).value[0];
    await fetch(`${emulator}/_emulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [{ pathPattern: '^/v1.0/groups/.*/members/.*/\\$ref', method: 'DELETE', status: 503, rate: 1, retryAfterSeconds: 0 }] }) });
    try {
      await admin.api(`${EM}/assignmentRequests`).post({ requestType: 'adminRemove', assignment: { id: jonas.id } });
    } finally {
      await fetch(`${emulator}/_emulator/faults`, { method: 'DELETE' });
    }
    expect(await memberIds(FALCON_GROUP)).toContain(JONAS);

    await runSweep('reconcileSweep');
    const members = await memberIds(FALCON_GROUP);
    expect(members).toContain(ELENA);
    expect(members).not.toContain(JONAS);
    expect(members).toContain(DIEGO);
    expect(host.output()).toMatch(/reconcileSweep: \{.*"added":[1-9].*"removed":[1-9]/);

    // Running it again changes nothing.
    await runSweep('reconcileSweep');
    expect(host.output()).toMatch(/reconcileSweep: \{[^\n]*"added":0,"removed":0/);
  });
});
