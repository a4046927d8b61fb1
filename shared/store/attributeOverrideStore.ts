import type { AttributeOverrides } from '../domain/hrEvents/attributeOverrides';
import type { AuditProbe } from './auditLog';
import { isDomainError } from '../domain/errors';
import { mapConcurrently } from '../concurrently';
import { DocumentTable, type StoredDocument } from './documentTable';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

/** What a change of one user's overrides decides, from what is stored (undefined: none). */
export type OverrideDecision = (current: AttributeOverrides | undefined) => { next: AttributeOverrides | undefined; changed: boolean };

/** What one change of a user's overrides found and wrote. */
export interface OverrideChange {
  before: AttributeOverrides | undefined;
  after: AttributeOverrides | undefined;
}

/**
 * Runs one attempt's `write` of `change`, which shows at `probe` once made: its caller's audit goes around it
 * (auditedChange.ts), so each attempt's event is written ahead of it with that attempt's before and after.
 */
export type OverrideWrite = (change: OverrideChange, probe: AuditProbe, write: () => Promise<void>) => Promise<void>;

/**
 * Past this many users, their overrides are read by listing the table (one query a page) rather than one read per
 * user: overrides are few (bounded in time), so the listing is small whatever the size of the directory.
 */
const READS_BEFORE_LISTING = 16;

/**
 * Users' attribute overrides from HR events (table `attributeOverrides`, one partition per user, lower-case id).
 * Every change is a read-modify-write on the row's ETag, retried on a conflict, so two events about one user
 * arriving at once both count and the newer wins whatever the order of their writes.
 */
export class AttributeOverrideStore {
  readonly #rows: DocumentTable<AttributeOverrides>;

  constructor(tables: Tables) {
    this.#rows = new DocumentTable(() => tables.get('attributeOverrides'), 'attribute override');
  }

  async find(userId: string): Promise<StoredDocument<AttributeOverrides> | undefined> {
    return this.#rows.get(...keysOf(userId));
  }

  /** The overrides of these users, by lower-case id; users without any are absent. */
  async forUsers(userIds: readonly string[]): Promise<Map<string, StoredDocument<AttributeOverrides>>> {
    const wanted = new Set(userIds.map((id) => id.toLowerCase()));
    const found =
      wanted.size <= READS_BEFORE_LISTING
        ? (await mapConcurrently([...wanted], (id) => this.find(id))).filter((d) => d !== undefined)
        : (await this.#rows.list()).filter((d) => wanted.has(d.value.userId));
    return new Map(found.map((d) => [d.value.userId, d]));
  }

  /**
   * Applies `decide` to the stored overrides and writes the outcome (insert, replace or delete), on the ETag read;
   * on a conflict, reads again and decides again. Answers what was there before and what is there now, or
   * undefined when nothing changed.
   */
  async change(userId: string, decide: OverrideDecision, known?: StoredDocument<AttributeOverrides>, around: OverrideWrite = (_, __, write) => write()): Promise<OverrideChange | undefined> {
    let current = known === undefined ? await this.find(userId) : known;
    for (;;) {
      const { next, changed } = decide(current?.value);
      if (!changed) return undefined;
      const [partitionKey, rowKey] = keysOf(userId);
      const shows = !next ? 'absent' : current ? 'changed' : 'present';
      const written = { before: current?.value, after: next };
      try {
        await around(written, { table: 'attributeOverrides', partitionKey, rowKey, shows }, async () => {
          if (!current && next) await this.#rows.insert(partitionKey, rowKey, next);
          else if (current && next) await this.#rows.replace(current, next);
          else if (current) await this.#rows.delete(current);
        });
        return written;
      } catch (error) {
        if (!(isDomainError(error) && ['concurrencyConflict', 'alreadyExists', 'notFound'].includes(error.code))) throw error;
        current = await this.find(userId);
      }
    }
  }
}

const keysOf = (userId: string) => [tableKey(userId.toLowerCase()), tableKey('overrides')] as const;
