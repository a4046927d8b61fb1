import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Deps } from '../../shared/composition';
import { mapConcurrently } from '../../shared/concurrently';
import type { Assignment } from '../../shared/domain/assignments/assignment';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { DocumentTable, writeDocumentsTogether } from '../../shared/store/documentTable';
import { GrantStore, type GrantPointer, type PackageClaim } from '../../shared/store/grantStore';
import { tableKey } from '../../shared/store/tableKeys';
import { startHostProcess, type HostProcess } from '../local-host/hostProcess';
import {
  ADMIN,
  ADMIN_CALLER,
  assignmentDoc,
  benchDeps,
  benchTenant,
  chunks,
  drain,
  emulatorCall,
  guid,
  packageWithPolicy,
  progress,
  range,
  round,
  withBenchStorage,
  type BenchStorage,
  type EmulatorRequestCounts,
  type PackageRef,
} from './benchKit';
import { connectionStringThrough } from './countingProxy';

const TENANT = 'be000000-0000-4000-8000-0000000000a1';
const PREFIX = 'benchreports';
const TARGET = 'b7000000';
const ASSIGNMENT = 'b7100000';
const REQUEST = 'b7200000';
/** PORTCULLIS_BENCH_REPORT_ROWS makes a quicker (or larger) run. */
const ROWS = Number(process.env.PORTCULLIS_BENCH_REPORT_ROWS ?? 100_000);
const SEED_CONCURRENCY = 16;
const TRANSACTION_LIMIT = 100;
/** Seeding prints its rate every this many rows. */
const SEED_BLOCK = 5_000;
/** Point reads timed for Azurite's own rate, at the report's concurrency (packageAssignments.ts READS_AT_ONCE). */
const RATE_SAMPLE = 2_000;
const RATE_CONCURRENCY = 32;
/** The host seeds its emulator with every target at start: on the loaded machine (load 28) that took over 3 minutes. */
const HOST_START_MS = 600_000;

export interface ReportsBenchRow {
  case: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  csvMegabytes: number;
  hostRssBeforeMb: number;
  hostPeakRssMb: number;
  peakGrowthMb: number;
  tableRoundTrips: number;
  tableQueries: number;
  tablePointReads: number;
  graphRoundTrips: number;
  azuriteQueryEntitiesPerSecond: number;
  /** Azurite's rate for the report's own read of a large package: its active assignments, pages of 1,000 by query. */
  azuriteAssignmentQueryRowsPerSecond: number;
  azuritePointReadsPerSecond: number;
  problems: string;
}

/**
 * `GET /api/reports/accessPackages/{id}/assignments` as CSV over 100,000 delivered assignments of one package, through
 * the local host as a child process (so its memory is the service's alone, apart from the Graph emulator it hosts):
 * time, the host's peak RSS during the download against its RSS before, Table Storage and Graph round trips, and
 * Azurite's own query and point-read rates measured in the same run. The assignments are seeded straight through the
 * store classes (assignment and claim in one transaction per target, the package's assignee index a hundred pointers
 * a transaction; no locators, which the report does not read): through the API, 100,000 requests would take an hour.
 */
export async function reportsScenario(): Promise<ReportsBenchRow[]> {
  return withBenchStorage(async (storage) => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-reports-bench-'));
    const targets = range(ROWS).map((i) => guid(TARGET, i));
    const seedPath = join(dir, 'tenant.json');
    writeFileSync(seedPath, JSON.stringify(benchTenant(TENANT, targets.map((id, i) => [id, `target${i}`]), [])));
    const host = await startHostProcess({
      AzureWebJobsStorage: connectionStringThrough(storage.proxy, storage.azurite.endpoints),
      TABLE_PREFIX: PREFIX,
      DIRECTORY_SEED: seedPath,
      ...Object.fromEntries(['expirationSweep', 'reconcileSweep', 'autoAssignmentSweep', 'externalUserSweep', 'accessReviewSweep', 'reportArchive'].map((n) => [`AzureWebJobs.${n}.Disabled`, 'true'])),
    }, undefined, HOST_START_MS);
    try {
      return [await runCase(storage, host, targets)];
    } finally {
      await host.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, { keyLookupsForSeeding: true });
}

async function runCase(storage: BenchStorage, host: HostProcess, targets: string[]): Promise<ReportsBenchRow> {
  const problems: string[] = [];
  const { direct } = benchDeps(storage, host.emulatorUrl!, PREFIX, TENANT);
  progress(`${ROWS.toLocaleString('en-US')} assignments: seeding through the store classes`);
  const seedStarted = performance.now();
  const ref = await seed(direct, targets);
  await storage.azurite.stockLookups();
  progress(`seeded in ${round((performance.now() - seedStarted) / 1000)} s; measuring Azurite's read rates`);
  const rates = await azuriteRates(direct, ref, targets);

  const path = `/api/reports/accessPackages/${ref.packageId}/assignments`;
  const principal = Buffer.from(
    JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: ADMIN }, { typ: 'tid', val: TENANT }] }),
  ).toString('base64');
  // A first small page warms the host (modules, caches, the administrator's roles) before memory and counts start.
  await fetch(`${host.url}${path}?$top=1`, { headers: { 'x-ms-client-principal': principal } }).then((r) => r.text());

  const pid = host.process.pid!;
  const rssBefore = statusKb(pid, 'VmRSS');
  const peakReset = resetPeak(pid);
  const sampler = peakSampler(pid);
  await emulatorCall(host.emulatorUrl!, 'DELETE', '/_emulator/requests');
  storage.proxy.reset();
  storage.requests.reset();
  progress('downloading the CSV report');
  const started = performance.now();
  const { bytes, lines } = await download(`${host.url}${path}`, principal);
  const seconds = (performance.now() - started) / 1000;
  const sampledPeak = sampler.stop();
  const peak = peakReset ? Math.max(statusKb(pid, 'VmHWM'), sampledPeak) : sampledPeak;
  const kinds = storage.requests.counts();
  const graph = (await emulatorCall(host.emulatorUrl!, 'GET', '/_emulator/requests')) as EmulatorRequestCounts;

  if (lines !== ROWS + 1) problems.push(`the CSV has ${lines} lines, not ${ROWS + 1}`);
  return {
    case: `${ROWS.toLocaleString('en-US')}-row assignment report as CSV`,
    rows: lines - 1,
    seconds: round(seconds),
    rowsPerSecond: Math.round((lines - 1) / seconds),
    csvMegabytes: round(bytes / 1024 / 1024),
    hostRssBeforeMb: round(rssBefore / 1024),
    hostPeakRssMb: round(peak / 1024),
    peakGrowthMb: round((peak - rssBefore) / 1024),
    tableRoundTrips: storage.proxy.counts().roundTrips,
    tableQueries: kinds.queries,
    tablePointReads: kinds.pointReads,
    graphRoundTrips: graph.roundTrips,
    azuriteQueryEntitiesPerSecond: rates.queryEntitiesPerSecond,
    azuriteAssignmentQueryRowsPerSecond: rates.assignmentQueryRowsPerSecond,
    azuritePointReadsPerSecond: rates.pointReadsPerSecond,
    problems: problems.join('; ') || 'none',
  };
}

/** A catalog, a package with a policy (through the operations), and one delivered assignment per target. */
async function seed(deps: Deps, targets: string[]): Promise<PackageRef> {
  const em = deps.entitlements;
  const admin = ADMIN_CALLER(TENANT);
  const catalog = await createCatalog(em, admin, { displayName: 'Bench reports', state: 'published' });
  const ref = await packageWithPolicy(em, admin, catalog.id, 'Bench reports package');
  const start = DateTime.utc().minus({ days: 1 }).toISO()!;
  const end = DateTime.utc().plus({ days: 364 }).toISO()!;
  const assignments = targets.map((targetId, i) =>
    assignmentDoc({ id: guid(ASSIGNMENT, i), targetId, ref, catalogId: catalog.id, requestId: guid(REQUEST, i), start, end, operations: [] }),
  );
  await drain(writes(deps, assignments)[Symbol.iterator](), SEED_CONCURRENCY);
  return ref;
}

/**
 * The package's assignee index first, then the assignments, each timed by blocks of 5,000 rows. Stock Azurite checks
 * every insert against the rows of its partition (LokiTableMetadataStore.insertTableEntity's findOne narrows by
 * PartitionKey alone, then scans), so the index, one partition of ROWS pointers, cost more per row as it grew (340
 * rows/s at 5,000, 23 at 25,000: about 80 minutes for 100,000); Azurite is started with keyLookupsForSeeding for
 * the seed, and runs stock code for everything measured after it.
 */
function* writes(deps: Deps, assignments: Assignment[]): Generator<() => Promise<void>> {
  const grants = deps.entitlements.grants;
  const index = new DocumentTable<GrantPointer>(() => deps.tables.get('grantIndex'), 'grant index entry');
  const pointersDone = blockTimer('assignee index pointers (one partition, 100 a transaction)');
  for (const chunk of chunks(assignments, TRANSACTION_LIMIT)) {
    const pointers = chunk.map((a) => index.insertion(tableKey('packageAssignee', a.accessPackageId), tableKey(a.id), { id: a.id, targetId: a.targetId }));
    yield async () => pointersDone(await writeDocumentsTogether(pointers, 'grant index entry').then(() => chunk.length));
  }
  const assignmentsDone = blockTimer('assignments with their claims (a partition and a transaction each)');
  for (const a of assignments) {
    const claim: PackageClaim = { packageId: a.accessPackageId, requestId: a.requestId, assignmentId: a.id };
    const target = GrantStore.targetKey(a.targetId);
    yield async () =>
      assignmentsDone(await grants.together([grants.assignments.insertion(target, GrantStore.assignmentKey(a.id), a), grants.claims.insertion(target, GrantStore.claimKey(a.accessPackageId), claim)]).then(() => 1));
  }
}

/** Counts rows written and prints the rate since the last line each time another SEED_BLOCK rows are written. */
function blockTimer(what: string): (rows: number) => void {
  let written = 0;
  let printed = 0;
  let printedAt = performance.now();
  return (rows) => {
    written += rows;
    if (written - printed < SEED_BLOCK) return;
    const now = performance.now();
    progress(`${what}: ${written.toLocaleString('en-US')} written, ${Math.round((written - printed) / ((now - printedAt) / 1000))} rows/s since ${printed.toLocaleString('en-US')}`);
    printed = written;
    printedAt = now;
  };
}

/**
 * Azurite's rates on this machine, now: the whole assignee index by pages of 1,000; the package's active assignments
 * by pages of 1,000 (the report's own read for a package this large, packageAssignments.ts); point reads of
 * assignments (what the report made per row before).
 */
async function azuriteRates(deps: Deps, ref: PackageRef, targets: string[]): Promise<{ queryEntitiesPerSecond: number; assignmentQueryRowsPerSecond: number; pointReadsPerSecond: number }> {
  const grants = deps.entitlements.grants;
  const scan = await pagesPerSecond(async (token) => {
    const page = await grants.assigneePointerPage(ref.packageId, 1000, token);
    return { count: page.pointers.length, continuationToken: page.continuationToken };
  });
  const rows = await pagesPerSecond(async (token) => {
    const page = await grants.pageActiveAssignmentsOfPackage(ref.packageId, 1000, token);
    return { count: page.items.length, continuationToken: page.continuationToken };
  });
  const sample = range(Math.min(RATE_SAMPLE, targets.length)).map((k) => Math.floor((k * targets.length) / Math.min(RATE_SAMPLE, targets.length)));
  const readStarted = performance.now();
  await mapConcurrently(sample, (i) => grants.assignmentOf(targets[i]!, guid(ASSIGNMENT, i)), RATE_CONCURRENCY);
  const readSeconds = (performance.now() - readStarted) / 1000;
  return {
    queryEntitiesPerSecond: scan,
    assignmentQueryRowsPerSecond: rows,
    pointReadsPerSecond: Math.round(sample.length / readSeconds),
  };
}

/** Reads every page a query gives, in turn, and answers the entities read per second. */
async function pagesPerSecond(page: (continuationToken: string | undefined) => Promise<{ count: number; continuationToken?: string | undefined }>): Promise<number> {
  let count = 0;
  let continuationToken: string | undefined;
  const started = performance.now();
  do {
    const read = await page(continuationToken);
    count += read.count;
    continuationToken = read.continuationToken;
  } while (continuationToken);
  return Math.round(count / ((performance.now() - started) / 1000));
}

/** Reads the CSV as it streams, keeping only counts. */
async function download(url: string, principal: string): Promise<{ bytes: number; lines: number }> {
  const response = await fetch(url, { headers: { 'x-ms-client-principal': principal, accept: 'text/csv' } });
  if (response.status !== 200 || !response.body) throw new Error(`The report answered ${response.status}: ${await response.text()}`);
  let bytes = 0;
  let lines = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (const byte of chunk) if (byte === 0x0a) lines++;
  }
  return { bytes, lines };
}

/** A field of /proc/<pid>/status, in kB (Linux). */
function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : 0;
}

/** Resets the process's peak RSS (VmHWM) to its current RSS, so the peak read after is the download's; false where Linux refuses. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples RSS every 20 ms as well: the peak where VmHWM cannot be reset. */
function peakSampler(pid: number): { stop(): number } {
  let peak = statusKb(pid, 'VmRSS');
  const timer = setInterval(() => (peak = Math.max(peak, statusKb(pid, 'VmRSS'))), 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, statusKb(pid, 'VmRSS'));
    },
  };
}
