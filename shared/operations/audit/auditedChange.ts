import { DateTime } from 'luxon';
import type { AuditedTable, AuditEntry, AuditEvent, AuditProbe } from '../../store/auditLog';
import type { TableKey } from '../../store/tableKeys';
import { begunOf, markingWrites, type MarkedVersion, type WriterMark, type Writers } from '../../store/writerMarks';
import { eventsWrittenAhead, type DueItem, type ExpirationKind, type WrittenAhead } from '../../store/dueWork';
import type { ItemOutcome } from '../lifecycle/sweepDueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * How long a change may take between its event written ahead and its own writes: far longer than an HTTP call runs
 * (230 s at most on Azure) or a single change of a sweep takes. Only after this does the sweep decide for it.
 */
export const AUDIT_SETTLE_MINUTES = 15;

/**
 * "No change may exist without its event" (DESIGN §1) where the change's table cannot hold the event in the same
 * transaction (the administrative entities: catalogs, packages, policies, roles, organizations, settings,
 * workflows, reviews, HR state). The event is written ahead, into the expiration sweep's due-time index, with where
 * the change will show; then the change is made; then the event is appended and its write-ahead item deleted. A
 * process stopped after the change leaves the item: when it falls due, the sweep looks where the change would show
 * and appends the event if it is there (completeAuditEvent). A change that failed takes its item back; one that
 * stopped before its writes leaves an item the sweep drops. A change that answers UNCHANGED did nothing and has no
 * event. Answers what `change` answers. `replaces`: the change is a replacement on this marked version of the probe's
 * document (its ETag), so that one refused there is told by the marks not to show (writtenBy), whatever the content.
 */
export async function audited<R>(deps: Pick<EntitlementDeps, 'audit' | 'due' | 'clock'>, entry: AuditEntry, probe: AuditProbe, change: () => Promise<R>, replaces?: MarkedVersion): Promise<R> {
  const event = deps.audit.event(entry);
  const mark = { eventId: event.id, at: deps.clock.now().toUTC().toISO()! };
  const item = writeAheadTogether(deps, [event], probe, mark.at, replaces);
  await deps.due.schedule(item);
  let result: R;
  try {
    // Its mark on what it writes tells the sweep, should this process stop, whether the change that shows is this one.
    result = await markingWrites(mark, deps.clock, change);
  } catch (error) {
    // A change of several writes may have made some before it failed (or made its first one and lost the answer):
    // what shows now decides. Should that look fail too, the item stays and the sweep decides the same way later.
    await settleFailedChange(deps, item).catch(() => undefined);
    throw error;
  }
  if (result !== UNCHANGED) await deps.audit.append(event);
  // Deleted by its keys, unread: one round trip.
  await deps.due.unscheduleAll([item]);
  return result;
}

/** A due item that holds an event (or the events of one change) written ahead, with where the change shows. */
export type WriteAheadItem = DueItem<ExpirationKind> & { audit: WrittenAhead };

/** The due item that holds an event written ahead of its change, until the change shows and the event is appended. */
/** `markedAt`: the change marks what it writes (writerMarks.ts), its marks bearing this time; absent, it does not. */
export function writeAheadItem(deps: Pick<EntitlementDeps, 'clock'>, event: AuditEvent, probe: AuditProbe, markedAt?: string): WriteAheadItem {
  return writeAheadTogether(deps, [event], probe, markedAt);
}

/**
 * The one due item that holds all the events of one change written ahead (a bulk grant's four: one row written and
 * one deleted, not four of each), appended together if the change shows, dropped together if not. The first event
 * stands for the change: its id is the mark the change's writes bear (`markedAt`), and a probe comparing content
 * compares the first event's `before` and the last's `after`. A single event is written as the previous version wrote
 * it (kind `auditEvent`). `replaces`: the change is a replacement on this marked version of the probe's document.
 */
export function writeAheadTogether(deps: Pick<EntitlementDeps, 'clock'>, events: readonly AuditEvent[], probe: AuditProbe, markedAt?: string, replaces?: MarkedVersion): WriteAheadItem {
  const [first] = events;
  if (!first) throw new Error('No event to write ahead.');
  const where = { probe, ...(markedAt === undefined ? {} : { markedAt }), ...(replaces ? { replaces } : {}) };
  const item = { dueDateTime: settleTime(deps), entityId: first.id, detail: '' };
  if (events.length === 1) return { kind: 'auditEvent', ...item, audit: { event: first, ...where } };
  return { kind: 'auditEvents', ...item, audit: { events: [...events], ...where } };
}

const settleTime = (deps: Pick<EntitlementDeps, 'clock'>) => deps.clock.now().plus({ minutes: AUDIT_SETTLE_MINUTES }).toUTC().toISO()!;

async function settleFailedChange(deps: Pick<EntitlementDeps, 'audit' | 'due'>, item: WriteAheadItem): Promise<void> {
  const made = await failedChangeMade(deps, item);
  if (made === 'unknown') return;
  if (made === 'yes') await deps.audit.appendAll(eventsWrittenAhead(item.audit));
  await deps.due.unschedule(item);
}

/** What a change answers when it found nothing to do (already so): no event then. */
export const UNCHANGED = Symbol('unchanged');

/**
 * The expiration sweep's handler of events written ahead (one, or one change's several): appended if their change
 * shows, dropped if not. Appending is idempotent (an event's keys follow from it), so an item whose writer appended
 * some or all of its events and stopped before deleting it appends each of them once.
 */
export async function completeAuditEvent(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<ItemOutcome> {
  if (!item.audit) return 'stale';
  if (!(await shows(deps, item.audit))) return 'stale';
  await deps.audit.appendAll(eventsWrittenAhead(item.audit));
  return 'processed';
}

/**
 * Whether the change of an event written ahead (its item, as writeAheadItem builds it) was made all the same after
 * its write failed (its answer lost): `yes` or `no` as its probe shows now; `unknown` when that read fails too (storage
 * away). Then nothing may be decided: the event is neither appended nor given up, and its item is left for the sweep
 * (completeAuditEvent), which asks the same once settled.
 */
export async function failedChangeMade(deps: Pick<EntitlementDeps, 'audit'>, item: WriteAheadItem): Promise<'yes' | 'no' | 'unknown'> {
  try {
    return (await shows(deps, item.audit)) ? 'yes' : 'no';
  } catch {
    return 'unknown';
  }
}

/** Whether the change of events written ahead shows where their probe looks: the document and its writers, one read. */
async function shows(deps: Pick<EntitlementDeps, 'audit'>, ahead: WrittenAhead): Promise<boolean> {
  const { probe, markedAt, replaces } = ahead;
  const events = eventsWrittenAhead(ahead);
  const change = { id: events[0]!.id, before: events[0]!.before, after: events.at(-1)!.after };
  const { document, writers } = await deps.audit.writtenAt(probe);
  // Only a change that marked its writes can be told apart by the marks: another's writes carry none of its own.
  return changeShows(probe, change, document, writers && markedAt !== undefined ? { writers, mark: { eventId: change.id, at: markedAt }, ...(replaces ? { replaces } : {}) } : undefined);
}

/**
 * Whether the document as it is now shows the change: created (there), deleted (gone), or changed (no longer what
 * the event saw before it; a later change on top of it also counts, that later change having read this one). With
 * the document's audited writers (writerMarks.ts), a created or changed document that provably does not carry this
 * change does not show it, whatever its content: another writer's change after this process stopped before its own.
 */
export function changeShows(
  probe: AuditProbe,
  event: Pick<AuditEvent, 'before' | 'after'>,
  current: unknown,
  marked?: { writers: Writers; mark: WriterMark; replaces?: MarkedVersion },
): boolean {
  if (probe.shows === 'absent') return current === undefined;
  const written = marked ? writtenBy(marked.writers, marked.mark, marked.replaces) : 'unknown';
  if (written !== 'unknown') return written === 'yes' && current !== undefined;
  if (probe.shows === 'present') return current !== undefined;
  if (probe.field !== undefined) return current !== undefined && JSON.stringify(fieldOf(current, probe.field)) === JSON.stringify(fieldOf(event.after, probe.field));
  return current !== undefined && JSON.stringify(current) !== JSON.stringify('was' in probe ? probe.was : event.before);
}

const fieldOf = (document: unknown, field: string): unknown => (typeof document === 'object' && document !== null ? (document as Record<string, unknown>)[field] : undefined);

/**
 * Whether the writers show this event's change: `yes`, its mark is there; `no`, their marks go back to a write
 * before this change can have been made (begun more than the settle time before its event was written ahead: a write
 * that began after it, even one that reset the marks, shows a later `since`), or, for a replacement on a marked
 * version (`replaces`), still hold that version's mark in marks begun when its were (the replacement could only have
 * landed right on it, and would have been carried forward, the oldest marks dropped first), and its mark is not among
 * them; `unknown` otherwise (the marks begin
 * too late to tell), when what the document holds decides, as without marks.
 */
export function writtenBy(writers: Writers, mark: WriterMark, replaces?: MarkedVersion): 'yes' | 'no' | 'unknown' {
  if (writers.marks.some((m) => m.eventId === mark.eventId)) return 'yes';
  if (replaces && begunOf(writers) === replaces.begun && writers.marks.some((m) => m.eventId === replaces.mark.eventId)) return 'no';
  const since = DateTime.fromISO(writers.since, { zone: 'utc' });
  return since.isValid && since <= DateTime.fromISO(mark.at, { zone: 'utc' }).minus({ minutes: AUDIT_SETTLE_MINUTES }) ? 'no' : 'unknown';
}

/** The probe of a document by its keys. */
export function shownIn(table: AuditedTable, document: { partitionKey: TableKey; rowKey: TableKey }, shows: AuditProbe['shows']): AuditProbe {
  return { table, partitionKey: document.partitionKey, rowKey: document.rowKey, shows };
}
