import { DateTime } from 'luxon';
import { isoOf, windowAt, type DigestLink } from '../../domain/archive/archiveLayout';
import { withSweepLease, type SweepOptions } from '../lifecycle/sweepDueWork';
import type { ArchiveDeps } from './archiveDeps';
import { hourFiles, sealWindow } from './archiveWindow';
import { ARCHIVE, dispatchHours, forgetHourFiles, readyHourFiles, type HourQueue } from './archiveShards';
import { requestsDue, retain } from './auditRetention';

export interface ArchiveResult {
  /** Hours archived this run, each with its digest. */
  hoursArchived: number;
  eventsArchived: number;
  /** Of those, events of hours archived before, appended late: archived in the late files of the hour appended in. */
  lateEventsArchived: number;
  requestsArchived: number;
  files: number;
  eventsRemoved: number;
  requestsRemoved: number;
  unarchivedKept: number;
  /** Closed hours left for the next run because the time budget ran out. */
  hoursRemaining: number;
  /** Hours sent to the queue `archive-hours` this run, for archive shards to write their files. */
  hoursSent: number;
  /** Whether the chain stopped at an hour sent to a shard that has not written its files yet (the shard goes on). */
  waitingForShard: boolean;
  /** Where the archive stands: every event before this is archived. */
  archivedUntil: string;
}

/**
 * Where the run stands, saved after each hour: hours before `archivedUntil` have their digest; retention has run for
 * those before `retainedUntil` (at most the last hour archived is left to it); `previous` is the chain's last link.
 */
export interface Checkpoint {
  archivedUntil: string;
  retainedUntil: string;
  previous: DigestLink | null;
  /** Hours before this were sent to archive shards (their files are written there, their digests here). */
  dispatchedUntil?: string;
}

/** How a run goes about the hours: the timer's may send them to shards; a shard's only seals hours already written. */
export interface ArchiveMode {
  queue?: HourQueue;
  sealOnly?: boolean;
}

/**
 * No event is older than this: the first run looks for the oldest event from here (a query per day, once ever), so
 * events written before the archive existed are archived too.
 */
const ORIGIN = DateTime.fromISO('2025-01-01T00:00:00Z', { zone: 'utc' });

/**
 * One run of `reportArchive` (DESIGN §2.7, §2.8; runArchive.ts repeats it while a shard's files wait): archives
 * every closed hour of the audit log, oldest first, one digest per hour, chained and signed, then applies retention.
 * With a queue, three or more due hours are first sent to archive shards (archiveShards.ts), and the chain waits at
 * each for its shard's files. An hour is closed once its end is ARCHIVE_SETTLE_SECONDS past,
 * so events still being appended wait. Runs hourly, so each run normally archives the hour just closed.
 *
 * "A digest every run, even when nothing was archived" and "an hour archived twice writes the same bytes" are
 * reconciled by giving every hour a digest of its own, empty or not, named and timed by the hour alone: a run that
 * finds no hour closed since the last one (run twice within an hour) writes nothing, and a run that was cut off
 * writes the hour it was in again, byte for byte. Leased (one runner at a time) and checkpointed after each hour.
 * Undefined when another instance holds the lease.
 */
export async function archiveAuditLog(deps: ArchiveDeps, options: SweepOptions, mode: ArchiveMode = {}): Promise<ArchiveResult | undefined> {
  const key = deps.archive.signingKey;
  if (!key) throw new Error('ARCHIVE_SIGNING_KEY is not set: the archive cannot sign its digests, so nothing is archived or removed.');
  return withSweepLease(deps, ARCHIVE, options, async (saved, deadline, lease) => {
    const hold = () => lease.hold();
    const closedUntil = deps.clock.now().toUTC().minus({ seconds: deps.archive.settleSeconds });
    let position: Checkpoint = saved ? (JSON.parse(saved) as Checkpoint) : await startingPoint(deps, closedUntil);
    const result: ArchiveResult = { hoursArchived: 0, eventsArchived: 0, lateEventsArchived: 0, requestsArchived: 0, files: 0, eventsRemoved: 0, requestsRemoved: 0, unarchivedKept: 0, hoursRemaining: 0, hoursSent: 0, waitingForShard: false, archivedUntil: position.archivedUntil };
    if (mode.queue) {
      const dispatch = await dispatchHours(deps, mode.queue, position, closedUntil, hold);
      result.hoursSent = dispatch.sent;
      if (dispatch.sent > 0) await lease.save(JSON.stringify((position = dispatch.position)));
    }
    for (;;) {
      if (position.retainedUntil < position.archivedUntil) {
        const counts = await retain(deps, windowAt(DateTime.fromISO(position.archivedUntil).minus({ hours: 1 })), hold);
        result.eventsRemoved += counts.eventsRemoved;
        result.requestsRemoved += counts.requestsRemoved;
        result.unarchivedKept += counts.unarchivedKept;
        position = { ...position, retainedUntil: position.archivedUntil };
        await lease.save(JSON.stringify(position));
      }
      const window = windowAt(DateTime.fromISO(position.archivedUntil));
      if (window.end > closedUntil) break;
      if (Date.now() > deadline) {
        result.hoursRemaining = Math.floor(closedUntil.diff(window.start, 'hours').hours);
        break;
      }
      // An hour sent to a shard is sealed once the shard has written its files; the chain waits for it (in order).
      const ready = await readyHourFiles(deps, window);
      const sentToShard = position.dispatchedUntil !== undefined && window.start < DateTime.fromISO(position.dispatchedUntil);
      if (!ready && (sentToShard || mode.sealOnly)) {
        result.waitingForShard = sentToShard;
        break;
      }
      const written = ready ?? (await hourFiles(deps, window, hold));
      const archived = await sealWindow(deps, key, window, written, position.previous, hold, (w) => requestsDue(deps, w));
      result.hoursArchived++;
      result.eventsArchived += archived.events + archived.lateEvents;
      result.lateEventsArchived += archived.lateEvents;
      result.requestsArchived += archived.requests;
      result.files += archived.files;
      position = { ...position, archivedUntil: isoOf(window.end), previous: archived.link };
      await lease.save(JSON.stringify(position));
      if (ready) await forgetHourFiles(deps, window);
    }
    result.archivedUntil = position.archivedUntil;
    return { checkpoint: JSON.stringify(position), result };
  });
}

/**
 * Where the first run starts: the hour of the oldest event, or the last closed hour when that is older (so the first
 * run writes a digest also when the log is empty, or holds only events of the hour still open).
 */
async function startingPoint(deps: ArchiveDeps, closedUntil: DateTime): Promise<Checkpoint> {
  let start = windowAt(closedUntil.minus({ hours: 1 })).start;
  for await (const event of deps.audit.between(ORIGIN, closedUntil)) {
    const oldest = windowAt(DateTime.fromISO(event.occurredDateTime)).start;
    if (oldest < start) start = oldest;
    break;
  }
  const at = isoOf(start);
  return { archivedUntil: at, retainedUntil: at, previous: null };
}
