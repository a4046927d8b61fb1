import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { buildDeps } from '../../shared/composition';
import { loadConfig } from '../../shared/config';
import { listAuditEvents } from '../../shared/operations/audit/listAuditEvents';
import { AuditLog, type AuditEvent, type AuditPosition, type AuditSelection } from '../../shared/store/auditLog';
import { Tables } from '../../shared/store/tables';
import { connectionStringThrough } from './countingProxy';
import { chunks, progress, range, round, withBenchStorage, type BenchStorage } from './benchKit';
import { writeRate } from './expirationScenario';

/**
 * A page of the audit API (`GET /v1.0/auditLogs/directoryAudits`, read through the operation it calls) at 2,000 and
 * at 200,000 events: Table round trips per page must not grow with the log (issue 17: "skip-token paging that does
 * not read the whole table per page"); the time ratio is shown beside Azurite's own write rate, measured in the same
 * run, for scale. Pages measured: the first, one deep in the log (resumed from its token's position), and a page
 * narrowed to one correlation id.
 */
const SIZES = [2_000, 200_000];
const PAGE = 100;
const REPEATS = 10;
const SEED_AT_ONCE = 8;
/**
 * Events a minute in the seed: a busy tenant's. 1,600 fill each of a minute's 8 shard partitions with about 200, two
 * full transactions of 100 (AuditLog.appendAll, 8 at once).
 */
const PER_MINUTE = 1_600;

interface PageFigures {
  events: number;
  page: string;
  tableRoundTrips: number;
  msPerPage: number;
}

export async function auditScenario(): Promise<object[]> {
  return withBenchStorage(async (storage) => {
    const rows: PageFigures[] = [];
    const writesPerSecond = await writeRate(storage.azurite.connectionString, `ar${Date.now().toString(36)}`, SEED_AT_ONCE);
    const correlations: string[] = [];
    for (const size of SIZES) {
      const prefix = `audit${size}`;
      const { direct, counted } = depsFor(storage, prefix);
      const seeded = performance.now();
      const correlation = await seed(new Tables(storage.azurite.connectionString, prefix), size);
      correlations.push(correlation);
      progress(`${size} events seeded in ${round((performance.now() - seeded) / 1000)} s`);
      const deep = await cursorAfter(direct.entitlements, size / 2);
      for (const [page, selection, cursor] of [
        ['first', {}, undefined],
        [`after ${size / 2}`, {}, deep],
        ['one correlation id', { correlationId: correlation }, undefined],
      ] as Array<[string, AuditSelection, AuditPosition | undefined]>) {
        rows.push({ events: size, page, ...(await measure(storage, counted.entitlements, selection, cursor)) });
      }
    }
    const bySize = (size: number, page: string) => rows.find((r) => r.events === size && r.page.startsWith(page))!;
    const [small, large] = SIZES as [number, number];
    const summary = ['first', 'after', 'one correlation id'].map((page) => ({
      page,
      roundTripsSmall: bySize(small, page).tableRoundTrips,
      roundTripsLarge: bySize(large, page).tableRoundTrips,
      target: 'round trips do not grow',
      met: bySize(large, page).tableRoundTrips <= bySize(small, page).tableRoundTrips,
      timeRatio: round(bySize(large, page).msPerPage / bySize(small, page).msPerPage, 2),
    }));
    return [...rows, ...summary, { azuriteWritesPerSecond: writesPerSecond, seedConcurrency: SEED_AT_ONCE }];
  });
}

function depsFor(storage: BenchStorage, prefix: string) {
  const settings = (connection: string) => loadConfig({ AzureWebJobsStorage: connection, TABLE_PREFIX: prefix, AUTH_MODE: 'easyauth' });
  return { direct: buildDeps(settings(storage.azurite.connectionString)), counted: buildDeps(settings(connectionStringThrough(storage.proxy, storage.azurite.endpoints))) };
}

/**
 * `size` events, PER_MINUTE a minute, in correlations of 10; answers one correlation id from the middle. They are
 * appended as they would be when they happened (the log's clock at their start): appended afterwards, every event
 * whose hour has ended is late and goes one at a time with its listing (AuditLog.append), 2 writes an event instead of
 * a hundredth; that is why the 200,000-event seed never finished.
 */
async function seed(tables: Tables, size: number): Promise<string> {
  const start = DateTime.fromISO('2026-05-01T00:00:00Z', { zone: 'utc' });
  const audit = new AuditLog(tables, { now: () => start });
  let middle = '';
  let correlationId = randomUUID();
  const events: AuditEvent[] = range(size).map((i) => {
    if (i % 10 === 0) correlationId = randomUUID();
    if (i === Math.floor(size / 2)) middle = correlationId;
    const at = start.plus({ milliseconds: Math.floor((i * 60_000) / PER_MINUTE) });
    return {
      id: randomUUID(),
      occurredDateTime: at.toISO()!,
      actorId: 'bench',
      action: 'updateAccessPackage',
      entityType: 'accessPackage',
      entityId: `p${i}`,
      before: { displayName: 'before' },
      after: { displayName: 'after', description: 'x'.repeat(400) },
      correlationId,
      initiator: { kind: 'user', id: 'bench' },
      result: 'success',
      catalogId: `c${i % 20}`,
    };
  });
  for (const part of chunks(events, 10_000)) await audit.appendAll(part);
  return middle;
}

/** The position after the first `skip` events, newest first (the cursor a client's token would carry). */
async function cursorAfter(deps: ReturnType<typeof buildDeps>['entitlements'], skip: number): Promise<AuditPosition> {
  let cursor: AuditPosition | undefined;
  for (let read = 0; read < skip; read += 1_000) cursor = (await listAuditEvents(deps, {}, () => true, 1_000, cursor)).next;
  return cursor!;
}

async function measure(storage: BenchStorage, deps: ReturnType<typeof buildDeps>['entitlements'], selection: AuditSelection, cursor: AuditPosition | undefined) {
  await listAuditEvents(deps, selection, () => true, PAGE, cursor); // warm: tables created, connections open
  storage.proxy.reset();
  const started = performance.now();
  for (let i = 0; i < REPEATS; i++) {
    const page = await listAuditEvents(deps, selection, () => true, PAGE, cursor);
    if (page.events.length === 0) throw new Error('A measured page came back empty.');
  }
  const ms = performance.now() - started;
  return { tableRoundTrips: storage.proxy.counts().roundTrips / REPEATS, msPerPage: round(ms / REPEATS, 1) };
}
