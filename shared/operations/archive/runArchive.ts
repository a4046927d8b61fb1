import { DateTime } from 'luxon';
import { windowAt } from '../../domain/archive/archiveLayout';
import { withSweepLease, type SweepOptions } from '../lifecycle/sweepDueWork';
import type { ArchiveDeps } from './archiveDeps';
import { archiveAuditLog, type ArchiveMode, type ArchiveResult, type Checkpoint } from './archiveAuditLog';
import { ARCHIVE, readyHourFiles, shardName, type ArchiveHourMessage } from './archiveShards';
import { hourFiles } from './archiveWindow';

/**
 * One hour, in the queue function: its files written under a lease of its own (an hour taken twice is written
 * once at a time; again later, it finds its files kept and writes nothing), then the chain sealed as far as it can
 * go. Undefined when another instance holds the hour.
 */
export async function processArchiveHour(deps: ArchiveDeps, message: ArchiveHourMessage, options: SweepOptions): Promise<ArchiveResult | { hour: string; alreadyArchived: true } | undefined> {
  const window = windowAt(DateTime.fromISO(message.hour, { zone: 'utc' }));
  const archive = await deps.sweeps.checkpointOf(ARCHIVE);
  if (archive !== null && window.start < DateTime.fromISO((JSON.parse(archive) as Checkpoint).archivedUntil)) return { hour: message.hour, alreadyArchived: true };
  const written = await withSweepLease(deps, shardName(window), options, async (saved, _deadline, lease) => {
    if (saved !== null) return { checkpoint: saved, result: true };
    return { checkpoint: JSON.stringify(await hourFiles(deps, window, () => lease.hold())), result: true };
  });
  if (!written) return undefined;
  // Sealed by whoever holds the archive's lease when this answers undefined: it looks for these files after.
  return runArchive(deps, options, { sealOnly: true });
}

/**
 * Archive runs, until one ends with no hour's files waiting at the chain's end. A run answers undefined when another
 * holds the lease: that holder looks for waiting files after it lets go. Answers the runs' counts added up.
 */
export async function runArchive(deps: ArchiveDeps, options: SweepOptions, mode: ArchiveMode): Promise<ArchiveResult | undefined> {
  let total: ArchiveResult | undefined;
  for (let runMode = mode; ; runMode = { ...runMode, queue: undefined }) {
    const result = await archiveAuditLog(deps, options, runMode);
    if (!result) return total;
    total = total ? added(total, result) : result;
    if (result.hoursRemaining > 0 || !(await readyHourFiles(deps, windowAt(DateTime.fromISO(result.archivedUntil, { zone: 'utc' }))))) return total;
  }
}

function added(a: ArchiveResult, b: ArchiveResult): ArchiveResult {
  const sum = (key: keyof ArchiveResult) => (a[key] as number) + (b[key] as number);
  return {
    hoursArchived: sum('hoursArchived'),
    eventsArchived: sum('eventsArchived'),
    lateEventsArchived: sum('lateEventsArchived'),
    requestsArchived: sum('requestsArchived'),
    files: sum('files'),
    eventsRemoved: sum('eventsRemoved'),
    requestsRemoved: sum('requestsRemoved'),
    unarchivedKept: sum('unarchivedKept'),
    hoursSent: sum('hoursSent'),
    hoursRemaining: b.hoursRemaining,
    waitingForShard: b.waitingForShard,
    archivedUntil: b.archivedUntil,
  };
}
