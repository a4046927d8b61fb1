import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { currentAuditScope, type Initiator } from '../auditScope';
import { mapConcurrently } from '../concurrently';
import { recordsFailure } from '../domain/audit/failureEvents';
import type { Clock } from '../domain/clock';
import { DocumentTable, writersOf, type StoredDocument } from './documentTable';
import type { Writers } from './writerMarks';
import { allOf, filter, type ODataFilter } from './odataFilter';
import { ignoreExisting, ignoreMissing } from './storeErrors';
import { AuditSequencer, type AuditSequence } from './auditSequence';
import { newestFirstAcrossShards, type AuditPosition } from './auditShardReads';
import { tableKey, type TableKey } from './tableKeys';
import { utcMillisOf } from '../domain/utcIsoTimes';
import { MAX_TRANSACTION_SIZE, measuredWrites, transactionsOf } from './transactionsOf';
import type { Tables } from './tables';

export type { Initiator } from '../auditScope';

/** One state change: who, what, when, and the entity before and after. */
export interface AuditEvent {
  id: string;
  occurredDateTime: string;
  actorId: string;
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
  /** Shared by every event of one HTTP request or one timer run. */
  correlationId: string;
  initiator: Initiator;
  result: AuditResult;
  /** The catalog the change concerns, so the catalog's owners and readers can be shown it; null when none. */
  catalogId: string | null;
  /** Its place in its writer's sequence (auditSequence.ts); absent on events written before it was kept. */
  sequence?: AuditSequence;
  /**
   * Set on an event appended after its own hour had ended (a change written ahead and completed by the sweep, an
   * outbox repaired): the hour (its start, ISO) during which it was appended, whose digest archives it as a late
   * event. Its own hour's archive leaves it out, so the event is archived once, whenever its hour is archived.
   */
  archiveHour?: string;
}

export type AuditResult = 'success' | 'failure';

/** An event's content, before its id, time and context are fixed. */
export type AuditEntry = Omit<AuditEvent, 'id' | 'occurredDateTime' | 'correlationId' | 'initiator' | 'result' | 'catalogId' | 'sequence' | 'archiveHour'> & {
  result?: AuditResult;
  /** Set when neither the entity (a catalog) nor its before/after (their `catalogId`) says which catalog it is in. */
  catalogId?: string | null;
};

/**
 * Where a change recorded ahead of time (auditedChange.ts) shows once made: a document, and whether it then exists,
 * is gone, or differs from the event's `before`. Tables are named as `tables.get` takes them.
 */
export interface AuditProbe {
  table: AuditedTable;
  partitionKey: TableKey;
  rowKey: TableKey;
  shows: 'present' | 'absent' | 'changed';
  /** For `changed`, when the event's `before` is not the document's (a summary of many): the document as it was. */
  was?: unknown;
  /**
   * For `changed`, when the change is one field of the document (the event's `before` and `after` hold it alone):
   * the change shows while the document holds the field as `after` has it (absent when `after` has it not), whatever
   * else another write changed meanwhile.
   */
  field?: string;
}
export type AuditedTable =
  | 'catalogs'
  | 'catalogResources'
  | 'resourceRequests'
  | 'resourceRoles'
  | 'resourceScopes'
  | 'accessPackages'
  | 'assignmentPolicies'
  | 'resourceRoleScopes'
  | 'incompatibilities'
  | 'settings'
  | 'roleAssignments'
  | 'connectedOrganizations'
  | 'accessGrants'
  | 'accessReviews'
  | 'workflows'
  | 'workflowRuns'
  | 'hrEvents'
  | 'heldEmployeeChanges'
  | 'attributeOverrides'
  | 'accessPackageSubjects'
  | 'parkedWork';

/** What a read of the log may be narrowed to by the table itself (the fields kept beside each event). */
export interface AuditSelection {
  /** `from <= occurredDateTime`. */
  from?: DateTime;
  /** `occurredDateTime < to`. */
  to?: DateTime;
  correlationId?: string;
  initiatorId?: string;
  /** Only events of these catalogs (a catalog owner's view). */
  catalogIds?: readonly string[];
}

export type { AuditPosition } from './auditShardReads';

/**
 * Partitions (issue 19 item 6). One partition per day took every event of a burst, and a partition serves about
 * 2,000 entities/s. Events are now spread over SHARDS partitions per minute by a hash of their id, so a burst is
 * served by SHARDS partitions at once (8 × 2,000/s, close to the account's own 20,000 entities/s), and a minute's
 * partition holds at most what one partition can take in a minute.
 *
 * Keys run newest first: PartitionKey `<shard>|<inverted minute>`, RowKey `<inverted millisecond>|<id>`. Within
 * one shard, PartitionKey and RowKey then sort the same way, so one range query per shard reads a time range
 * newest first across minutes without visiting empty ones: the API's default order (`activityDateTime desc`) is
 * SHARDS queries merged, each resumed at the cursor, whatever the table's size. Oldest first (`between`, for the
 * archive) walks each shard's non-empty minutes (one one-row query each) and reads them oldest minute first, a
 * minute in memory at a time.
 */
export const AUDIT_SHARDS = 8;
const MAX_MINUTE = 99_999_999;
const MAX_MILLIS = 9_999_999_999_999;
const HOUR_MS = 3_600_000;

/** Where a late event is, listed under the hour that archives it (AuditEvent.archiveHour). */
type LateEventMark = Pick<AuditEvent, 'id' | 'occurredDateTime'>;

export class AuditLog {
  readonly #events: DocumentTable<AuditEvent>;
  readonly #late: DocumentTable<LateEventMark>;
  #lastTime: DateTime | undefined;
  readonly #sequencer = new AuditSequencer();

  constructor(private readonly tables: Tables, private readonly clock: Clock) {
    this.#events = new DocumentTable(() => tables.get('auditEvents'), 'audit event', (e) => ({
      entityType: e.entityType,
      entityId: e.entityId,
      action: e.action,
      occurredDateTime: e.occurredDateTime,
      correlationId: e.correlationId ?? '',
      initiatorId: e.initiator?.id ?? e.actorId,
      catalogId: e.catalogId ?? '',
    }));
    this.#late = new DocumentTable(() => tables.get('auditLateEvents'), 'late audit event');
  }

  async record(entry: AuditEntry): Promise<AuditEvent> {
    const event = this.event(entry);
    await this.append(event);
    return event;
  }

  /**
   * An event with its id, time and context fixed now, to be written with the change it records (auditOutbox.ts,
   * auditedChange.ts) and appended after. Two changes made one after the other within a millisecond get times in that
   * order (the log is read in time order, and a request's latest event must be its latest change). With `near`, the
   * event goes to that event's shard, so the two share a partition (within a minute) and can be appended together.
   */
  event(entry: AuditEntry, near?: Pick<AuditEvent, 'id'>): AuditEvent {
    const now = this.clock.now().toUTC();
    const at = this.#lastTime !== undefined && now <= this.#lastTime ? this.#lastTime.plus({ milliseconds: 1 }) : now;
    this.#lastTime = at;
    const scope = currentAuditScope();
    const { result, catalogId, ...content } = entry;
    return {
      id: near === undefined ? randomUUID() : idInShard(shardOf(near.id)),
      occurredDateTime: at.toISO() ?? '',
      ...content,
      correlationId: scope?.correlationId ?? randomUUID(),
      initiator: scope?.initiator?.id === entry.actorId ? scope.initiator : initiatorOf(entry.actorId),
      result: result ?? (recordsFailure(entry) ? 'failure' : 'success'),
      catalogId: catalogId !== undefined ? catalogId : catalogOf(entry),
      sequence: this.#sequencer.next(),
    };
  }

  /**
   * Appends an event under keys that follow from its id and time alone, so appending it again (an outbox flushed
   * twice, by its writer and by a repair) finds it there and is done. An event whose hour has ended is late: its
   * own hour may be archived already. It is stored with the hour it is appended in (`archiveHour`), and listed
   * under that hour first, so that hour's digest archives it (a listing without its event is passed over there).
   */
  async append(event: AuditEvent): Promise<void> {
    const stored = this.#asAppendedNow(event);
    if (stored.archiveHour !== undefined) {
      const mark = { id: event.id, occurredDateTime: event.occurredDateTime };
      await this.#late.insert(tableKey(stored.archiveHour), AuditLog.rowOf(event), mark).catch(ignoreExisting);
    }
    await this.#events.insert(AuditLog.partitionOf(event), AuditLog.rowOf(event), stored).catch(ignoreExisting);
    this.#sequencer.appended(event.sequence);
  }

  /**
   * Events built here (`event`) and given up: their change was not made and their write-ahead item is taken back, so
   * they will never be appended. Later events list their numbers in runs (auditSequence.ts).
   */
  burned(events: readonly AuditEvent[]): void {
    this.#sequencer.burned(events.map((event) => event.sequence));
  }

  /**
   * Appends many events (a bulk source's, a benchmark's seed), one transaction per partition and hundred: events
   * spread over the shards still share their shard's partition within a minute, so a burst of N costs about
   * N/100 + SHARDS writes, not N. Large events cut a batch sooner, under Table Storage's 4 MiB a transaction
   * (transactionsOf.ts). An event already there fails its batch, which is then appended one by one; late events
   * (append) are appended one by one.
   */
  async appendAll(events: readonly AuditEvent[]): Promise<void> {
    const late: AuditEvent[] = [];
    const onTime: AuditEvent[] = [];
    for (const event of events) (this.#asAppendedNow(event).archiveHour !== undefined ? late : onTime).push(event);
    // One too large to write is refused in its batch, and appended alone it reports why.
    const { bytesOf, writeOf } = measuredWrites((event: AuditEvent) => this.#events.insertion(AuditLog.partitionOf(event), AuditLog.rowOf(event), event));
    const batches = transactionsOf(onTime, AuditLog.partitionOf, MAX_TRANSACTION_SIZE, bytesOf);
    await mapConcurrently(batches, async (batch) => {
      try {
        await this.#events.together(batch.map(writeOf));
        for (const event of batch) this.#sequencer.appended(event.sequence);
      } catch {
        for (const event of batch) await this.append(event);
      }
    });
    await mapConcurrently(late, (event) => this.append(event));
  }

  /**
   * The late events archived with the hour starting at `hour`: those appended during it after their own hour had
   * ended, oldest first (as an hour's events are). Only their listings are held in memory, not the events.
   */
  async *appendedLate(hour: DateTime): AsyncGenerator<AuditEvent> {
    const archiveHour = hourOf(hour);
    // RowKeys run newest first: reversed, oldest first, ties as `between` orders them.
    const marks = (await this.#late.list({ partitionKey: tableKey(archiveHour) })).reverse();
    for (const mark of marks) {
      const event = await this.find(mark.value.id, DateTime.fromISO(mark.value.occurredDateTime, { zone: 'utc' }));
      if (event?.archiveHour === archiveHour) yield event;
    }
  }

  /** Forgets the listings of the late events archived with `hour` (retention, once they have left the hot table). */
  async forgetLate(hour: DateTime): Promise<void> {
    const marks = await this.#late.list({ partitionKey: tableKey(hourOf(hour)) });
    for (let i = 0; i < marks.length; i += 100) await this.#late.together(marks.slice(i, i + 100).map((mark) => this.#late.deletion(mark)));
  }

  /** The event as appended now: with the hour it is appended in when its own hour is over (late). */
  #asAppendedNow(event: AuditEvent): AuditEvent {
    if (event.archiveHour !== undefined) return event;
    const now = this.clock.now();
    const ownHourEnd = (Math.floor(utcMillisOf(event.occurredDateTime) / HOUR_MS) + 1) * HOUR_MS;
    return now.toMillis() >= ownHourEnd ? { ...event, archiveHour: hourOf(now) } : event;
  }

  /** One UTC day's events, oldest first. */
  async ofDay(day: string): Promise<AuditEvent[]> {
    const start = DateTime.fromISO(day, { zone: 'utc' }).startOf('day');
    const events: AuditEvent[] = [];
    for await (const event of this.between(start, start.plus({ days: 1 }))) events.push(event);
    return events;
  }

  /**
   * The events with `from <= occurredDateTime < to`, oldest first, a minute of events in memory at a time (a minute
   * holds at most what SHARDS partitions take in one), never the whole range. The archive and retention read through
   * this alone, so the partition layout can change behind it.
   */
  async *between(from: DateTime, to: DateTime): AsyncGenerator<AuditEvent> {
    if (to <= from) return;
    const start = from.toUTC().toISO() ?? '';
    const end = to.toUTC().toISO() ?? '';
    const minutes = await mapConcurrently(shards(), (shard) => this.#busyMinutes(shard, from, to));
    const byMinute = new Map<string, number[]>();
    minutes.forEach((list, shard) => list.forEach((minute) => byMinute.set(minute, [...(byMinute.get(minute) ?? []), shard])));
    // Inverted minutes: the largest is the oldest.
    for (const minute of [...byMinute.keys()].sort().reverse()) {
      const parts = await mapConcurrently(byMinute.get(minute)!, (shard) => this.#events.list({ partitionKey: tableKey(String(shard), minute) }));
      const events = parts
        .flat()
        .map((d) => d.value)
        .filter((e) => e.occurredDateTime >= start && e.occurredDateTime < end)
        .sort(oldestFirst);
      yield* events;
    }
  }

  /**
   * The events selected, newest first, from `position` on: SHARDS range queries merged, each reading pages of about
   * `pageSize` with at most `maxQueriesPerShard` storage queries, so a page of the API costs a bounded number of
   * round trips at any size of the table, however little the table's filter matches. Answers each event with the
   * position that resumes after it; ends with undefined at the end of the log, or with the position reached when a
   * shard ran out of queries (newestFirstAcrossShards).
   */
  newestFirst(
    selection: AuditSelection,
    pageSize: number,
    maxQueriesPerShard: number,
    position?: AuditPosition,
  ): AsyncGenerator<{ event: AuditEvent; position: AuditPosition }, AuditPosition | undefined> {
    const query = (shard: number, after: string | undefined, continuationToken: string | undefined) =>
      this.#events.page({ filter: this.#shardRange(shard, selection, after), pageSize, continuationToken });
    return eventsOf(newestFirstAcrossShards(AUDIT_SHARDS, position, query, maxQueriesPerShard));
  }

  /** Deletes events that are kept elsewhere (retention after archiving); an event already gone is no error. */
  async remove(events: readonly AuditEvent[]): Promise<void> {
    await mapConcurrently(events, async (event) => {
      const document = { partitionKey: AuditLog.partitionOf(event), rowKey: AuditLog.rowOf(event) };
      await this.#events.together([this.#events.deletion(document)]).catch(ignoreMissing);
    });
  }

  /** One event, by its id and time (both are in its keys, so this is one point read). */
  async find(id: string, occurredAt: DateTime): Promise<AuditEvent | undefined> {
    const at = { id, occurredDateTime: occurredAt.toUTC().toISO() ?? '' };
    const found = await this.#events.get(AuditLog.partitionOf(at), AuditLog.rowOf(at));
    return found?.value.id === id ? found.value : undefined;
  }

  /** The document a probe names, as stored now (undefined when there is none). */
  async documentAt(probe: AuditProbe): Promise<unknown> {
    return (await this.writtenAt(probe)).document;
  }

  /** documentAt, with the audited writers the document carries (writerMarks.ts): the same one read. */
  async writtenAt(probe: AuditProbe): Promise<{ document: unknown; writers?: Writers }> {
    const table = new DocumentTable<object>(() => this.tables.get(probe.table), 'audited document');
    const stored = await table.get(probe.partitionKey, probe.rowKey);
    const writers = stored && writersOf(stored);
    return { document: stored?.value, ...(writers ? { writers } : {}) };
  }

  static partitionOf(event: Pick<AuditEvent, 'occurredDateTime' | 'id'>): TableKey {
    return tableKey(String(shardOf(event.id)), invertedMinute(utcMillisOf(event.occurredDateTime)));
  }

  static rowOf(event: Pick<AuditEvent, 'occurredDateTime' | 'id'>): TableKey {
    return tableKey(invertedMillis(utcMillisOf(event.occurredDateTime)), event.id);
  }

  /** The minutes (inverted) of `[from, to)` in which the shard has events: one one-row query per such minute. */
  async #busyMinutes(shard: number, from: DateTime, to: DateTime): Promise<string[]> {
    const minutes: string[] = [];
    const newest = tableKey(String(shard), invertedMinute(to.toMillis() - 1));
    const oldest = tableKey(String(shard), invertedMinute(from.toMillis()));
    for (;;) {
      const last = minutes.at(-1);
      const range = last === undefined ? filter`PartitionKey ge ${newest} and PartitionKey le ${oldest}` : filter`PartitionKey gt ${tableKey(String(shard), last)} and PartitionKey le ${oldest}`;
      const [found] = await this.#events.list({ filter: range, limit: 1 });
      if (!found) return minutes;
      minutes.push(found.partitionKey.slice(found.partitionKey.indexOf('|') + 1));
    }
  }

  #shardRange(shard: number, selection: AuditSelection, after: string | undefined): ODataFilter {
    // The newest partition that can hold a match: the range's end, or the minute of the row to resume after.
    const newestMinute = [selection.to ? invertedMinute(selection.to.toMillis() - 1) : '0', after === undefined ? '0' : minuteOfRow(after)].sort().at(-1)!;
    const newest = tableKey(String(shard), newestMinute);
    const oldest = tableKey(String(shard), selection.from ? invertedMinute(selection.from.toMillis()) : '9');
    const partitions = filter`PartitionKey ge ${newest} and PartitionKey le ${oldest}`;
    // `occurredDateTime` is kept beside the document: the ISO strings compare as the times do.
    const from = selection.from && filter`occurredDateTime ge ${selection.from.toUTC().toISO()}`;
    const to = selection.to && filter`occurredDateTime lt ${selection.to.toUTC().toISO()}`;
    const resume = after === undefined ? undefined : filter`RowKey gt ${after}`;
    const correlation = selection.correlationId === undefined ? undefined : filter`correlationId eq ${selection.correlationId}`;
    const initiator = selection.initiatorId === undefined ? undefined : filter`initiatorId eq ${selection.initiatorId}`;
    const catalogs = selection.catalogIds === undefined ? undefined : anyCatalog(selection.catalogIds);
    return allOf(partitions, from, to, resume, correlation, initiator, catalogs)!;
  }
}

/** `catalogId` is one of these; no catalog at all matches nothing. */
function anyCatalog(ids: readonly string[]): ODataFilter {
  if (ids.length === 0) return filter`catalogId eq ${'\u0000none'}`;
  return ids.map((id) => `(${filter`catalogId eq ${id}`})`).join(' or ') as ODataFilter;
}

const shards = () => Array.from({ length: AUDIT_SHARDS }, (_, i) => i);

/** FNV-1a of the id: any id (not only a random UUID) spreads evenly, and always to the same shard. */
function shardOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return hash % AUDIT_SHARDS;
}

/** An hour as `archiveHour` names it: its start, UTC, with milliseconds (as the archive writes times). */
const hourOf = (at: DateTime) => at.toUTC().startOf('hour').toISO({ suppressMilliseconds: false }) ?? '';

/** A random id in the given shard: one in AUDIT_SHARDS random ids is, so a few tries find one. */
function idInShard(shard: number): string {
  for (;;) {
    const id = randomUUID();
    if (shardOf(id) === shard) return id;
  }
}

const invertedMinute = (epochMillis: number) => String(MAX_MINUTE - Math.floor(epochMillis / 60_000)).padStart(8, '0');
const invertedMillis = (epochMillis: number) => String(MAX_MILLIS - epochMillis).padStart(13, '0');
/** The inverted minute of a RowKey's time (`<inverted ms>|<id>`): its partition's, in the same shard. */
const minuteOfRow = (rowKey: string) => invertedMinute(MAX_MILLIS - Number(rowKey.slice(0, 13)));

async function* eventsOf(
  documents: AsyncGenerator<{ document: StoredDocument<AuditEvent>; position: AuditPosition }, AuditPosition | undefined>,
): AsyncGenerator<{ event: AuditEvent; position: AuditPosition }, AuditPosition | undefined> {
  for (;;) {
    const step = await documents.next();
    if (step.done) return step.value;
    yield { event: step.value.document.value, position: step.value.position };
  }
}

const oldestFirst = (a: AuditEvent, b: AuditEvent) => a.occurredDateTime.localeCompare(b.occurredDateTime) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** Portcullis itself (`system`) and the HR webhook (`hrWebhook`) act as applications; anyone else named is a user. */
function initiatorOf(actorId: string): Initiator {
  return APPLICATION_ACTORS.has(actorId) ? { kind: 'app', id: actorId, displayName: APPLICATION_ACTORS.get(actorId)! } : { kind: 'user', id: actorId };
}
const APPLICATION_ACTORS = new Map([
  ['system', 'Portcullis'],
  ['hrWebhook', 'Portcullis HR events'],
]);

/** The catalog a change is in: the catalog itself, or the `catalogId` its entity carries (packages, requests, assignments). */
function catalogOf(entry: AuditEntry): string | null {
  if (entry.entityType === 'catalog') return entry.entityId;
  for (const side of [entry.after, entry.before]) {
    if (typeof side === 'object' && side !== null && 'catalogId' in side && typeof side.catalogId === 'string') return side.catalogId;
  }
  return null;
}
