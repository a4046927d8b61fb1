import { DocumentTable, type StoredDocument } from './documentTable';
import { ignoreExisting } from './storeErrors';
import { tableKey, type TableKey } from './tableKeys';
import type { Tables } from './tables';

/** An HR event waiting for its employee's account to appear in the directory. */
export interface HeldChange<E> {
  event: E;
  heldDateTime: string;
  /** Retries so far: the next waits longer. */
  attempts: number;
}

/**
 * Joiner events held until the account exists (table `heldEmployeeChanges`, one partition per eventId): the due
 * item `heldEmployeeChange` names the event, which is read from here when it comes due.
 */
export class HeldChangeStore<E extends object> {
  readonly #rows: DocumentTable<HeldChange<E>>;

  constructor(tables: Tables) {
    this.#rows = new DocumentTable(() => tables.get('heldEmployeeChanges'), 'held employee change');
  }

  /** Holds the event; holding it again (a retry of the same event) keeps the first. */
  async hold(eventId: string, held: HeldChange<E>): Promise<void> {
    await this.#rows.insert(...keysOf(eventId), held).catch(ignoreExisting);
  }

  find(eventId: string): Promise<StoredDocument<HeldChange<E>> | undefined> {
    return this.#rows.get(...keysOf(eventId));
  }

  replace(stored: StoredDocument<HeldChange<E>>, held: HeldChange<E>): Promise<StoredDocument<HeldChange<E>>> {
    return this.#rows.replace(stored, held);
  }

  /** Where the held event of `eventId` is (or will be) stored. */
  static rowOf(eventId: string): { partitionKey: TableKey; rowKey: TableKey } {
    const [partitionKey, rowKey] = keysOf(eventId);
    return { partitionKey, rowKey };
  }

  release(stored: StoredDocument<HeldChange<E>>): Promise<void> {
    return this.#rows.delete(stored);
  }

  /** Every held event, for an operator. */
  async all(): Promise<HeldChange<E>[]> {
    return (await this.#rows.list()).map((d) => d.value);
  }
}

const keysOf = (eventId: string) => [tableKey(eventId), tableKey('held')] as const;
