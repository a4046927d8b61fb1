import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from '../domain/clock';

/** An audited change's mark on what it writes: its event's id, and when the event was written ahead. */
export interface WriterMark {
  eventId: string;
  at: string;
}

/**
 * The audited writers of a document, newest first, since `since`: every write of it from then on was an audited
 * change's and left its mark here (a marked replacement carries the marks it read forward; any other write drops
 * them). A document that carries them tells the expiration sweep whether a change written ahead is the one that
 * shows (auditedChange.ts), where its content alone cannot tell that change from another writer's. No marks: its last
 * write was unmarked (or made before marks were kept), and its content decides, as before.
 */
export interface Writers {
  since: string;
  /**
   * When these marks began: at their first write, or afresh after an unmarked one. Dropping the oldest marks
   * (MARKS_KEPT) moves `since` but not this, so a version's marks still tell a replacement made on it (writtenBy's
   * `replaces`) once a document has had many writers. Absent on rows last written before it was kept: `since` then.
   */
  begun?: string;
  marks: WriterMark[];
}

/**
 * The version of a document a replacement is made on (on its ETag), as its writers tell: the newest mark it carries
 * and when its marks began (`begun`). A replacement can only land right on that version, putting its mark in front of
 * all of that version's, and every marked write after carries the marks it read forward in their order, dropping the
 * oldest first: a document whose marks began at the same time and still carry that mark, but not the replacement's
 * own, was never written by it. (Items written ahead before `begun` was kept carry `since` instead, and cannot tell: the content decides.)
 */
export interface MarkedVersion {
  mark: WriterMark;
  begun: string;
}

/** The version a document read with these writers is (undefined: its last write was unmarked, nothing to tell by). */
export function markedVersion(writers: Writers | undefined): MarkedVersion | undefined {
  const [mark] = writers?.marks ?? [];
  return writers && mark ? { mark, begun: begunOf(writers) } : undefined;
}

/** When a document's marks began (`since`, for a row last written before `begun` was kept). */
export const begunOf = (writers: Writers): string => writers.begun ?? writers.since;

/** Marks kept a document: the oldest leave first, `since` moving to that write, so what is said stays true. */
const MARKS_KEPT = 16;

/**
 * The marks of the audited changes running (one inside another: each's), as the audit scope is carried
 * (auditScope.ts), and the clock of the innermost, which dates a write that starts the marks afresh.
 */
const marking = new AsyncLocalStorage<{ marks: readonly WriterMark[]; clock: Clock }>();

/** Runs an audited change with its mark (and those of the changes it runs within) on every document it writes. */
export const markingWrites = <R>(mark: WriterMark, clock: Clock, change: () => Promise<R>): Promise<R> =>
  marking.run({ marks: [mark, ...(marking.getStore()?.marks ?? [])], clock }, change);

/**
 * A document's writers once written now, after `previous` (its writers as read; undefined for a new document, or one
 * read without them). A marked write adds its marks in front (one carried already keeps its place), or, where the marks before it are not all kept (none
 * read, or more than MARKS_KEPT), says they go back only to now: the time of this write, not its changes' (a change
 * begun long before, writing after an unmarked write, must not make the marks claim the time in between, when another
 * change may have written and lost its mark to that unmarked write). With none read they begin afresh now; with the
 * oldest dropped they go on, and keep when they began. An unmarked write leaves none: a write made for an audited
 * change outside its mark (prepared before it ran) must not pass for another writer's.
 */
export function writersAfter(previous: Writers | undefined): Writers | undefined {
  const running = marking.getStore();
  if (running === undefined) return undefined;
  const before = previous?.marks ?? [];
  // A mark carried already keeps its place: a change writing again must not move ahead of a replacement made since.
  const added = running.marks.filter((r) => !before.some((m) => m.eventId === r.eventId));
  const marks = [...added, ...before].slice(0, MARKS_KEPT);
  const now = running.clock.now().toUTC().toISO()!;
  const since = previous && marks.length === added.length + before.length ? previous.since : now;
  return { since, begun: previous ? begunOf(previous) : now, marks };
}
