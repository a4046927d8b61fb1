import { audited, shownIn, UNCHANGED } from '../audit/auditedChange';
import { DateTime } from 'luxon';
import { windowAt, type ArchiveWindow } from '../../domain/archive/archiveLayout';
import { isDomainError } from '../../domain/errors';
import { SYSTEM_ACTOR, type AssignmentRequest, type RequestState } from '../../domain/requests/assignmentRequest';
import type { AuditEvent } from '../../store/auditLog';
import type { StoredDocument } from '../../store/documentTable';
import { effectOf } from '../requests/fulfilRequest';
import { readArchivedFile } from './archiveFiles';
import type { ArchiveDeps } from './archiveDeps';
import { readDigest } from './archiveWindow';

/** The requests retention removes: finished, as DELETE assignmentRequests/{id} allows (requestActions.ts). */
const REMOVABLE: ReadonlySet<RequestState> = new Set(['delivered', 'denied', 'canceled']);
/**
 * A request's completion and the event recording it are stamped a moment apart, and may fall either side of an
 * hour: a request found through its hour's events counts as old enough when it completed up to this much after.
 */
const COMPLETION_SLACK_MS = 5 * 60_000;
/** How many events are removed at a time. */
const REMOVE_BATCH = 100;

export interface RetentionCounts {
  eventsRemoved: number;
  /** Events in an hour past retention that no archive holds (appended late before late events were archived): kept. */
  unarchivedKept: number;
  requestsRemoved: number;
}

/** The hour whose events leave the hot table when `window` is archived: the one `retentionDays` before it. */
export const retiredWindow = (deps: ArchiveDeps, window: ArchiveWindow) => windowAt(window.start.minus({ days: deps.archive.retentionDays }));

/**
 * The completed requests that leave the hot table with `window`'s run, for its requests files. They are found
 * through the events of the hour retention retires with it (a request's completion is an event of that hour), so no
 * run scans every request; the order is that of their first event there, so the same hour gives the same list. A
 * request that made an assignment still active stays (as DELETE assignmentRequests/{id} refuses it too).
 */
export async function* requestsDue(deps: ArchiveDeps, window: ArchiveWindow): AsyncGenerator<StoredDocument<AssignmentRequest>> {
  if (deps.archive.retentionDays <= 0) return;
  const retired = retiredWindow(deps, window);
  const cutoff = retired.end.plus(COMPLETION_SLACK_MS);
  const seen = new Set<string>();
  for await (const event of deps.audit.between(retired.start, retired.end)) {
    if (event.entityType !== 'assignmentRequest' || seen.has(event.entityId)) continue;
    seen.add(event.entityId);
    const stored = await deps.grants.findRequest(event.entityId);
    if (stored && (await isRemovable(deps, stored.value, cutoff))) yield stored;
  }
}

async function isRemovable(deps: ArchiveDeps, request: AssignmentRequest, cutoff: DateTime): Promise<boolean> {
  if (!REMOVABLE.has(request.state) || request.completedDateTime === null) return false;
  if (DateTime.fromISO(request.completedDateTime) >= cutoff) return false;
  if (effectOf(request) !== 'add' || !request.assignmentId) return true;
  const assignment = await deps.grants.assignmentOf(request.targetId, request.assignmentId);
  return !assignment || assignment.value.state === 'expired';
}

/**
 * Retention after `window` is archived: the requests its digest archived leave the hot table (each only if unchanged
 * since, with an audit event), then the events of the hour it retires, each only if that hour's archive holds it
 * (files checked against their digest first), and the late events that hour's late files hold. An event appended
 * late is kept until the hour it was appended in retires; one appended late before late events were archived
 * (no `archiveHour`) is in no archive and is kept (`unarchivedKept`).
 */
export async function retain(deps: ArchiveDeps, window: ArchiveWindow, hold: () => Promise<void>): Promise<RetentionCounts> {
  const counts: RetentionCounts = { eventsRemoved: 0, unarchivedKept: 0, requestsRemoved: 0 };
  if (deps.archive.retentionDays <= 0) return counts;
  const digest = await readDigest(deps, window);
  if (!digest) throw new Error(`The digest of ${window.start.toISO()} is not in the archive; retention waits for it.`);
  for (const file of digest.files.filter((f) => f.kind === 'requests')) {
    for (const archived of await readArchivedFile<AssignmentRequest>(deps.archive.container, file)) {
      if (await removeRequest(deps, archived, hold)) counts.requestsRemoved++;
    }
  }
  const retired = retiredWindow(deps, window);
  const retiredDigest = await readDigest(deps, retired);
  if (!retiredDigest) return counts;
  // The late events this hour archived (their own hours older still) leave as its late files hold them; read (and
  // checked) before anything is removed. Late events are the few a crash or a repair left behind.
  const late: AuditEvent[] = [];
  for (const file of retiredDigest.files.filter((f) => f.kind === 'late')) late.push(...(await readArchivedFile<AuditEvent>(deps.archive.container, file)));
  const archivedIds = new Set<string>();
  for (const file of retiredDigest.files.filter((f) => f.kind === 'events')) {
    for (const event of await readArchivedFile<AuditEvent>(deps.archive.container, file)) archivedIds.add(event.id);
  }
  let batch: AuditEvent[] = [];
  const removeBatch = async () => {
    await hold();
    await deps.audit.remove(batch);
    counts.eventsRemoved += batch.length;
    batch = [];
  };
  for await (const event of deps.audit.between(retired.start, retired.end)) {
    if (!archivedIds.has(event.id)) {
      // Appended late (archiveHour): the hour it was appended in archived it, and removes it when it retires.
      if (event.archiveHour === undefined) counts.unarchivedKept++;
      continue;
    }
    batch.push(event);
    if (batch.length === REMOVE_BATCH) await removeBatch();
  }
  for (const event of late) {
    batch.push(event);
    if (batch.length === REMOVE_BATCH) await removeBatch();
  }
  if (batch.length > 0) await removeBatch();
  await deps.audit.forgetLate(retired.start);
  return counts;
}

/** Removes a request the archive holds, if it is still as archived (on its ETag): its pointers go after it. */
async function removeRequest(deps: ArchiveDeps, archived: AssignmentRequest, hold: () => Promise<void>): Promise<boolean> {
  const stored = await deps.grants.findRequest(archived.id);
  if (!stored || JSON.stringify(stored.value) !== JSON.stringify(archived)) return false;
  await hold();
  const entry = { actorId: SYSTEM_ACTOR, action: 'deleteRequest', entityType: 'assignmentRequest', entityId: archived.id, before: archived, after: null };
  const removed = await audited(deps, entry, shownIn('accessGrants', stored, 'absent'), async () => {
    try {
      await deps.grants.requests.delete(stored);
      return true;
    } catch (error) {
      if (isDomainError(error) && error.code === 'concurrencyConflict') return UNCHANGED;
      throw error;
    }
  });
  if (removed === UNCHANGED) return false;
  await deps.grants.unindexRequest(archived);
  return true;
}
