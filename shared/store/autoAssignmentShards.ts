import { DIRECTORY_USER_PROPERTIES, type ChangedUser } from '../directory/directoryPort';
import { mapConcurrently } from '../concurrently';
import { DocumentTable, type DocumentWrite, type StoredDocument } from './documentTable';
import { filter, rowKeysUnder } from './odataFilter';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

/**
 * One shard of the auto-assignment sweep's full evaluation: a run of the directory's users by id, covering the ids
 * after `after` up to `upTo` (null: open on that side), so the shards of a run cover every id once, those of
 * assignees the directory no longer lists included. Its users, as the directory listed them, are kept in rows of
 * their own beside it (usersOf), written and dropped with it in one transaction: the timer reads the shards often,
 * their users never; 1,000 users outgrow a message, a few thousand a row.
 */
export interface AutoAssignmentShard<Counts extends object = object> {
  run: string;
  index: number;
  /** The policies evaluated in full, by id. */
  policyIds: string[];
  after: string | null;
  upTo: string | null;
  /** How many rows its users are kept in (absent: one, as a shard was written before users took several). */
  userRows?: number;
  /** Set once its changes are made: what they were (the sweep's counts), and the users whose changes were not. */
  done?: { counts: Counts; unfinishedUserIds: string[] };
}

/**
 * A row of a shard's users. The version that kept them in one row kept the bare list there, and read only that row:
 * handed a shard of several rows (a deployment under way), it would take the first row's users for all of the
 * range's, and remove the others' assignments as if they were deleted. Wrapped, the list is nothing it can use, so
 * it fails the shard (sent again, and taken by this version) rather than misread it. A bare list is still read.
 */
type UserRow = Array<Partial<ChangedUser>> | { users: Array<Partial<ChangedUser>> };

/**
 * One partition of the sweep states table: a run's shards are listed in one query (their users' rows left out by
 * the row-key range), and each shard is written with its users' rows in one transaction (the fan-out keeps a
 * shard's users under a transaction's bytes, so shards are not written several to a transaction).
 */
const SHARDS = tableKey('autoAssignmentShards');
const WRITES_PER_TRANSACTION = 100;

/**
 * The shards of the auto-assignment sweep's fanned-out full evaluation (autoAssignmentFanOut.ts): written before
 * their messages, marked done by their queue function (their users dropped), removed once the sweep sees them all done.
 */
export class AutoAssignmentShards<Counts extends object = object> {
  readonly #shards: DocumentTable<AutoAssignmentShard<Counts>>;
  readonly #users: DocumentTable<UserRow>;

  constructor(tables: Tables) {
    // One table function for both, so their rows can be written together.
    const table = () => tables.get('sweepStates');
    this.#shards = new DocumentTable(table, 'auto-assignment shard');
    this.#users = new DocumentTable(table, 'auto-assignment shard users');
  }

  get(run: string, index: number): Promise<StoredDocument<AutoAssignmentShard<Counts>> | undefined> {
    return this.#shards.get(SHARDS, shardKey(run, index));
  }

  /** A shard's users, from its rows in order (one query); fails rather than answer part of them. */
  async usersOf(shard: AutoAssignmentShard<Counts>): Promise<ChangedUser[]> {
    const first = usersKey(shard);
    // Its rows' keys are the first's and those under it (`…|01`, `…|02`): from the first up to the character after `|`.
    const rows = await this.#users.list({ partitionKey: SHARDS, filter: filter`RowKey ge ${first} and RowKey lt ${`${first}}`}` });
    if (rows.length !== (shard.userRows ?? 1)) throw new Error(`Shard ${shard.index} of run ${shard.run} has ${rows.length} rows of users, not ${shard.userRows ?? 1}.`);
    return rows.flatMap(({ value }) => (Array.isArray(value) ? value : value.users).map(readUser));
  }

  /** Every stored shard, of every run, without their users (one partition query). */
  all(): Promise<StoredDocument<AutoAssignmentShard<Counts>>[]> {
    return this.#shards.list({ partitionKey: SHARDS, filter: rowKeysUnder('shard') });
  }

  /** Makes the stored shards exactly these: a new run's, those of an earlier run (abandoned) removed. */
  async replaceAll(shards: ReadonlyArray<{ shard: AutoAssignmentShard<Counts>; userRows: ReadonlyArray<readonly ChangedUser[]> }>): Promise<void> {
    await this.removeAll(await this.all());
    await mapConcurrently(shards, ({ shard, userRows }) =>
      this.#shards.together([
        this.#shards.upsertion(SHARDS, shardKey(shard.run, shard.index), { ...shard, userRows: userRows.length }),
        ...userRows.map((users, row) => this.#users.upsertion(SHARDS, usersKey(shard, row), { users: users.map(keptUser) })),
      ]),
    );
  }

  /** Marks a shard done and drops its users, together; fails on a concurrent change of the shard (ETag). */
  async markDone(shard: StoredDocument<AutoAssignmentShard<Counts>>, done: NonNullable<AutoAssignmentShard<Counts>['done']>): Promise<void> {
    await this.#shards.together([this.#shards.replacement(shard, { ...shard.value, done }), ...rowsOf(shard.value).map((row) => this.#users.upsertion(SHARDS, usersKey(shard.value, row), { users: [] }))]);
  }

  /** Removes shards and their users' rows (written together with each shard). */
  async removeAll(shards: readonly StoredDocument<AutoAssignmentShard<Counts>>[]): Promise<void> {
    const writes: DocumentWrite[] = shards.flatMap((d) => [this.#shards.deletion(d), ...rowsOf(d.value).map((row) => this.#users.deletion({ partitionKey: SHARDS, rowKey: usersKey(d.value, row) }))]);
    for (let i = 0; i < writes.length; i += WRITES_PER_TRANSACTION) await this.#shards.together(writes.slice(i, i + WRITES_PER_TRANSACTION));
  }
}

/** What a shard's rows keep as it is, null or not: the id, the optional properties and the collections. */
const WRITTEN_AS_THEY_ARE: ReadonlySet<string> = new Set([
  'id',
  'employeeLeaveDateTime',
  'createdDateTime',
  'onPremisesExtensionAttributes',
  'otherMails',
  'proxyAddresses',
] satisfies ReadonlyArray<keyof ChangedUser>);
/**
 * The properties every user has, null when the directory has no value or the delta did not select them (it selects
 * only what the rules read): left out of a shard's rows when null, where they were more than half of a user's
 * characters and so of the largest transactions a first run writes and reads, and null again when read. A version
 * reading them absent takes them as null (rules, HR overrides' settling: absent and null are both "no value").
 * Stored rows depend on it: never take a property out of this set, nor put one in where absent and null differ.
 */
const nullWhenAbsent: ReadonlySet<string> = new Set(DIRECTORY_USER_PROPERTIES.filter((property) => !WRITTEN_AS_THEY_ARE.has(property)));
/**
 * A user's properties in the order the directory port builds them: users read back are built in it, so they share
 * one shape, as users parsed whole did (rules read them by the thousand; users of many shapes made them six times
 * slower).
 */
const USER_ORDER: readonly string[] = [...DIRECTORY_USER_PROPERTIES, 'managerId'];

function keptUser(user: ChangedUser): Partial<ChangedUser> {
  const kept: Record<string, unknown> = {};
  for (const [property, value] of Object.entries(user)) if (value !== null || !nullWhenAbsent.has(property)) kept[property] = value;
  return kept as Partial<ChangedUser>;
}

function readUser(kept: Partial<ChangedUser>): ChangedUser {
  const stored = kept as Record<string, unknown>;
  const user: Record<string, unknown> = {};
  for (const property of USER_ORDER) {
    if (stored[property] !== undefined) user[property] = stored[property];
    else if (nullWhenAbsent.has(property)) user[property] = null;
  }
  for (const property of Object.keys(stored)) if (!(property in user)) user[property] = stored[property];
  return user as unknown as ChangedUser;
}

/** Zero-padded index, so a run's shards list in order. */
const shardKey = (run: string, index: number) => tableKey('shard', run, String(index).padStart(6, '0'));
/** A shard's first row of users keeps the key it had alone; the others follow it, numbered so they list in order. */
const usersKey = (shard: Pick<AutoAssignmentShard, 'run' | 'index'>, row = 0) =>
  row === 0 ? tableKey('users', shard.run, String(shard.index).padStart(6, '0')) : tableKey('users', shard.run, String(shard.index).padStart(6, '0'), String(row).padStart(2, '0'));
const rowsOf = (shard: AutoAssignmentShard) => Array.from({ length: shard.userRows ?? 1 }, (_, row) => row);
