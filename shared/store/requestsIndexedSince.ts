import type { TableClient } from '@azure/data-tables';
import { DateTime } from 'luxon';
import { DocumentTable } from './documentTable';
import { ignoreExisting } from './storeErrors';
import { tableKey } from './tableKeys';

const KEY = tableKey('requestsIndexedSince');

/**
 * When this store first held a request of this build, whose id carries its hour and whose locator its
 * createdDateTime (groupedIds.ts newRequestId): the requests report finds a period's requests by time only from then
 * on. Recorded once per process before its first grant index write (GrantStore), inserted only if absent, so it is the
 * moment the first process of this build began; read once per report. The clock is the real one, not a deps clock:
 * it dates a deployment.
 */
export class RequestsIndexedSince {
  readonly #row: DocumentTable<{ since: string }>;

  constructor(table: () => Promise<TableClient>) {
    this.#row = new DocumentTable(table, 'requests indexing start');
  }

  /** Records now, unless a start is recorded already. */
  async record(): Promise<void> {
    await this.#row.insert(KEY, KEY, { since: DateTime.utc().toISO()! }).catch(ignoreExisting);
  }

  /** The start recorded; undefined while no process of this build has written to the grant index. */
  async read(): Promise<DateTime | undefined> {
    const row = await this.#row.get(KEY, KEY);
    return row && DateTime.fromISO(row.value.since, { zone: 'utc' });
  }
}
