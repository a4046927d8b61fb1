import type { DirectoryRole } from '../domain/assignments/assignment';
import { roleKey } from '../domain/assignments/deliveryState';
import { DocumentTable } from './documentTable';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

interface LedgerEntry {
  roleKey: string;
  userId: string;
}

/** Entity group transactions hold at most 100 entities. */
const PER_TRANSACTION = 100;
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
