import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { QueueServiceClient } from '@azure/storage-queue';
import { DateTime } from 'luxon';
import { buildDeps, type Deps } from '../../shared/composition';
import { loadConfig } from '../../shared/config';
import { mapConcurrently } from '../../shared/concurrently';
import type { DeliveryOperation } from '../../shared/domain/assignments/assignment';
import { directoryRoleOf } from '../../shared/operations/assignments/directoryRoles';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { addResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { encodeMessage } from '../../shared/queues/queueMessages';
import { GrantStore, type PackageClaim } from '../../shared/store/grantStore';
import { startAzurite } from '../azurite/embeddedAzurite';
import { connectionStringThrough, startCountingProxy, type RouteTiming } from './countingProxy';
import { startHostProcess } from '../local-host/hostProcess';
import { cpuMsOfTree, machineBusyMs, runQueueWaitMsOfTree } from './processCpu';
import { ADMIN_CALLER, assignmentDoc, benchTenant, guid, memberIds, packageWithPolicy, progress, range, round } from './benchKit';

export interface ScaleOutBenchRow {
  case: string;
  workers: number;
  dueExpirations: number;
  /** From the timer run (admin endpoint) until the shard queue was empty: every shard processed. */
  seconds: number;
  expirationsPerSecond: number;
  /** Wall time per expiration of one worker: seconds × workers / due (8 items at once within a shard). */
  msPerItemPerWorker: number;
  /** Table Storage requests of the whole fan-out (timer and shards; counted by the proxy the host's tables go through) per expiration. */
  tableRoundTripsPerItem: number;
  /** Graph round trips (the emulator's count; a `$batch` is one) per 1,000 expirations: removals and mail, 20 to a `$batch`. */
  graphRoundTripsPer1000: number;
  /**
   * CPU time per expiration of the host and its worker processes (the functions, the Graph emulator) and of Azurite,
   * from /proc, over the same span as `seconds`: what the work costs, whatever the machine's load. Flat across
   * workers means the work per item does not grow with them; the wall time is then the machine's share of cores.
   */
  hostCpuMsPerItem: number | null;
  azuriteCpuMsPerItem: number | null;
  /** (host + Azurite CPU) / wall time: how many cores the case kept busy on average. */
  coresBusy: number | null;
  /**
   * The whole machine's busy CPU / wall time (every process, other runs included; 2 means both cores were taken):
   * a low coresBusy beside a machine near its cores says the case was starved, not idle.
   */
  machineCoresBusy: number | null;
  /**
   * Per expiration, how long the main threads (where the JavaScript runs) of the host and its workers, and of
   * Azurite, waited for a core while ready to run (/proc schedstat): time the work stood still because other
   * processes held the cores. Near their CPU ms per item or above it, the machine's load, not the code, sets the pace.
   */
  hostRunQueueMsPerItem: number | null;
  azuriteRunQueueMsPerItem: number | null;
  /** The machine's 1-minute load average when the case's timer run started (other runs share the 2 cores). */
  loadAverage: number;
  /** Throughput over the one-worker run's. */
  speedUp: number;
  /** speedUp / workers: the issue's aim is at least 0.7. */
  efficiency: number;
  shards: number;
  /** Shard invocations the host logged: more than `shards` when a message was handled again. */
  shardInvocations: number;
  /**
   * From the end of the last shard invocation until the queue was found empty: near the polling interval normally;
   * minutes when a message stayed held (invisible) with no worker on it until its hold ran out.
   */
  tailSeconds: number;
  /** Mean wall time of one shard's invocation (the host's `Executed` lines): grows with workers when they contend. */
  msPerShard: number;
  /**
   * 1 − (time the workers spent in shard invocations) / (workers × seconds): the share of the workers' time spent
   * waiting for a message (polling back-off, the tail when fewer shards than workers are left, the timer's run).
   */
  workerIdleShare: number;
  /** Receive + delete of 1 KB messages, one consumer, straight to the same Azurite: its own queue ceiling. */
  azuriteQueueMessagesPerSecond: number;
  /** The aim beside the speed-up: at least 0.7 × workers (the budget case has none). */
  speedUpTarget: string;
  /** GRAPH_WRITE_BUDGET of the run: writes per seconds. */
  writeBudget: string;
  /**
   * The budget case: the most directory writes (non-GET requests, inside `$batch` too, as the emulator counts them)
   * in any window of the budget's length, from the emulator's counts sampled every SAMPLE_MS. An upper bound: each
   * window is widened by up to two sampling gaps (the bucket's shape covers a window and CHUNK_LIFETIME_MS).
   */
  maxWritesPerWindow: number | null;
  /** maxWritesPerWindow within the budget's writes. */
  budgetHeld: boolean | null;
  /** Shard messages a queue function sent again after Graph's throttling or the spent budget (the host's log). */
  deferredMessages: number;
  allExpired: boolean;
  removedFromGroup: boolean;
  problems: string;
}

/**
 * The expiration sweep fanned out over the `expiration-shards` queue, run by `npm start` (the local host, as a user
 * runs it) with WORKERS 1, 2 and 4: DUE assignments ended, each removal from the group answered by the Graph
 * emulator after 150 ms (GRAPH_EMULATOR_FAULTS latency). Per run: a fresh Azurite (in memory), the due work seeded
 * straight into it, the timer run through the admin endpoint, then the time until every shard was processed; and
 * Azurite's own queue rate (receive + delete, one consumer) measured in the same run.
 * BENCH_SCALEOUT_DUE scales it (default 2,000: the issue's 10,000 takes about 25 minutes at one worker here).
 * Those runs give the budget room (THROUGHPUT_BUDGET), so they measure the queue. Then the budget case: 4 workers
 * against a budget small enough to bind (BUDGET, on BUDGET_DUE of the due assignments), the emulator's write counts
 * sampled as it runs, to show that all instances together never write more per window than the budget.
 */
const DUE = Number(process.env.BENCH_SCALEOUT_DUE ?? 2_000);
/** BENCH_SCALEOUT_WORKERS picks the cases (`4` alone, to look at one); the speed-up is over the first. */
const WORKERS = (process.env.BENCH_SCALEOUT_WORKERS ?? '1,2,4').split(',').map(Number);
const LATENCY_MS = 150;
const BYSTANDERS = 50;
const TENANT = 'be000000-0000-4000-8000-0000000000f1';
const GROUP = 'b0000000-0000-4000-8000-0000000000f1';
const DUE_TARGET = 'a2000000';
const BYSTANDER = 'a3000000';
const DUE_ASSIGNMENT = 'e2000000';
const DUE_REQUEST = 'f2000000';
const PREFIX = 'scale';
const TIMERS = ['expirationSweep', 'reconcileSweep', 'autoAssignmentSweep', 'externalUserSweep', 'accessReviewSweep', 'reportArchive'];
/**
 * The other queue functions, off as well: on the Flex Consumption plan each queue function scales on instances of
 * its own (scaleout-and-deploy.md §1.5), so an instance taking expiration shards does not poll the idle queues of
 * the others; here they would (every 2 s, per worker and queue) and share Azurite with the shards.
 */
const OTHER_QUEUE_FUNCTIONS = ['archiveHour', 'autoAssignmentShard', 'reconcileShard', 'reviewOpeningShard'];
const QUEUE_SAMPLE = 500;
/** The largest GRAPH_WRITE_BUDGET accepts: far above what the throughput runs write. */
const THROUGHPUT_BUDGET = '18000/10';
const BUDGET = { writes: 100, seconds: 10 };
const BUDGET_DUE = Math.min(Number(process.env.BENCH_SCALEOUT_BUDGET_DUE ?? 600), Number(process.env.BENCH_SCALEOUT_DUE ?? 2_000));
const BUDGET_WORKERS = 4;
const SAMPLE_MS = 500;
/** Longer than the queue's polling back-off (maxPollingInterval, 2 s) and the bench's own 250 ms depth checks. */
const STALL_SECONDS = 10;
/** Starting the host and its worker processes on a loaded 2-core machine can take longer than the usual 30 s. */
const HOST_START_MS = 180_000;

export async function scaleOutScenario(): Promise<ScaleOutBenchRow[]> {
  const rows: ScaleOutBenchRow[] = [];
  const dueTargets = range(DUE).map((i) => guid(DUE_TARGET, i));
  const bystanders = range(BYSTANDERS).map((i) => guid(BYSTANDER, i));
  const folder = mkdtempSync(join(tmpdir(), 'portcullis-scaleout-'));
  const seedPath = join(folder, 'tenant.json');
  const users: Array<[string, string]> = [...dueTargets.map((id, i): [string, string] => [id, `due${i}`]), ...bystanders.map((id, i): [string, string] => [id, `bystander${i}`])];
  writeFileSync(seedPath, JSON.stringify(benchTenant(TENANT, users, [{ id: GROUP, displayName: 'Bench scale-out group', description: 'Bench', mailEnabled: false, securityEnabled: true, groupTypes: [], members: [...dueTargets, ...bystanders], owners: [] }])));
  const cases = [
    ...WORKERS.map((workers) => ({ workers, due: DUE, budget: THROUGHPUT_BUDGET, sampled: false })),
    { workers: BUDGET_WORKERS, due: BUDGET_DUE, budget: `${BUDGET.writes}/${BUDGET.seconds}`, sampled: true },
  ];
  for (const { workers, due, budget, sampled } of cases) {
    const label = `${due.toLocaleString('en-US')} due, ${workers} worker${workers === 1 ? '' : 's'}${sampled ? `, budget ${budget} s` : ''}`;
    const azurite = await startAzurite();
    // The host's tables go through the counting proxy (its queues and blobs straight to Azurite).
    const proxy = await startCountingProxy(azurite.endpoints.table);
    try {
      const host = await startHostProcess({
        AzureWebJobsStorage: connectionStringThrough(proxy, azurite.endpoints),
        TABLE_PREFIX: PREFIX,
        DIRECTORY_SEED: seedPath,
        GRAPH_EMULATOR_FAULTS: JSON.stringify([{ pathPattern: '^/v1.0/', status: 503, rate: 0, latencyMs: LATENCY_MS }]),
        GRAPH_WRITE_BUDGET: budget,
        WORKERS: String(workers),
        ...Object.fromEntries([...TIMERS, ...OTHER_QUEUE_FUNCTIONS].map((name) => [`AzureWebJobs.${name}.Disabled`, 'true'])),
      }, undefined, HOST_START_MS);
      try {
        const deps = buildDeps(loadConfig({ AzureWebJobsStorage: azurite.connectionString, TABLE_PREFIX: PREFIX, AUTH_MODE: 'easyauth', TENANT_ID: TENANT, GRAPH_EMULATOR_PORT: new URL(host.emulatorUrl!).port }));
        progress(`${label}: seeding`);
        const expiring = dueTargets.slice(0, due);
        const assignmentIds = await seed(deps, expiring);
        const problems: string[] = [];
        progress(`${label}: sweeping`);
        await fetch(`${host.emulatorUrl}/_emulator/requests`, { method: 'DELETE' });
        proxy.reset();
        const loadAverage = round(loadavg()[0]!, 1);
        const sampler = sampled ? sampleWrites(host.emulatorUrl!) : undefined;
        const cpuBefore = [cpuMsOfTree(host.process.pid), cpuMsOfTree(azurite.pid)];
        const waitBefore = [runQueueWaitMsOfTree(host.process.pid), runQueueWaitMsOfTree(azurite.pid), machineBusyMs()];
        const started = performance.now();
        const logBefore = host.output().length;
        const run = await fetch(`${host.url}/admin/functions/expirationSweep`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });
        if (run.status !== 202) problems.push(`the timer run answered ${run.status}`);
        const shards = shardsSent(host.output());
        const deadline = Date.now() + Math.max(120_000, due * (sampled ? 1_000 : 500));
        while ((await deps.queues.expirationShards.depth()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
        // Kept for every case, so a slow one can be read afterwards.
        const hostLog = join(folder, `host-${workers}${sampled ? '-budget' : ''}.log`);
        if (Date.now() >= deadline) problems.push(`shards still queued after ${Math.round((deadline - started) / 1000)} s; the host's log is in ${hostLog}`);
        const ms = performance.now() - started;
        const emptiedAt = Date.now();
        const cpuUsed = (after: number | undefined, before: number | undefined) => (after === undefined || before === undefined ? null : after - before);
        const hostCpuMs = cpuUsed(cpuMsOfTree(host.process.pid), cpuBefore[0]);
        const azuriteCpuMs = cpuUsed(cpuMsOfTree(azurite.pid), cpuBefore[1]);
        const [hostWaitMs, azuriteWaitMs, machineMs] = [runQueueWaitMsOfTree(host.process.pid), runQueueWaitMsOfTree(azurite.pid), machineBusyMs()].map((after, i) => cpuUsed(after, waitBefore[i])) as [number | null, number | null, number | null];
        const tableRoundTrips = proxy.counts().roundTrips;
        const graphRoundTrips = ((await (await fetch(`${host.emulatorUrl}/_emulator/requests`)).json()) as { roundTrips: number }).roundTrips;
        const shardMs = shardDurations(host.output().slice(logBefore));
        const tailSeconds = round((emptiedAt - lastShardEnd(host.output().slice(logBefore), emptiedAt)) / 1000, 1);
        writeFileSync(hostLog, host.output());
        if (tailSeconds > STALL_SECONDS) problems.push(`the queue emptied ${tailSeconds} s after the last shard ended (a message held with no worker on it); the host's log is in ${hostLog}`);
        const maxWritesPerWindow = sampler ? maxInWindow(await sampler.stop(), BUDGET.seconds * 1000) : null;
        progress(`${label}: ${shards} shards done in ${(ms / 1000).toFixed(1)} s; checking`);
        printTimings(label, proxy.timings());
        const expired = await mapConcurrently(assignmentIds, async (id) => (await deps.entitlements.grants.findAssignment(id))?.value.state === 'expired');
        const allExpired = expired.every(Boolean);
        if (!allExpired) problems.push(`${expired.filter((e) => !e).length} assignments not expired`);
        const members = new Set(await memberIds(deps, GROUP));
        const stillIn = expiring.filter((id) => members.has(id)).length;
        const removedFromGroup = stillIn === 0 && members.size === BYSTANDERS + DUE - due;
        if (!removedFromGroup) problems.push(`${stillIn} expired targets still in the group (their removal failed and waits for redelivery, whose timer is off here)`);
        const rate = await queueRate(azurite.connectionString);
        const perSecond = (due / ms) * 1000;
        rows.push({
          case: label,
          workers,
          dueExpirations: due,
          seconds: round(ms / 1000, 1),
          expirationsPerSecond: round(perSecond, 1),
          msPerItemPerWorker: round((ms * workers) / due, 0),
          tableRoundTripsPerItem: round(tableRoundTrips / due, 2),
          graphRoundTripsPer1000: round((graphRoundTrips / due) * 1000, 0),
          hostCpuMsPerItem: hostCpuMs === null ? null : round(hostCpuMs / due, 1),
          azuriteCpuMsPerItem: azuriteCpuMs === null ? null : round(azuriteCpuMs / due, 1),
          coresBusy: hostCpuMs === null || azuriteCpuMs === null ? null : round((hostCpuMs + azuriteCpuMs) / ms, 2),
          machineCoresBusy: machineMs === null ? null : round(machineMs / ms, 2),
          hostRunQueueMsPerItem: hostWaitMs === null ? null : round(hostWaitMs / due, 1),
          azuriteRunQueueMsPerItem: azuriteWaitMs === null ? null : round(azuriteWaitMs / due, 1),
          loadAverage,
          speedUp: 1,
          efficiency: 1,
          speedUpTarget: sampled ? 'n/a' : `>= ${round(0.7 * workers, 1)}`,
          shards,
          shardInvocations: shardMs.length,
          tailSeconds,
          msPerShard: shardMs.length === 0 ? 0 : round(shardMs.reduce((sum, d) => sum + d, 0) / shardMs.length, 0),
          workerIdleShare: round(Math.max(0, 1 - shardMs.reduce((sum, d) => sum + d, 0) / (workers * ms)), 2),
          azuriteQueueMessagesPerSecond: rate,
          writeBudget: budget,
          maxWritesPerWindow,
          budgetHeld: maxWritesPerWindow === null ? null : maxWritesPerWindow <= BUDGET.writes,
          deferredMessages: host.output().split("Graph throttled this message's work").length - 1,
          allExpired,
          removedFromGroup,
          problems: problems.join('; '),
        });
      } finally {
        await host.stop();
      }
    } finally {
      await proxy.close();
      await azurite.stop();
    }
  }
  const base = rows[0]!.expirationsPerSecond;
  return rows.map((row) =>
    row.maxWritesPerWindow === null ? { ...row, speedUp: round(row.expirationsPerSecond / base, 2), efficiency: round(row.expirationsPerSecond / base / row.workers, 2) } : row,
  );
}

/** The catalog and package through the operations; the due assignments written as the stores write them, ended half an hour ago. */
async function seed(deps: Deps, dueTargets: readonly string[]): Promise<string[]> {
  const em = deps.entitlements;
  const admin = ADMIN_CALLER(TENANT);
  const catalog = await createCatalog(em, admin, { displayName: 'Bench scale-out', state: 'published' });
  await requestResource(em, admin, { requestType: 'adminAdd', resource: { originId: GROUP, originSystem: 'AadGroup' }, catalog: { id: catalog.id } });
  const granting = await packageWithPolicy(em, admin, catalog.id, 'Bench scale-out access');
  const roleScope = await addResourceRoleScope(em, admin, granting.packageId, { role: { originId: `Member_${GROUP}`, originSystem: 'AadGroup' }, scope: { originId: GROUP, originSystem: 'AadGroup' } });
  const held: DeliveryOperation[] = [{ action: 'add', role: directoryRoleOf(roleScope), state: 'done', attempts: 1, lastError: null }];
  const now = DateTime.utc();
  const start = now.minus({ days: 30 }).toISO()!;
  const ids = await mapConcurrently(range(dueTargets.length), async (i) => {
    // Ended 31 to 35 minutes ago, over 5 minutes of the index (a shard is a run within one minute's partition).
    const end = now.minus({ minutes: 35 - (i % 5) }).toISO()!;
    const assignment = assignmentDoc({ id: guid(DUE_ASSIGNMENT, i), targetId: dueTargets[i]!, ref: granting, catalogId: catalog.id, requestId: guid(DUE_REQUEST, i), start, end, operations: held });
    await em.grants.indexAssignment(assignment);
    const target = GrantStore.targetKey(assignment.targetId);
    const claim: PackageClaim = { packageId: granting.packageId, requestId: assignment.requestId, assignmentId: assignment.id };
    await em.grants.together([em.grants.assignments.insertion(target, GrantStore.assignmentKey(assignment.id), assignment), em.grants.claims.insertion(target, GrantStore.claimKey(granting.packageId), claim)]);
    await em.due.schedule({ kind: 'assignmentEnd', dueDateTime: end, entityId: assignment.id, detail: end, targetId: assignment.targetId });
    return assignment.id;
  }, 16);
  await em.ledger.record(held[0]!.role, [...dueTargets]);
  return ids;
}

const SHOWN_ROUTES = 15;

/** A transaction's operations counted (`$batch[20 × POST auditEvents()]`) rather than listed one by one. */
function shortened(route: string): string {
  const inside = /^\$batch\[(.*)\]$/.exec(route)?.[1];
  if (inside === undefined) return route;
  const counts = new Map<string, number>();
  for (const operation of inside.split(', ')) counts.set(operation, (counts.get(operation) ?? 0) + 1);
  return `$batch[${[...counts].map(([operation, n]) => `${n} × ${operation}`).join(', ')}]`;
}

/** Where the Table round trips' time went, by route: a route whose mean grows with the workers is what they wait on. */
function printTimings(label: string, timings: Record<string, RouteTiming>): void {
  progress(`${label}: Table round trips by route, most time first (count, mean ms, max ms, most in flight, answered 4xx/5xx)`);
  for (const [route, { count, meanMs, maxMs, maxInFlight, failed }] of Object.entries(timings).slice(0, SHOWN_ROUTES)) {
    progress(`  ${count}  ${meanMs}  ${maxMs}  ${maxInFlight}  ${failed}  ${shortened(route)}`);
  }
}

/** The emulator's count of directory writes, every SAMPLE_MS until stopped: [ms since start, writes so far]. */
function sampleWrites(emulatorUrl: string): { stop(): Promise<Array<[number, number]>> } {
  const samples: Array<[number, number]> = [];
  const started = performance.now();
  let stopping = false;
  const loop = (async () => {
    while (!stopping) {
      const counts = (await (await fetch(`${emulatorUrl}/_emulator/requests`)).json()) as { byRoute: Record<string, number> };
      samples.push([performance.now() - started, writesIn(counts.byRoute)]);
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return samples;
    },
  };
}

/** Writes are every request but GETs, `$batch` envelopes left out (their requests are counted one by one). */
const writesIn = (byRoute: Record<string, number>) =>
  Object.entries(byRoute).reduce((sum, [route, count]) => (route.startsWith('GET ') || route.endsWith('/$batch') ? sum : sum + count), 0);

/**
 * At least the most writes in any window of `windowMs`: every such window lies between two samples at most the
 * window and two of the longest gaps between samples apart.
 */
function maxInWindow(samples: ReadonlyArray<[number, number]>, windowMs: number): number {
  const longestGap = Math.max(0, ...samples.slice(1).map(([at], i) => at - samples[i]![0]));
  const spanMs = windowMs + 2 * longestGap;
  let most = 0;
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length && samples[j]![0] - samples[i]![0] <= spanMs; j++) most = Math.max(most, samples[j]![1] - samples[i]![1]);
  }
  return most;
}

/** The durations of the shard invocations the host (and its worker processes) logged, in ms. */
function shardDurations(output: string): number[] {
  return [...output.matchAll(/Executed 'expirationShard' \([^)]*Duration=(\d+)ms\)/g)].map((match) => Number(match[1]));
}

/** When the last shard invocation the host logged ended (its line's timestamp), in ms since the epoch; `none` if there was none. */
function lastShardEnd(output: string, none: number): number {
  const ends = [...output.matchAll(/\[(\d{4}-\d\d-\d\dT[\d:.]+Z)\] Executed 'expirationShard'/g)].map((match) => Date.parse(match[1]!));
  return ends.length === 0 ? none : Math.max(...ends);
}

/** The timer's log line says how many shards it sent. */
function shardsSent(output: string): number {
  const matches = [...output.matchAll(/"shardsSent":(\d+)/g)];
  return Number(matches.at(-1)?.[1] ?? 0);
}

/** Azurite's own queue rate: QUEUE_SAMPLE messages of 1 KB sent, then received 32 at a time and deleted one by one. */
async function queueRate(connectionString: string): Promise<number> {
  const queue = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(`ceiling${Date.now()}`);
  await queue.create();
  const text = encodeMessage('x'.repeat(768));
  await mapConcurrently(range(QUEUE_SAMPLE), () => queue.sendMessage(text));
  const started = performance.now();
  let done = 0;
  while (done < QUEUE_SAMPLE) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
    for (const message of receivedMessageItems) {
      await queue.deleteMessage(message.messageId, message.popReceipt);
      done++;
    }
  }
  const rate = (QUEUE_SAMPLE / (performance.now() - started)) * 1000;
  await queue.delete();
  return round(rate, 0);
}

