import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { DateTime } from 'luxon';
import { AuditLog, type AuditEvent } from '../../shared/store/auditLog';
import { systemClock } from '../../shared/domain/clock';
import { Tables } from '../../shared/store/tables';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { deliver, send, signedRequest, webhookSecret } from '../support/hrWebhook';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
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
const CAMILLE = 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83';
const OLD_KEY = randomBytes(32);
const NEW_KEY = randomBytes(48);
const STRANGER_KEY = randomBytes(32);
jest.setTimeout(120_000);

let host: RunningHost;
let prefix: string;
let admin: Client;
let audit: AuditLog;

beforeAll(async () => {
  prefix = `h${randomBytes(4).toString('hex')}`;
  host = await startHost({
    ...TIMERS_DISABLED,
    AzureWebJobsStorage: testStorageConnectionString(),
    TABLE_PREFIX: prefix,
    HR_WEBHOOK_SECRET: `${webhookSecret(OLD_KEY)} ${webhookSecret(NEW_KEY)}`,
  });
  admin = graphClientFor(host.url, clientPrincipal(ADMIN, TENANT));
  audit = new AuditLog(new Tables(testStorageConnectionString(), prefix), systemClock);
});
afterAll(async () => {
  await host?.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

let counter = 0;
/** A valid event with an eventId of its own. */
const event = (changes: Record<string, unknown> = {}) => ({
  eventId: `evt-${Date.now()}-${++counter}`,
  eventType: 'mover',
  occurredAt: DateTime.utc().minus({ minutes: 1 }).toISO(),
  employee: { userId: CAMILLE, attributes: { jobTitle: 'Account Executive' } },
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
  });

  it('takes one of several simultaneous deliveries of one eventId, and answers the others duplicate', async () => {
    const body = event();
    const answers = await Promise.all(Array.from({ length: 6 }, () => deliver(host.url, { body, key: OLD_KEY })));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(202));
    const statuses = answers.map((a) => a.body.value[0].status).sort();
    expect(statuses).toEqual(['accepted', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
  });

  it('answers a second event of one call with the same eventId as a duplicate', async () => {
    const body = event();
    expect((await deliver(host.url, { body: [body, body], key: OLD_KEY })).body.value.map((s: { status: string }) => s.status)).toEqual(['accepted', 'duplicate']);
  });
});

describe('POST /api/hr/events: effectiveAt', () => {
  it('schedules an event whose effectiveAt is ahead, and the expiration sweep takes it up once it has come', async () => {
    const body = event({ effectiveAt: DateTime.utc().plus({ seconds: 2 }).toISO() });
    expect((await deliver(host.url, { body, key: OLD_KEY })).body).toEqual({ value: [{ eventId: body.eventId, status: 'scheduled' }] });
    expect(await actions(body.eventId)).toEqual(['receiveHrEvent', 'scheduleHrEvent']);
    await sleep(2_500);
    const run = await fetch(`${host.url}/admin/functions/expirationSweep`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });
    expect(run.status).toBe(202);
    expect(await actions(body.eventId)).toEqual(expect.arrayContaining(['receiveHrEvent', 'scheduleHrEvent']));
    expect((await actions(body.eventId)).length).toBeGreaterThan(2);
    void admin;
  });
});
