import { DateTime } from 'luxon';
import { z } from 'zod';
import { isoOf, windowAt, type ArchiveWindow } from '../../domain/archive/archiveLayout';
import type { ArchiveDeps } from './archiveDeps';
import type { Checkpoint } from './archiveAuditLog';
import type { HourFiles } from './archiveWindow';

/**
 * The archive fanned out (issue 20): when several hours are due at once (a first run over a long log, a catch-up
 * after an outage), the timer sends each as a message to the queue `archive-hours`, and the queue function writes
 * the hour's event files on whichever instance takes it, in parallel. The digests stay a chain: hour N's digest
 * names N-1's hash and signature, so they are written in order, by whoever holds the archive's lease (the timer's
 * run, or a shard after writing its files), from the files each shard kept (its HourFiles, saved as the checkpoint
 * of a lease of its own). A shard does not wait for its predecessor: it writes its files, then seals the chain as
 * far as files are ready, stopping at the first hour still being written; that hour's shard seals on from there.
 * Whichever of two neighbours finishes last sees the other's work: a shard saves its files before it looks at
 * the chain, and a run that held the lease looks for the next hour's files after letting it go.
 */

/** The run does one or two hours itself (the hourly case): sending them would only add a queue's round trips. */
export const FAN_OUT_HOURS = 3;

/** Where the timer sends hours to archive: a Storage queue (WorkQueue) whose queue function takes them. */
export interface HourQueue {
  sendAll(hours: readonly ArchiveHourMessage[]): Promise<void>;
  depth(): Promise<number>;
}

export const archiveHourMessage = z.object({ hour: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/) });
export type ArchiveHourMessage = z.infer<typeof archiveHourMessage>;

export const ARCHIVE = 'reportArchive';
export const shardName = (window: ArchiveWindow) => `${ARCHIVE}.hour.${isoOf(window.start)}`;

/** The files a shard wrote for the hour, kept until the chain reaches it; undefined when none are. */
export async function readyHourFiles(deps: ArchiveDeps, window: ArchiveWindow): Promise<HourFiles | undefined> {
  const saved = await deps.sweeps.checkpointOf(shardName(window));
  return saved === null ? undefined : (JSON.parse(saved) as HourFiles);
}

export async function forgetHourFiles(deps: ArchiveDeps, window: ArchiveWindow): Promise<void> {
  await deps.sweeps.forget(shardName(window));
}

/**
 * The timer's sending (under the archive's lease): the closed hours not yet sent, when they are FAN_OUT_HOURS or
 * more; and, once the queue is empty, hours sent before whose files never came (a shard given up on), again.
 */
export async function dispatchHours(
  deps: ArchiveDeps,
  queue: HourQueue,
  position: Checkpoint,
  closedUntil: DateTime,
  hold: () => Promise<void>,
): Promise<{ sent: number; position: Checkpoint }> {
  const archivedUntil = DateTime.fromISO(position.archivedUntil, { zone: 'utc' });
  const dispatchedUntil = position.dispatchedUntil ? DateTime.fromISO(position.dispatchedUntil, { zone: 'utc' }) : archivedUntil;
  const lost: ArchiveWindow[] = [];
  if (dispatchedUntil > archivedUntil && (await queue.depth()) === 0) {
    for (let window = windowAt(archivedUntil); window.start < dispatchedUntil; window = windowAt(window.end)) {
      if (!(await readyHourFiles(deps, window))) lost.push(window);
    }
  }
  const fresh: ArchiveWindow[] = [];
  for (let window = windowAt(dispatchedUntil > archivedUntil ? dispatchedUntil : archivedUntil); window.end <= closedUntil; window = windowAt(window.end)) fresh.push(window);
  const sending = [...lost, ...(fresh.length >= FAN_OUT_HOURS ? fresh : [])];
  if (sending.length === 0) return { sent: 0, position };
  await hold();
  await queue.sendAll(sending.map((window) => ({ hour: isoOf(window.start) })));
  const until = fresh.length >= FAN_OUT_HOURS ? isoOf(fresh.at(-1)!.end) : position.dispatchedUntil;
  return { sent: sending.length, position: { ...position, ...(until ? { dispatchedUntil: until } : {}) } };
}
