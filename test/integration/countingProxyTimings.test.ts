import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { TableClient } from '@azure/data-tables';
import { startCountingProxy, type CountingProxy } from '../../tools/bench/countingProxy';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The counting proxy's timings, which the scaleOut benchmark prints to show which Table requests a slow run waits
 * on: every request timed under its route, the answers of 400 and above counted (a 412 is a hot row's lost race),
 * and reset with the counts.
 */
let proxy: CountingProxy;
let table: TableClient;

beforeAll(async () => {
  const direct = testStorageConnectionString();
  const tableEndpoint = /TableEndpoint=([^;]+)/.exec(direct)![1]!;
  proxy = await startCountingProxy(new URL(tableEndpoint).origin);
  const throughProxy = direct.replace(tableEndpoint, `${proxy.url}${new URL(tableEndpoint).pathname}`);
  table = TableClient.fromConnectionString(throughProxy, `timings${randomBytes(4).toString('hex')}`, { allowInsecureConnection: true });
  await table.createTable();
});

afterAll(async () => {
  await table.deleteTable().catch(() => undefined);
  await proxy.close();
});

beforeEach(() => proxy.reset());

test('times each route and counts the answers that failed, a lost ETag race among them', async () => {
  await table.createEntity({ partitionKey: '1', rowKey: '01', n: 1 });
  const read = await table.getEntity('1', '01');
  await table.updateEntity({ partitionKey: '1', rowKey: '01', n: 2 }, 'Replace', { etag: read.etag });
  // The same ETag again: the row changed meanwhile, so Table Storage answers 412.
  await expect(table.updateEntity({ partitionKey: '1', rowKey: '01', n: 3 }, 'Replace', { etag: read.etag })).rejects.toMatchObject({ statusCode: 412 });
  await expect(table.getEntity('1', '02')).rejects.toMatchObject({ statusCode: 404 });

  const timings = proxy.timings();
  // Keys of digits name no kind of row, so each route is the method and the table.
  const name = table.tableName;
  expect(timings[`GET ${name}()`]).toMatchObject({ count: 2, failed: 1, maxInFlight: 1 });
  expect(timings[`PUT ${name}()`]).toMatchObject({ count: 2, failed: 1 });
  expect(timings[`POST ${name}`]).toMatchObject({ count: 1, failed: 0 });
  for (const timing of Object.values(timings)) {
    expect(timing.meanMs).toBeGreaterThan(0);
    expect(timing.maxMs).toBeGreaterThanOrEqual(Math.floor(timing.meanMs));
  }
  expect(Object.values(timings).reduce((sum, t) => sum + t.count, 0)).toBe(proxy.counts().roundTrips);
});

test('counts requests in flight at once, and reset forgets the timings', async () => {
  // A request held open (half its body sent) while the upserts go through, so they are in flight beside it however
  // fast storage answers them.
  const held = request(`${proxy.url}/devstoreaccount1/held`, { method: 'PUT', headers: { 'content-length': '2' } });
  const heldAnswered = new Promise<void>((resolve) => {
    held.on('response', (answer) => answer.resume().on('end', resolve));
    held.on('error', () => resolve());
  });
  held.write('x');
  while (proxy.counts().roundTrips === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  await Promise.all(Array.from({ length: 6 }, (_, i) => table.upsertEntity({ partitionKey: '2', rowKey: `0${i}` })));
  held.end('x');
  await heldAnswered;
  const timing = proxy.timings()[`PATCH ${table.tableName}()`]!;
  expect(timing.count).toBe(6);
  expect(timing.maxInFlight).toBeGreaterThan(1);
  proxy.reset();
  expect(proxy.timings()).toEqual({});
});
