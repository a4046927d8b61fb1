import { DocumentTable, type StoredDocument } from './documentTable';
import { tableKey } from './tableKeys';
import type { Tables } from './tables';

/** Where the groups delta of one set of governed groups goes on, and when that set was last compared in full. */
export interface GroupDeltaLink {
  /** The group ids of the set (lower case, sorted); at most 50, one delta query's filter. */
  groupIds: string[];
  /** The role keys of the set when it was compared in full: a role added to one of its groups starts it afresh. */
  roleKeys: string[];
  deltaLink: string;
  /** UTC ISO 8601: the last full comparison of the set's roles. */
  fullComparedAt: string;
}

/** One partition of the sweep states table: every set's link is read in one query and written by key. */
const LINKS = tableKey('groupDeltaLinks');

/**
 * The reconcile sweep's groups delta links, one row per set of governed groups (keyed by a digest of the set's role
 * keys): a pass reads them all at once and replaces the row of each set it followed.
 */
export class GroupDeltaLinks {
  readonly #links: DocumentTable<GroupDeltaLink>;

  constructor(tables: Tables) {
    this.#links = new DocumentTable(() => tables.get('sweepStates'), 'groups delta link');
  }

  async all(): Promise<Map<string, StoredDocument<GroupDeltaLink>>> {
    return new Map((await this.#links.list({ partitionKey: LINKS })).map((d) => [d.rowKey.toString(), d]));
  }

  /** Saves a set's link, whatever was there (one runner holds the sweep's lease). */
  async save(setKey: string, link: GroupDeltaLink): Promise<void> {
    await this.#links.together([this.#links.upsertion(LINKS, tableKey(setKey), link)]);
  }

  async forget(link: StoredDocument<GroupDeltaLink>): Promise<void> {
    await this.#links.delete(link);
  }
}
