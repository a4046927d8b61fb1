import { randomUUID } from 'node:crypto';
import type { DateTime } from 'luxon';
import { mapConcurrently } from '../concurrently';
import type { Clock } from '../domain/clock';
import { DocumentTable } from './documentTable';
import { filter } from './odataFilter';
import { ignoreExisting, ignoreMissing } from './storeErrors';
import { AuditSequencer, type AuditSequence } from './auditSequence';
import { tableKey, type TableKey } from './tableKeys';
import type { Tables } from './tables';

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
  /** Its place in its writer's sequence (auditSequence.ts); absent on events written before it was kept. */
  sequence?: AuditSequence;
}

/** An event's content, before its id and time are fixed. */
export type AuditEntry = Omit<AuditEvent, 'id' | 'occurredDateTime' | 'sequence'>;

/**
 * Audit is data, not logs (DESIGN §1): every change appends an event, partitioned by day so reports and archives
 * read a day at a time, ordered by time within it.
 */
export class AuditLog {
  readonly #events: DocumentTable<AuditEvent>;
  #lastTime: DateTime | undefined;
  readonly #sequencer = new AuditSequencer();

  constructor(tables: Tables, private readonly clock: Clock) {
    this.#events = new DocumentTable(() => tables.get('auditEvents'), 'audit event', (e) => ({
      entityType: e.entityType,
      entityId: e.entityId,
      action: e.action,
    }));
  }

  async record(entry: AuditEntry): Promise<AuditEvent> {
    const event = this.event(entry);
    await this.append(event);
    return event;
  }

  /**
   * An event with its id and time fixed now, to be written with the change it records (auditOutbox.ts) and appended
   * after. Two changes made one after the other within a millisecond get times in that order (the log is read in
   * time order, and a request's latest event must be its latest change).
   */
  event(entry: AuditEntry): AuditEvent {
    const now = this.clock.now().toUTC();
    const at = this.#lastTime !== undefined && now <= this.#lastTime ? this.#lastTime.plus({ milliseconds: 1 }) : now;
    this.#lastTime = at;
    return { id: randomUUID(), occurredDateTime: at.toISO() ?? '', ...entry, sequence: this.#sequencer.next() };
  }

  /**
   * Appends an event under keys that follow from its id and time alone, so appending it again (an outbox flushed
   * twice, by its writer and by a repair) finds it there and is done.
   */
  async append(event: AuditEvent): Promise<void> {
    await this.#events.insert(AuditLog.partitionOf(event), AuditLog.rowOf(event), event).catch(ignoreExisting);
    this.#sequencer.appended(event.sequence);
  }

  async ofDay(day: string): Promise<AuditEvent[]> {
    return (await this.#events.list({ partitionKey: tableKey(day) })).map((d) => d.value);
  }

  /**
   * The events with `from <= occurredDateTime < to`, oldest first, read a partition at a time so memory stays bounded
   * by a page, not by the range. The archive and retention read through this alone, so the partition layout can change
   * behind it.
   */
  async *between(from: DateTime, to: DateTime): AsyncGenerator<AuditEvent> {
    const start = from.toUTC().toISO() ?? '';
    const end = to.toUTC().toISO() ?? '';
    for (let day = from.toUTC().startOf('day'); day < to; day = day.plus({ days: 1 })) {
      const partitionKey = tableKey(day.toFormat('yyyy-MM-dd'));
      const range = filter`PartitionKey eq ${partitionKey} and RowKey ge ${tableKey(start)} and RowKey lt ${tableKey(end)}`;
      for await (const document of this.#events.iterate({ filter: range })) yield document.value;
    }
  }

  /** Deletes events that are kept elsewhere (retention after archiving); an event already gone is no error. */
  async remove(events: readonly AuditEvent[]): Promise<void> {
    await mapConcurrently(events, async (event) => {
      const document = { partitionKey: AuditLog.partitionOf(event), rowKey: AuditLog.rowOf(event) };
      await this.#events.together([this.#events.deletion(document)]).catch(ignoreMissing);
    });
  }

  static partitionOf(event: Pick<AuditEvent, 'occurredDateTime'>): TableKey {
    return tableKey(event.occurredDateTime.slice(0, 10));
  }

  static rowOf(event: Pick<AuditEvent, 'occurredDateTime' | 'id'>): TableKey {
    return tableKey(event.occurredDateTime, event.id);
  }
}
