import { createPublicKey, randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { mapConcurrently } from '../../shared/concurrently';
import { newSigningKeyPem, signingKeyFromPem } from '../../shared/domain/archive/digestSigning';
import { archiveAuditLog } from '../../shared/operations/archive/archiveAuditLog';
import { MAX_FILE_BYTES, type ArchiveDeps } from '../../shared/operations/archive/archiveDeps';
import { ArchiveContainer } from '../../shared/store/archiveContainer';
import { AuditLog, type AuditEvent } from '../../shared/store/auditLog';
import { DocumentTable, writeDocumentsTogether } from '../../shared/store/documentTable';
import { DueWorkStore, type ExpirationKind } from '../../shared/store/dueWork';
import { GrantStore } from '../../shared/store/grantStore';
import { SweepStates } from '../../shared/store/sweepStates';
import { Tables } from '../../shared/store/tables';
import { transactionsOf } from '../../shared/store/transactionsOf';
import { verifyArchive } from '../verify-archive/verifyArchive';
import { progress, range, round, withBenchStorage } from './benchKit';

export interface ArchiveBenchRow {
  events: number;
  hours: number;
  /** The first run, before any event: its search for the oldest event (a query a day since 2025, once ever). */
  firstRunSeconds: number;
  /** Writing the events under AuditLog's keys, 100 to a transaction; not compared. */
  seedSeconds: number;
  /** Reading every event back through AuditLog.between (the archive's one read), before the run: Azurite's read rate. */
  tableReadEventsPerSecond: number;
  /** Uploading 4 MiB blobs straight to Azurite, one after another: its blob write rate. */
  blobWriteMiBPerSecond: number;
  /** One reportArchive run over every hour, wall time (lease, reads, files, digests, checkpoints). */
  archiveSeconds: number;
  archiveEventsPerSecond: number;
  archiveMiBPerSecond: number;
  /** The run's event rate over the plain read rate: what writing files, hashing and signing cost on top of reading. */
  ratioToTableRead: number;
  /** The run's bytes per second over the plain blob write rate. */
  ratioToBlobWrite: number;
  files: number;
  digests: number;
  /** Largest heap the bench process used during the run, sampled every 50 ms: bounded by a file, not by the log. */
  peakHeapMiB: number;
  /** verify-archive with --events over the whole archive. */
  verifySeconds: number;
  verified: boolean;
  problems: string;
}

const EVENTS = Number(process.env.BENCH_ARCHIVE_EVENTS ?? 200_000);
const START = DateTime.fromISO('2026-01-01T00:00:00Z', { zone: 'utc' });
/** Events an hour: 200,000 span 20 hours. */
const PER_HOUR = 10_000;
/**
 * The hour's events come 1,600 a minute from its start (over its first 6¼ minutes): a minute of a shard (AuditLog's
 * partition) then holds about 200, two full transactions of 100, where spread evenly it held 21 (seeding ran at
 * 50–150 events/s that way and 200,000 never finished). What the archive reads and writes per hour is the same.
 */
const SPACING_MS = 37.5;
/** Transactions written at once while seeding. */
const SEED_AT_ONCE = 8;

/** `npm run bench archive`: archives 200,000 audit events, beside Azurite's own read and blob write rates. */
export async function archiveScenario(): Promise<ArchiveBenchRow[]> {
  return withBenchStorage(async (storage) => {
    const connection = storage.azurite.connectionString;
    const tables = new Tables(connection, `b${randomBytes(3).toString('hex')}`);
    let now = START;
    const clock = { now: () => now };
    const audit = new AuditLog(tables, clock);
    const problems: string[] = [];

    // Seeded under AuditLog's own keys, an hour at a time: 100 events of a partition to a transaction, 8 at once.
    const seedStart = Date.now();
    const table = new DocumentTable<AuditEvent>(() => tables.get('auditEvents'), 'audit event');
    const hours = Math.ceil(EVENTS / PER_HOUR);
    for (const hour of range(hours)) {
      const events = range(Math.min(PER_HOUR, EVENTS - hour * PER_HOUR)).map((k) => {
        const i = hour * PER_HOUR + k;
        now = START.plus({ hours: hour, milliseconds: k * SPACING_MS });
        return audit.event({ actorId: `user-${i % 500}`, action: 'approveRequest', entityType: 'assignmentRequest', entityId: `request-${i}`, before: { state: 'pendingApproval' }, after: { state: 'delivering', justification: 'needed for the quarter close', stage: i % 3 } });
      });
      const transactions = transactionsOf(events, (e) => AuditLog.partitionOf(e));
      await mapConcurrently(transactions, (group) => writeDocumentsTogether(group.map((e) => table.insertion(AuditLog.partitionOf(e), AuditLog.rowOf(e), e)), 'audit event'), SEED_AT_ONCE);
      progress(`seeded ${(hour * PER_HOUR + events.length).toLocaleString('en-US')} events in ${transactions.length} transactions (hour ${hour + 1} of ${hours})`);
    }
    const seedSeconds = (Date.now() - seedStart) / 1000;
    const end = START.plus({ hours });

    const readStart = Date.now();
    let read = 0;
    for await (const event of audit.between(START, end.plus({ hours: 1 }))) if (event) read++;
    const readSeconds = (Date.now() - readStart) / 1000;
    if (read !== EVENTS) problems.push(`read back ${read} events of ${EVENTS}`);

    const scratch = new ArchiveContainer(connection, `scratch-${randomBytes(3).toString('hex')}`);
    const chunk = randomBytes(MAX_FILE_BYTES);
    const blobStart = Date.now();
    for (const i of range(8)) await scratch.put(`probe-${i}`, chunk);
    const blobSeconds = (Date.now() - blobStart) / 1000;
    for (const i of range(8)) await scratch.delete(`probe-${i}`);

    const container = new ArchiveContainer(connection, 'audit-archive');
    const key = signingKeyFromPem(newSigningKeyPem());
    const deps: ArchiveDeps = {
      audit,
      sweeps: new SweepStates(tables),
      clock,
      grants: new GrantStore(tables),
      due: new DueWorkStore<ExpirationKind>(tables, 'dueWork'),
      archive: { container, signingKey: key, settleSeconds: 120, retentionDays: 0, maxFileBytes: MAX_FILE_BYTES },
    };
    // A first run before any event: the one-time search for the oldest event, and the chain's first digest.
    now = START.plus({ minutes: 3 });
    const firstStart = Date.now();
    await archiveAuditLog(deps, { holder: 'bench', budgetMs: 60_000 });
    const firstRunSeconds = (Date.now() - firstStart) / 1000;
    now = end.plus({ hours: 1, minutes: 3 });
    let peakHeap = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
    const runStart = Date.now();
    const result = await archiveAuditLog(deps, { holder: 'bench', budgetMs: 60 * 60_000 });
    const archiveSeconds = (Date.now() - runStart) / 1000;
    clearInterval(sampler);
    if (result?.eventsArchived !== EVENTS) problems.push(`archived ${result?.eventsArchived} events of ${EVENTS}`);

    let bytes = 0;
    for await (const name of container.names('audit/')) bytes += (await container.get(name))!.bytes.length;
    const verifyStart = Date.now();
    const report = await verifyArchive(container, createPublicKey(key.privateKey), { events: true });
    const verifySeconds = (Date.now() - verifyStart) / 1000;
    if (!report.ok) problems.push(...report.lines.filter((l) => l.includes('INVALID')).slice(0, 3));

    const mib = bytes / (1024 * 1024);
    const readRate = read / readSeconds;
    const blobRate = (8 * MAX_FILE_BYTES) / (1024 * 1024) / blobSeconds;
    const archiveRate = EVENTS / archiveSeconds;
    return [
      {
        events: EVENTS,
        hours: result?.hoursArchived ?? 0,
        firstRunSeconds: round(firstRunSeconds),
        seedSeconds: round(seedSeconds),
        tableReadEventsPerSecond: Math.round(readRate),
        blobWriteMiBPerSecond: round(blobRate),
        archiveSeconds: round(archiveSeconds),
        archiveEventsPerSecond: Math.round(archiveRate),
        archiveMiBPerSecond: round(mib / archiveSeconds),
        ratioToTableRead: round(archiveRate / readRate, 2),
        ratioToBlobWrite: round(mib / archiveSeconds / blobRate, 2),
        files: result?.files ?? 0,
        digests: (result?.hoursArchived ?? 0) + 1,
        peakHeapMiB: round(peakHeap / (1024 * 1024)),
        verifySeconds: round(verifySeconds),
        verified: report.ok,
        problems: problems.join('; '),
      },
    ];
  });
}
