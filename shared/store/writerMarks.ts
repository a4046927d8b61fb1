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
  marks: WriterMark[];
}

/**
 * The version of a document a replacement is made on (on its ETag), as its writers tell: the mark of the write that
 * made it (the innermost change's) and since when the marks go on unbroken. A replacement can only land right on
 * that version, and every marked write after carries the marks it read forward: a document that still carries that
 * mark, with the same `since`, and not the replacement's own, was never written by it.
 */
export interface MarkedVersion {
  mark: WriterMark;
  since: string;
}

/** The version a document read with these writers is (undefined: its last write was unmarked, nothing to tell by). */
export function markedVersion(writers: Writers | undefined): MarkedVersion | undefined {
  const [mark] = writers?.marks ?? [];
  return writers && mark ? { mark, since: writers.since } : undefined;
}

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
 * read without them). A marked write adds its marks in front, or, where the marks before it are not all kept (none
 * read, or more than MARKS_KEPT), starts them afresh since now: the time of this write, not its changes' (a change
 * begun long before, writing after an unmarked write, must not make the marks claim the time in between, when another
 * change may have written and lost its mark to that unmarked write). An unmarked write leaves none: a write made for
 * an audited change outside its mark (prepared before it ran) must not pass for another writer's.
 */
export function writersAfter(previous: Writers | undefined): Writers | undefined {
  const running = marking.getStore();
  if (running === undefined) return undefined;
  const before = (previous?.marks ?? []).filter((m) => !running.marks.some((r) => r.eventId === m.eventId));
  const marks = [...running.marks, ...before].slice(0, MARKS_KEPT);
  const since = previous && marks.length === running.marks.length + before.length ? previous.since : running.clock.now().toUTC().toISO()!;
  return { since, marks };
}
