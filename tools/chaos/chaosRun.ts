import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocumentTable } from '../../shared/store/documentTable';
import type { SweepState } from '../../shared/store/sweepStates';
import { Tables } from '../../shared/store/tables';
import { startAzurite } from '../azurite/embeddedAzurite';
import type { FaultRule } from '../graph-emulator/faults';
import { seededRandom } from '../graph-emulator/seededRandom';
import { startGraphEmulator } from '../graph-emulator/server';
import { AnswerLog, call } from './chaosApi';
import { chaosTenant } from './chaosTenant';
import { HostSupervisor } from './hostSupervisor';
import { checkInvariants, pendingWork, readStoredState, unfinishedRequests, type InvariantResult } from './invariants';
import { LoadGenerator } from './loadGenerator';
import { startManagedIdentityEndpoint } from './managedIdentityEndpoint';

export interface ChaosOptions {
  minutes: number;
  seed: number;
  /**
   * How long the final sweeps may wait for redeliveries to fall due (a crash's leftovers are redelivered 5 minutes
   * after they were stored); what is still waiting after that is reported as awaiting redelivery.
   */
  settleMinutes: number;
  /** How often the host is killed: every `min` to `min + spread` ms; KILL_INTERVAL_MS unless told (a short run kills more often). */
  killInterval?: KillInterval;
  /** Progress lines; silent when absent. */
  progress?: (line: string) => void;
}

export interface ChaosResults {
  seed: number;
  minutes: number;
  settleMinutes: number;
  startedAt: string;
  operations: { total: number; byKind: Record<string, number> };
  answers: { byStatus: Record<string, number>; unansweredBecauseOfKills: number };
  kills: { total: number; duringSweeps: number; duringRequests: number; hostStarts: number };
  faults: { injected: number; graphRoundTrips: number; rules: FaultRule[] };
  sweepsRun: { underLoad: number; final: number; finalRounds: number; pendingWorkLeft: number };
  /** A few requests still unfinished at the end, with what would move them. */
  unfinished: string[];
  stored: { requests: number; assignments: number; auditEvents: number; requestStates: Record<string, number> };
  handAddedMembers: number;
  invariants: InvariantResult[];
}

export interface KillInterval {
  min: number;
  spread: number;
}

const TABLE_PREFIX = 'chaos';
const WORKERS = 4;
/** A kill comes every 3 to 8 seconds. */
const KILL_INTERVAL_MS: KillInterval = { min: 3000, spread: 5000 };
/** How long a kill aimed at a sweep waits for one to be running. */
const SWEEP_WAIT_MS = 2000;
const SWEEP_INTERVAL_MS = { min: 500, spread: 1500 };
const SWEEPS = ['reconcileSweep', 'expirationSweep', 'autoAssignmentSweep'];
const FINAL_SWEEPS = ['reconcileSweep', 'expirationSweep'];
const MAX_FINAL_ROUNDS = 20;
const ROUND_PAUSE_MS = 1000;
const HOST_DOWN_PAUSE_MS = 100;
const TIMERS = ['expirationSweep', 'reconcileSweep', 'autoAssignmentSweep', 'externalUserSweep', 'accessReviewSweep', 'reportArchive'];

/** 10% of Graph calls fail, half throttled (429) and half unavailable (503), each with a short Retry-After; all wait 5 ms. */
function faultRules(): FaultRule[] {
  return [
    { pathPattern: '^/v1\\.0/', status: 429, rate: 0.05, retryAfterSeconds: 0.05, latencyMs: 5 },
    { pathPattern: '^/v1\\.0/', status: 503, rate: 0.05 / 0.95, retryAfterSeconds: 0.05 },
  ];
}

/**
 * The chaos run: the compiled local host against the Graph emulator with faults and an Azurite that outlives it,
 * a seeded load, SIGKILLs every few seconds (some aimed at sweeps in progress), then the faults stopped, the sweeps
 * run until nothing is left to do, and the invariants checked. Everything listens on loopback only.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResults> {
  const progress = options.progress ?? (() => undefined);
  const tenant = chaosTenant();
  const location = mkdtempSync(join(tmpdir(), 'portcullis-chaos-'));
  const azurite = await startAzurite({ location });
  const emulator = await startGraphEmulator({ seed: tenant.seed, port: 0 });
  const identity = await startManagedIdentityEndpoint();
  const host = new HostSupervisor(await freePort(), {
    AzureWebJobsStorage: azurite.connectionString,
    TABLE_PREFIX,
    // Set, the host calls this Graph as it would call Microsoft's, with tokens from the managed identity; unset,
    // it would start an emulator of its own, whose directory each kill would lose.
    GRAPH_BASE_URL: emulator.url,
    TENANT_ID: tenant.tenantId,
    ...identity.settings,
  });
  try {
    const random = seededRandom(options.seed);
    const answers = new AnswerLog();
    const generator = new LoadGenerator(tenant, () => host.url, emulator.url, answers, random);
    const tables = new Tables(azurite.connectionString, TABLE_PREFIX);
    const startedAt = new Date().toISOString();

    await host.start();
    await generator.setUp();
    await call(answers, 'faults', emulator.url, 'PUT', '/_emulator/faults', { rules: faultRules(), seed: options.seed });
    progress(`Load with faults and kills for ${options.minutes} minute(s), seed ${options.seed}`);

    const underLoad = await loadWithKills(host, generator, random, options.minutes * 60_000, options.killInterval ?? KILL_INTERVAL_MS, progress);
    const graph = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { roundTrips: number; faultsInjected: number };
    await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' });

    progress('Faults stopped; running the sweeps until nothing is left to do');
    // A host killed mid-sweep keeps its lease for 11 minutes (the lease outlasts the functions' timeout); the
    // run cannot wait that long, so the leases of the dead hosts are let go as their expiry would.
    await host.kill();
    await releaseLeases(tables);
    await host.start(Object.fromEntries(TIMERS.map((name) => [`AzureWebJobs.${name}.Disabled`, 'true'])));
    const final = await sweepUntilDone(host, tables, answers, options.settleMinutes * 60_000);

    progress('Checking the invariants');
    const state = await readStoredState(tables);
    const invariants = await checkInvariants(
      { emulatorUrl: emulator.url, tenant, handAdded: generator.handAdded, acknowledged: generator.acknowledged, answers },
      state,
    );
    const byKind = generator.operationsDone;
    return {
      seed: options.seed,
      minutes: options.minutes,
      settleMinutes: options.settleMinutes,
      startedAt,
      operations: { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind },
      answers: { byStatus: answers.byStatus, unansweredBecauseOfKills: answers.unanswered },
      kills: { total: underLoad.kills, duringSweeps: underLoad.killsDuringSweeps, duringRequests: underLoad.killsDuringRequests, hostStarts: host.starts },
      faults: { injected: graph.faultsInjected, graphRoundTrips: graph.roundTrips, rules: faultRules() },
      sweepsRun: { underLoad: underLoad.sweeps, final: final.sweeps, finalRounds: final.rounds, pendingWorkLeft: pendingWork(state) },
      unfinished: unfinishedRequests(state),
      stored: {
        requests: state.requests.length,
        assignments: state.assignments.length,
        auditEvents: state.audit.length,
        requestStates: countBy(state.requests.map((r) => r.state)),
      },
      handAddedMembers: [...generator.handAdded.values()].reduce((n, users) => n + users.size, 0),
      invariants,
    };
  } finally {
    await host.kill();
    await identity.stop();
    await emulator.stop();
    await azurite.stop();
    rmSync(location, { recursive: true, force: true });
  }
}

interface LoadOutcome {
  kills: number;
  killsDuringSweeps: number;
  killsDuringRequests: number;
  sweeps: number;
}

/** Workers run the mix, a sweeper runs timers through the admin endpoint, a killer SIGKILLs the host; all until `durationMs`. */
async function loadWithKills(
  host: HostSupervisor,
  generator: LoadGenerator,
  random: () => number,
  durationMs: number,
  killInterval: KillInterval,
  progress: (line: string) => void,
): Promise<LoadOutcome> {
  const deadline = Date.now() + durationMs;
  const outcome: LoadOutcome = { kills: 0, killsDuringSweeps: 0, killsDuringRequests: 0, sweeps: 0 };
  let hostUp = true;
  let operationsInFlight = 0;
  let sweepsInFlight = 0;
  const sweepLog = new AnswerLog();

  const worker = async () => {
    while (Date.now() < deadline) {
      if (!hostUp) {
        await sleep(HOST_DOWN_PAUSE_MS);
        continue;
      }
      const operation = generator.next();
      operationsInFlight += 1;
      try {
        await generator.run(operation);
      } finally {
        operationsInFlight -= 1;
      }
    }
  };
  const sweeper = async () => {
    while (Date.now() < deadline) {
      await sleep(Math.min(SWEEP_INTERVAL_MS.min + random() * SWEEP_INTERVAL_MS.spread, Math.max(0, deadline - Date.now())));
      if (!hostUp || Date.now() >= deadline) continue;
      const sweep = SWEEPS[Math.floor(random() * SWEEPS.length)]!;
      sweepsInFlight += 1;
      try {
        const answer = await call(sweepLog, sweep, host.url, 'POST', `/admin/functions/${sweep}`, { input: '' });
        if (answer.status === 202) outcome.sweeps += 1;
      } finally {
        sweepsInFlight -= 1;
      }
    }
  };
  const untilSweepRuns = async () => {
    for (const until = Date.now() + SWEEP_WAIT_MS; sweepsInFlight === 0 && Date.now() < until; ) await sleep(5);
  };
  const killer = async () => {
    while (Date.now() < deadline) {
      await sleep(Math.min(killInterval.min + random() * killInterval.spread, Math.max(0, deadline - Date.now())));
      if (Date.now() >= deadline) return;
      if (random() < 0.5) {
        // Aimed at a sweep: wait (boundedly) for one to run, then kill a moment into it; one over by then (a sweep with
        // little to do takes less than that moment on a quiet machine) is followed by the next, killed at once.
        await untilSweepRuns();
        await sleep(random() * 150);
        if (sweepsInFlight === 0) await untilSweepRuns();
      }
      outcome.kills += 1;
      if (sweepsInFlight > 0) outcome.killsDuringSweeps += 1;
      if (operationsInFlight > 0) outcome.killsDuringRequests += 1;
      hostUp = false;
      await host.kill();
      await host.start();
      hostUp = true;
      if (outcome.kills % 10 === 0) progress(`${outcome.kills} kills survived, ${Math.round((deadline - Date.now()) / 1000)} s to go`);
    }
  };
  await Promise.all([...Array.from({ length: WORKERS }, worker), sweeper(), killer()]);
  return outcome;
}

/** Lets go of every sweep lease, keeping each sweep's checkpoint. Only while no host runs. */
async function releaseLeases(tables: Tables): Promise<void> {
  const states = new DocumentTable<SweepState>(() => tables.get('sweepStates'), 'sweep state');
  for (const state of await states.list()) {
    if (state.value.holder !== null) await states.replace(state, { ...state.value, holder: null, leasedUntil: null });
  }
}

/**
 * Runs the sweeps round after round until no work is pending. Work a crash left (directory changes stored but not
 * applied) is redelivered only once its grace period has passed, so between rounds the run waits for the next
 * redelivery to fall due, as long as `settleMs` allows.
 */
async function sweepUntilDone(host: HostSupervisor, tables: Tables, answers: AnswerLog, settleMs: number): Promise<{ rounds: number; sweeps: number }> {
  const settleDeadline = Date.now() + settleMs;
  let sweeps = 0;
  let rounds = 0;
  let pendingBefore: number | undefined;
  while (rounds < MAX_FINAL_ROUNDS) {
    rounds += 1;
    for (const sweep of FINAL_SWEEPS) {
      const answer = await call(answers, `final ${sweep}`, host.url, 'POST', `/admin/functions/${sweep}`, { input: '' });
      if (answer.status === 202) sweeps += 1;
    }
    const state = await readStoredState(tables);
    const pending = pendingWork(state);
    const lastRedelivery = state.dueItems
      .filter((d) => d.kind === 'redelivery')
      .map((d) => Date.parse(d.dueDateTime))
      .filter((at) => at > Date.now())
      .sort((a, b) => b - a)[0];
    // Done, or stuck: pending work that a round did not reduce and no redelivery will move.
    if (pending === 0 || (pending === pendingBefore && lastRedelivery === undefined) || Date.now() >= settleDeadline) break;
    pendingBefore = pending;
    // Wait until every redelivery scheduled so far is due (or the settling time is up), then sweep again.
    const untilDue = lastRedelivery === undefined ? ROUND_PAUSE_MS : lastRedelivery - Date.now() + ROUND_PAUSE_MS;
    await sleep(Math.max(ROUND_PAUSE_MS, Math.min(untilDue, settleDeadline - Date.now())));
  }
  return { rounds, sweeps };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
