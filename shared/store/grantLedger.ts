import type { DirectoryRole } from '../domain/assignments/assignment';
import { roleKey } from '../domain/assignments/deliveryState';
import { mapConcurrently } from '../concurrently';
import { isDomainError } from '../domain/errors';
import { DocumentTable, type StoredDocument } from './documentTable';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

export interface LedgerEntry {
  roleKey: string;
  userId: string;
}

/** Entity group transactions hold at most 100 entities. */
const PER_TRANSACTION = 100;
/** Beyond this many users, reading the role's whole partition is cheaper than a read each. */
const POINT_READS_AT_MOST = 8;
/** The partition of flagged holders (see `flag`); role keys always hold `|`, so no role's partition is named this. */
const FLAGGED_PARTITION = tableKey('flagged');
/** The partition listing every role ever recorded; role keys always hold `|`, so none can be named this. */
const ROLES_PARTITION = tableKey('roles');

/**
 * Who holds a directory role because Portcullis granted it: written when an addition changes the directory,
 * removed when a removal does. The reconcile sweep removes only what is here (and no assignment holds), so
 * members an administrator added by hand are left alone. One partition per role, so a role's entries are written
 * in bulk and read in one query; and one row per role in a partition of its own, so the sweep finds every role
 * Portcullis granted, also one no package grants any more.
 */
export class GrantLedger {
  readonly #entries: DocumentTable<LedgerEntry>;
  readonly #roles: DocumentTable<DirectoryRole>;
  /** Roles this worker has listed already: a role's row is written once per worker, not with every addition. */
  readonly #listed = new Set<string>();

  constructor(tables: Tables) {
    this.#entries = new DocumentTable(() => tables.get('grantLedger'), 'grant ledger entry');
    this.#roles = new DocumentTable(() => tables.get('grantLedger'), 'grant ledger role');
  }

  async record(role: DirectoryRole, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const key = roleKey(role);
    // The role is listed before its holders are written: a holder is never recorded under a role the sweep cannot find.
    await this.list(role);
    const partition = tableKey(key);
    for (let i = 0; i < userIds.length; i += PER_TRANSACTION) {
      const writes = userIds.slice(i, i + PER_TRANSACTION).map((userId) => this.#entries.upsertion(partition, tableKey(userId), { roleKey: key, userId }));
      await this.#entries.together(writes);
    }
  }

  /** Lists a role among those Portcullis granted (once per worker; entries older than the list are listed by the sweep). */
  async list(role: DirectoryRole): Promise<void> {
    const key = roleKey(role);
    if (this.#listed.has(key)) return;
    await this.#roles.together([this.#roles.upsertion(ROLES_PARTITION, tableKey(key), role)]);
    this.#listed.add(key);
  }

  async forget(roleKey: string, userIds: readonly string[]): Promise<void> {
    const partition = tableKey(roleKey);
    for (let i = 0; i < userIds.length; i += PER_TRANSACTION) {
      const writes = userIds.slice(i, i + PER_TRANSACTION).map((userId) => this.#entries.deletion({ partitionKey: partition, rowKey: tableKey(userId) }));
      await this.#entries.together(writes).catch(async (error: unknown) => {
        // A transaction fails whole when one entity is missing; then each goes alone, a missing one counting as gone.
        if ((error as { code?: unknown })?.code !== 'notFound') throw error;
        for (const userId of userIds.slice(i, i + PER_TRANSACTION)) {
          const entry = await this.#entries.get(partition, tableKey(userId));
          if (entry) await this.#entries.delete(entry);
        }
      });
    }
  }

  async holders(roleKey: string): Promise<Set<string>> {
    return new Set((await this.#entries.list({ partitionKey: tableKey(roleKey) })).map((d) => d.value.userId));
  }

  /**
   * Which of `userIds` the ledger records for a role, as recorded: a read by key each for a few, the role's partition
   * for more (one query answers up to 1,000), whichever costs fewer round trips.
   */
  async holdersAmong(roleKey: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length > POINT_READS_AT_MOST) {
      const wanted = new Set(userIds.map((id) => id.toLowerCase()));
      return [...(await this.holders(roleKey))].filter((id) => wanted.has(id.toLowerCase()));
    }
    const partition = tableKey(roleKey);
    const found = await mapConcurrently(userIds, (userId) => this.#entries.get(partition, tableKey(userId)));
    return found.flatMap((entry) => (entry ? [entry.value.userId] : []));
  }

  /**
   * Marks holders whose change of a role the directory refused until delivery gave up: the groups delta never shows
   * such drift (nothing changed there), so the reconcile sweep compares their role in full on its next run.
   */
  async flag(role: DirectoryRole, userIds: readonly string[]): Promise<void> {
    const key = roleKey(role);
    const writes = userIds.map((userId) => this.#entries.upsertion(FLAGGED_PARTITION, tableKey(key, userId), { roleKey: key, userId }));
    for (let i = 0; i < writes.length; i += PER_TRANSACTION) await this.#entries.together(writes.slice(i, i + PER_TRANSACTION));
  }

  /** Every flag not yet cleared, in one query (usually empty). */
  flagged(): Promise<Array<StoredDocument<LedgerEntry>>> {
    return this.#entries.list({ partitionKey: FLAGGED_PARTITION });
  }

  /** Clears flags read before a comparison of their role (a flag written since stays). */
  async unflag(flags: ReadonlyArray<StoredDocument<LedgerEntry>>): Promise<void> {
    for (const flag of flags) await this.#entries.delete(flag).catch((error: unknown) => {
        // Gone already, or flagged again since (another give-up): either way not this one to clear.
        if (!(isDomainError(error) && (error.code === 'notFound' || error.code === 'concurrencyConflict'))) throw error;
      });
  }

  /** Forgets a role and its holders altogether: its resource is gone from the directory. */
  async forgetRole(role: DirectoryRole): Promise<void> {
    const key = roleKey(role);
    await this.forget(key, [...(await this.holders(key))]);
    const row = await this.#roles.get(ROLES_PARTITION, tableKey(key));
    if (row) await this.#roles.delete(row);
    this.#listed.delete(key);
  }

  /** Every role Portcullis has granted to someone (a role whose holders are all gone stays listed: it is one row). */
  async roles(): Promise<DirectoryRole[]> {
    return (await this.#roles.list({ partitionKey: ROLES_PARTITION })).map((d) => d.value);
  }
}
