import { TableClient } from '@azure/data-tables';
import { mapConcurrently } from '../../shared/concurrently';
import { reconcile, type ReconcileResult } from '../../shared/operations/lifecycle/reconcileSweep';
import { startGraphEmulator } from '../graph-emulator/server';
import { benchDeps, countedRun, progress, range, round, tableWrites, withBenchStorage, type BenchStorage, type CountedRun } from './benchKit';
import { writeRate } from './expirationScenario';
import { ASSIGNMENTS, drift, population, seed, tenantFixture } from './reconcileScenario';

export interface DeltaBenchRow {
  case: string;
  assignments: number;
  seconds: number;
  tableRoundTrips: number;
  tableWrites: number;
  graphRoundTrips: number;
  added: number;
  removed: number;
  /** Table round trips of this pass over those of a full comparison with no drift (issue 19: no-drift pass ≤ 1%). */
  shareOfFullComparison: string;
  target: string;
  /** Azurite's own rates in this run, for scale: ~1 KB rows, 8 at once, straight to Azurite. */
  azuriteReadsPerSecond: number;
  azuriteWritesPerSecond: number;
  problems: string;
}

const TENANT = 'be000000-0000-4000-8000-0000000000d1';
const PREFIX = 'delta10000t';
const BUDGET_MS = 30 * 60_000;
const RATE_SAMPLE = 2_000;
const RATE_CONCURRENCY = 8;

/**
 * `reconcileSweep` following the groups delta, on the reconcile scenario's tenant (10,000 active assignments over
 * 4 groups, 100 of each kind of drift): the first pass compares the new set of groups in full and repairs; a quiet
 * pass follows the delta; then the set's link is dropped so the next pass compares in full with no drift, as every
 * pass did before (the figure the quiet pass is measured against); and a last quiet pass.
 */
export async function deltaScenario(): Promise<DeltaBenchRow[]> {
  const people = population();
  return withBenchStorage(async (storage) => {
    const emulator = await startGraphEmulator({ seed: tenantFixture(people), port: 0 });
    try {
      const { direct, counted } = benchDeps(storage, emulator.url, PREFIX, TENANT);
      const problems: string[] = [];
      progress('reconcile by delta: seeding 10,000 assignments');
      await seed(direct, people);
      await drift(emulator, people);
      const rates = await azuriteRates(storage, PREFIX);
      const pass = (n: number) => countedRun(storage, counted, emulator.url, () => reconcile(counted.entitlements, { holder: `bench-delta-${n}`, budgetMs: BUDGET_MS }), problems);
      const first = await pass(1);
      const quiet = await pass(2);
      for (const link of (await direct.entitlements.groupDeltaLinks.all()).values()) await direct.entitlements.groupDeltaLinks.forget(link);
      const full = await pass(3);
      const quietAgain = await pass(4);
      await direct.tables.deleteAll();
      const rows: Array<[string, CountedRun<ReconcileResult | undefined>, string]> = [
        ['first pass: new set compared in full, repairs the drift', first, ''],
        ['quiet pass: groups delta, no drift', quiet, '≤ 1%'],
        ['full comparison, no drift (every pass before)', full, ''],
        ['quiet pass again', quietAgain, '≤ 1%'],
      ];
      for (const [name, run] of rows) {
        const { redelivery, rolesChecked } = run.result ?? {};
        progress(`${name}: Table ${JSON.stringify(run.tableKinds)}, Graph ${JSON.stringify(run.graph.byRoute)} in ${(run.ms / 1000).toFixed(2)} s; redelivery ${JSON.stringify(redelivery)}, roles ${rolesChecked}`);
      }
      return rows.map(([name, run, target]) => ({
        case: name,
        assignments: ASSIGNMENTS,
        seconds: round(run.ms / 1000, 2),
        tableRoundTrips: run.tableRoundTrips,
        tableWrites: tableWrites(run.tableKinds),
        graphRoundTrips: run.graph.roundTrips,
        added: run.result?.added ?? 0,
        removed: run.result?.removed ?? 0,
        shareOfFullComparison: `${round((run.tableRoundTrips / full.tableRoundTrips) * 100, 2)}%`,
        target,
        azuriteReadsPerSecond: rates.reads,
        azuriteWritesPerSecond: rates.writes,
        problems: [...problems, ...(run.result?.errors ?? [])].join('; '),
      }));
    } finally {
      await emulator.stop();
    }
  });
}

/** Azurite's own point-read and insert rates in this run, straight to it (no proxy). */
export async function azuriteRates(storage: BenchStorage, prefix: string): Promise<{ reads: number; writes: number }> {
  const writes = await writeRate(storage.azurite.connectionString, `${prefix}rates1`, RATE_CONCURRENCY);
  const client = TableClient.fromConnectionString(storage.azurite.connectionString, `${prefix}rates2`, { allowInsecureConnection: true });
  await client.createTable();
  const payload = 'x'.repeat(1000);
  await mapConcurrently(range(RATE_SAMPLE), (i) => client.createEntity({ partitionKey: `p${i % 100}`, rowKey: `r${i}`, part0: payload }), RATE_CONCURRENCY);
  const started = performance.now();
  await mapConcurrently(range(RATE_SAMPLE), (i) => client.getEntity(`p${i % 100}`, `r${i}`), RATE_CONCURRENCY);
  const reads = round((RATE_SAMPLE / (performance.now() - started)) * 1000, 0);
  await client.deleteTable();
  return { reads, writes };
}
