import type { ChangedUser } from '../directory/directoryPort';
import { DocumentTable, type DocumentWrite, type StoredDocument } from './documentTable';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

/**
 * One shard of the auto-assignment sweep's full evaluation: a run of the directory's users by id, the users as the
 * directory listed them (the rules read them as they were when the run's delta round began). The run covers the ids
 * after `after` up to `upTo` (null: open on that side), so the shards of a run cover every id once, those of
 * assignees the directory no longer lists included. Kept in the table, not the message: 1,000 users outgrow 64 KiB.
 */
export interface AutoAssignmentShard<Counts extends object = object> {
  run: string;
  index: number;
  /** The policies evaluated in full, by id. */
  policyIds: string[];
  after: string | null;
  upTo: string | null;
  /** Emptied once done. */
  users: ChangedUser[];
  /** Set once its changes are made: what they were (the sweep's counts), and the users whose changes were not. */
  done?: { counts: Counts; unfinishedUserIds: string[] };
}

/** One partition of the sweep states table: a run's shards are listed in one query and written 100 to a transaction. */
const SHARDS = tableKey('autoAssignmentShards');
const WRITES_PER_TRANSACTION = 100;

/**
 * The shards of the auto-assignment sweep's fanned-out full evaluation (autoAssignmentFanOut.ts): written before
 * their messages, marked done by their queue function, removed together once the sweep has seen them all done.
 */
export class AutoAssignmentShards<Counts extends object = object> {
  readonly #shards: DocumentTable<AutoAssignmentShard<Counts>>;

  constructor(tables: Tables) {
    this.#shards = new DocumentTable(() => tables.get('sweepStates'), 'auto-assignment shard');
  }

  get(run: string, index: number): Promise<StoredDocument<AutoAssignmentShard<Counts>> | undefined> {
    return this.#shards.get(SHARDS, shardKey(run, index));
  }

  /** Every stored shard, of every run (one partition query). */
  all(): Promise<StoredDocument<AutoAssignmentShard<Counts>>[]> {
    return this.#shards.list({ partitionKey: SHARDS });
  }

  /** Makes the stored shards exactly these: a new run's, those of an earlier run (abandoned) removed. */
  async replaceAll(shards: readonly AutoAssignmentShard<Counts>[]): Promise<void> {
    const keys = new Set<string>(shards.map((s) => shardKey(s.run, s.index)));
    const left = (await this.all()).filter((d) => !keys.has(d.rowKey));
    await this.#together([...left.map((d) => this.#shards.deletion(d)), ...shards.map((s) => this.#shards.upsertion(SHARDS, shardKey(s.run, s.index), s))]);
  }

  /** Marks a shard done, its users dropped; fails on a concurrent change of the shard (ETag). */
  async markDone(shard: StoredDocument<AutoAssignmentShard<Counts>>, done: NonNullable<AutoAssignmentShard<Counts>['done']>): Promise<void> {
    await this.#shards.replace(shard, { ...shard.value, users: [], done });
  }

  async removeAll(shards: readonly StoredDocument<AutoAssignmentShard<Counts>>[]): Promise<void> {
    await this.#together(shards.map((d) => this.#shards.deletion(d)));
  }

  async #together(writes: readonly DocumentWrite[]): Promise<void> {
    for (let i = 0; i < writes.length; i += WRITES_PER_TRANSACTION) await this.#shards.together(writes.slice(i, i + WRITES_PER_TRANSACTION));
  }
}

/** Zero-padded index, so a run's shards list in order. */
const shardKey = (run: string, index: number) => tableKey(run, String(index).padStart(6, '0'));
