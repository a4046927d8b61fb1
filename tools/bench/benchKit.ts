import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { StorageQueueHandler } from '@azure/functions';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Caller } from '../../shared/auth/caller';
import { buildDeps, type Deps } from '../../shared/composition';
import { loadConfig } from '../../shared/config';
import type { Assignment, DeliveryOperation } from '../../shared/domain/assignments/assignment';
import { createAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { startAzurite, type EmbeddedAzurite, type EmbeddedAzuriteOptions } from '../azurite/embeddedAzurite';
import type { FixtureGroup, FixtureUser, TenantFixture } from '../graph-emulator/fixture';
import { connectionStringThrough, startCountingProxy, type CountingProxy } from './countingProxy';
import { allPages } from '../../shared/directory/allPages';
import type { WorkQueue } from '../../shared/queues/workQueue';
import { QueueRunner } from '../local-host/queueRunner';
import { cpuMsOfTree } from './processCpu';

/**
 * What the in-process benchmarks over Table Storage and the Graph emulator share (expiration, reconcile,
 * autoAssignment): the embedded Azurite behind a counting proxy, deps built from settings as the app builds them,
 * a counted run, seeding helpers and the tenant's administrator.
 */

export const ADMIN = 'ad000000-0000-4000-8000-000000000001';
const IDENTITY_GOVERNANCE_ADMINISTRATOR = '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e';
export const ADMIN_CALLER = (tenantId: string): Caller => ({ objectId: ADMIN, tenantId, scopes: undefined, roles: [], isApplication: false, email: undefined });

/** Created before counting starts, so a table's first use (createTable) is not counted as a sweep's work. */
const TABLES_THE_SWEEPS_USE = [
  'sweepStates',
  'dueWork',
  'redeliveries',
  'grantIndex',
  'grantLedger',
  'accessGrants',
  'auditEvents',
  'resourceRoleScopes',
  'accessPackages',
  'accessPackageLocators',
  'assignmentPolicies',
  'assignmentPolicyLocators',
];

/** Ids that say what they are: `guid('a0000000', 5)` is `a0000000-0000-4000-8000-000000000005`. */
export const guid = (kind: string, i: number) => `${kind}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

// ---------------------------------------------------------------------------------------------------------------
// Storage, deps and a counted run

export interface BenchStorage {
  azurite: EmbeddedAzurite;
  proxy: CountingProxy;
  requests: TableRequestCounter;
}

/** An embedded Azurite (in memory) with a counting proxy in front of its tables, for the length of `run`. */
export async function withBenchStorage<T>(run: (storage: BenchStorage) => Promise<T>, azuriteOptions: EmbeddedAzuriteOptions = {}): Promise<T> {
  const azurite = await startAzurite(azuriteOptions);
  try {
    const proxy = await startCountingProxy(azurite.endpoints.table);
    const requests = countTableRequests(Number(new URL(proxy.url).port));
    try {
      return await run({ azurite, proxy, requests });
    } finally {
      requests.stop();
      await proxy.close();
    }
  } finally {
    await azurite.stop();
  }
}

/**
 * The deps the app would build (`buildDeps(loadConfig(…))`) for the emulator at `graphUrl`, twice: `direct` for
 * seeding, probes and checks, straight to Azurite; `counted` for the runs measured, through the counting proxy.
 * `extra` settings are added to the app's (e.g. GRAPH_WRITE_BUDGET).
 */
export function benchDeps(storage: BenchStorage, graphUrl: string, prefix: string, tenantId: string, extra: Record<string, string> = {}): { direct: Deps; counted: Deps } {
  const settings = (connection: string) =>
    loadConfig({ AzureWebJobsStorage: connection, TABLE_PREFIX: prefix, AUTH_MODE: 'easyauth', TENANT_ID: tenantId, GRAPH_EMULATOR_PORT: new URL(graphUrl).port, ...extra });
  return {
    direct: buildDeps(settings(storage.azurite.connectionString)),
    counted: buildDeps(settings(connectionStringThrough(storage.proxy, storage.azurite.endpoints))),
  };
}

export interface EmulatorRequestCounts {
  roundTrips: number;
  batchedRequests: number;
  faultsInjected: number;
  byRoute: Record<string, number>;
}

export interface CountedRun<T> {
  result: T;
  ms: number;
  /** Table Storage requests, as the proxy counted them. */
  tableRoundTrips: number;
  /** The same requests by kind, from the proxy's server events. */
  tableKinds: TableRequestKinds;
  /** Graph requests, as the emulator counted them (a `$batch` is one round trip). */
  graph: EmulatorRequestCounts;
  /**
   * CPU time (ms) used during the run by Azurite and by this process (the functions, the emulator, the proxy): unlike
   * wall time, not stretched by other work on the machine. Null where /proc cannot tell.
   */
  cpuMs: { azurite: number | null; bench: number };
}

/**
 * Runs `work` once with every count at zero: the tables the sweeps use created first (not counted), the emulator's
 * request counts, the proxy's and the kinds' reset. The proxy's count and its server events must agree.
 */
export async function countedRun<T>(storage: BenchStorage, deps: Deps, graphUrl: string, work: () => Promise<T>, problems: string[]): Promise<CountedRun<T>> {
  for (const name of TABLES_THE_SWEEPS_USE) await deps.tables.get(name);
  await emulatorCall(graphUrl, 'DELETE', '/_emulator/requests');
  storage.proxy.reset();
  storage.requests.reset();
  const [azuriteBefore, benchBefore] = [cpuMsOfTree(storage.azurite.pid), process.cpuUsage()];
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  const azuriteAfter = cpuMsOfTree(storage.azurite.pid);
  const bench = process.cpuUsage(benchBefore);
  const cpuMs = {
    azurite: azuriteBefore === undefined || azuriteAfter === undefined ? null : Math.round(azuriteAfter - azuriteBefore),
    bench: Math.round((bench.user + bench.system) / 1000),
  };
  const tableRoundTrips = storage.proxy.counts().roundTrips;
  const tableKinds = storage.requests.counts();
  const graph = (await emulatorCall(graphUrl, 'GET', '/_emulator/requests')) as EmulatorRequestCounts;
  const seen = Object.values(tableKinds).reduce((sum, n) => sum + n, 0);
  if (seen !== tableRoundTrips) problems.push(`the proxy counted ${tableRoundTrips} requests, its server events ${seen}`);
  return { result, ms, tableRoundTrips, tableKinds, graph, cpuMs };
}

export const tableWrites = (kinds: TableRequestKinds) => kinds.inserts + kinds.replacements + kinds.deletions + kinds.transactions;

export interface TableRequestKinds {
  pointReads: number;
  queries: number;
  inserts: number;
  replacements: number;
  deletions: number;
  transactions: number;
  other: number;
}

interface TableRequestCounter {
  counts(): TableRequestKinds;
  reset(): void;
  stop(): void;
}

/**
 * Sorts the requests the counting proxy on `port` receives by kind, from Node's own HTTP server events (the proxy
 * runs in this process): the proxy counts them, this says which are writes. Keyed entity paths end in
 * `(PartitionKey='…',RowKey='…')`.
 */
function countTableRequests(port: number): TableRequestCounter {
  const zero = (): TableRequestKinds => ({ pointReads: 0, queries: 0, inserts: 0, replacements: 0, deletions: 0, transactions: 0, other: 0 });
  let counts = zero();
  const listener = (message: unknown) => {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    if ((server.address() as AddressInfo | null)?.port !== port) return;
    const path = (request.url ?? '').split('?')[0] ?? '';
    const keyed = path.includes('(PartitionKey=');
    switch (request.method) {
      case 'GET':
        counts[keyed ? 'pointReads' : 'queries']++;
        break;
      case 'POST':
        counts[path.endsWith('/$batch') ? 'transactions' : 'inserts']++;
        break;
      case 'PUT':
        counts[keyed ? 'replacements' : 'other']++;
        break;
      case 'DELETE':
        counts[keyed ? 'deletions' : 'other']++;
        break;
      default:
        counts.other++;
    }
  };
  subscribe('http.server.request.start', listener);
  return { counts: () => ({ ...counts }), reset: () => void (counts = zero()), stop: () => void unsubscribe('http.server.request.start', listener) };
}

// ---------------------------------------------------------------------------------------------------------------
// The emulator

/** Calls the emulator at `url` (its own `/_emulator/…` endpoints, or Graph by hand); JSON in and out. */
export async function emulatorCall(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

/** A tenant of `users` (ids and names) and `groups`, with the administrator as Identity Governance Administrator. */
export function benchTenant(tenantId: string, users: Array<[id: string, name: string]>, groups: FixtureGroup[]): TenantFixture {
  const user = (id: string, name: string): FixtureUser => ({
    id,
    displayName: `Bench ${name}`,
    userPrincipalName: `${name}@bench.example`,
    mail: `${name}@bench.example`,
    userType: 'Member',
    accountEnabled: true,
  });
  return {
    tenantId,
    domains: ['bench.example'],
    users: [user(ADMIN, 'admin'), ...users.map(([id, name]) => user(id, name))],
    groups,
    directoryRoleAssignments: [{ principalId: ADMIN, roleDefinitionId: IDENTITY_GOVERNANCE_ADMINISTRATOR }],
  };
}

/** Every member id of a group, page by page, through the directory port. */
export async function memberIds(deps: Deps, groupId: string): Promise<string[]> {
  return (await allPages((page) => deps.directory.listGroupMembers(groupId, page))).map((m) => m.id);
}

// ---------------------------------------------------------------------------------------------------------------
// Seeding

export interface PackageRef {
  packageId: string;
  policyId: string;
}

/** A package and an admin-only policy without approval, through the operations, as the administrator. */
export async function packageWithPolicy(
  deps: EntitlementDeps,
  admin: Caller,
  catalogId: string,
  displayName: string,
  /** The policy's `expiration`, as Graph takes it. */
  expiration: object = { type: 'afterDuration', duration: 'P365D' },
): Promise<PackageRef> {
  const { id: packageId } = await createAccessPackage(deps, admin, { displayName, catalog: { id: catalogId } });
  const { id: policyId } = await createAssignmentPolicy(deps, admin, {
    displayName: `${displayName} policy`,
    allowedTargetScope: 'notSpecified',
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    expiration,
    accessPackage: { id: packageId },
  });
  return { packageId, policyId };
}

/** A delivered assignment made by the administrator; `end` null: it does not expire. */
export function assignmentDoc(f: {
  id: string;
  targetId: string;
  ref: PackageRef;
  catalogId: string;
  requestId: string;
  start: string;
  end: string | null;
  operations: DeliveryOperation[];
}): Assignment {
  return {
    id: f.id,
    state: 'delivered',
    status: 'Delivered',
    accessPackageId: f.ref.packageId,
    assignmentPolicyId: f.ref.policyId,
    catalogId: f.catalogId,
    targetId: f.targetId,
    schedule: {
      startDateTime: f.start,
      expiration: f.end === null ? { type: 'noExpiration', endDateTime: null, duration: null } : { type: 'afterDateTime', endDateTime: f.end, duration: null },
    },
    expiredDateTime: null,
    createdDateTime: f.start,
    requestId: f.requestId,
    createdById: ADMIN,
    operations: f.operations,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Small things

/** Runs jobs from an iterator, `concurrency` at a time; the iterator is read only as workers free up. */
export async function drain(jobs: Iterator<() => Promise<void>>, concurrency: number): Promise<void> {
  const worker = async () => {
    for (let job = jobs.next(); !job.done; job = jobs.next()) await job.value();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function* chunksOf<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
export const chunks = <T>(items: readonly T[], size: number) => [...chunksOf(items, size)];
export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
export const progress = (line: string) => process.stdout.write(`  ${line}\n`);

/** Where a case's Table round trips went (the counting proxy's routes), per unit of work, under a heading. */
export function printRoutes(heading: string, routes: Record<string, number>, units: number): void {
  progress(heading);
  for (const [route, count] of Object.entries(routes)) progress(`  ${round(count / units, 2)}  ${route}`);
}

/**
 * `workers` in-process queue runners (the local host's, one message at a time, polling every 100 ms) taking a
 * queue's messages until it is empty, then stopped and drained: N instances of a queue function, as the benches
 * stand them in.
 */
export async function runQueueUntilEmpty(storage: BenchStorage, queue: WorkQueue, name: string, workers: number, handler: StorageQueueHandler): Promise<void> {
  const settings = { batchSize: 1, newBatchThreshold: 0, maxDequeueCount: 5, visibilityTimeoutMs: 0, maxPollingIntervalMs: 100, messageEncoding: 'base64' } as const;
  const runners = Array.from({ length: workers }, (_, i) => new QueueRunner(`${name}${i}`, queue.name, handler, { connection: storage.azurite.connectionString, settings, log: () => undefined }));
  for (const runner of runners) runner.start();
  while ((await queue.depth()) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  for (const runner of runners) runner.stop();
  await Promise.all(runners.map((runner) => runner.drained()));
}
