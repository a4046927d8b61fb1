import { mapConcurrently } from '../concurrently';
import type { StoredDocument } from './documentTable';
import type { Page } from './pagedQuery';

/**
 * Where a newest-first read of the audit log stands in one shard: `done` when the shard has nothing more for the
 * selection; otherwise the query resumes after the RowKey `after` (none: from the selection's start), and, when
 * given, from the storage continuation of that same query (how far the table had already looked without a match).
 */
export type ShardPosition = { after?: string; continuation?: string } | 'done';

/** A newest-first read's position: one per shard, in shard order. It travels in the API's signed skip token. */
export type AuditPosition = ShardPosition[];

/** One storage query of a shard: the rows after `after`, resumed from `continuation`, newest first. */
export type ShardQuery<T> = (shard: number, after: string | undefined, continuation: string | undefined) => Promise<Page<StoredDocument<T>>>;

/**
 * One shard's rows in key order (newest first), read a page at a time, with at most `maxQueries` storage queries.
 * Table Storage may answer a page with no rows but a continuation (at a partition boundary, or after 5 seconds of
 * scanning): a filter the table applies but that matches little would otherwise follow that continuation through
 * every partition of the shard. Capped, it stops and says where it stands instead.
 */
class ShardRead<T> {
  #rows: StoredDocument<T>[] = [];
  /** The continuation the rows held were read from (kept so a position taken before any is used re-reads them only). */
  #rowsFrom: string | undefined;
  #after: string | undefined;
  #continuation: string | undefined;
  #lastPage = false;
  #taken: string | undefined;
  #queries = 0;

  constructor(
    private readonly shard: number,
    start: ShardPosition,
    private readonly query: ShardQuery<T>,
    private readonly maxQueries: number,
  ) {
    if (start === 'done') this.#lastPage = true;
    else ({ after: this.#after, continuation: this.#continuation } = start);
  }

  get head(): StoredDocument<T> | undefined {
    return this.#rows[0];
  }

  /** Reads until it holds a row or the shard has no more: false when the query cap came first. */
  async fill(): Promise<boolean> {
    while (this.#rows.length === 0 && !this.#lastPage) {
      if (this.#queries >= this.maxQueries) return false;
      this.#queries++;
      this.#rowsFrom = this.#continuation;
      const page = await this.query(this.shard, this.#after, this.#continuation);
      this.#rows = page.items;
      this.#continuation = page.continuationToken;
      this.#lastPage = page.continuationToken === undefined;
    }
    return true;
  }

  take(): StoredDocument<T> {
    const row = this.#rows.shift()!;
    this.#taken = row.rowKey;
    return row;
  }

  /** Where a later read resumes: after the last row taken, with no row skipped and none read twice. */
  get position(): ShardPosition {
    if (this.#rows.length > 0) {
      // Rows read but not taken are read again: after the last taken, or from where they were read.
      return this.#taken !== undefined ? { after: this.#taken } : withoutUndefined({ after: this.#after, continuation: this.#rowsFrom });
    }
    if (this.#lastPage) return 'done';
    return withoutUndefined({ after: this.#after, continuation: this.#continuation });
  }
}

/**
 * The rows of every shard merged newest first (smallest RowKey first: RowKeys are inverted times), from `start`,
 * each with the position that resumes after it. Ends with undefined when every shard is done, or with the position
 * reached when a shard used its `maxQueries` before showing its next row: its next row may be newer than any other
 * shard's, so nothing more can be shown in order. The caller answers a short page then, with a link to go on.
 */
export async function* newestFirstAcrossShards<T>(
  shards: number,
  start: AuditPosition | undefined,
  query: ShardQuery<T>,
  maxQueries: number,
): AsyncGenerator<{ document: StoredDocument<T>; position: AuditPosition }, AuditPosition | undefined> {
  const reads = Array.from({ length: shards }, (_, shard) => new ShardRead(shard, start?.[shard] ?? {}, query, maxQueries));
  const positionNow = () => reads.map((read) => read.position);
  if ((await mapConcurrently(reads, (read) => read.fill(), shards)).includes(false)) return positionNow();
  for (;;) {
    let newest: ShardRead<T> | undefined;
    for (const read of reads) if (read.head && (!newest || read.head.rowKey < newest.head!.rowKey)) newest = read;
    if (!newest) return undefined;
    const document = newest.take();
    yield { document, position: positionNow() };
    if (!(await newest.fill())) return positionNow();
  }
}

function withoutUndefined(position: { after?: string; continuation?: string }): ShardPosition {
  return { ...(position.after !== undefined ? { after: position.after } : {}), ...(position.continuation !== undefined ? { continuation: position.continuation } : {}) };
}
