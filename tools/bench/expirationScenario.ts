import { loadavg } from 'node:os';
import { TableClient } from '@azure/data-tables';
import { DateTime } from 'luxon';
import type { Deps } from '../../shared/composition';
import type { Assignment, DeliveryOperation } from '../../shared/domain/assignments/assignment';
import { directoryRoleOf } from '../../shared/operations/assignments/directoryRoles';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { addResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { DocumentTable, writeDocumentsTogether, type DocumentWrite } from '../../shared/store/documentTable';
import { minuteOf, type DueItem } from '../../shared/store/dueWork';
import { GrantStore, type GrantPointer, type PackageClaim } from '../../shared/store/grantStore';
import { allOf, filter, rowKeysUnder } from '../../shared/store/odataFilter';
import { splitTableKey, tableKey } from '../../shared/store/tableKeys';
import type { TenantFixture } from '../graph-emulator/fixture';
import { startGraphEmulator } from '../graph-emulator/server';
import {
  ADMIN_CALLER,
  assignmentDoc,
  benchDeps,
  benchTenant,
  chunks,
  countedRun,
  drain,
  guid,
  memberIds,
  packageWithPolicy,
  progress,
  range,
  round,
  tableWrites,
  withBenchStorage,
  type BenchStorage,
  type PackageRef,
} from './benchKit';
import { connectionStringThrough } from './countingProxy';
import { mapConcurrently } from '../../shared/concurrently';

export interface ExpirationBenchRow {
  case: string;
  totalAssignments: number;
  dueAssignments: number;
  /** GRAPH_WRITE_BUDGET during the sweep (WRITE_BUDGET). */
  graphWriteBudget: string;
  /** Writing the catalog, packages, policies and every assignment with its claim, pointers and due item; not compared. */
  seedSeconds: number;
  /** One expirationSweep run, wall time: lease, due-index read, the items (8 at a time), checkpoint. */
  sweepSeconds: number;
  itemsPerSecond: number;
  /** Table Storage requests of the sweep (counted by the proxy) per item processed. */
  tableRoundTripsPerItem: number;
  /** Of those, writes: inserts, replacements, deletions and entity group transactions (one each). */
  tableWritesPerItem: number;
  /** Of those, queries (reads by filter rather than by key). */
  tableQueriesPerItem: number;
  /** Graph requests of the sweep (the emulator's own count; a `$batch` is one) per item processed. */
  graphRoundTripsPerItem: number;
  /** The same per 1,000 items, beside its target (issue 19 item 2: at most 60). */
  graphRoundTripsPer1000: number;
  graphTarget: string;
  /** tableRoundTripsPerItem against its target (at most 8). */
  tableTarget: string;
  /** Single-entity inserts of ~1 KB into a scratch table, straight to Azurite, one after another. */
  azuriteWritesPerSecondSequential: number;
  /** The same, 8 at a time (the sweep's concurrency). */
  azuriteWritesPerSecondConcurrent8: number;
  /** The same, 8 at a time, through the counting proxy: the path the sweep's requests take. */
  azuriteWritesPerSecondConcurrent8ViaProxy: number;
  /** One partition query on accessGrants (a due target's partition: 2 rows), mean of 20, before the sweep. */
  azuritePartitionQueryMs: number;
  /** One replacement (If-Match) of a ~1 KB row in accessGrants, mean of 20, before the sweep (a probe row, removed after). */
  azuriteReplaceMs: number;
  /** One read of the due-time index up to now (what the sweep reads first), before the sweep. */
  dueIndexReadMs: number;
  /** CPU time Azurite used during the sweep, per item (ms): what its in-memory store does per request. */
  azuriteCpuMsPerItem: number | null;
  /** CPU time this process (the sweep, the Graph emulator, the counting proxy) used during the sweep, per item (ms). */
  benchCpuMsPerItem: number;
  ratioToSmallest: number;
  /**
   * The two CPU figures against the smallest case's: which side's work per item grows with the table. Azurite's
   * in-memory store (LokiJS) keeps two sorted key indexes per table and finds a row's place in them by a linear scan
   * on every replacement and deletion, so its cost per write grows with the table's rows.
   */
  azuriteCpuRatioToSmallest: number | null;
  benchCpuRatioToSmallest: number;
  /** ratioToSmallest against its target (at most 1.2: no per-item query whose cost grows with the table). */
  ratioTarget: string;
  /** The machine's 1-minute load average when the case's sweep started (other runs share it). */
  loadAverage: number;
  /** Every due assignment expired, and no other assignment's state changed (one query over all assignments). */
  allExpired: boolean;
  /** Every assignment not due has the ETag it was seeded with (nothing wrote it). */
  othersUnchanged: boolean;
  /** The due targets left the group; the group's other members stayed. */
  removedFromGroup: boolean;
  /** Items processed by a second sweep right after the first; 0 when the first left nothing due. */
  secondSweepProcessed: number;
  /** What any check found wrong (a sweep's failures, a count off, rows the index or the store should not hold); empty when none. */
  problems: string;
}

/** `BENCH_EXPIRATION_CASES` (comma-separated totals) runs others, a short trial for one. */
const CASES = process.env.BENCH_EXPIRATION_CASES?.split(',').map(Number) ?? [20_000, 200_000];
const TARGETS = { graphPer1000: 60, tablePerItem: 8, ratio: 1.2 };
const against = (figure: number, target: number) => `≤ ${target}: ${figure <= target ? 'met' : 'NOT met'}`;
const DUE = 1_000;
/**
 * The tenant's Graph write budget during the sweep: the largest allowed, so that the case measures the sweep's own
 * cost. At the default (2,700 per 150 s: a burst of 270, then 16 a second) the 1,000 removals alone take about 45 s
 * whatever the table's size, which would hide any growth with it; the budget's pacing is measured by the scale-out
 * bench's budget case. `BENCH_EXPIRATION_BUDGET` sets another.
 */
const WRITE_BUDGET = process.env.BENCH_EXPIRATION_BUDGET ?? '18000/10';
/** Group members that hold no assignment: the sweep must leave them in the group. */
const BYSTANDERS = 200;
/** Assignments not due, per target partition (one per filler package), written by entity group transactions. */
const PER_TARGET = 100;
/** Due items of assignments not due, per minute partition of the index. */
const PER_MINUTE = 100;
const TRANSACTION_LIMIT = 100;
/** Requests in flight while seeding. */
const SEED_CONCURRENCY = 16;
/** sweepDueWork's CONCURRENCY: items handled at once. */
const SWEEP_CONCURRENCY = 8;
const RATE_SAMPLE = 1_000;
const QUERY_SAMPLE = 20;
/** Large enough for every item to be taken: this measures the work, not the cut-off. */
const BUDGET_MS = 30 * 60_000;
/** Assignments not due end from 1 day to about 6 months ahead. */
const FILLER_SPAN_MINUTES = 180 * 24 * 60;

const TENANT = 'be000000-0000-4000-8000-0000000000e1';
const GROUP = 'b0000000-0000-4000-8000-0000000000e1';

/** Ids that say what they are (`guid`): `a0000000-…` due targets, `c0000000-…` other targets, and so on. */
const DUE_TARGET = 'a0000000';
const BYSTANDER = 'a1000000';
const FILLER_TARGET = 'c0000000';
const FILLER_ASSIGNMENT = 'd0000000';
const DUE_ASSIGNMENT = 'e0000000';
const FILLER_REQUEST = 'f0000000';
const DUE_REQUEST = 'f1000000';

interface Layout {
  total: number;
  /** Assignments not due. */
  fillers: number;
  /** Their target partitions, PER_TARGET each. */
  targets: number;
  /** Their minute partitions in the due-time index, PER_MINUTE each. */
  minutes: number;
  /** Minutes between two consecutive minute partitions. */
  stepMinutes: number;
}

interface Seeded {
  catalogId: string;
  granting: PackageRef;
  fillerPackages: PackageRef[];
  dueTargets: string[];
  bystanders: string[];
  dueAssignmentIds: string[];
  /** Assignment id -> ETag as seeded, for every assignment not due. */
  fillerEtags: Map<string, string>;
}

/**
 * `expirationSweep` over 1,000 due assignments among 20,000 and among 200,000 (DESIGN §1: a sweep's cost follows
 * the work due, not the size of the tenant). Runs in-process against an embedded Azurite (in memory) and a Graph
 * emulator whose group holds the due targets; seeds with entity group transactions, then sweeps once through a
 * counting proxy, checks the outcome and sweeps again (which must find nothing). Azurite's own write rate is
 * measured in the same run, before each sweep.
 */
export async function expirationScenario(cases: readonly number[] = CASES): Promise<ExpirationBenchRow[]> {
  return withBenchStorage(async (storage) => {
    const measured: Array<{ row: ExpirationBenchRow; sweepMs: number }> = [];
    for (const total of cases) measured.push(await runCase(storage, layoutOf(total)));
    const [{ sweepMs: smallest, row: first }] = measured as [(typeof measured)[number]];
    const rows = measured.map(({ row, sweepMs }) => {
      const ratio = round(sweepMs / smallest, 2);
      const azuriteCpuRatioToSmallest = row.azuriteCpuMsPerItem === null || !first.azuriteCpuMsPerItem ? null : round(row.azuriteCpuMsPerItem / first.azuriteCpuMsPerItem, 2);
      const benchCpuRatioToSmallest = round(row.benchCpuMsPerItem / first.benchCpuMsPerItem, 2);
      return { ...row, ratioToSmallest: ratio, ratioTarget: against(ratio, TARGETS.ratio), azuriteCpuRatioToSmallest, benchCpuRatioToSmallest };
    });
    for (const row of rows) {
      progress(
        `${row.case}: Graph round trips per 1,000 ${row.graphRoundTripsPer1000} (${row.graphTarget}); Table round trips per item ${row.tableRoundTripsPerItem} (${row.tableTarget}); ` +
          `time ratio to the smallest case ${row.ratioToSmallest} (${row.ratioTarget}); CPU per item: Azurite ${row.azuriteCpuMsPerItem} ms (ratio ${row.azuriteCpuRatioToSmallest}), ` +
          `the sweep's process ${row.benchCpuMsPerItem} ms (ratio ${row.benchCpuRatioToSmallest}); Azurite writes/s ${row.azuriteWritesPerSecondSequential} sequential, ${row.azuriteWritesPerSecondConcurrent8} 8 at once; load average ${row.loadAverage}`,
      );
    }
    return rows;
  });
}

function layoutOf(total: number): Layout {
  const fillers = total - DUE;
  if (fillers <= 0 || fillers % PER_TARGET !== 0 || fillers % PER_MINUTE !== 0) {
    throw new Error(`A case needs a total above ${DUE} leaving a multiple of ${PER_TARGET} and ${PER_MINUTE} assignments not due; ${total} does not.`);
  }
  const minutes = fillers / PER_MINUTE;
  return { total, fillers, targets: fillers / PER_TARGET, minutes, stepMinutes: Math.max(1, Math.floor(FILLER_SPAN_MINUTES / minutes)) };
}

async function runCase(storage: BenchStorage, layout: Layout): Promise<{ row: ExpirationBenchRow; sweepMs: number }> {
  const { azurite, proxy } = storage;
  const label = `${DUE.toLocaleString('en-US')} due of ${layout.total.toLocaleString('en-US')}`;
  const prefix = `exp${layout.total}t`;
  const dueTargets = Array.from({ length: DUE }, (_, i) => guid(DUE_TARGET, i));
  const bystanders = Array.from({ length: BYSTANDERS }, (_, i) => guid(BYSTANDER, i));
  const emulator = await startGraphEmulator({ seed: tenantFixture(dueTargets, bystanders), port: 0 });
  try {
    // Seeding, probes and checks go straight to Azurite; only the sweeps go through the counting proxy.
    const { direct, counted: swept } = benchDeps(storage, emulator.url, prefix, TENANT, { GRAPH_WRITE_BUDGET: WRITE_BUDGET });
    const problems: string[] = [];

    progress(`${label}: seeding`);
    const now = DateTime.utc();
    const seedStarted = performance.now();
    const seeded = await seed(direct, layout, now, dueTargets, bystanders);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    progress(`${label}: seeded in ${seedSeconds.toFixed(1)} s; checking the seed and measuring Azurite`);
    await checkSeed(direct.entitlements, layout, now, seeded, problems);
    const membersBefore = new Set(await memberIds(direct, GROUP));
    if (![...dueTargets, ...bystanders].every((id) => membersBefore.has(id))) problems.push('not every due target and bystander was a group member before the sweep');

    const rates = {
      sequential: await writeRate(azurite.connectionString, `${prefix}scratch1`, 1),
      concurrent: await writeRate(azurite.connectionString, `${prefix}scratch2`, SWEEP_CONCURRENCY),
      viaProxy: await writeRate(connectionStringThrough(proxy, azurite.endpoints), `${prefix}scratch3`, SWEEP_CONCURRENCY),
    };
    const partitionQueryMs = await timeEach(dueTargets.slice(0, QUERY_SAMPLE), (id) => direct.entitlements.grants.assignmentsOf(id));
    const replaceMs = await replaceTime(azurite.connectionString, `${prefix}accessGrants`);
    const indexStarted = performance.now();
    const dueBefore = await direct.entitlements.due.dueBy(DateTime.utc(), undefined);
    const dueIndexReadMs = performance.now() - indexStarted;
    if (dueBefore.length !== DUE) problems.push(`the due-time index held ${dueBefore.length} items due before the sweep, not ${DUE}`);

    progress(`${label}: sweeping`);
    const loadAverage = round(loadavg()[0]!, 1);
    const run = await countedRun(storage, swept, emulator.url, () => sweepExpirations(swept.entitlements, { holder: 'bench-expiration-1', budgetMs: BUDGET_MS }), problems);
    const { result, ms: sweepMs, tableRoundTrips, tableKinds: kinds, graph, cpuMs } = run;
    if (!result) throw new Error('The first expirationSweep found its lease held; nothing else runs it here.');
    if (result.processed !== DUE || result.failed + result.stale + result.remaining > 0) {
      problems.push(`first sweep: ${JSON.stringify({ ...result, errors: undefined })}${result.errors.length > 0 ? `; errors: ${result.errors.join(' | ')}` : ''}`);
    }
    const second = await sweepExpirations(swept.entitlements, { holder: 'bench-expiration-2', budgetMs: BUDGET_MS });
    if (!second) throw new Error('The second expirationSweep found its lease held; the first should have released it.');

    const perItem = Object.entries(kinds).map(([kind, n]) => `${kind} ${round(n / Math.max(1, result.processed), 2)}`).join(', ');
    progress(`${label}: swept ${result.processed} in ${(sweepMs / 1000).toFixed(1)} s; Table requests per item: ${perItem}; checking`);
    const allExpired = await checkExpired(direct.entitlements, seeded, problems);
    const othersUnchanged = await checkOthersUnchanged(azurite.connectionString, `${prefix}accessGrants`, layout, seeded, problems);
    const membersAfter = new Set(await memberIds(direct, GROUP));
    const removedFromGroup = dueTargets.every((id) => !membersAfter.has(id)) && bystanders.every((id) => membersAfter.has(id)) && membersAfter.size === BYSTANDERS;
    if (!removedFromGroup) problems.push(`after the sweep the group has ${membersAfter.size} members; expected the ${BYSTANDERS} bystanders only`);
    if (second.processed !== 0 || second.failed !== 0) problems.push(`second sweep: ${JSON.stringify({ ...second, errors: undefined })}`);

    await direct.tables.deleteAll();
    const writes = tableWrites(kinds);
    const per = (n: number) => (result.processed > 0 ? round(n / result.processed, 2) : 0);
    return {
      sweepMs,
      row: {
        case: label,
        totalAssignments: layout.total,
        dueAssignments: DUE,
        graphWriteBudget: WRITE_BUDGET,
        seedSeconds: round(seedSeconds, 1),
        sweepSeconds: round(sweepMs / 1000, 2),
        itemsPerSecond: round((result.processed / sweepMs) * 1000, 1),
        tableRoundTripsPerItem: per(tableRoundTrips),
        tableWritesPerItem: per(writes),
        tableQueriesPerItem: per(kinds.queries),
        graphRoundTripsPerItem: per(graph.roundTrips),
        graphRoundTripsPer1000: round((graph.roundTrips / Math.max(1, result.processed)) * 1000, 0),
        graphTarget: against(round((graph.roundTrips / Math.max(1, result.processed)) * 1000, 0), TARGETS.graphPer1000),
        tableTarget: against(per(tableRoundTrips), TARGETS.tablePerItem),
        azuriteWritesPerSecondSequential: rates.sequential,
        azuriteWritesPerSecondConcurrent8: rates.concurrent,
        azuriteWritesPerSecondConcurrent8ViaProxy: rates.viaProxy,
        azuritePartitionQueryMs: round(partitionQueryMs, 1),
        azuriteReplaceMs: round(replaceMs, 1),
        dueIndexReadMs: round(dueIndexReadMs, 0),
        azuriteCpuMsPerItem: cpuMs.azurite === null ? null : per(cpuMs.azurite),
        benchCpuMsPerItem: per(cpuMs.bench),
        ratioToSmallest: 1,
        azuriteCpuRatioToSmallest: 1,
        benchCpuRatioToSmallest: 1,
        ratioTarget: '',
        loadAverage,
        allExpired,
        othersUnchanged,
        removedFromGroup,
        secondSweepProcessed: second.processed,
        problems: problems.join('; '),
      },
    };
  } finally {
    await emulator.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Seeding

/**
 * The catalog, the package granting the group's Member role and 100 filler packages go through the operations, as
 * an administrator. The 1,000 due assignments are written as GrantStore and DueWorkStore write them (pointers, then
 * the assignment with its claim in one transaction, then the due item, in a past minute), and their targets go
 * into the grant ledger as delivery would have put them (GrantLedger.record). The others are written
 * row for row the same, but a partition at a time in entity group transactions: 100 per target, 100 per package's
 * assignee partition, 100 per minute of the due-time index; only their locators (a partition each) go one by one.
 */
async function seed(deps: Deps, layout: Layout, now: DateTime, dueTargets: string[], bystanders: string[]): Promise<Seeded> {
  const em = deps.entitlements;
  const admin = ADMIN_CALLER(TENANT);
  const catalog = await createCatalog(em, admin, { displayName: 'Bench expiration', state: 'published' });
  await requestResource(em, admin, { requestType: 'adminAdd', resource: { originId: GROUP, originSystem: 'AadGroup' }, catalog: { id: catalog.id } });
  const granting = await packageWithPolicy(em, admin, catalog.id, 'Bench group access');
  const roleScope = await addResourceRoleScope(em, admin, granting.packageId, {
    role: { originId: `Member_${GROUP}`, originSystem: 'AadGroup' },
    scope: { originId: GROUP, originSystem: 'AadGroup' },
  });
  const fillerPackages = await mapConcurrently(range(PER_TARGET), (p) => packageWithPolicy(em, admin, catalog.id, `Bench filler ${p}`), SWEEP_CONCURRENCY);
  const start = now.minus({ days: 30 }).toISO()!;
  const seeded: Seeded = { catalogId: catalog.id, granting, fillerPackages, dueTargets, bystanders, dueAssignmentIds: [], fillerEtags: new Map() };

  const held: DeliveryOperation[] = [{ action: 'add', role: directoryRoleOf(roleScope), state: 'done', attempts: 1, lastError: null }];
  await mapConcurrently(range(DUE), async (i) => {
    // Ended 31 to 60 minutes ago, over 30 past minutes of the index.
    const end = now.minus({ minutes: 60 - (i % 30) }).toISO()!;
    const assignment = assignmentDoc({ id: guid(DUE_ASSIGNMENT, i), targetId: dueTargets[i]!, ref: granting, catalogId: catalog.id, requestId: guid(DUE_REQUEST, i), start, end, operations: held });
    seeded.dueAssignmentIds.push(assignment.id);
    await em.grants.indexAssignment(assignment);
    const target = GrantStore.targetKey(assignment.targetId);
    const claim: PackageClaim = { packageId: granting.packageId, requestId: assignment.requestId, assignmentId: assignment.id };
    await em.grants.together([
      em.grants.assignments.insertion(target, GrantStore.assignmentKey(assignment.id), assignment),
      em.grants.claims.insertion(target, GrantStore.claimKey(granting.packageId), claim),
    ]);
    await em.due.schedule({ kind: 'assignmentEnd', dueDateTime: end, entityId: assignment.id, detail: end, targetId: assignment.targetId });
  }, SEED_CONCURRENCY);

  // Portcullis added them to the group, so its ledger of grants holds them (what a removal takes out again).
  await em.ledger.record(held[0]!.role, dueTargets);
  await drain(fillerWrites(deps, layout, now, seeded, start), SEED_CONCURRENCY);
  return seeded;
}

/**
 * Filler assignment i: target partition i / 100 (its 100 assignments are for the 100 filler packages, one each, as
 * the one-claim-per-package rule wants), package i % 100, minute partition i % minutes.
 */
function filler(layout: Layout, seeded: Seeded, base: DateTime, start: string, i: number): Assignment {
  return assignmentDoc({
    id: guid(FILLER_ASSIGNMENT, i),
    targetId: guid(FILLER_TARGET, Math.floor(i / PER_TARGET)),
    ref: seeded.fillerPackages[i % PER_TARGET]!,
    catalogId: seeded.catalogId,
    requestId: guid(FILLER_REQUEST, i),
    start,
    end: fillerEnd(layout, base, i),
    operations: [],
  });
}

function fillerEnd(layout: Layout, base: DateTime, i: number): string {
  const minute = i % layout.minutes;
  const second = Math.floor(i / layout.minutes) % 60;
  return base.plus({ minutes: minute * layout.stepMinutes, seconds: second }).toISO()!;
}

/** Every write of the filler assignments, one request each, made lazily so 200,000 rows are never held at once. */
function* fillerWrites(deps: Deps, layout: Layout, now: DateTime, seeded: Seeded, start: string): Generator<() => Promise<void>> {
  const grants = deps.entitlements.grants;
  const pointers = new DocumentTable<GrantPointer>(() => deps.tables.get('grantIndex'), 'grant index entry');
  const dueItems = new DocumentTable<DueItem>(() => deps.tables.get('dueWork'), 'due work item');
  const base = now.startOf('minute').plus({ days: 1 });
  const fillerAt = (i: number) => filler(layout, seeded, base, start, i);

  // Assignments with their claims: one target partition, 200 rows, two transactions.
  for (let t = 0; t < layout.targets; t++) {
    const target = GrantStore.targetKey(guid(FILLER_TARGET, t));
    const writes: DocumentWrite[] = [];
    for (let k = 0; k < PER_TARGET; k++) {
      const assignment = fillerAt(t * PER_TARGET + k);
      const claim: PackageClaim = { packageId: assignment.accessPackageId, requestId: assignment.requestId, assignmentId: assignment.id };
      writes.push(grants.assignments.insertion(target, GrantStore.assignmentKey(assignment.id), assignment));
      writes.push(grants.claims.insertion(target, GrantStore.claimKey(assignment.accessPackageId), claim));
    }
    for (const chunk of chunks(writes, TRANSACTION_LIMIT)) {
      yield async () => {
        for (const stored of await grants.together(chunk)) {
          if (stored && 'operations' in stored.value) seeded.fillerEtags.set((stored.value as Assignment).id, stored.etag);
        }
      };
    }
  }
  // Locators, as GrantStore.indexAssignment writes them: a partition per assignment, so one insert each.
  for (let i = 0; i < layout.fillers; i++) {
    const id = guid(FILLER_ASSIGNMENT, i);
    const pointer: GrantPointer = { id, targetId: guid(FILLER_TARGET, Math.floor(i / PER_TARGET)) };
    yield async () => void (await pointers.insert(tableKey('locator', id), tableKey(id), pointer));
  }
  // Package assignee pointers: a partition per package.
  for (let p = 0; p < PER_TARGET; p++) {
    const partition = tableKey('packageAssignee', seeded.fillerPackages[p]!.packageId);
    const ids = range(layout.fillers / PER_TARGET).map((k) => p + k * PER_TARGET);
    for (const chunk of chunks(ids, TRANSACTION_LIMIT)) {
      const writes = chunk.map((i) => {
        const pointer: GrantPointer = { id: guid(FILLER_ASSIGNMENT, i), targetId: guid(FILLER_TARGET, Math.floor(i / PER_TARGET)) };
        return pointers.insertion(partition, tableKey(pointer.id), pointer);
      });
      yield async () => void (await writeDocumentsTogether(writes, 'grant index entry'));
    }
  }
  // Due items, as DueWorkStore.schedule writes them (planAssignmentEnd's item: detail = the end): a partition per minute.
  for (let m = 0; m < layout.minutes; m++) {
    const writes = range(PER_MINUTE).map((k) => {
      const i = m + k * layout.minutes;
      const end = fillerEnd(layout, base, i);
      const item: DueItem = { kind: 'assignmentEnd', dueDateTime: end, entityId: guid(FILLER_ASSIGNMENT, i), detail: end, targetId: guid(FILLER_TARGET, Math.floor(i / PER_TARGET)) };
      return dueItems.insertion(minuteOf(end), tableKey(item.dueDateTime, item.kind, item.entityId, item.detail), item);
    });
    yield async () => void (await writeDocumentsTogether(writes, 'due work item'));
  }
}

/** Reads some of the seed back through the stores' own read paths, so rows written in bulk are known to be readable. */
async function checkSeed(deps: EntitlementDeps, layout: Layout, now: DateTime, seeded: Seeded, problems: string[]): Promise<void> {
  for (const i of [0, Math.floor(layout.fillers / 2), layout.fillers - 1]) {
    const found = await deps.grants.findAssignment(guid(FILLER_ASSIGNMENT, i));
    if (found?.value.id !== guid(FILLER_ASSIGNMENT, i)) problems.push(`filler assignment ${i} cannot be found by id`);
  }
  for (const id of [seeded.dueAssignmentIds[0]!, seeded.dueAssignmentIds[DUE - 1]!]) {
    if ((await deps.grants.findAssignment(id))?.value.state !== 'delivered') problems.push(`due assignment ${id} cannot be found by id`);
  }
  const assignees = await deps.grants.assignmentsOfPackage(seeded.fillerPackages[0]!.packageId);
  if (assignees.length !== layout.targets) problems.push(`filler package 0 has ${assignees.length} assignees through its index, not ${layout.targets}`);
  // One minute partition of the index, read as the sweep reads it; scheduling one of its items again must not add a row.
  const end = fillerEnd(layout, now.startOf('minute').plus({ days: 1 }), 0);
  const readMinute = () => deps.due.dueBy(DateTime.fromISO(end, { zone: 'utc' }).endOf('minute'), minuteOf(end));
  const before = (await readMinute()).length;
  await deps.due.schedule({ kind: 'assignmentEnd', dueDateTime: end, entityId: guid(FILLER_ASSIGNMENT, 0), detail: end, targetId: guid(FILLER_TARGET, 0) });
  const after = (await readMinute()).length;
  if (before !== PER_MINUTE || after !== PER_MINUTE) problems.push(`a minute of the index holds ${before} items, ${after} after scheduling one again; expected ${PER_MINUTE}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Checks after the sweep

/** The assignments not `delivered` are exactly the due ones, each expired, its claim released. */
async function checkExpired(deps: EntitlementDeps, seeded: Seeded, problems: string[]): Promise<boolean> {
  const ended = await deps.grants.assignments.list({ filter: allOf(rowKeysUnder('assignment'), filter`state ne ${'delivered'}`) });
  const due = new Set(seeded.dueAssignmentIds);
  const allDue = ended.length === DUE && ended.every((d) => due.has(d.value.id) && d.value.state === 'expired' && d.value.expiredDateTime !== null);
  if (!allDue) problems.push(`${ended.length} assignments are not delivered after the sweep (${ended.filter((d) => d.value.state === 'expired' && due.has(d.value.id)).length} of them due and expired)`);
  const claims = await mapConcurrently(seeded.dueTargets, (id) => deps.grants.claimOf(id, seeded.granting.packageId), SEED_CONCURRENCY);
  const kept = claims.filter((c) => c !== undefined).length;
  if (kept > 0) problems.push(`${kept} due targets still hold their claim on the package`);
  const stillDue = await deps.due.dueBy(DateTime.utc(), undefined);
  if (stillDue.length > 0) problems.push(`${stillDue.length} items are still due in the index after the sweep`);
  return allDue && kept === 0 && stillDue.length === 0;
}

/** Every assignment not due still has the ETag its seeding transaction returned. */
async function checkOthersUnchanged(connectionString: string, table: string, layout: Layout, seeded: Seeded, problems: string[]): Promise<boolean> {
  const client = TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
  let unchanged = 0;
  let changed = 0;
  for await (const row of client.listEntities({ queryOptions: { filter: rowKeysUnder('assignment'), select: ['RowKey'] } })) {
    const id = splitTableKey(row.rowKey!)[1]!;
    const etag = seeded.fillerEtags.get(id);
    if (etag === undefined) continue;
    if (etag === row.etag) unchanged++;
    else changed++;
  }
  const ok = changed === 0 && unchanged === layout.fillers && seeded.fillerEtags.size === layout.fillers;
  if (!ok) problems.push(`of ${layout.fillers} assignments not due, ${unchanged} are unchanged and ${changed} changed (${seeded.fillerEtags.size} ETags recorded)`);
  return ok;
}

// ---------------------------------------------------------------------------------------------------------------
// Azurite's own speed

/** Inserts of ~1 KB entities (an assignment's size) into a fresh table, `concurrency` at a time: entities per second. */
export async function writeRate(connectionString: string, table: string, concurrency: number): Promise<number> {
  const client = TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
  await client.createTable();
  const payload = 'x'.repeat(1000);
  const started = performance.now();
  await mapConcurrently(range(RATE_SAMPLE), (i) => client.createEntity({ partitionKey: `p${i % 100}`, rowKey: `r${i}`, parts: 1, part0: payload }), concurrency);
  const elapsedMs = performance.now() - started;
  await client.deleteTable();
  return round((RATE_SAMPLE / elapsedMs) * 1000, 0);
}

/** Mean time of a conditional replacement of one ~1 KB row in `table`, on a probe row of its own partition. */
async function replaceTime(connectionString: string, table: string): Promise<number> {
  const client = TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
  const row = { partitionKey: 'bench-probe', rowKey: 'probe', parts: 1, part0: 'x'.repeat(1000) };
  let { etag } = await client.createEntity(row);
  const started = performance.now();
  for (let i = 0; i < QUERY_SAMPLE; i++) ({ etag } = await client.updateEntity({ ...row, part0: `${i}${row.part0}` }, 'Replace', { etag }));
  const elapsedMs = performance.now() - started;
  await client.deleteEntity(row.partitionKey, row.rowKey);
  return elapsedMs / QUERY_SAMPLE;
}

async function timeEach<T>(items: T[], work: (item: T) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (const item of items) await work(item);
  return (performance.now() - started) / items.length;
}

// ---------------------------------------------------------------------------------------------------------------

function tenantFixture(dueTargets: string[], bystanders: string[]): TenantFixture {
  return benchTenant(
    TENANT,
    [...dueTargets.map((id, i): [string, string] => [id, `due${i}`]), ...bystanders.map((id, i): [string, string] => [id, `bystander${i}`])],
    [{ id: GROUP, displayName: 'Bench expiration group', mailEnabled: false, securityEnabled: true, groupTypes: [], members: [...dueTargets, ...bystanders], owners: [] }],
  );
}
