import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { DateTime } from 'luxon';
import { AuditLog, type AuditEvent } from '../../shared/store/auditLog';
import { systemClock } from '../../shared/domain/clock';
import { Tables } from '../../shared/store/tables';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { deliver, send, signedRequest, webhookSecret } from '../support/hrWebhook';
import { startHost, TIMERS_DISABLED, type RunningHost, runTimerNow } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * POST /api/hr/events through the local host (DESIGN §2.6): Standard Webhooks signatures with a rotation pair of
 * secrets, validation of every event before any is taken, idempotency by eventId and refusal of replayed
 * deliveries, and effectiveAt scheduling through the expiration sweep. Timers are off: nothing runs unless asked.
 */

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const CAMILLE = 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83'; // Sales: joins Research, then moves back
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d'; // Sales: out-of-order events, then leaves
const MARCUS = '26b8e5ba-2d10-49f2-a2f5-6763d5236ac1'; // Sales: a mover dated ahead
const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb'; // Sales: the subject of the signature and duplicate cases
/** Given by the Research packages: one keeps access for a grace period after the rule stops matching, one has none. */
const GRACE_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515'; // Project Falcon
const NO_GRACE_GROUP = '993bb873-540b-442e-8a6e-83734bc9404e'; // Legal Hold Reviewers
const RESEARCH = '(user.department -eq "Research") -and (user.accountEnabled -eq true)';
const EM = '/identityGovernance/entitlementManagement';
const OLD_KEY = randomBytes(32);
const NEW_KEY = randomBytes(48);
const STRANGER_KEY = randomBytes(32);
const HELD_RETRY_SECONDS = 2;
jest.setTimeout(120_000);

let host: RunningHost;
/** The same storage, with HR_WEBHOOK_SECRET unset. */
let unset: RunningHost;
let prefix: string;
let admin: Client;
let audit: AuditLog;

beforeAll(async () => {
  prefix = `h${randomBytes(4).toString('hex')}`;
  const storage = { ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix };
  // A held joiner's first retry after 2 seconds instead of a minute, so the test need not wait a minute for it.
  [host, unset] = await Promise.all([
    startHost({ ...storage, HR_WEBHOOK_SECRET: `${webhookSecret(OLD_KEY)} ${webhookSecret(NEW_KEY)}`, HR_JOINER_RETRY_SECONDS: String(HELD_RETRY_SECONDS) }),
    startHost(storage),
  ]);
  admin = graphClientFor(host.url, clientPrincipal(ADMIN, TENANT));
  audit = new AuditLog(new Tables(testStorageConnectionString(), prefix), systemClock);
  const catalogId = (await admin.api(`${EM}/catalogs`).post({ displayName: 'Research' })).id;
  const packages = [[GRACE_GROUP, 'PT1S'], [NO_GRACE_GROUP, 'PT0S']] as const;
  await Promise.all(packages.map(async ([group, grace]) => {
    await admin.api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: group, originSystem: 'AadGroup' }, catalog: { id: catalogId } });
    const packageId = (await admin.api(`${EM}/accessPackages`).post({ displayName: `Research ${grace}`, catalog: { id: catalogId } })).id;
    await admin.api(`${EM}/accessPackages/${packageId}/resourceRoleScopes`).post({ role: { originId: `Member_${group}`, originSystem: 'AadGroup' }, scope: { originId: group, originSystem: 'AadGroup' } });
    await admin.api(`${EM}/assignmentPolicies`).post({
      displayName: `Research, grace ${grace}`,
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: RESEARCH, description: 'Research' }],
      automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true, gracePeriodBeforeAccessRemoval: grace },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'noExpiration' },
      accessPackage: { id: packageId },
    });
  }));
});
afterAll(async () => {
  await Promise.all([host?.stop(), unset?.stop()]);
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

let counter = 0;
/** A valid event with an eventId of its own. */
const event = (changes: Record<string, unknown> = {}) => ({
  eventId: `evt-${Date.now()}-${++counter}`,
  eventType: 'mover',
  occurredAt: DateTime.utc().minus({ minutes: 1 }).toISO(),
  employee: { userId: HANNAH, attributes: { jobTitle: 'Sales Development Representative' } },
  ...changes,
});

/** The audit events about HR events, today's, of one eventId. */
async function auditOf(eventId: string): Promise<AuditEvent[]> {
  const today = await audit.ofDay(DateTime.utc().toISODate()!);
  return today.filter((e) => e.entityType === 'hrEvent' && e.entityId === eventId);
}
const actions = async (eventId: string) => (await auditOf(eventId)).map((e) => e.action).sort();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => Math.floor(Date.now() / 1000);
/** An event of `eventType` about `employee`, dated `minutesAgo` before now. */
const hrEvent = (eventType: string, employee: Record<string, unknown>, minutesAgo = 0, changes: Record<string, unknown> = {}) =>
  event({ eventType, occurredAt: DateTime.utc().minus({ minutes: minutesAgo, seconds: 1 }).toISO(), employee, ...changes });

async function members(group: string): Promise<string[]> {
  const answer = (await (await fetch(`${host.emulatorUrl}/v1.0/groups/${group}/members?$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
  return answer.value.map((m) => m.id);
}
/** Whether `condition` holds within `ms` (polled, no timer of the service run). */
async function within(ms: number, condition: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(100);
  }
  return condition();
}
const isMember = (group: string, user: string) => async () => (await members(group)).includes(user);
const isNotMember = (group: string, user: string) => async () => !(await members(group)).includes(user);
const runSweep = (name: string) => runTimerNow(host, name);
async function accepted(body: unknown): Promise<void> {
  const answer = await deliver(host.url, { body, key: OLD_KEY });
  expect(answer).toMatchObject({ status: 202, body: { value: (Array.isArray(body) ? body : [body]).map(() => ({ status: 'accepted' })) } });
}
/** The states of the user's assignments, by access package name. */
async function assignmentStates(userId: string): Promise<string[]> {
  const { value } = await admin.api(`${EM}/assignments`).filter(`target/objectId eq '${userId}'`).get();
  return (value as Array<{ state: string }>).map((a) => a.state).sort();
}

describe('POST /api/hr/events: who may send', () => {
  it('takes a delivery signed with either secret of the rotation pair, and answers each event accepted', async () => {
    const first = event();
    const second = event();
    expect(await deliver(host.url, { body: first, key: OLD_KEY })).toEqual({ status: 202, body: { value: [{ eventId: first.eventId, status: 'accepted' }] } });
    expect(await deliver(host.url, { body: [second], key: NEW_KEY })).toEqual({ status: 202, body: { value: [{ eventId: second.eventId, status: 'accepted' }] } });
    expect(await actions(first.eventId)).toContain('receiveHrEvent');
    const received = (await auditOf(second.eventId)).find((e) => e.action === 'receiveHrEvent')!;
    expect(received).toMatchObject({ actorId: 'hrWebhook', after: { deliveryId: expect.stringMatching(/^msg_/) } });
  });

  it.each([
    ['no signature', { signature: null }],
    ['a signature by a secret the service does not hold', { key: STRANGER_KEY }],
    ['a garbled signature', { signature: 'v1,AAAA' }],
    ['a timestamp older than five minutes', { timestamp: now() - 400 }],
    ['a timestamp more than five minutes ahead', { timestamp: now() + 400 }],
    ['a body changed after signing', { sentBody: JSON.stringify(event({ eventType: 'leaver' })) }],
  ])('refuses %s with 401, changing nothing', async (_situation, changes) => {
    const before = await storageSnapshot(prefix);
    const body = event();
    const answer = await deliver(host.url, { body, key: OLD_KEY, ...changes });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('unauthenticated');
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('refuses a signed-in administrator without a signature: a principal is not the HR webhook', async () => {
    const before = await storageSnapshot(prefix);
    const response = await fetch(`${host.url}/api/hr/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ms-client-principal': clientPrincipal(ADMIN, TENANT) },
      body: JSON.stringify(event()),
    });
    expect(response.status).toBe(401);
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('never writes a secret to the log', () => {
    for (const key of [OLD_KEY, NEW_KEY]) {
      expect(host.output()).not.toContain(key.toString('base64'));
    }
    expect(host.output()).toMatch(/hrEvents: refused a delivery: no v1 signature/);
  });
});

describe('POST /api/hr/events: malformed events', () => {
  it.each([
    ['no eventId', { eventId: undefined }, 'eventId'],
    ['an unknown eventType', { eventType: 'promotion' }, 'eventType'],
    ['an occurredAt that is no date', { occurredAt: 'yesterday' }, 'occurredAt'],
    ['an effectiveAt without a zone', { effectiveAt: '2027-01-01T09:00:00' }, 'effectiveAt'],
    ['no employee key', { employee: { attributes: { department: 'Sales' } } }, 'exactly one of'],
    ['two employee keys', { employee: { userId: CAMILLE, employeeId: 'E1031' } }, 'exactly one of'],
    ['an attribute rules cannot read', { employee: { userId: CAMILLE, attributes: { shoeSize: '44' } } }, 'employee.attributes.shoeSize'],
    ['an attribute of the wrong type', { employee: { userId: CAMILLE, attributes: { accountEnabled: 'no' } } }, 'employee.attributes.accountEnabled'],
    ['a property the contract does not have', { priority: 'high' }, 'priority'],
  ])('refuses a call whose second event has %s with 400 naming it, applying neither', async (_situation, changes, expected) => {
    const before = await storageSnapshot(prefix);
    const good = event();
    const bad = event(changes);
    const answer = await deliver(host.url, { body: [good, bad], key: OLD_KEY });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalidRequest');
    expect(answer.body.error.message).toContain('Event 1');
    if (bad.eventId) expect(answer.body.error.message).toContain(`'${bad.eventId}'`);
    expect(answer.body.error.message).toContain(expected);
    expect(await storageSnapshot(prefix)).toBe(before);
    expect(await auditOf(good.eventId)).toEqual([]);
  });

  it.each([
    ['a body that is no JSON', '{"eventId":'],
    ['an empty array', '[]'],
    ['more than 500 events', JSON.stringify(Array.from({ length: 501 }, () => event()))],
  ])('refuses %s with 400, changing nothing', async (_situation, body) => {
    const before = await storageSnapshot(prefix);
    expect((await deliver(host.url, { body, key: OLD_KEY })).status).toBe(400);
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('refuses a body over a megabyte with 413, changing nothing', async () => {
    const before = await storageSnapshot(prefix);
    const body = JSON.stringify([event({ padding: 'x'.repeat(1024 * 1024) })]);
    expect((await deliver(host.url, { body, key: OLD_KEY })).status).toBe(413);
    expect(await storageSnapshot(prefix)).toBe(before);
  });
});

describe('POST /api/hr/events: exactly once', () => {
  it('refuses a replayed delivery (the same signed request again) with 409, changing nothing', async () => {
    const body = event();
    const captured = signedRequest({ body, key: OLD_KEY });
    expect((await send(host.url, captured.headers, captured.body)).status).toBe(202);
    const before = await storageSnapshot(prefix);
    const replay = await send(host.url, captured.headers, captured.body);
    expect(replay.status).toBe(409);
    expect(replay.body.error.message).toContain('replayed delivery');
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it("answers a sender's retry of a delivery (same webhook-id, signed again) and a repeated eventId as duplicates", async () => {
    const body = event();
    expect((await deliver(host.url, { body, key: OLD_KEY, id: 'msg_retry', timestamp: now() - 10 })).body.value[0].status).toBe('accepted');
    expect((await deliver(host.url, { body, key: OLD_KEY, id: 'msg_retry' })).body).toEqual({ value: [{ eventId: body.eventId, status: 'duplicate' }] });
    expect((await deliver(host.url, { body: { ...body, eventType: 'leaver' }, key: NEW_KEY })).body.value[0].status).toBe('duplicate');
    expect(await actions(body.eventId)).toEqual(expect.arrayContaining(['hrEventDuplicate', 'hrEventDuplicate', 'receiveHrEvent', 'receiveHrEvent', 'receiveHrEvent']));
    expect((await auditOf(body.eventId)).filter((e) => e.action === 'hrEventDuplicate')).toHaveLength(2);
    expect((await actions(body.eventId)).filter((a) => a === 'applyHrEvent')).toHaveLength(1);
  });

  it('takes one of several simultaneous deliveries of one eventId, and answers the others duplicate', async () => {
    const body = event();
    const answers = await Promise.all(Array.from({ length: 6 }, () => deliver(host.url, { body, key: OLD_KEY })));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(202));
    const statuses = answers.map((a) => a.body.value[0].status).sort();
    expect(statuses).toEqual(['accepted', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect((await actions(body.eventId)).filter((a) => a === 'applyHrEvent')).toHaveLength(1);
    expect((await auditOf(body.eventId)).find((e) => e.action === 'applyHrEvent')).toMatchObject({ actorId: 'hrWebhook', after: { outcome: { status: 'applied', userId: HANNAH } } });
  });

  it('answers a second event of one call with the same eventId as a duplicate', async () => {
    const body = event();
    expect((await deliver(host.url, { body: [body, body], key: OLD_KEY })).body.value.map((s: { status: string }) => s.status)).toEqual(['accepted', 'duplicate']);
  });
});

describe('HR events change access within seconds of the 202, no timer run', () => {
  it('gives a joiner the access a policy rule then matches: assignments delivered and the user in the groups', async () => {
    const joiner = hrEvent('joiner', { userId: CAMILLE, attributes: { department: 'Research' } }, 10);
    await accepted(joiner);
    expect(await within(3_000, isMember(GRACE_GROUP, CAMILLE))).toBe(true);
    expect(await within(3_000, isMember(NO_GRACE_GROUP, CAMILLE))).toBe(true);
    expect(await assignmentStates(CAMILLE)).toEqual(['delivered', 'delivered']);
    expect(await actions(joiner.eventId)).toEqual(['applyHrEvent', 'receiveHrEvent']);
  });

  it('takes access from a mover out of the rule: at once with PT0S, after the grace period otherwise', async () => {
    const mover = hrEvent('mover', { userId: CAMILLE, attributes: { department: 'Sales' } }, 5);
    await accepted(mover);
    expect(await within(3_000, isNotMember(NO_GRACE_GROUP, CAMILLE))).toBe(true);
    expect(await isMember(GRACE_GROUP, CAMILLE)()).toBe(true);
    // The grace period (PT1S) ends; only an expiration sweep then takes the access (timers are off).
    await sleep(1_000);
    expect(await isMember(GRACE_GROUP, CAMILLE)()).toBe(true);
    expect(await within(5_000, async () => (await runSweep('expirationSweep'), isNotMember(GRACE_GROUP, CAMILLE)()))).toBe(true);
  });

  it('lets the newest event win whatever order they arrive in', async () => {
    const older = hrEvent('mover', { userId: OWEN, attributes: { department: 'Sales' } }, 20);
    const newer = hrEvent('mover', { userId: OWEN, attributes: { department: 'Research' } }, 10);
    await accepted(newer);
    expect(await within(3_000, isMember(NO_GRACE_GROUP, OWEN))).toBe(true);
    await accepted(older);
    await sleep(500);
    expect(await isMember(NO_GRACE_GROUP, OWEN)()).toBe(true);
    expect(await isMember(GRACE_GROUP, OWEN)()).toBe(true);
  });

  it('takes access from a leaver (their account counted as disabled), at once with PT0S', async () => {
    const leaver = hrEvent('leaver', { employeeId: 'E1035' }, 1);
    await accepted(leaver);
    expect(await within(3_000, isNotMember(NO_GRACE_GROUP, OWEN))).toBe(true);
    expect((await auditOf(leaver.eventId)).find((e) => e.action === 'applyHrEvent')).toMatchObject({ after: { outcome: { status: 'applied', userId: OWEN, removed: 1, removalsPlanned: 1 } } });
  });

  it('records a mover about nobody as failed (audited), changing no access', async () => {
    const mover = hrEvent('mover', { userPrincipalName: 'nobody.here@contoso.com', attributes: { department: 'Research' } }, 1);
    await accepted(mover);
    expect((await auditOf(mover.eventId)).find((e) => e.action === 'hrEventFailed')).toMatchObject({
      actorId: 'hrWebhook',
      after: { state: 'failed', outcome: { status: 'failed', reason: expect.stringContaining('nobody.here@contoso.com') } },
    });
    // The audit log API shows it as a failure, with its reason, as Entra's result does.
    const failures = await admin.api('/auditLogs/directoryAudits').filter(`result eq 'failure' and targetResources/any(t: t/id eq '${mover.eventId}')`).get();
    expect(failures.value).toEqual([expect.objectContaining({ result: 'failure', resultReason: expect.stringContaining('nobody.here@contoso.com') })]);
  });

  it('holds a joiner whose account does not exist yet, and gives the access once the account is created', async () => {
    const upn = `new.hire.${randomBytes(3).toString('hex')}@contoso.com`;
    const joiner = hrEvent('joiner', { userPrincipalName: upn, attributes: { department: 'Research' } }, 1);
    await accepted(joiner);
    const held = (await auditOf(joiner.eventId)).find((e) => e.action === 'holdHrEvent');
    expect(held).toMatchObject({ after: { outcome: { status: 'held', retryAt: expect.any(String) } } });
    const retryAt = DateTime.fromISO((held!.after as { outcome: { retryAt: string } }).outcome.retryAt);
    // HR_JOINER_RETRY_SECONDS after the hold, which came just before its audit event.
    const retryIn = retryAt.diff(DateTime.fromISO(held!.occurredDateTime)).as('seconds');
    expect(retryIn).toBeGreaterThan(0);
    expect(retryIn).toBeLessThanOrEqual(HELD_RETRY_SECONDS);
    const created = await fetch(`${host.emulatorUrl}/v1.0/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accountEnabled: true, displayName: 'New Hire', mailNickname: upn.split('@')[0], userPrincipalName: upn, department: 'Sales', passwordProfile: { password: 'x-Pa55word!' } }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await sleep(Math.max(0, retryAt.diffNow().toMillis()) + 100);
    await runSweep('expirationSweep');
    expect(await within(3_000, isMember(NO_GRACE_GROUP, id))).toBe(true);
    expect(await assignmentStates(id)).toEqual(['delivered', 'delivered']);
  });
});

describe('POST /api/hr/events: effectiveAt', () => {
  it('schedules an event whose effectiveAt is ahead, and the expiration sweep applies it once it has come', async () => {
    const effectiveAt = DateTime.utc().plus({ seconds: 2 });
    const body = hrEvent('mover', { userId: MARCUS, attributes: { department: 'Research' } }, 1, { effectiveAt: effectiveAt.toISO() });
    expect((await deliver(host.url, { body, key: OLD_KEY })).body).toEqual({ value: [{ eventId: body.eventId, status: 'scheduled' }] });
    expect(await actions(body.eventId)).toEqual(['receiveHrEvent', 'scheduleHrEvent']);
    await sleep(500);
    expect(await isMember(NO_GRACE_GROUP, MARCUS)()).toBe(false);
    await sleep(Math.max(0, effectiveAt.diffNow().toMillis()) + 100);
    await runSweep('expirationSweep');
    expect(await isMember(NO_GRACE_GROUP, MARCUS)()).toBe(true);
    expect(await actions(body.eventId)).toEqual(['applyHrEvent', 'receiveHrEvent', 'scheduleHrEvent']);
  });
});

describe('POST /api/hr/events without HR_WEBHOOK_SECRET', () => {
  it('refuses every delivery with 401, however it is signed, changing nothing', async () => {
    const before = await storageSnapshot(prefix);
    for (const key of [OLD_KEY, NEW_KEY]) {
      const answer = await deliver(unset.url, { body: event(), key });
      expect(answer.status).toBe(401);
      expect(answer.body.error.message).toContain('no secret configured');
    }
    expect(await storageSnapshot(prefix)).toBe(before);
  });
});
