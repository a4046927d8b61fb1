// A queue worker that takes one message and hangs holding it, for a test to kill it (SIGKILL) mid-message. Plain
// JavaScript on the compiled dispatcher (npm run build), as it runs as a process of its own.
const { QueueRunner } = require('../../dist/tools/local-host/queueRunner');

const [connectionString, queueName, holdMs] = [process.env.QUEUE_CONNECTION, process.env.QUEUE_NAME, Number(process.env.QUEUE_HOLD_MS)];
const settings = { batchSize: 1, newBatchThreshold: 0, maxDequeueCount: 5, visibilityTimeoutMs: 0, maxPollingIntervalMs: 200, messageEncoding: 'base64' };
new QueueRunner('hangingFunction', queueName, async (payload) => {
  process.stdout.write(`holding ${JSON.stringify(payload)}\n`);
  await new Promise(() => undefined);
}, { connection: connectionString, settings, log: () => undefined, holdMs }).start();
