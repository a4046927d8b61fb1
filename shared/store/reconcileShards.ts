import type { DirectoryRole } from '../domain/assignments/assignment';
import { DocumentTable, type DocumentWrite, type StoredDocument } from './documentTable';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

/** A role to compare, with the packages granting it (none: a role only the ledger remembers). */
export interface ShardRole {
  key: string;
  role: DirectoryRole;
  packageIds: string[];
}

/**
 * One shard of the reconcile sweep's full comparison: one application role, or one set of governed groups (their
 * roles, followed by one groups delta query). Kept in the table rather than in the queue message, which a set of
 * 50 groups' roles could outgrow (64 KiB).
 */
export interface ReconcileShard {
  kind: 'appRole' | 'groupSet';
  roles: ShardRole[];
}

/** One partition of the sweep states table: a run's shards are listed in one query and written 100 to a transaction. */
const SHARDS = tableKey('reconcileShards');
const WRITES_PER_TRANSACTION = 100;

/**
 * The shards the reconcile sweep's timer sent, by shard key, until their queue function has compared them: written
 * before the messages, removed once done, so a message handled twice finds nothing the second time.
 */
export class ReconcileShards {
  readonly #shards: DocumentTable<ReconcileShard>;

  constructor(tables: Tables) {
    this.#shards = new DocumentTable(() => tables.get('sweepStates'), 'reconcile shard');
  }

  get(key: string): Promise<StoredDocument<ReconcileShard> | undefined> {
    return this.#shards.get(SHARDS, tableKey(key));
  }

  /** Makes the stored shards exactly these (a run's plan; shards of an earlier run whose messages were lost go). */
  async replaceAll(shards: ReadonlyMap<string, ReconcileShard>): Promise<void> {
    const left = (await this.#shards.list({ partitionKey: SHARDS })).filter((d) => !shards.has(d.rowKey));
    const writes: DocumentWrite[] = [
      ...left.map((d) => this.#shards.deletion(d)),
      ...[...shards].map(([key, shard]) => this.#shards.upsertion(SHARDS, tableKey(key), shard)),
    ];
    for (let i = 0; i < writes.length; i += WRITES_PER_TRANSACTION) await this.#shards.together(writes.slice(i, i + WRITES_PER_TRANSACTION));
  }

  async done(shard: StoredDocument<ReconcileShard>): Promise<void> {
    await this.#shards.delete(shard);
  }
}
