import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { signWebhook } from '../../shared/domain/hrEvents/webhookSignature';
import { startAzurite, type EmbeddedAzurite } from '../azurite/embeddedAzurite';
import type { FixtureGroup } from '../graph-emulator/fixture';
import { startHostProcess, type HostProcess } from '../local-host/hostProcess';
import { mapConcurrently } from '../../shared/concurrently';
import { ADMIN, benchTenant, chunks, emulatorCall, guid, printRoutes, progress, range, round, type EmulatorRequestCounts } from './benchKit';
import { connectionStringThrough, startCountingProxy, type CountingProxy } from './countingProxy';

export interface HrEventsBenchRow {
  case: string;
  users: number;
  policies: number;
  events: number;
  /** Calls to POST /api/hr/events. */
  calls: number;
  /** Wall time of the case, from the first event sent until every change is seen in the directory. */
  seconds: number;
  /** From sending an event until its 202. */
  ackP50Ms: number;
  ackP95Ms: number;
  /** From the 202 until the group membership is seen in the emulator (0 when it was there at the first look). */
  afterAckP50Ms: number;
  afterAckP95Ms: number;
  /** From sending until the membership is seen: what the HR system waits for access. */
  sendToDirectoryP50Ms: number;
  sendToDirectoryP95Ms: number;
  allChanged: boolean;
  tableRoundTripsPerEvent: number;
  tableTransactionsPerEvent: number;
  /** Graph requests per event, the benchmark's own polls of the directory taken off. */
  graphRoundTripsPerEvent: number;
  /** Table requests per second during the case, against Azurite's own write rate measured in the same run. */
  tableRequestsPerSecond: number;
  azuriteWritesPerSecond: number;
  timerRunsDuringCase: number;
  problems: string;
}

/** Sizes, from the environment so a smaller run can be stated: `HR_BENCH_USERS=2000 npm run bench hrEvents`. */
const sizes = () => ({
  users: positive('HR_BENCH_USERS', 10_000),
  policies: positive('HR_BENCH_POLICIES', 100),
  rate: positive('HR_BENCH_RATE', 10),
  seconds: positive('HR_BENCH_SECONDS', 60),
  burst: positive('HR_BENCH_BURST', 1_000),
  perCall: Math.min(500, positive('HR_BENCH_BURST_PER_CALL', 500)),
});

const TENANT = 'be000000-0000-4000-8000-0000000000b7';
const GROUP = 'b7100000';
const EM = '/v1.0/identityGovernance/entitlementManagement';
const POLL_MS = 25;
const BURST_POLL_MS = 250;
/**
 * How long a change may take to show: events a call could not apply within its time are left to the expiration
 * sweep (a minute's timer), which takes a burst a few at a time.
 */
const TIMEOUT_MS = 15 * 60_000;
const AZURITE_PROBE_WRITES = 2_000;
const AZURITE_PROBE_CONCURRENCY = 32;

/**
 * HR events through the real endpoint: 100 auto-assignment policies (`department -eq "Team k"`, each granting the
 * membership of a group of its own) over 10,000 emulator users in a department no rule names. Each event is a signed
 * mover (by employeeId) into one team, so its effect is one assignment delivered: a group membership in the emulator.
 * (a) events at a steady rate, one a call, each followed until the membership shows; (b) a burst, sent at once in
 * calls of up to 500 events, until every membership shows. Table Storage behind a counting proxy; the local host's
 * auto-assignment sweep is disabled (its first run would evaluate every user against every policy, another bench).
 */
export async function hrEventsScenario(): Promise<HrEventsBenchRow[]> {
  const size = sizes();
  const folder = mkdtempSync(join(tmpdir(), 'hr-bench-'));
  const azurite = await startAzurite();
  try {
    const proxy = await startCountingProxy(azurite.endpoints.table);
    const key = randomBytes(32);
    const seedPath = join(folder, 'tenant.json');
    writeFileSync(seedPath, JSON.stringify(benchTenant(TENANT, [], range(size.policies).map(teamGroup))));
    try {
      progress('starting the local host');
      const host = await startHostProcess({
        AzureWebJobsStorage: connectionStringThrough(proxy, azurite.endpoints),
        TABLE_PREFIX: 'hrbench',
        AUTH_MODE: 'easyauth',
        TENANT_ID: TENANT,
        DIRECTORY_SEED: seedPath,
        HR_WEBHOOK_SECRET: `whsec_${key.toString('base64')}`,
        'AzureWebJobs.autoAssignmentSweep.Disabled': 'true',
      });
      try {
        await seedPolicies(host, size.policies);
        const ids = await seedUsers(host, size.users);
        const azuriteWrites = await azuriteWriteRate(azurite);
        progress(`Azurite: ${round(azuriteWrites)} writes/s`);
        const bench = { host, proxy, key, size, azuriteWrites, ids };
        const steady = await steadyCase(bench);
        const burst = await burstCase(bench);
        return [steady, burst];
      } finally {
        await host.stop('SIGTERM');
      }
    } finally {
      await proxy.close();
    }
  } finally {
    await azurite.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

interface Bench {
  host: HostProcess;
  proxy: CountingProxy;
  key: Buffer;
  size: ReturnType<typeof sizes>;
  azuriteWrites: number;
  /** The users' object ids, by index. */
  ids: string[];
}

const groupId = (k: number) => guid(GROUP, k + 1);
const employeeId = (i: number) => `H${i.toString().padStart(6, '0')}`;
const teamGroup = (k: number): FixtureGroup => ({ id: groupId(k), displayName: `Team ${k}`, securityEnabled: true, mailEnabled: false, groupTypes: [], members: [] });

/**
 * The users, created through the emulator's POST /v1.0/users once the policies exist: a policy made over 10,000
 * users evaluates them all at once (seconds each, 100 times over), which is not what this bench measures.
 */
async function seedUsers(host: HostProcess, users: number): Promise<string[]> {
  const started = performance.now();
  const ids = await mapConcurrently(
    range(users),
    async (i) =>
      (
        (await emulatorCall(emulatorOf(host), 'POST', '/v1.0/users', {
          accountEnabled: true,
          displayName: `HR bench ${i}`,
          mailNickname: `hr${i}`,
          userPrincipalName: `hr${i}@bench.example`,
          passwordProfile: { password: randomBytes(12).toString('base64') },
          department: 'Unassigned',
          employeeId: employeeId(i),
        })) as { id: string }
      ).id,
    16,
  );
  progress(`${users} users created in ${round((performance.now() - started) / 1000)} s`);
  return ids;
}

/** One catalog; per policy, a package granting its group's membership and an auto-assignment policy. */
async function seedPolicies(host: HostProcess, policies: number): Promise<void> {
  const api = apiAs(host.url);
  const started = performance.now();
  const { id: catalogId } = await api('POST', `${EM}/catalogs`, { displayName: 'HR bench' });
  for (const k of range(policies)) {
    await api('POST', `${EM}/resourceRequests`, { requestType: 'adminAdd', resource: { originId: groupId(k), originSystem: 'AadGroup' }, catalog: { id: catalogId } });
    const { id: packageId } = await api('POST', `${EM}/accessPackages`, { displayName: `Team ${k}`, catalog: { id: catalogId } });
    await api('POST', `${EM}/accessPackages/${packageId}/resourceRoleScopes`, {
      role: { originId: `Member_${groupId(k)}`, originSystem: 'AadGroup' },
      scope: { originId: groupId(k), originSystem: 'AadGroup' },
    });
    await api('POST', `${EM}/assignmentPolicies`, {
      displayName: `Team ${k}`,
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: `(user.department -eq "Team ${k}")` }],
      automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true, gracePeriodBeforeAccessRemoval: 'PT0S' },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'noExpiration' },
      accessPackage: { id: packageId },
    });
    if ((k + 1) % 10 === 0) progress(`${k + 1} of ${policies} policies (${round((performance.now() - started) / 1000)} s)`);
  }
}

/** Azurite's own rate of single-entity inserts, straight to it (no proxy), `AZURITE_PROBE_CONCURRENCY` at once. */
async function azuriteWriteRate(azurite: EmbeddedAzurite): Promise<number> {
  const table = TableClient.fromConnectionString(azurite.connectionString, 'hrbenchprobe', { allowInsecureConnection: true });
  await table.createTable();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    range(AZURITE_PROBE_CONCURRENCY).map(async () => {
      while (next < AZURITE_PROBE_WRITES) {
        const i = next++;
        await table.createEntity({ partitionKey: `p${i % 50}`, rowKey: `r${i}`, part0: 'x'.repeat(400) });
      }
    }),
  );
  const rate = (AZURITE_PROBE_WRITES / (performance.now() - started)) * 1000;
  await table.deleteTable();
  return rate;
}

interface Sent {
  sentAt: number;
  ackAt: number;
  seenAt: number;
}

/** (a) One event a call at a steady rate; each followed (checkMemberGroups) until the membership shows. */
async function steadyCase(bench: Bench): Promise<HrEventsBenchRow> {
  const { rate, seconds, policies } = bench.size;
  const events = rate * seconds;
  progress(`steady: ${events} events at ${rate}/s`);
  const polls = { count: 0 };
  const counted = await countedCase(bench, async () => {
    const started = performance.now();
    return Promise.all(
      range(events).map(async (n) => {
        await sleepUntil(started + (n * 1000) / rate);
        const i = n;
        const sentAt = performance.now();
        await deliver(bench, [mover(i, policies)]);
        const ackAt = performance.now();
        const seenAt = await untilMember(bench.host, bench.ids, i, policies, polls);
        return { sentAt, ackAt, seenAt };
      }),
    );
  });
  const label = `(a) steady ${rate}/s for ${seconds} s`;
  printRoutes(`${label}: Table round trips per event by route`, counted.tableRoutes, events);
  printRoutes(`${label}: Graph round trips per event by route (the polls included)`, counted.graph.byRoute, events);
  return row(bench, label, events, events, counted, polls.count, 'POST /v1.0/users/{id}/checkMemberGroups');
}

/** (b) A burst: every event sent at once in calls of up to `perCall`; then every group read until all show. */
async function burstCase(bench: Bench): Promise<HrEventsBenchRow> {
  const { burst, perCall, policies, rate, seconds } = bench.size;
  const first = rate * seconds;
  const indexes = range(burst).map((n) => first + n);
  const calls = chunks(indexes, perCall);
  progress(`burst: ${burst} events in ${calls.length} calls`);
  const polls = { count: 0 };
  const counted = await countedCase(bench, async () => {
    const sentAt = performance.now();
    const acks = await Promise.all(
      calls.map(async (call) => {
        await deliver(bench, call.map((i) => mover(i, policies)));
        return { events: call, ackAt: performance.now() };
      }),
    );
    const seen = await untilAllMembers(bench.host, bench.ids, indexes, policies, polls);
    return acks.flatMap(({ events, ackAt }) => events.map((i) => ({ sentAt, ackAt, seenAt: seen.get(i) ?? Number.NaN })));
  });
  const label = `(b) burst of ${burst} (${perCall} a call)`;
  printRoutes(`${label}: Table round trips per event by route`, counted.tableRoutes, burst);
  printRoutes(`${label}: Graph round trips per event by route (the polls included)`, counted.graph.byRoute, burst);
  return row(bench, label, burst, calls.length, counted, polls.count, 'GET /v1.0/groups/{id}/members');
}

interface CountedCase {
  sent: Sent[];
  ms: number;
  tableRoundTrips: number;
  tableTransactions: number;
  tableRoutes: Record<string, number>;
  graph: EmulatorRequestCounts;
  timerRuns: number;
}

async function countedCase(bench: Bench, work: () => Promise<Sent[]>): Promise<CountedCase> {
  const emulator = emulatorOf(bench.host);
  const logBefore = bench.host.output().length;
  await emulatorCall(emulator, 'DELETE', '/_emulator/requests');
  bench.proxy.reset();
  const started = performance.now();
  const sent = await work();
  const ms = performance.now() - started;
  const tables = bench.proxy.counts();
  const graph = (await emulatorCall(emulator, 'GET', '/_emulator/requests')) as EmulatorRequestCounts;
  const timerRuns = [...bench.host.output().slice(logBefore).matchAll(/Executed '(\w+Sweep|reportArchive)'/g)].length;
  return { sent, ms, tableRoundTrips: tables.roundTrips, tableTransactions: tables.transactions, tableRoutes: bench.proxy.routes(), graph, timerRuns };
}

function row(bench: Bench, label: string, events: number, calls: number, counted: CountedCase, polls: number, pollRoute: string): HrEventsBenchRow {
  const problems: string[] = [];
  const seenPolls = counted.graph.byRoute[pollRoute] ?? 0;
  if (seenPolls < polls) problems.push(`the emulator counted ${seenPolls} polls on ${pollRoute}, the bench sent ${polls}`);
  const changed = counted.sent.filter((s) => Number.isFinite(s.seenAt));
  if (changed.length < events) problems.push(`${events - changed.length} changes not seen within ${TIMEOUT_MS / 1000} s`);
  const percentiles = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return [round(percentile(sorted, 0.5)), round(percentile(sorted, 0.95))] as const;
  };
  const [ackP50Ms, ackP95Ms] = percentiles(counted.sent.map((s) => s.ackAt - s.sentAt));
  const [afterAckP50Ms, afterAckP95Ms] = percentiles(changed.map((s) => Math.max(0, s.seenAt - s.ackAt)));
  const [sendToDirectoryP50Ms, sendToDirectoryP95Ms] = percentiles(changed.map((s) => s.seenAt - s.sentAt));
  return {
    case: label,
    users: bench.size.users,
    policies: bench.size.policies,
    events,
    calls,
    seconds: round(counted.ms / 1000),
    ackP50Ms,
    ackP95Ms,
    afterAckP50Ms,
    afterAckP95Ms,
    sendToDirectoryP50Ms,
    sendToDirectoryP95Ms,
    allChanged: changed.length === events,
    tableRoundTripsPerEvent: round(counted.tableRoundTrips / events, 1),
    tableTransactionsPerEvent: round(counted.tableTransactions / events, 2),
    graphRoundTripsPerEvent: round((counted.graph.roundTrips - polls) / events, 2),
    tableRequestsPerSecond: round(counted.tableRoundTrips / (counted.ms / 1000)),
    azuriteWritesPerSecond: round(bench.azuriteWrites),
    timerRunsDuringCase: counted.timerRuns,
    problems: problems.join('; '),
  };
}

/** A mover of user `i` into team `i mod policies`, named by employeeId, occurred now. */
const mover = (i: number, policies: number) => ({
  eventId: `bench-${i}-${randomBytes(4).toString('hex')}`,
  eventType: 'mover',
  occurredAt: new Date().toISOString(),
  employee: { employeeId: employeeId(i), attributes: { department: `Team ${i % policies}` } },
});

/**
 * One signed delivery (Standard Webhooks, DESIGN §2.6); a 202 is required. Through node:http rather than fetch: a
 * call of 500 events on a loaded machine may answer after fetch's five-minute header timeout.
 */
async function deliver(bench: Bench, events: object[]): Promise<void> {
  const body = Buffer.from(JSON.stringify(events.length === 1 ? events[0] : events));
  const id = `msg_${randomBytes(12).toString('hex')}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = { 'content-type': 'application/json', 'content-length': String(body.length), 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(bench.key, id, timestamp, body) };
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const outgoing = request(`${bench.host.url}/api/hr/events`, { method: 'POST', headers, agent: false }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => resolve({ status: answer.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      answer.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
  if (status !== 202) throw new Error(`POST /api/hr/events answered ${status}: ${text.slice(0, 500)}`);
}

/** When user `i` is first seen a member of their team's group (NaN after the timeout). */
async function untilMember(host: HostProcess, ids: string[], i: number, policies: number, polls: { count: number }): Promise<number> {
  const deadline = performance.now() + TIMEOUT_MS;
  while (performance.now() < deadline) {
    polls.count++;
    const answer = (await emulatorCall(emulatorOf(host), 'POST', `/v1.0/users/${ids[i]!}/checkMemberGroups`, { groupIds: [groupId(i % policies)] })) as { value: string[] };
    if (answer.value.length > 0) return performance.now();
    await sleep(POLL_MS);
  }
  return Number.NaN;
}

/** When each user was first seen a member of their team's group: every group read each round until all show. */
async function untilAllMembers(host: HostProcess, ids: string[], indexes: number[], policies: number, polls: { count: number }): Promise<Map<number, number>> {
  const seen = new Map<number, number>();
  const deadline = performance.now() + TIMEOUT_MS;
  const groups = [...new Set(indexes.map((i) => i % policies))];
  while (seen.size < indexes.length && performance.now() < deadline) {
    const members = new Set<string>();
    await Promise.all(
      groups.map(async (k) => {
        for (let next: string | undefined = `/v1.0/groups/${groupId(k)}/members?$select=id&$top=999`; next; ) {
          polls.count++;
          const page = (await emulatorCall(emulatorOf(host), 'GET', next)) as { value: Array<{ id: string }>; '@odata.nextLink'?: string };
          for (const m of page.value) members.add(m.id);
          next = page['@odata.nextLink']?.replace(/^https?:\/\/[^/]+/, '');
        }
      }),
    );
    const now = performance.now();
    for (const i of indexes) if (!seen.has(i) && members.has(ids[i]!)) seen.set(i, now);
    if (seen.size < indexes.length) await sleep(BURST_POLL_MS);
  }
  return seen;
}

type Api = (method: string, path: string, body?: unknown) => Promise<any>;

/** The API as the bench tenant's administrator, signed in as App Service Authentication would say. */
function apiAs(apiUrl: string): Api {
  const claims = [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: ADMIN },
    { typ: 'tid', val: TENANT },
  ];
  const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: 'roles' })).toString('base64');
  return async (method, path, body) => {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: { 'x-ms-client-principal': principal, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : undefined;
  };
}

function emulatorOf(host: HostProcess): string {
  if (!host.emulatorUrl) throw new Error('The local host started no Graph emulator.');
  return host.emulatorUrl;
}

function positive(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${name} must be a positive whole number, not '${value}'.`);
  return parsed;
}

const percentile = (sorted: number[], fraction: number) => sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepUntil = (at: number) => sleep(Math.max(0, at - performance.now()));
