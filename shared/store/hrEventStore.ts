import type { HrEvent } from '../domain/hrEvents/hrEvent';
import { DocumentTable, type StoredDocument } from './documentTable';
import { isDomainError } from '../domain/errors';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

/**
 * Where an HR event stands: to be applied now (`pending`) or at its effectiveAt (`scheduled`); then as its effect
 * left it: `applied`, `held` (a joiner waiting for their account, retried by the effect itself), `failed` for good.
 */
export type HrEventState = 'pending' | 'scheduled' | 'applied' | 'held' | 'failed';

/** An HR event as received, kept for ever under its eventId: what makes a repeat a duplicate. */
export interface HrEventRecord {
  event: HrEvent;
  /** The delivery (`webhook-id`) that brought it first. */
  deliveryId: string;
  receivedDateTime: string;
  state: HrEventState;
  /** When it was applied or failed for good. */
  completedDateTime?: string;
  /** What the effect reported, or the last failure's message. */
  outcome?: unknown;
}

/**
 * HR events by eventId (table `hrEvents`) and the deliveries seen within the signature tolerance (table
 * `hrDeliveries`). Both are claimed by inserting a row that must not exist yet, so of two deliveries racing with
 * one event (or one delivery replayed) exactly one wins, whatever instance each reached.
 */
export class HrEventStore {
  readonly #events: DocumentTable<HrEventRecord>;
  readonly #deliveries: DocumentTable<{ receivedDateTime: string }>;

  constructor(tables: Tables) {
    this.#events = new DocumentTable(() => tables.get('hrEvents'), 'HR event', (r) => ({ state: r.state }));
    this.#deliveries = new DocumentTable(() => tables.get('hrDeliveries'), 'HR webhook delivery');
  }

  /** Where an event's record is kept (an audited change's probe names it). */
  static keysOf(eventId: string) {
    return { partitionKey: tableKey(eventId), rowKey: tableKey('event') };
  }

  /** Records the event; undefined when its eventId was recorded before (a duplicate, which is then left alone). */
  async claim(record: HrEventRecord): Promise<StoredDocument<HrEventRecord> | undefined> {
    try {
      const { partitionKey, rowKey } = HrEventStore.keysOf(record.event.eventId);
      return await this.#events.insert(partitionKey, rowKey, record);
    } catch (error) {
      if (isDomainError(error) && error.code === 'alreadyExists') return undefined;
      throw error;
    }
  }

  find(eventId: string): Promise<StoredDocument<HrEventRecord> | undefined> {
    const { partitionKey, rowKey } = HrEventStore.keysOf(eventId);
    return this.#events.get(partitionKey, rowKey);
  }

  /** Saves a new state of a record read before; a concurrency conflict if someone else saved one meanwhile. */
  update(stored: StoredDocument<HrEventRecord>, record: HrEventRecord): Promise<StoredDocument<HrEventRecord>> {
    return this.#events.replace(stored, record);
  }

  /**
   * Remembers a delivery by its id and timestamp; false when the same signed delivery came before (a replay). A
   * sender's own retry signs again with a new timestamp, so it is not a replay: its events are duplicates instead.
   * Rows are partitioned by the minute of the delivery's timestamp, to be forgotten together once no replay of them
   * can pass the tolerance (`forgetDeliveries`).
   */
  async rememberDelivery(deliveryId: string, timestamp: number, receivedDateTime: string): Promise<boolean> {
    try {
      await this.#deliveries.insert(tableKey(deliveryMinute(timestamp)), tableKey(deliveryId, String(timestamp)), { receivedDateTime });
      return true;
    } catch (error) {
      if (isDomainError(error) && error.code === 'alreadyExists') return false;
      throw error;
    }
  }

  /** Forgets the deliveries signed within one minute (`deliveryMinute`); answers how many. */
  async forgetDeliveries(minute: string): Promise<number> {
    const rows = await this.#deliveries.list({ partitionKey: tableKey(minute) });
    for (const row of rows) await this.#deliveries.delete(row);
    return rows.length;
  }
}

/** The minute a delivery timestamp (Unix seconds) falls in, `yyyy-MM-ddTHH:mm` UTC. */
export const deliveryMinute = (timestamp: number) => new Date(timestamp * 1000).toISOString().slice(0, 16);
