import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import { clientPrincipal } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, JWT_MODE, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const EM = '/v1.0/identityGovernance/entitlementManagement';
const ADMIN_PRINCIPAL = clientPrincipal(ADMIN, TENANT);
// Shaped like a bearer token, so a log that printed the Authorization header would show it.
const BEARER_TOKEN = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ oid: ADMIN, marker: randomBytes(8).toString('hex') })).toString('base64url')}.c2lnbmF0dXJl`;

let host: RunningHost;
let prefix: string;

beforeAll(async () => {
  prefix = `h${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
});
afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

/** A call as the administrator, carrying a bearer token too (easyauth mode ignores it). */
async function call(method: string, path: string, body?: string | Uint8Array) {
  const response = await fetch(`${host.url}${EM}${path}`, {
    method,
    headers: { 'x-ms-client-principal': ADMIN_PRINCIPAL, authorization: `Bearer ${BEARER_TOKEN}`, 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

/** The answer to `act`, which must be the given 4xx in Graph's error shape and change nothing stored. */
async function refusedWithoutChange(act: () => ReturnType<typeof call>, status: number, code: string) {
  const before = await storageSnapshot(prefix);
  const answer = await act();
  expect({ status: answer.status, code: answer.json?.error?.code }).toEqual({ status, code });
  expect(answer.json).toEqual({ error: { code, message: expect.any(String), innerError: { 'request-id': expect.any(String), date: expect.any(String) } } });
  expect(await storageSnapshot(prefix)).toBe(before);
  return answer;
}

const nestedObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('the HTTP edge, through the local host', () => {
  let packageId: string;
  const answers: string[] = [];

  beforeAll(async () => {
    const catalogs = await call('GET', `/catalogs?$filter=displayName eq 'General'`);
    const created = await call('POST', '/accessPackages', JSON.stringify({ displayName: 'Edge', catalog: { id: catalogs.json!.value[0].id } }));
    expect(created.status).toBe(201);
    packageId = created.json!.id;
  });

  it('answers a policy body nested far deeper than the limit with 400, not a 500, and changes nothing', async () => {
    const policy = `{"displayName":"Deep","accessPackage":{"id":"${packageId}"},"allowedTargetScope":"allMemberUsers","requestApprovalSettings":${nestedObject(100_000)}}`;

    const answer = await refusedWithoutChange(() => call('POST', '/assignmentPolicies', policy), 400, 'invalidRequest');

    expect(answer.json!.error.message).toMatch(/deeper than 32 levels/);
    answers.push(answer.text);
  });

  it("answers a body over 1 MiB with 413 in Graph's error shape, and changes nothing", async () => {
    const body = JSON.stringify({ displayName: 'Large', catalog: { id: 'x' }, description: 'x'.repeat(1024 * 1024) });

    const answer = await refusedWithoutChange(() => call('POST', '/accessPackages', body), 413, 'requestTooLarge');

    answers.push(answer.text);
  });

  it('answers a string longer than the limit with 400, and changes nothing', async () => {
    const body = JSON.stringify({ displayName: 'Long', catalog: { id: 'x' }, description: 'x'.repeat(32 * 1024 + 1) });

    const answer = await refusedWithoutChange(() => call('POST', '/accessPackages', body), 400, 'invalidRequest');

    expect(answer.json!.error.message).toMatch(/longer than 32768 characters/);
    answers.push(answer.text);
  });

  it('puts no stack trace or source path in any error answer', async () => {
    answers.push((await call('POST', '/accessPackages', '{"displayName":')).text);
    answers.push((await call('GET', '/nowhere')).text);
    answers.push((await call('GET', `/accessPackages/${randomBytes(4).toString('hex')}`)).text);

    for (const text of answers) {
      expect(text).not.toMatch(/\n\s+at |\.ts:\d|\.js:\d|node_modules/);
    }
  });

  it('writes neither the bearer token nor the client principal to the log', () => {
    expect(host.output()).toContain('Executed');
    expect(host.output()).not.toContain(BEARER_TOKEN.split('.')[1]);
    expect(host.output()).not.toContain(ADMIN_PRINCIPAL);
  });
});

describe('jwt mode', () => {
  let jwtHost: RunningHost;

  beforeAll(async () => {
    jwtHost = await startHost({
      ...TIMERS_DISABLED,
      AzureWebJobsStorage: testStorageConnectionString(),
      TABLE_PREFIX: prefix,
      ...JWT_MODE,
    });
  });
  afterAll(() => jwtHost.stop());

  it("ignores x-ms-client-principal: an administrator's principal without a bearer token is 401", async () => {
    const response = await fetch(`${jwtHost.url}${EM}/catalogs`, { headers: { 'x-ms-client-principal': ADMIN_PRINCIPAL } });

    expect({ status: response.status, body: await response.json() }).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
  });
});
