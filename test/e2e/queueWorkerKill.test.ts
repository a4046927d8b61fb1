import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { QueueServiceClient } from '@azure/storage-queue';
import { WorkQueue } from '../../shared/queues/workQueue';
import { QueueRunner } from '../../tools/local-host/queueRunner';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * A worker process killed (SIGKILL) while it holds a message: the message comes back once the hold it last renewed
 * runs out, another worker processes it (dequeueCount 2), and it is processed once. Runs the compiled dispatcher in
 * the killed process (npm run build first).
 */
const HOLD_MS = 2_000;

it('gives a message held by a killed worker to another worker after its hold, which processes it once', async () => {
  const queueName = `k${randomBytes(6).toString('hex')}`;
  await new WorkQueue(testStorageConnectionString(), queueName).send({ shard: 'kill-me' });
  const child = spawn(process.execPath, [join(__dirname, '..', 'support', 'queueWorkerChild.js')], {
    env: { PATH: process.env.PATH, QUEUE_CONNECTION: testStorageConnectionString(), QUEUE_NAME: queueName, QUEUE_HOLD_MS: String(HOLD_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('holding') && resolve()));
  // It has held the message past one renewal: the hold was extended, and still runs out once nobody renews it.
  await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
  const killedAt = Date.now();
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));

  const processed: Array<{ payload: unknown; dequeueCount: unknown; at: number }> = [];
  const runner = new QueueRunner('survivor', queueName, async (payload, context) => {
    processed.push({ payload, dequeueCount: context.triggerMetadata?.dequeueCount, at: Date.now() });
  }, {
    connection: testStorageConnectionString(),
    settings: { batchSize: 1, newBatchThreshold: 0, maxDequeueCount: 5, visibilityTimeoutMs: 0, maxPollingIntervalMs: 200, messageEncoding: 'base64' },
    log: () => undefined,
  });
  runner.start();
  const queue = QueueServiceClient.fromConnectionString(testStorageConnectionString()).getQueueClient(queueName);
  const deadline = Date.now() + 10_000;
  while (((await queue.getProperties()).approximateMessagesCount ?? 0) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  // A little longer: a second delivery would show now.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  runner.stop();
  await runner.drained();

  expect(processed).toHaveLength(1);
  expect(processed[0]).toMatchObject({ payload: { shard: 'kill-me' }, dequeueCount: 2 });
  expect(processed[0]!.at - killedAt).toBeLessThanOrEqual(HOLD_MS + 2_000);
  expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
});
