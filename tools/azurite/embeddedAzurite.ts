import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SEEDING_LOOKUPS_ENV, STOCK_LOOKUPS } from './keyLookupsForSeeding';

/** Azurite's well-known development account (public, the same in every Azurite). */
export const ACCOUNT = 'devstoreaccount1';
export const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/**
 * Runs in the Azurite child: when the parent's IPC channel closes, because the parent stopped it or died, Azurite
 * shuts down through its own SIGTERM handler, and the process ends once its servers have closed.
 */
const CHILD_WRAPPER = "process.on('disconnect', () => process.emit('SIGTERM')); require(process.argv[1]);";

export interface EmbeddedAzuriteOptions {
  /** A folder to keep data in across runs; in memory when absent. */
  location?: string;
  host?: string;
  startTimeoutMs?: number;
  /**
   * Inserts find an existing row by the narrower key index until `stockLookups()` (keyLookupsForSeeding.ts): for seeding a
   * partition of many thousand rows, which stock Azurite slows quadratically. Compiled code only (a preload).
   */
  keyLookupsForSeeding?: boolean;
}

export interface EmbeddedAzurite {
  connectionString: string;
  endpoints: { blob: string; queue: string; table: string };
  /** Its process, for a benchmark that measures the CPU time Azurite used. */
  pid: number | undefined;
  stop(): Promise<void>;
  /** Ends `keyLookupsForSeeding`: Azurite runs stock code from then on. Resolves at once without that option. */
  stockLookups(): Promise<void>;
}

/** Starts Azurite (blob, queue and table) as a child process on free ports, telemetry off. */
export async function startAzurite(options: EmbeddedAzuriteOptions = {}): Promise<EmbeddedAzurite> {
  const host = options.host ?? '127.0.0.1';
  const args = [
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--silent',
    ...['--blobHost', host, '--queueHost', host, '--tableHost', host],
    ...['--blobPort', '0', '--queuePort', '0', '--tablePort', '0'],
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence', '--extentMemoryLimit', '256');
  }

  const seeding = options.keyLookupsForSeeding === true;
  const preload = seeding ? ['-r', require.resolve('./keyLookupsForSeeding')] : [];
  const child = spawn(process.execPath, [...preload, '-e', CHILD_WRAPPER, require.resolve('azurite/dist/src/azurite.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
    env: seeding ? { ...process.env, [SEEDING_LOOKUPS_ENV]: '1' } : process.env,
  });
  const endpoints = await waitForEndpoints(child, options.startTimeoutMs ?? 30_000);
  const accountEndpoint = (base: string) => `${base}/${ACCOUNT}`;
  return {
    endpoints,
    connectionString: [
      'DefaultEndpointsProtocol=http',
      `AccountName=${ACCOUNT}`,
      `AccountKey=${ACCOUNT_KEY}`,
      `BlobEndpoint=${accountEndpoint(endpoints.blob)}`,
      `QueueEndpoint=${accountEndpoint(endpoints.queue)}`,
      `TableEndpoint=${accountEndpoint(endpoints.table)}`,
    ].join(';'),
    pid: child.pid,
    stop: () => stopChild(child),
    stockLookups: () => (seeding ? stockLookups(child) : Promise.resolve()),
  };
}

function waitForEndpoints(child: ChildProcess, timeoutMs: number): Promise<EmbeddedAzurite['endpoints']> {
  return new Promise((resolve, reject) => {
    const found: Partial<Record<'blob' | 'queue' | 'table', string>> = {};
    const output: string[] = [];
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`Azurite did not start: ${reason}\n${output.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code) => fail(`it exited with code ${code}`));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const match = /Azurite (Blob|Queue|Table) service is successfully listening at (\S+)/.exec(line);
      if (!match?.[1] || !match[2]) return;
      found[match[1].toLowerCase() as 'blob' | 'queue' | 'table'] = match[2];
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ blob: found.blob, queue: found.queue, table: found.table });
      }
    });
  });
}

function stockLookups(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const acknowledged = (message: unknown) => {
      if (message !== STOCK_LOOKUPS) return;
      child.off('message', acknowledged);
      resolve();
    };
    child.on('message', acknowledged);
    child.send(STOCK_LOOKUPS);
  });
}

async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
