import { DocumentTable } from './documentTable';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

interface LedgerEntry {
  roleKey: string;
  userId: string;
}

/** Entity group transactions hold at most 100 entities. */
const PER_TRANSACTION = 100;

/**
 * Who holds a directory role because Portcullis granted it: written when an addition changes the directory,
 * removed when a removal does. The reconcile sweep removes only what is here (and no assignment holds), so
 * members an administrator added by hand are left alone. One partition per role, so a role's entries are written
 * in bulk and read in one query.
 */
export class GrantLedger {
  readonly #entries: DocumentTable<LedgerEntry>;

  constructor(tables: Tables) {
    this.#entries = new DocumentTable(() => tables.get('grantLedger'), 'grant ledger entry');
  }

  async record(roleKey: string, userIds: readonly string[]): Promise<void> {
    const partition = tableKey(roleKey);
    for (let i = 0; i < userIds.length; i += PER_TRANSACTION) {
      const writes = userIds.slice(i, i + PER_TRANSACTION).map((userId) => this.#entries.upsertion(partition, tableKey(userId), { roleKey, userId }));
      await this.#entries.together(writes);
    }
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
}
