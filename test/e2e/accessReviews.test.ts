import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableServiceClient } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost, runTimerNow } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';
import { demoTenantPath } from '../../tools/graph-emulator/fixture';

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
/** The three assignees: signed in two days ago, ninety days ago, never. */
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d';
const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb';
const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65';
/** Finance Approvers, the reviewer group: Grady Archie and Allan Deyoung. */
const REVIEWERS = '1e036ff5-150f-47fd-9da7-e515e33a2538';
const GRADY = '764ae4d4-359e-4d02-9cb2-5c12903c3ad2';
const ALLAN = '9e8c1878-d546-4ac5-a48f-cff28cc334f4';
/** Someone with no part in the review. */
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874';
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const EM = '/identityGovernance/entitlementManagement';
const AR = '/identityGovernance/accessReviews';

let host: RunningHost;
let admin: Client;
let prefix: string;
let emulator: string;

const as = (userId: string) => graphClientFor(host.url, clientPrincipal(userId, TENANT));

/** A call whose status matters (the Graph client throws on errors): status and body. */
async function call(userId: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${host.url}/v1.0${path}`, {
    method,
    headers: { 'x-ms-client-principal': clientPrincipal(userId, TENANT), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const runSweep = (name: string) => runTimerNow(host, name);

async function memberIds(groupId: string): Promise<string[]> {
  const members = (await (await fetch(`${emulator}/v1.0/groups/${groupId}/members?$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
  return members.value.map((m) => m.id);
}

async function outbox(): Promise<Array<{ to: string[]; subject: string }>> {
  return ((await (await fetch(`${emulator}/_emulator/outbox`)).json()) as { value: Array<{ to: string[]; subject: string }> }).value;
}

/** The demo tenant, with the assignees' sign-ins relative to now. */
function seedWithSignIns(): string {
  const tenant = JSON.parse(readFileSync(demoTenantPath(), 'utf8')) as { users: Array<Record<string, unknown>> };
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  for (const user of tenant.users) {
    if (user.id === OWEN) user.signInActivity = { lastSignInDateTime: daysAgo(2) };
    if (user.id === HANNAH) user.signInActivity = { lastSignInDateTime: daysAgo(90) };
  }
  const path = join(tmpdir(), `reviews-seed-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(path, JSON.stringify(tenant));
  return path;
}

beforeAll(async () => {
  prefix = `r${randomBytes(4).toString('hex')}`;
  host = await startHost({ AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix, DIRECTORY_SEED: seedWithSignIns(), ...TIMERS_DISABLED });
  admin = as(ADMIN);
  emulator = host.emulatorUrl!;
}, 120_000);
afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe('an access review of a package granting a group, reviewed by a group, justification required', () => {
  let definitionId: string;
  let instanceId: string;
  let items: Array<{ id: string; principal: { id: string }; recommendation: string; decision: string; applyResult: string }>;
  const itemOf = (userId: string) => items.find((i) => i.principal.id === userId)!;
  const decisionPath = (itemId: string) => `${AR}/definitions/${definitionId}/instances/${instanceId}/decisions/${itemId}`;

  beforeAll(async () => {
    const catalogId = (await admin.api(`${EM}/catalogs`).post({ displayName: 'Reviewed' })).id;
    await admin.api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: FALCON_GROUP, originSystem: 'AadGroup' }, catalog: { id: catalogId } });
    const { id: packageId } = await admin.api(`${EM}/accessPackages`).post({ displayName: 'Falcon access', catalog: { id: catalogId } });
    await admin.api(`${EM}/accessPackages/${packageId}/resourceRoleScopes`).post({ role: { originId: `Member_${FALCON_GROUP}`, originSystem: 'AadGroup' }, scope: { originId: FALCON_GROUP, originSystem: 'AadGroup' } });
    const policy = await admin.api(`${EM}/assignmentPolicies`).post({
      displayName: 'Falcon reviewed',
      allowedTargetScope: 'notSpecified',
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      accessPackage: { id: packageId },
      reviewSettings: {
        isEnabled: true,
        expirationBehavior: 'removeAccess',
        isRecommendationEnabled: true,
        isReviewerJustificationRequired: true,
        isSelfReview: false,
        primaryReviewers: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: REVIEWERS }],
        schedule: { startDateTime: new Date().toISOString(), expiration: { type: 'afterDuration', duration: 'P1D' }, recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd' } } },
      },
    });
    definitionId = policy.id;
    for (const targetId of [OWEN, HANNAH, SOFIA]) {
      await admin.api(`${EM}/assignmentRequests`).post({ requestType: 'adminAdd', assignment: { targetId, accessPackageId: packageId, assignmentPolicyId: policy.id } });
    }
    expect(await memberIds(FALCON_GROUP)).toEqual(expect.arrayContaining([OWEN, HANNAH, SOFIA]));
  }, 120_000);

  it('opens when accessReviewSweep runs: one item per assignee, recommendations from their sign-ins, reviewers mailed', async () => {
    await runSweep('accessReviewSweep');

    const definitions = (await admin.api(`${AR}/definitions`).get()).value;
    expect(definitions.map((d: { id: string }) => d.id)).toEqual([definitionId]);
    expect(definitions[0].scope).toMatchObject({ '@odata.type': '#microsoft.graph.accessReviewAccessPackageAssignmentPolicyScope', resourceId: definitionId, accessPackageDisplayName: 'Falcon access' });
    const instances = (await admin.api(`${AR}/definitions/${definitionId}/instances`).get()).value;
    expect(instances).toHaveLength(1);
    expect(instances[0]).toMatchObject({ status: 'InProgress' });
    instanceId = instances[0].id;
    items = (await admin.api(`${AR}/definitions/${definitionId}/instances/${instanceId}/decisions`).get()).value;
    expect(items).toHaveLength(3);
    expect(Object.fromEntries(items.map((i) => [i.principal.id, [i.decision, i.recommendation, i.applyResult]]))).toEqual({
      [OWEN]: ['NotReviewed', 'Approve', 'New'],
      [HANNAH]: ['NotReviewed', 'Deny', 'New'],
      [SOFIA]: ['NotReviewed', 'NoInfoAvailable', 'New'],
    });
    const started = (await outbox()).find((m) => m.subject === 'Access review: Falcon access');
    expect(started?.to).toHaveLength(2);

    // A second run opens nothing twice.
    await runSweep('accessReviewSweep');
    expect((await admin.api(`${AR}/definitions/${definitionId}/instances`).get()).value).toHaveLength(1);
  }, 120_000);

  it('shows a reviewer their items, in the instance and across instances', async () => {
    const mine = (await as(GRADY).api(`${AR}/definitions/${definitionId}/instances/${instanceId}/decisions/filterByCurrentUser(on='reviewer')`).get()).value;
    expect(mine.map((i: { id: string }) => i.id).sort()).toEqual(items.map((i) => i.id).sort());
    expect((await as(ALLAN).api(`${AR}/decisions/filterByCurrentUser(on='reviewer')`).get()).value).toHaveLength(3);
    expect((await as(GRADY).api(`${AR}/definitions/filterByCurrentUser(on='reviewer')`).get()).value.map((d: { id: string }) => d.id)).toEqual([definitionId]);
    expect((await as(GRADY).api(`${AR}/definitions/${definitionId}/instances/filterByCurrentUser(on='reviewer')`).get()).value).toHaveLength(1);
    expect((await as(MEGAN).api(`${AR}/decisions/filterByCurrentUser(on='reviewer')`).get()).value).toEqual([]);
  }, 60_000);

  it('refuses an outsider (403), an approval without justification (400), a decision outside the enum and malformed ids, writing nothing', async () => {
    const before = await storageSnapshot(prefix);
    expect((await call(MEGAN, 'PATCH', decisionPath(itemOf(OWEN).id), { decision: 'Approve', justification: 'I say so' })).status).toBe(403);
    expect((await call(MEGAN, 'GET', `${AR}/definitions/${definitionId}/instances/${instanceId}/decisions`)).status).toBe(403);
    expect((await call(MEGAN, 'GET', decisionPath(itemOf(OWEN).id))).status).toBe(403);
    expect((await call(MEGAN, 'POST', `${AR}/definitions/${definitionId}/instances/${instanceId}/stop`)).status).toBe(403);
    const unjustified = await call(GRADY, 'PATCH', decisionPath(itemOf(OWEN).id), { decision: 'Approve' });
    expect(unjustified.status).toBe(400);
    expect(unjustified.body.error.message).toContain('justification');
    expect((await call(GRADY, 'PATCH', decisionPath(itemOf(OWEN).id), { decision: 'Maybe', justification: 'x' })).status).toBe(400);
    expect((await call(GRADY, 'PATCH', decisionPath(itemOf(OWEN).id), { decision: 'Deny', extra: 1 })).status).toBe(400);
    expect((await call(GRADY, 'PATCH', decisionPath('not-an-id'), { decision: 'Deny' })).status).toBe(404);
    expect((await call(GRADY, 'PATCH', `${AR}/definitions/${definitionId}/instances/%2F..%23/decisions/${itemOf(OWEN).id}`, { decision: 'Deny' })).status).toBe(404);
    expect((await call(GRADY, 'GET', `${AR}/definitions/${definitionId}/instances/${instanceId}/decisions/filterByCurrentUser(on='approver')`)).status).toBe(400);
    expect(await storageSnapshot(prefix)).toBe(before);
  }, 60_000);

  it('records a reviewer’s decisions; the last one counts', async () => {
    expect((await call(GRADY, 'PATCH', decisionPath(itemOf(OWEN).id), { decision: 'Deny', justification: 'first thought' })).status).toBe(204);
    expect((await call(ALLAN, 'PATCH', decisionPath(itemOf(OWEN).id), { decision: 'Approve', justification: 'Still on the project' })).status).toBe(204);
    expect((await call(GRADY, 'PATCH', decisionPath(itemOf(HANNAH).id), { decision: 'Deny', justification: 'Left the project' })).status).toBe(204);
    const owen = (await call(ADMIN, 'GET', decisionPath(itemOf(OWEN).id))).body;
    expect(owen).toMatchObject({ decision: 'Approve', justification: 'Still on the project', reviewedBy: { id: ALLAN, displayName: 'Allan Deyoung' } });
  }, 60_000);

  it('stop completes it: the denied and the unreviewed (removeAccess) are out of the group, the approved stays; input is closed', async () => {
    expect((await call(ADMIN, 'POST', `${AR}/definitions/${definitionId}/instances/${instanceId}/stop`)).status).toBe(204);

    const instance = (await admin.api(`${AR}/definitions/${definitionId}/instances/${instanceId}`).get());
    expect(instance.status).toBe('Applied');
    const members = await memberIds(FALCON_GROUP);
    expect(members).toContain(OWEN);
    expect(members).not.toContain(HANNAH);
    expect(members).not.toContain(SOFIA);
    const applied = (await admin.api(`${AR}/definitions/${definitionId}/instances/${instanceId}/decisions`).get()).value as typeof items;
    expect(applied.map((i) => i.applyResult)).toEqual(['AppliedSuccessfully', 'AppliedSuccessfully', 'AppliedSuccessfully']);
    const removals = (await admin.api(`${EM}/assignmentRequests`).filter("requestType eq 'systemRemove'").get()).value;
    expect(removals.map((r: { justification: string }) => r.justification)).toEqual([expect.stringContaining(instanceId), expect.stringContaining(instanceId)]);

    const before = await storageSnapshot(prefix);
    const late = await call(GRADY, 'PATCH', decisionPath(itemOf(OWEN).id), { decision: 'Deny', justification: 'too late' });
    expect(late.status).toBe(409);
    expect((await call(ADMIN, 'POST', `${AR}/definitions/${definitionId}/instances/${instanceId}/stop`)).status).toBe(409);
    expect(await storageSnapshot(prefix)).toBe(before);
  }, 120_000);
});
