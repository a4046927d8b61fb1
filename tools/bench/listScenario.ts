import { DateTime } from 'luxon';
import { mapConcurrently } from '../../shared/concurrently';
import { GrantStore } from '../../shared/store/grantStore';
import { startGraphEmulator } from '../graph-emulator/server';
import { assignmentDoc, benchDeps, benchTenant, chunks, countedRun, guid, progress, range, round, withBenchStorage, type PackageRef } from './benchKit';
import { azuriteRates } from './deltaScenario';

export interface ListBenchRow {
  case: string;
  rows: number;
  /** Table round trips of one page of 100 (counted by the proxy). */
  tableRoundTrips: number;
  items: number;
  ms: number;
  /** Time of this page over the same page at 100 rows. */
  timeRatio: number;
  target: string;
  azuriteReadsPerSecond: number;
  azuriteWritesPerSecond: number;
  problems: string;
}

const TENANT = 'be000000-0000-4000-8000-0000000000e1';
const PER_TARGET = 100;
const PAGE = 100;
const PACKAGES = 10;
const REPEATS = 5;

/**
 * One page of the administrators' list of assignments as the API asks the store for it (GrantStore.pageAssignments:
 * the storage query with its continuation token), unfiltered and filtered on a package, at 100 and at 100,000
 * assignments; and, for scale, the whole-table read every page cost before. Assignments are written 100 to a
 * target (one transaction each) to seed fast; the page's query does not depend on how targets are spread.
 */
export async function listScenario(): Promise<ListBenchRow[]> {
  return withBenchStorage(async (storage) => {
    const emulator = await startGraphEmulator({ seed: benchTenant(TENANT, [], []), port: 0 });
    try {
      const rates = await azuriteRates(storage, 'list');
      const rows: ListBenchRow[] = [];
      const base: Record<string, number> = {};
      for (const total of [100, 100_000]) {
        const prefix = `list${total}`;
        const { direct, counted } = benchDeps(storage, emulator.url, prefix, TENANT);
        const problems: string[] = [];
        progress(`lists: seeding ${total.toLocaleString('en-US')} assignments`);
        await seed(direct.entitlements.grants, total);
        const pkg = guid('c0000000', 3);
        const cases: Array<[string, () => Promise<number>]> = [
          ['first page of 100, unfiltered', async () => (await counted.entitlements.grants.pageAssignments({}, PAGE)).items.length],
          ['second page of 100, unfiltered', async () => {
            const first = await direct.entitlements.grants.pageAssignments({}, PAGE);
            return (await counted.entitlements.grants.pageAssignments({}, PAGE, first.continuationToken)).items.length;
          }],
          ['first page of 100, accessPackage/id eq', async () => (await counted.entitlements.grants.pageAssignments({ accessPackageId: pkg }, PAGE)).items.length],
        ];
        for (const [name, page] of cases) {
          let best = Number.POSITIVE_INFINITY;
          let run: Awaited<ReturnType<typeof countedRun<number>>> | undefined;
          for (let i = 0; i < REPEATS; i++) {
            run = await countedRun(storage, counted, emulator.url, page, problems);
            best = Math.min(best, run.ms);
          }
          base[name] ??= best;
          rows.push({
            case: name,
            rows: total,
            tableRoundTrips: run!.tableRoundTrips,
            items: run!.result,
            ms: round(best, 1),
            timeRatio: round(best / base[name]!, 2),
            target: total === 100 ? '' : 'same round trips; time ratio ~1',
            azuriteReadsPerSecond: rates.reads,
            azuriteWritesPerSecond: rates.writes,
            problems: problems.join('; '),
          });
        }
        const scan = await countedRun(storage, counted, emulator.url, async () => (await counted.entitlements.grants.allAssignments()).length, problems);
        rows.push({ case: 'before: whole-table read behind every page', rows: total, tableRoundTrips: scan.tableRoundTrips, items: scan.result, ms: round(scan.ms, 1), timeRatio: 0, target: '', azuriteReadsPerSecond: rates.reads, azuriteWritesPerSecond: rates.writes, problems: problems.join('; ') });
        await direct.tables.deleteAll();
      }
      return rows;
    } finally {
      await emulator.stop();
    }
  });
}

/** `total` active assignments, 100 to a target, over 10 packages; one transaction per target. */
async function seed(grants: GrantStore, total: number): Promise<void> {
  const start = DateTime.utc().minus({ days: 1 }).toISO()!;
  const refs: PackageRef[] = range(PACKAGES).map((p) => ({ packageId: guid('c0000000', p), policyId: guid('c1000000', p) }));
  await mapConcurrently(
    range(total / PER_TARGET),
    async (t) => {
      const targetId = guid('a3000000', t);
      const docs = range(PER_TARGET).map((k) => {
        const i = t * PER_TARGET + k;
        return assignmentDoc({ id: guid('e3000000', i), targetId, ref: refs[i % PACKAGES]!, catalogId: guid('ca000000', 0), requestId: guid('f3000000', i), start, end: null, operations: [] });
      });
      for (const batch of chunks(docs, 100)) await grants.together(batch.map((a) => grants.assignments.insertion(GrantStore.targetKey(targetId), GrantStore.assignmentKey(a.id), a)));
    },
    8,
  );
}
