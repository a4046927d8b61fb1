import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock';
import { DocumentTable } from './documentTable';
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

/**
 * Audit is data, not logs (DESIGN §1): every change appends an event, partitioned by day so reports and archives
 * read a day at a time, ordered by time within it.
 */
export class AuditLog {
  readonly #events: DocumentTable<AuditEvent>;

  constructor(tables: Tables, private readonly clock: Clock) {
    this.#events = new DocumentTable(() => tables.get('auditEvents'), 'audit event', (e) => ({
      entityType: e.entityType,
      entityId: e.entityId,
      action: e.action,
    }));
  }

  async record(event: Omit<AuditEvent, 'id' | 'occurredDateTime'>): Promise<AuditEvent> {
    const now = this.clock.now().toUTC();
    const stored = { id: randomUUID(), occurredDateTime: now.toISO() ?? '', ...event };
    await this.#events.insert(tableKey(now.toFormat('yyyy-MM-dd')), tableKey(stored.occurredDateTime, stored.id), stored);
    return stored;
  }

  async ofDay(day: string): Promise<AuditEvent[]> {
    return (await this.#events.list({ partitionKey: tableKey(day) })).map((d) => d.value);
  }
}
