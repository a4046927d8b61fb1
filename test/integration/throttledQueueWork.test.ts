import type { InvocationContext } from '@azure/functions';
import { QueueServiceClient } from '@azure/storage-queue';
import { randomBytes } from 'node:crypto';
import { createGraphDirectory } from '../../shared/directory/createGraphDirectory';
import type { ChangeOutcome } from '../../shared/directory/directoryPort';
import { WriteTokens } from '../../shared/directory/writeTokens';
import { bucketShape } from '../../shared/domain/writeBudget';
import { deferringThrottling } from '../../shared/hosting/deferringQueueHandler';
import type { QueueHostSettings } from '../../shared/hosting/queueSettings';
import { poisonQueueOf } from '../../shared/queues/queueMessages';
import { WorkQueue } from '../../shared/queues/workQueue';
import { WriteBudgetStore } from '../../shared/store/writeBudgetStore';
import { startGraphEmulator, type GraphEmulator } from '../../tools/graph-emulator/server';
import { QueueRunner } from '../../tools/local-host/queueRunner';
import { CONTRACT_FIXTURE, CONTRACT_OBJECTS } from '../support/contractTenant';
import { testStorageConnectionString, testTables } from '../support/testStorage';

/**
 * A queue function that Graph throttles, run by the local host's queue runner against Azurite and the Graph
 * emulator: it does not wait in the function, its message comes back after the wait (Retry-After, or the shared
 * write budget's refill), is then processed once, and is never counted towards the poison queue.
 */
const SETTINGS: QueueHostSettings = { batchSize: 4, newBatchThreshold: 0, maxDequeueCount: 2, visibilityTimeoutMs: 0, maxPollingIntervalMs: 200, messageEncoding: 'base64' };
const GROUP = CONTRACT_OBJECTS.group.id;
const runners: QueueRunner[] = [];
let emulator: GraphEmulator;

beforeEach(async () => {
  emulator = await startGraphEmulator({ seed: CONTRACT_FIXTURE, port: 0 });
});
afterEach(async () => {
  for (const runner of runners.splice(0)) {
    runner.stop();
    await runner.drained();
  }
  await emulator.stop();
});

interface Invocation {
  startedAt: number;
  endedAt: number;
  dequeueCount: number;
  outcomes: ChangeOutcome[];
}

function runQueue(work: (payload: { userIds: string[] }) => Promise<ChangeOutcome[]>) {
  const name = `q${randomBytes(6).toString('hex')}`;
  const queue = new WorkQueue(testStorageConnectionString(), name);
  const invocations: Invocation[] = [];
  const handler = deferringThrottling(async (payload: unknown, context: InvocationContext) => {
    const startedAt = Date.now();
    const outcomes = await work(payload as { userIds: string[] });
    invocations.push({ startedAt, endedAt: Date.now(), dequeueCount: Number(context.triggerMetadata?.dequeueCount), outcomes });
  }, () => queue);
  const runner = new QueueRunner('throttledFunction', name, handler, { connection: testStorageConnectionString(), settings: SETTINGS, log: () => undefined });
  runners.push(runner);
  runner.start();
  const poison = QueueServiceClient.fromConnectionString(testStorageConnectionString()).getQueueClient(poisonQueueOf(name));
  return { queue, invocations, poisonExists: () => poison.exists() };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function emulatorCall(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return response.status === 204 ? undefined : response.json();
}

const memberIds = async () => ((await emulatorCall('GET', `/v1.0/groups/${GROUP}/members?$select=id`)) as { value: Array<{ id: string }> }).value.map((m) => m.id);

describe('a queue function throttled by Graph', () => {
  it('is sent again with the Retry-After as its delay instead of sleeping, and its work is done once, later', async () => {
    const user = CONTRACT_OBJECTS.spareUserIds[0]!;
    await emulatorCall('POST', `/v1.0/groups/${GROUP}/members/$ref`, { '@odata.id': `${emulator.url}/v1.0/directoryObjects/${user}` });
    await emulatorCall('PUT', '/_emulator/faults', { rules: [{ pathPattern: '/members/', method: 'DELETE', status: 429, rate: 1, retryAfterSeconds: 3 }] });
    const directory = createGraphDirectory({ graphBaseUrl: emulator.url, usesGraphEmulator: true });
    const { queue, invocations, poisonExists } = runQueue(({ userIds }) => directory.removeGroupMembers(GROUP, userIds));

    await queue.send({ userIds: [user] });
    await until(() => invocations.length === 1);
    const throttled = invocations[0]!;
    // The function ended at once, its throttled removal unapplied; the message waits out the Retry-After.
    expect(throttled.outcomes).toEqual([expect.objectContaining({ userId: user, outcome: 'failed', error: expect.objectContaining({ name: 'GraphThrottled' }) })]);
    expect(throttled.endedAt - throttled.startedAt).toBeLessThan(2_000);
    await until(async () => (await queue.depth()) === 1);
    await emulatorCall('DELETE', '/_emulator/faults');

    await until(() => invocations.length === 2);
    const later = invocations[1]!;
    expect(later.startedAt - throttled.endedAt).toBeGreaterThanOrEqual(2_000);
    expect(later.dequeueCount).toBe(1);
    expect(later.outcomes).toEqual([{ userId: user, outcome: 'changed' }]);
    expect(await memberIds()).not.toContain(user);
    await until(async () => (await queue.depth()) === 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(invocations).toHaveLength(2);
    expect(await poisonExists()).toBe(false);
  });

  it('is delayed, not failed, while the tenant write budget is spent by other instances, and done once it refills', async () => {
    const users = CONTRACT_OBJECTS.spareUserIds;
    // 20 tokens at once, then one every 3.8 s: longer than a queue function waits in place.
    const limits = { writes: 100, windowMs: 300_000 };
    const tables = testTables();
    // Another instance has just taken the whole bucket.
    await new WriteBudgetStore(tables, limits).take(bucketShape(limits).capacity, bucketShape(limits).capacity);
    const directory = createGraphDirectory({ graphBaseUrl: emulator.url, usesGraphEmulator: true }, undefined, new WriteTokens(new WriteBudgetStore(tables, limits)));
    const { queue, invocations, poisonExists } = runQueue(({ userIds }) => directory.addGroupMembers(GROUP, userIds));
    const before = (await emulatorCall('GET', '/_emulator/requests')) as { batchedRequests: number; roundTrips: number };

    await queue.send({ userIds: users });
    await until(() => invocations.length === 1);
    expect(invocations[0]!.outcomes).toEqual(users.map((userId) => expect.objectContaining({ userId, outcome: 'failed', error: expect.objectContaining({ name: 'GraphThrottled' }) })));
    expect(invocations[0]!.endedAt - invocations[0]!.startedAt).toBeLessThan(1_500);
    await until(() => invocations.length === 2);
    expect(invocations[1]!.startedAt - invocations[0]!.endedAt).toBeGreaterThanOrEqual(1_000);
    expect(invocations[1]!.dequeueCount).toBe(1);
    expect(invocations[1]!.outcomes.map((o) => o.outcome)).toEqual(users.map(() => 'changed'));
    expect(await memberIds()).toEqual(expect.arrayContaining(users));
    const after = (await emulatorCall('GET', '/_emulator/requests')) as { batchedRequests: number; roundTrips: number };
    // Nothing was sent to Graph while the budget was spent: only the later invocation's one write per user.
    expect(after.batchedRequests - before.batchedRequests).toBeLessThanOrEqual(users.length + 1);
    expect(await poisonExists()).toBe(false);
  });
});
