import { randomBytes } from 'node:crypto';
import { buildDeps } from '../../shared/composition';
import { loadConfig } from '../../shared/config';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { WorkQueue } from '../../shared/queues/workQueue';
import { QueueRunner } from '../../tools/local-host/queueRunner';
import type { InProcessOperations } from './inProcessOperations';
import { rowsUnder } from './storageSnapshot';
import { testStorageConnectionString } from './testStorage';

/** A queue of the test's own (a fresh name), on the test storage. */
export const testQueue = (prefix: string) => new WorkQueue(testStorageConnectionString(), `${prefix}${randomBytes(6).toString('hex')}`);

/**
 * Runs `workers` queue runners on `queue` with the local dispatcher, each with deps of its own as instances have
 * (sharing the world's clock), until the queue is empty. Answers how many messages each worker handled.
 */
export async function drainWithWorkers(world: InProcessOperations, queue: WorkQueue, workers: number, handle: (deps: EntitlementDeps, payload: unknown, holder: string) => Promise<unknown>): Promise<number[]> {
  const config = loadConfig({ AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: world.prefix, AUTH_MODE: 'easyauth', GRAPH_EMULATOR_PORT: new URL(world.emulator.url).port, TENANT_ID: 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd' });
  return drainQueue(queue, Array.from({ length: workers }, () => ({ ...buildDeps(config).entitlements, clock: world.deps.clock })), handle);
}

/** One queue runner per deps given (one worker each), with the local dispatcher, until the queue is empty. */
export async function drainQueue<D>(queue: WorkQueue, depsOfWorkers: readonly D[], handle: (deps: D, payload: unknown, holder: string) => Promise<unknown>): Promise<number[]> {
  const byWorker = depsOfWorkers.map(() => 0);
  const runners = depsOfWorkers.map((deps, n) => {
    const runner = new QueueRunner(`worker${n}`, queue.name, async (payload, context) => {
      await handle(deps, payload, context.invocationId);
      byWorker[n]!++;
    }, { connection: testStorageConnectionString(), settings: { batchSize: 1, newBatchThreshold: 0, maxDequeueCount: 5, visibilityTimeoutMs: 0, maxPollingIntervalMs: 200, messageEncoding: 'base64' }, log: () => undefined });
    runner.start();
    return runner;
  });
  const deadline = Date.now() + 120_000;
  while ((await queue.depth()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  for (const runner of runners) runner.stop();
  await Promise.all(runners.map((runner) => runner.drained()));
  return byWorker;
}

/** A groups delta link names its emulator's port and the emulator's own epoch in its token. */
const DELTA_LINK = /http:\/\/127\.0\.0\.1:\d+\/v1\.0\/groups\/delta\?\$deltatoken=[A-Za-z0-9_-]+/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** The partition of locators of ids made together (store/groupedIds.ts): the group's first 8 hex digits, made at run time. */
const LOCATOR_GROUP = /locatorGroup(\W{1,3})[0-9a-f]{8}\b/g;
/** The digest of the configuration a request was decided from (configurationDigest.ts, its format's tag before it): a hash of ids made at run time. */
const DECIDED_FROM = /(decidedFrom\W{1,8})(?:[A-Za-z0-9-]+:)?[A-Za-z0-9_-]{43}/g;

/**
 * Every row under the prefix, its table named without the prefix, ETag, Timestamp and writer marks left out, ids made at run time
 * (not in `knownIds`) as `<id>`, delta links as `<delta link>`, groups of ids made together as `<group>`, configuration
 * digests as `<digest>`; audit
 * events without their time keys, writer sequence, lateness and wall-clock times.
 */
export async function normalizedRows(prefix: string, knownIds: ReadonlySet<string>): Promise<string[]> {
  const rows: string[] = [];
  for await (const { table, row } of rowsUnder(prefix)) {
    // A row's audited writers (store/writerMarks.ts) are the writes' bookkeeping, as its ETag is: event ids and times of the run.
    const { etag: _etag, timestamp: _timestamp, writers: _writers, ...rest } = row;
    const name = table.slice(prefix.length);
    // The Graph write budget's bucket is the rate limiter's own state, counted by the wall clock, not the sweep's outcome.
    if (name === 'graphWriteBudget') continue;
    // Whether an event is late (appended after its hour ended) follows from where the wall clock's hour fell in the
    // run, not from the sweep: its listing and its archive hour are left out.
    if (name === 'auditLateEvents') continue;
    // A package's configuration is a copy of rows compared in their own tables, its lists in the order of ids made
    // at run time.
    if (name === 'packageConfigurations') continue;
    // When this version first wrote to the store (store/requestsIndexedSince.ts): the wall clock at the run's start.
    if (name === 'grantIndex' && rest.partitionKey === 'requestsIndexedSince') continue;
    // An audit event's keys follow from the wall clock and its id, and its sequence from the process that wrote it.
    if (name === 'auditEvents') {
      const parts = Array.from({ length: Number(rest.parts ?? 1) }, (_, i) => String(rest[`part${i}`] ?? ''));
      const { sequence: _sequence, archiveHour: _archiveHour, ...event } = JSON.parse(parts.join('')) as Record<string, unknown>;
      for (let i = 1; i < parts.length; i++) delete rest[`part${i}`];
      Object.assign(rest, { part0: JSON.stringify(event), parts: 1, partitionKey: '<time>', rowKey: '<time>' });
    }
    let text = `${name} ${JSON.stringify(rest, Object.keys(rest).sort())}`.replace(UUID, (id) => (knownIds.has(id.toLowerCase()) ? id : '<id>')).replace(DELTA_LINK, '<delta link>').replace(LOCATOR_GROUP, 'locatorGroup$1<group>').replace(DECIDED_FROM, '$1<digest>');
    if (name === 'auditEvents') text = text.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '<wall time>');
    rows.push(text);
  }
  return rows.sort();
}
