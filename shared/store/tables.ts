import type { TableClient, TableServiceClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import { type StorageConnection, tableClient, tableServiceClient } from './storageConnection';
import { hasErrorCode, translateStoreError } from './storeErrors';
import type { TableKey } from './tableKeys';

type Entity = { partitionKey: TableKey; rowKey: TableKey } & Record<string, unknown>;

/**
 * Table clients for one storage account, created on first use. A table is created the first time it is asked
 * for, so a fresh account (or a fresh Azurite) needs no set-up. `prefix` keeps several deployments or test runs
 * apart in one account.
 */
export class Tables {
  readonly #connection: StorageConnection;
  readonly #prefix: string;
  readonly #clients = new Map<string, Promise<TableClient>>();
  #service: TableServiceClient | undefined;
  #probe: TableServiceClient | undefined;

  constructor(connection: StorageConnection, prefix = '') {
    this.#connection = connection;
    this.#prefix = prefix;
  }

  /** The client of a table, named without the prefix: `tables.get('catalogs')`. */
  get(name: string): Promise<TableClient> {
    let client = this.#clients.get(name);
    if (!client) {
      client = this.#create(this.#prefix + name);
      // A failed creation (storage briefly down) must not be remembered, or the table would stay unusable.
      client.catch(() => {
        if (this.#clients.get(name) === client) this.#clients.delete(name);
      });
      this.#clients.set(name, client);
    }
    return client;
  }

  /** Answers when storage answers a cheap call; throws otherwise, at once (no retries: health must be quick). */
  async probe(): Promise<void> {
    this.#probe ??= tableServiceClient(this.#connection, { retryOptions: { maxRetries: 0 } });
    await this.#probe.listTables().byPage({ maxPageSize: 1 }).next();
  }

  /** Deletes every table under this prefix (test clean-up). */
  async deleteAll(): Promise<void> {
    if (!this.#prefix) throw new Error('deleteAll needs a table prefix: it would otherwise empty the whole account.');
    for await (const table of this.service().listTables()) {
      if (table.name?.startsWith(this.#prefix)) await this.service().deleteTable(table.name);
    }
    this.#clients.clear();
  }

  service(): TableServiceClient {
    this.#service ??= tableServiceClient(this.#connection);
    return this.#service;
  }

  async #create(tableName: string): Promise<TableClient> {
    const client = tableClient(this.#connection, tableName);
    try {
      await client.createTable();
    } catch (error) {
      if (!hasErrorCode(error, 'TableAlreadyExists')) translateStoreError(error, `table '${tableName}'`);
    }
    return client;
  }
}

/** Inserts an entity that must not exist yet; an existing one is an `alreadyExists` error. */
export async function insertEntity(table: TableClient, entity: Entity, what: string): Promise<string> {
  try {
    return etagOf(await table.createEntity(entity));
  } catch (error) {
    return translateStoreError(error, what);
  }
}

/**
 * Replaces an entity only if it is unchanged since it was read (its ETag); a change in between is a
 * `concurrencyConflict`, a deleted entity `notFound`. Returns the new ETag.
 */
export async function replaceEntity(table: TableClient, entity: Entity, etag: string, what: string): Promise<string> {
  try {
    return etagOf(await table.updateEntity(entity, 'Replace', { etag }));
  } catch (error) {
    return translateStoreError(error, what);
  }
}

/** Reads one entity, or `undefined` when there is none. */
export async function findEntity<T extends object>(
  table: TableClient,
  partitionKey: TableKey,
  rowKey: TableKey,
  what: string,
): Promise<TableEntityResult<T> | undefined> {
  try {
    return await table.getEntity<T>(partitionKey, rowKey);
  } catch (error) {
    if (hasErrorCode(error, 'ResourceNotFound')) return undefined;
    return translateStoreError(error, what);
  }
}

/** Deletes an entity if it is unchanged since it was read; an entity already gone counts as deleted. */
export async function deleteEntity(
  table: TableClient,
  partitionKey: TableKey,
  rowKey: TableKey,
  etag: string,
  what: string,
): Promise<void> {
  try {
    await table.deleteEntity(partitionKey, rowKey, { etag });
  } catch (error) {
    if (hasErrorCode(error, 'ResourceNotFound')) return;
    translateStoreError(error, what);
  }
}

/**
 * Writes several entities of one partition of one table atomically (an entity group transaction): all or none.
 * The failure of one (an existing entity, a changed ETag) fails the whole, translated as for a single write.
 * Returns the new ETags, in order (empty strings for deletions).
 */
export async function writeTogether(table: TableClient, actions: readonly TransactionAction[], what: string): Promise<string[]> {
  try {
    const response = await table.submitTransaction([...actions]);
    return response.subResponses.map((sub) => sub.etag ?? '');
  } catch (error) {
    return translateStoreError(error, what);
  }
}

/** Every successful write answers with an ETag; going on without one would make the next update unconditional. */
function etagOf(response: { etag?: string }): string {
  if (!response.etag) throw new Error('Table Storage answered a write without an ETag.');
  return response.etag;
}
