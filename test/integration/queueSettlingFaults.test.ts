import type { InvocationContext } from '@azure/functions';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { randomBytes } from 'node:crypto';
import type { QueueHostSettings } from '../../shared/hosting/queueSettings';
import { WorkQueue } from '../../shared/queues/workQueue';
import { startCountingProxy, type CountingProxy, type ProxyFaults } from '../../tools/bench/countingProxy';
import { QueueRunner } from '../../tools/local-host/queueRunner';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The local queue dispatcher when a storage call after an invocation fails once (its queue traffic through a proxy
 * that cuts one connection, or leaves it without an answer): the delete on success, the failure's visibility and the
 * hold's renewal are tried again at once, so the message is not left held for the whole hold (a minute here, 10 minutes in the host),
 * and it is handled once.
 */
const SETTINGS: QueueHostSettings = { batchSize: 1, newBatchThreshold: 0, maxDequeueCount: 5, visibilityTimeoutMs: 1000, maxPollingIntervalMs: 300, messageEncoding: 'base64' };
const HOLD_MS = 60_000;
const logs: string[] = [];
let proxy: CountingProxy | undefined;
let runner: QueueRunner | undefined;

afterEach(async () => {
  runner?.stop();
  // Closed first, so that a call it left without an answer fails rather than holding the runner (should it stall).
  await proxy?.close();
  await runner?.drained();
  [runner, proxy] = [undefined, undefined];
  logs.length = 0;
});

/** One cut: the first request of `method` on a message of the queue. */
function once(method: string): (requestMethod: string, url: string) => boolean {
  let cut = false;
  return (requestMethod, url) => {
    if (cut || requestMethod !== method || !/\/messages\/[^/?]+\?/.test(url)) return false;
    return (cut = true);
  };
}

/** `messages`: how many to send, `{ n: 1 }` and on. */
async function runThroughProxy(
  faults: ProxyFaults,
  handler: (payload: unknown, context: InvocationContext) => Promise<void>,
  { holdMs = HOLD_MS, storageTimeoutMs, messages = 1 }: { holdMs?: number; storageTimeoutMs?: number; messages?: number } = {},
): Promise<QueueClient> {
  const name = `q${randomBytes(6).toString('hex')}`;
  for (let n = 1; n <= messages; n++) await new WorkQueue(testStorageConnectionString(), name).send({ n });
  const direct = testStorageConnectionString();
  const queueEndpoint = /QueueEndpoint=([^;]+)/.exec(direct)![1]!;
  proxy = await startCountingProxy(new URL(queueEndpoint).origin, faults);
  const connection = direct.replace(queueEndpoint, `${proxy.url}${new URL(queueEndpoint).pathname}`);
  runner = new QueueRunner('testQueueFunction', name, handler, { connection, settings: SETTINGS, log: (line) => logs.push(line), holdMs, ...(storageTimeoutMs === undefined ? {} : { storageTimeoutMs }) });
  runner.start();
  return QueueServiceClient.fromConnectionString(direct).getQueueClient(name);
}

/** What the runner logged about a message it could not settle (an invocation logs `Executed` lines besides). */
const runnerFailures = () => logs.filter((line) => line.startsWith(`Queue '`));

/** Messages in the queue, visible or held. */
const count = async (queue: QueueClient) => (await queue.getProperties()).approximateMessagesCount ?? 0;

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the local queue dispatcher when storage fails once after an invocation', () => {
  it('deletes a handled message although the first delete never reached storage', async () => {
    let handled = 0;
    const queue = await runThroughProxy({ dropRequest: once('DELETE') }, async () => void handled++);
    await until(async () => (await count(queue)) === 0);
    expect(handled).toBe(1);
    expect(runnerFailures()).toEqual([]);
  });

  it('gives up a delete that never answers after the storage timeout and makes it again: the worker goes on to the next message, each run once', async () => {
    const handled: unknown[] = [];
    const hold = once('DELETE');
    let held = false;
    // One message at a time (batchSize 1): a worker stalled on the first one's delete would never take the second.
    const queue = await runThroughProxy({ holdRequest: (method, url) => hold(method, url) && (held = true) }, async (payload) => void handled.push(payload), { storageTimeoutMs: 1_000, messages: 2 });
    // Well within the hold (a minute), after which a stalled worker's message would come back anyway.
    await until(async () => (await count(queue)) === 0, 8_000);
    expect(held).toBe(true);
    expect(handled).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }]));
    expect(handled).toHaveLength(2);
    expect(runnerFailures()).toEqual([]);
  });

  it("gives up a failure's visibility update that never answers after the storage timeout and makes it again: the message runs again after visibilityTimeout, not after the hold", async () => {
    const dequeueCounts: unknown[] = [];
    const hold = once('PUT');
    let held = false;
    const queue = await runThroughProxy({ holdRequest: (method, url) => hold(method, url) && (held = true) }, async (_payload, context) => {
      dequeueCounts.push(context.triggerMetadata?.dequeueCount);
      if (dequeueCounts.length === 1) throw new Error('first attempt fails');
    }, { storageTimeoutMs: 1_000 });
    // Well within the hold (a minute), after which a stalled worker's message would come back anyway.
    await until(async () => (await count(queue)) === 0, 8_000);
    expect(held).toBe(true);
    expect(dequeueCounts).toEqual([1, 2]);
    expect(runnerFailures()).toEqual([]);
  });

  it('gives up a renewal that never answers after the storage timeout and makes it again: the message is deleted once its run ends', async () => {
    let handled = 0;
    const hold = once('PUT');
    let held = false;
    // A 2 s hold renewed every second over a 3 s run: the first PUT is the first renewal, whose end the run's end awaits.
    const queue = await runThroughProxy({ holdRequest: (method, url) => hold(method, url) && (held = true) }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      handled++;
    }, { holdMs: 2_000, storageTimeoutMs: 1_000 });
    await until(async () => (await count(queue)) === 0, 8_000);
    expect(held).toBe(true);
    expect(handled).toBe(1);
    expect(runnerFailures()).toEqual([]);
  });

  it('takes a delete whose answer was lost, and retried into a 404, as done', async () => {
    let handled = 0;
    const queue = await runThroughProxy({ loseAnswer: once('DELETE') }, async () => void handled++);
    await until(async () => (await count(queue)) === 0);
    runner!.stop();
    await runner!.drained();
    expect(handled).toBe(1);
    expect(runnerFailures()).toEqual([]);
  });

  it('makes a failed message visible after visibilityTimeout although the first update never reached storage', async () => {
    const dequeueCounts: unknown[] = [];
    const queue = await runThroughProxy({ dropRequest: once('PUT') }, async (_payload, context) => {
      dequeueCounts.push(context.triggerMetadata?.dequeueCount);
      if (dequeueCounts.length === 1) throw new Error('first attempt fails');
    });
    await until(async () => (await count(queue)) === 0);
    expect(dequeueCounts).toEqual([1, 2]);
  });

  it('extends the hold on a long-running message although the first renewal never reached storage', async () => {
    let handled = 0;
    // A 2 s hold renewed every second over a 3 s run: the first PUT is the first renewal.
    const queue = await runThroughProxy({ dropRequest: once('PUT') }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      handled++;
    }, { holdMs: 2_000 });
    await until(async () => (await count(queue)) === 0);
    expect(handled).toBe(1);
    expect(runnerFailures()).toEqual([]);
  });
});
