import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { HostLog } from './log';

const READY = 'queue worker ready';
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 15_000;

export interface QueueWorkers {
  stop(): Promise<void>;
}

/**
 * Starts `count` more processes that take queue messages (queueWorker.ts), standing in for more instances of the
 * app: they inherit this process's settings (storage and the Graph emulator already resolved), their lines are
 * logged with `[worker n]`, and they stop when this process stops them or goes away.
 */
export async function startQueueWorkers(count: number, log: HostLog): Promise<QueueWorkers> {
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map((child) => stopChild(child)));
  };
  // All at once: each loads the functions, which takes seconds on a busy machine.
  const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => startWorker(i + 2, log)));
  for (const result of started) if (result.status === 'fulfilled') children.push(result.value);
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { stop };
}

function startWorker(n: number, log: HostLog): Promise<ChildProcess> {
  const child = fork(join(__dirname, 'queueWorker.js'), [], { env: { ...process.env, PORTCULLIS_WORKER: String(n) }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`it did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const onExit = (code: number | null) => fail(`it exited with ${code}`);
    function fail(reason: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`Queue worker ${n} did not start: ${reason}`));
    }
    child.once('exit', onExit);
    createInterface({ input: child.stderr! }).on('line', (line) => log(`[worker ${n}] ${line}`));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === READY) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(child);
      } else process.stdout.write(`[worker ${n}] ${line}\n`);
    });
  });
}

/** Asks the worker to stop (it lets messages in flight finish), and kills it after a grace period. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
