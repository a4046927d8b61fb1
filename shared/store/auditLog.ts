import { randomUUID } from 'node:crypto';
import type { DateTime } from 'luxon';
import type { Clock } from '../domain/clock';
import { DocumentTable } from './documentTable';
import { ignoreExisting } from './storeErrors';
import { tableKey } from './tableKeys';
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
}

/** An event's content, before its id and time are fixed. */
export type AuditEntry = Omit<AuditEvent, 'id' | 'occurredDateTime'>;

/**
 * Audit is data, not logs (DESIGN §1): every change appends an event, partitioned by day so reports and archives
 * read a day at a time, ordered by time within it.
 */
export class AuditLog {
  readonly #events: DocumentTable<AuditEvent>;
  #lastTime: DateTime | undefined;

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
    return { id: randomUUID(), occurredDateTime: at.toISO() ?? '', ...entry };
  }

  /**
   * Appends an event under keys that follow from its id and time alone, so appending it again (an outbox flushed
   * twice, by its writer and by a repair) finds it there and is done.
   */
  async append(event: AuditEvent): Promise<void> {
    const day = event.occurredDateTime.slice(0, 10);
    await this.#events.insert(tableKey(day), tableKey(event.occurredDateTime, event.id), event).catch(ignoreExisting);
  }

  async ofDay(day: string): Promise<AuditEvent[]> {
    return (await this.#events.list({ partitionKey: tableKey(day) })).map((d) => d.value);
  }
}
