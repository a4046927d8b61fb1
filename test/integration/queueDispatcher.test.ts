import type { InvocationContext } from '@azure/functions';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { randomBytes } from 'node:crypto';
import type { QueueHostSettings } from '../../shared/hosting/queueSettings';
import { encodeMessage, poisonQueueOf } from '../../shared/queues/queueMessages';
import { WorkQueue } from '../../shared/queues/workQueue';
import { QueueRunner } from '../../tools/local-host/queueRunner';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The local host's queue dispatcher against Azurite, with the Functions host's semantics: base64 JSON in, the
 * message's trigger metadata, delete on success, retry after visibilityTimeout with dequeueCount, the poison queue
 * after maxDequeueCount (and at once for a message that does not decode), the batch cap, and the hold on a message
 * renewed while its function runs longer than the hold.
 */
const SETTINGS: QueueHostSettings = { batchSize: 4, newBatchThreshold: 0, maxDequeueCount: 3, visibilityTimeoutMs: 1000, maxPollingIntervalMs: 300, messageEncoding: 'base64' };
const logs: string[] = [];
const log = (line: string) => logs.push(line);
const runners: QueueRunner[] = [];

afterEach(async () => {
  for (const runner of runners.splice(0)) runner.stop();
});

function newQueue(): { name: string; client: QueueClient; poison: QueueClient } {
  const name = `q${randomBytes(6).toString('hex')}`;
  const service = QueueServiceClient.fromConnectionString(testStorageConnectionString());
  return { name, client: service.getQueueClient(name), poison: service.getQueueClient(poisonQueueOf(name)) };
}

function run(queueName: string, handler: (payload: unknown, context: InvocationContext) => Promise<void>, settings: Partial<QueueHostSettings> = {}, holdMs?: number): QueueRunner {
  const runner = new QueueRunner('testQueueFunction', queueName, handler, { connection: testStorageConnectionString(), settings: { ...SETTINGS, ...settings }, log, ...(holdMs ? { holdMs } : {}) });
  runners.push(runner);
  runner.start();
  return runner;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const count = async (queue: QueueClient) => ((await queue.exists()) ? ((await queue.getProperties()).approximateMessagesCount ?? 0) : 0);

describe('the local queue dispatcher', () => {
  it('hands a base64 JSON message to the function parsed, with its trigger metadata, and deletes it on success', async () => {
    const queue = newQueue();
    await new WorkQueue(testStorageConnectionString(), queue.name).send({ shard: 7, items: ['a', 'b'] });
    const seen: Array<{ payload: unknown; metadata: unknown }> = [];
    const runner = run(queue.name, async (payload, context) => {
      seen.push({ payload, metadata: context.triggerMetadata });
    });
    await until(() => seen.length === 1);
    runner.stop();
    await runner.drained();
    expect(seen[0]!.payload).toEqual({ shard: 7, items: ['a', 'b'] });
    expect(seen[0]!.metadata).toMatchObject({ dequeueCount: 1, id: expect.any(String), popReceipt: expect.any(String), insertionTime: expect.any(String) });
    expect(await count(queue.client)).toBe(0);
    expect(await count(queue.poison)).toBe(0);
  });

  it('hands a base64 text that is not JSON over as the string', async () => {
    const queue = newQueue();
    await queue.client.create();
    await queue.client.sendMessage(encodeMessage('plain words'));
    const seen: unknown[] = [];
    run(queue.name, async (payload) => void seen.push(payload));
    await until(() => seen.length === 1);
    expect(seen).toEqual(['plain words']);
  });

  it('moves a message that is not base64 straight to the poison queue, without running the function', async () => {
    const queue = newQueue();
    await queue.client.create();
    await queue.client.sendMessage('{"not":"base64"}');
    let invoked = 0;
    run(queue.name, async () => void invoked++);
    await until(async () => (await count(queue.poison)) === 1);
    const [poisoned] = (await queue.poison.receiveMessages()).receivedMessageItems;
    expect(poisoned?.messageText).toBe('{"not":"base64"}');
    expect(invoked).toBe(0);
    expect(await count(queue.client)).toBe(0);
    expect(logs.some((line) => line.includes('Message decoding has failed'))).toBe(true);
  });

  it('retries a failed message after visibilityTimeout with a growing dequeueCount, and deletes it once it succeeds', async () => {
    const queue = newQueue();
    await new WorkQueue(testStorageConnectionString(), queue.name).send({ n: 1 });
    const attempts: Array<{ dequeueCount: unknown; at: number }> = [];
    run(queue.name, async (_payload, context) => {
      attempts.push({ dequeueCount: context.triggerMetadata?.dequeueCount, at: Date.now() });
      if (attempts.length < 3) throw new Error('not yet');
    });
    await until(() => attempts.length === 3);
    await until(async () => (await count(queue.client)) === 0);
    expect(attempts.map((a) => a.dequeueCount)).toEqual([1, 2, 3]);
    // Each retry waited out the visibility timeout (1 s; Storage counts whole seconds).
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(900);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(900);
    expect(await count(queue.poison)).toBe(0);
  });

  it('moves a message that failed maxDequeueCount times to <queue>-poison, as it was sent', async () => {
    const queue = newQueue();
    await new WorkQueue(testStorageConnectionString(), queue.name).send({ doomed: true });
    let attempts = 0;
    run(queue.name, async () => {
      attempts++;
      throw new Error('always fails');
    }, { visibilityTimeoutMs: 0 });
    await until(async () => (await count(queue.poison)) === 1);
    expect(attempts).toBe(SETTINGS.maxDequeueCount);
    expect(await count(queue.client)).toBe(0);
    const [poisoned] = (await queue.poison.receiveMessages()).receivedMessageItems;
    expect(poisoned?.messageText).toBe(encodeMessage({ doomed: true }));
  });

  it('runs at most batchSize messages at once when newBatchThreshold is 0', async () => {
    const queue = newQueue();
    await new WorkQueue(testStorageConnectionString(), queue.name).sendAll(Array.from({ length: 6 }, (_, n) => ({ n })));
    let running = 0;
    let most = 0;
    const done: unknown[] = [];
    run(queue.name, async (payload) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 300));
      running--;
      done.push(payload);
    }, { batchSize: 2 });
    await until(() => done.length === 6);
    expect(most).toBe(2);
  });

  it('keeps a message invisible while its function runs longer than the hold, so no other instance takes it', async () => {
    const queue = newQueue();
    await new WorkQueue(testStorageConnectionString(), queue.name).send({ long: true });
    const invocations: string[] = [];
    run(queue.name, async () => {
      invocations.push('first');
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    }, {}, 2_000);
    await until(() => invocations.length === 1);
    // A second instance polls all the while; with a 2 s hold and no renewal it would take the message after 2 s.
    run(queue.name, async () => void invocations.push('second'), {}, 2_000);
    await until(async () => (await count(queue.client)) === 0, 10_000);
    expect(invocations).toEqual(['first']);
  });
});
