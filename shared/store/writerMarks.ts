import { AsyncLocalStorage } from 'node:async_hooks';

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

/** Marks kept a document: the oldest leave first, `since` moving to the oldest kept, so what is said stays true. */
const MARKS_KEPT = 16;

/** The marks of the audited changes running (one inside another: each's), as the audit scope is carried (auditScope.ts). */
const marking = new AsyncLocalStorage<readonly WriterMark[]>();

/** Runs an audited change with its mark (and those of the changes it runs within) on every document it writes. */
export const markingWrites = <R>(mark: WriterMark, change: () => Promise<R>): Promise<R> => marking.run([mark, ...(marking.getStore() ?? [])], change);

/**
 * A document's writers once written now, after `previous` (its writers as read; undefined for a new document, or one
 * read without them). A marked write adds its marks in front, or starts them afresh, since its own mark's time,
 * without the marks before it. An unmarked write leaves none: a write made for an audited change outside its mark
 * (prepared before it ran) must not pass for another writer's.
 */
export function writersAfter(previous: Writers | undefined): Writers | undefined {
  const running = marking.getStore() ?? [];
  if (running.length === 0) return undefined;
  const before = (previous?.marks ?? []).filter((m) => !running.some((r) => r.eventId === m.eventId));
  const marks = [...running, ...before].slice(0, MARKS_KEPT);
  const since = previous && marks.length === running.length + before.length ? previous.since : marks.reduce((oldest, m) => (m.at < oldest ? m.at : oldest), marks[0]!.at);
  return { since, marks };
}
