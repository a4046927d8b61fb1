import type { TableClient, TransactionAction } from '@azure/data-tables';
import { allOf, filter, type ODataFilter } from './odataFilter';
import { queryAll, queryPage, type Page } from './pagedQuery';
import type { TableKey } from './tableKeys';
import { deleteEntity, findEntity, insertEntity, replaceEntity, writeTogether } from './tables';
import { writersAfter, type Writers } from './writerMarks';

/** A property holds at most 64 KiB (32K UTF-16 characters); documents are split into parts below that. */
const PART_LENGTH = 30_000;
/**
 * A row holds at most 1 MiB, strings counted as two bytes a character: 16 parts (960,000 bytes) leave room for the
 * keys, the indexed fields and the property names. What may grow (requests: shared/domain/requests/requestSize.ts)
 * is bounded below this before it is written; a document over it is a missing bound, refused here before writing.
 */
export const MAX_DOCUMENT_LENGTH = 16 * PART_LENGTH;
/** Table Storage answers at most this many entities a page. */
const MAX_PAGE_SIZE = 1000;

export interface StoredDocument<T> {
  partitionKey: TableKey;
  rowKey: TableKey;
  etag: string;
  value: T;
}

/** Scalar copies of a document's fields, kept beside it so queries can filter on them. */
export type IndexedFields = Record<string, string | number | boolean>;

/** A write prepared by a DocumentTable, to be done with others of the same partition by `writeDocumentsTogether`. */
export interface DocumentWrite {
  table: () => Promise<TableClient>;
  partitionKey: TableKey;
  rowKey: TableKey;
  action: TransactionAction;
  /** The stored document after the write; undefined for a deletion. */
  result: (etag: string) => StoredDocument<object> | undefined;
}

type Row = Record<string, unknown> & { partitionKey: string; rowKey: string; etag: string; parts?: number; writers?: string };

/** The writers of each document read or written (writerMarks.ts), beside it, so a replacement carries them forward. */
const writersOfDocument = new WeakMap<object, Writers>();

/** The audited writers a document carried when read (writerMarks.ts); undefined when it carries none. */
export const writersOf = (document: StoredDocument<unknown>): Writers | undefined => writersOfDocument.get(document);

function known<D extends object>(document: D, writers: Writers | undefined): D {
  if (writers) writersOfDocument.set(document, writers);
  return document;
}

/**
 * Documents (Graph-shaped JSON) in a table, one per entity, keyed for the reads that use them. Every change is
 * conditional on the ETag read, so two writers never overwrite each other unseen.
 */
export class DocumentTable<T extends object> {
  constructor(
    private readonly table: () => Promise<TableClient>,
    private readonly what: string,
    private readonly indexed: (value: T) => IndexedFields = () => ({}),
  ) {}

  async get(partitionKey: TableKey, rowKey: TableKey): Promise<StoredDocument<T> | undefined> {
    const row = await findEntity<Row>(await this.table(), partitionKey, rowKey, this.what);
    return row && this.#document(row);
  }

  /** The documents matching, in key order; with `limit`, only the first that many, and no page past them is read. */
  async list(options: { partitionKey?: TableKey; filter?: ODataFilter; limit?: number } = {}): Promise<StoredDocument<T>[]> {
    const { limit } = options;
    const documents: StoredDocument<T>[] = [];
    if (limit !== undefined && limit <= 0) return documents;
    for await (const document of this.iterate(options)) {
      documents.push(document);
      if (documents.length === limit) break;
    }
    return documents;
  }

  /**
   * One page of the documents matching, in key order, and the storage's continuation token of the next: what a
   * listing pages on, so each page costs one query however many rows the table holds. The page may hold fewer
   * than `pageSize` (Table Storage stops at partition boundaries and after 5 seconds) and still have a next.
   */
  async page(options: { partitionKey?: TableKey; filter?: ODataFilter; pageSize: number; continuationToken?: string }): Promise<Page<StoredDocument<T>>> {
    const partition = options.partitionKey === undefined ? undefined : filter`PartitionKey eq ${options.partitionKey}`;
    const page = await queryPage<Row>(await this.table(), {
      filter: allOf(partition, options.filter),
      pageSize: Math.min(options.pageSize, MAX_PAGE_SIZE),
      continuationToken: options.continuationToken,
    });
    return { items: page.items.map((row) => this.#document(row)), ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
  }

  /** The documents matching, in key order, a page read at a time (for reads too large to hold at once). */
  async *iterate(options: { partitionKey?: TableKey; filter?: ODataFilter; limit?: number } = {}): AsyncGenerator<StoredDocument<T>> {
    const partition = options.partitionKey === undefined ? undefined : filter`PartitionKey eq ${options.partitionKey}`;
    const pageSize = options.limit === undefined ? undefined : Math.min(options.limit, MAX_PAGE_SIZE);
    for await (const row of queryAll<Row>(await this.table(), { filter: allOf(partition, options.filter), pageSize })) {
      yield this.#document(row);
    }
  }

  async insert(partitionKey: TableKey, rowKey: TableKey, value: T): Promise<StoredDocument<T>> {
    const writers = writersAfter(undefined);
    const etag = await insertEntity(await this.table(), this.#row(partitionKey, rowKey, value, writers), this.what);
    return known({ partitionKey, rowKey, etag, value }, writers);
  }

  async replace(document: StoredDocument<T>, value: T): Promise<StoredDocument<T>> {
    const { partitionKey, rowKey } = document;
    const writers = writersAfter(writersOf(document));
    const etag = await replaceEntity(await this.table(), this.#row(partitionKey, rowKey, value, writers), document.etag, this.what);
    return known({ partitionKey, rowKey, etag, value }, writers);
  }

  async delete(document: StoredDocument<T>): Promise<void> {
    await deleteEntity(await this.table(), document.partitionKey, document.rowKey, document.etag, this.what);
  }

  insertion(partitionKey: TableKey, rowKey: TableKey, value: T): DocumentWrite {
    const writers = writersAfter(undefined);
    return { table: this.table, partitionKey, rowKey, action: ['create', this.#row(partitionKey, rowKey, value, writers)], result: (etag) => known({ partitionKey, rowKey, etag, value }, writers) };
  }

  replacement(document: StoredDocument<T>, value: T): DocumentWrite {
    const { partitionKey, rowKey } = document;
    const writers = writersAfter(writersOf(document));
    return {
      table: this.table,
      partitionKey,
      rowKey,
      action: ['update', this.#row(partitionKey, rowKey, value, writers), 'Replace', { etag: document.etag }],
      result: (etag) => known({ partitionKey, rowKey, etag, value }, writers),
    };
  }

  /** Writes the document whether or not one is there (for rows whose whole content is their key). */
  upsertion(partitionKey: TableKey, rowKey: TableKey, value: T): DocumentWrite {
    // The marks of a document written over unread are not known: a marked upsert starts them afresh.
    const writers = writersAfter(undefined);
    return {
      table: this.table,
      partitionKey,
      rowKey,
      action: ['upsert', this.#row(partitionKey, rowKey, value, writers), 'Replace'],
      result: (etag) => known({ partitionKey, rowKey, etag, value }, writers),
    };
  }

  /** Writes of one partition of this table, all or none. */
  together(writes: readonly DocumentWrite[]): Promise<Array<StoredDocument<object> | undefined>> {
    return writeDocumentsTogether(writes, this.what);
  }

  /** Within a transaction, the SDK deletes unconditionally: use it for rows whose content no one else changes. */
  deletion(document: Pick<StoredDocument<T>, 'partitionKey' | 'rowKey'>): DocumentWrite {
    const { partitionKey, rowKey } = document;
    return { table: this.table, partitionKey, rowKey, action: ['delete', { partitionKey, rowKey }], result: () => undefined };
  }

  #row(partitionKey: TableKey, rowKey: TableKey, value: T, writers: Writers | undefined) {
    const json = JSON.stringify(value);
    if (json.length > MAX_DOCUMENT_LENGTH) {
      throw new Error(`The ${this.what} is ${json.length} characters as JSON, more than the ${MAX_DOCUMENT_LENGTH} a row holds; it was not written.`);
    }
    const parts = Math.max(1, Math.ceil(json.length / PART_LENGTH));
    const row: Record<string, unknown> = { partitionKey, rowKey, parts, ...this.indexed(value) };
    for (let i = 0; i < parts; i++) row[`part${i}`] = json.slice(i * PART_LENGTH, (i + 1) * PART_LENGTH);
    if (writers) row.writers = JSON.stringify(writers);
    return row as { partitionKey: TableKey; rowKey: TableKey } & Record<string, unknown>;
  }

  #document(row: Row): StoredDocument<T> {
    const json = Array.from({ length: Number(row.parts ?? 1) }, (_, i) => String(row[`part${i}`] ?? '')).join('');
    const document = { partitionKey: row.partitionKey as TableKey, rowKey: row.rowKey as TableKey, etag: row.etag, value: JSON.parse(json) as T };
    return known(document, typeof row.writers === 'string' ? (JSON.parse(row.writers) as Writers) : undefined);
  }
}

/**
 * Does writes of one partition of one table all at once or not at all. Returns the documents as stored, in order
 * (undefined for deletions), so a caller can go on updating them by their new ETags.
 */
export async function writeDocumentsTogether(writes: readonly DocumentWrite[], what: string): Promise<Array<StoredDocument<object> | undefined>> {
  const [first] = writes;
  if (!first) return [];
  if (writes.some((w) => w.table !== first.table || w.partitionKey !== first.partitionKey)) {
    throw new Error('Writes done together must share one table and one partition.');
  }
  const etags = await writeTogether(await first.table(), writes.map((w) => w.action), what);
  return writes.map((write, index) => write.result(etags[index] ?? ''));
}
