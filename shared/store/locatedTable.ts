import type { DocumentTable, StoredDocument } from './documentTable';
import type { ODataFilter } from './odataFilter';
import { tableKey } from './tableKeys';

/** Where an entity lives, for ids whose partition is another entity's id. */
export interface Locator {
  id: string;
  partitionId: string;
}

/** Locators live in a partition per id, so lookups by id spread across partitions instead of sharing one. */
const LOCATOR = tableKey('locator');

/**
 * Entities kept in their parent's partition (packages by catalog, policies by package) that are also found by id
 * alone, through a locator row: written before the entity and deleted after it, so an entity is never there
 * without the way to find it.
 */
export class LocatedTable<T extends object> {
  constructor(
    private readonly documents: DocumentTable<T>,
    private readonly locators: DocumentTable<Locator>,
  ) {}

  async insert(partitionId: string, id: string, value: T): Promise<StoredDocument<T>> {
    await this.locators.insert(tableKey(id), LOCATOR, { id, partitionId });
    return this.documents.insert(tableKey(partitionId), tableKey(id), value);
  }

  async find(id: string): Promise<StoredDocument<T> | undefined> {
    const locator = await this.locators.get(tableKey(id), LOCATOR);
    return locator && this.documents.get(tableKey(locator.value.partitionId), tableKey(id));
  }

  /** The entity of a known parent: one read, where `find` reads its locator first. */
  get(partitionId: string, id: string): Promise<StoredDocument<T> | undefined> {
    return this.documents.get(tableKey(partitionId), tableKey(id));
  }

  /** Everything, or the entities of one parent; with `limit`, the first that many only. */
  list(options: { partitionId?: string; filter?: ODataFilter; limit?: number } = {}): Promise<StoredDocument<T>[]> {
    const { partitionId, filter, limit } = options;
    return this.documents.list({ partitionKey: partitionId === undefined ? undefined : tableKey(partitionId), filter, limit });
  }

  replace(document: StoredDocument<T>, value: T): Promise<StoredDocument<T>> {
    return this.documents.replace(document, value);
  }

  async delete(document: StoredDocument<T>): Promise<void> {
    await this.documents.delete(document);
    const locator = await this.locators.get(document.rowKey, LOCATOR);
    if (locator) await this.locators.delete(locator);
  }
}
