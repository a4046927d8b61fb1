import { HttpRequest, InvocationContext } from '@azure/functions';
import { QueueServiceClient } from '@azure/storage-queue';
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { expirationShard } from '../../functions/expirationShard';
import { health } from '../../functions/health';
import { getDeps } from '../../shared/composition';
import { findProjectRoot } from '../../shared/hosting/appRoot';
import { readQueueHostSettings } from '../../shared/hosting/queueSettings';
import { QUEUE_NAMES } from '../../shared/queues/queueNames';
import { WorkQueue } from '../../shared/queues/workQueue';
import { startGraphEmulator, type GraphEmulator } from '../../tools/graph-emulator/server';
import { QueueRunner } from '../../tools/local-host/queueRunner';
import { CONTRACT_FIXTURE } from '../support/contractTenant';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * A shard message the expirationShard function cannot take, through the real function and the local dispatcher
 * with host.json's maxDequeueCount: tried 5 times, then in `expiration-shards-poison`; the last attempt writes an
 * audit event naming the message and why it was given up, and /api/health is degraded, showing the poison queue's
 * depth and the oldest message's age. (The only test file using the app's own queue names on the shared Azurite.)
 */
let emulator: GraphEmulator;
const queues = QueueServiceClient.fromConnectionString(testStorageConnectionString());
const SHARDS = QUEUE_NAMES.expirationShards;
const POISON = `${SHARDS}-poison`;

beforeAll(async () => {
  emulator = await startGraphEmulator({ seed: CONTRACT_FIXTURE, port: 0 });
  Object.assign(process.env, {
    AzureWebJobsStorage: testStorageConnectionString(),
    TABLE_PREFIX: `pv${randomBytes(4).toString('hex')}`,
    AUTH_MODE: 'easyauth',
    GRAPH_EMULATOR_PORT: new URL(emulator.url).port,
  });
  for (const name of [SHARDS, POISON]) await queues.getQueueClient(name).deleteIfExists();
});
afterAll(async () => {
  for (const name of [SHARDS, POISON]) await queues.getQueueClient(name).deleteIfExists();
  await getDeps().tables.deleteAll();
  await emulator.stop();
});

it('gives up a shard message after maxDequeueCount attempts, audits it, and health shows the poison queue', async () => {
  const bad = { minute: 'not a minute', fromRowKey: 'a', toRowKey: 'b' };
  const started = DateTime.utc();
  await new WorkQueue(testStorageConnectionString(), SHARDS).send(bad);
  const settings = { ...readQueueHostSettings(findProjectRoot()), visibilityTimeoutMs: 0, maxPollingIntervalMs: 200 };
  expect(settings.maxDequeueCount).toBe(5);
  let attempts = 0;
  const runner = new QueueRunner('expirationShard', SHARDS, async (payload, context) => {
    attempts++;
    await expirationShard(payload, context);
  }, { connection: testStorageConnectionString(), settings, log: () => undefined });
  runner.start();
  const poison = new WorkQueue(testStorageConnectionString(), POISON);
  const deadline = Date.now() + 20_000;
  while ((await poison.depth()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  runner.stop();
  await runner.drained();
  expect(attempts).toBe(5);
  expect(await new WorkQueue(testStorageConnectionString(), SHARDS).depth()).toBe(0);

  const events = [];
  for await (const event of getDeps().entitlements.audit.between(started.minus({ minutes: 1 }), DateTime.utc().plus({ minutes: 1 }))) events.push(event);
  const abandoned = events.filter((e) => e.action === 'abandonQueueMessage');
  expect(abandoned).toHaveLength(1);
  expect(abandoned[0]).toMatchObject({
    actorId: 'system',
    entityType: 'queueMessage',
    before: { queue: SHARDS, function: 'expirationShard', dequeueCount: 5, message: bad },
    after: { poisonQueue: POISON, reason: expect.stringContaining('minute') },
  });

  const response = await health(new HttpRequest({ method: 'GET', url: 'http://host/api/health' }), new InvocationContext({ invocationId: 'h', functionName: 'health' }));
  expect(response.status).toBe(200);
  expect(response.jsonBody).toMatchObject({ status: 'degraded', failed: [], parkedWork: 0, poisonQueues: { [POISON]: { depth: 1, oldestMessageAgeSeconds: expect.any(Number) } } });
  expect((response.jsonBody as { poisonQueues: Record<string, { oldestMessageAgeSeconds: number }> }).poisonQueues[POISON]!.oldestMessageAgeSeconds).toBeLessThan(60);
});
