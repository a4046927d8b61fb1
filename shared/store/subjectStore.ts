import { mapConcurrently } from '../concurrently';
import { normalizedEmail, type AccessPackageSubject } from '../domain/subjects/accessPackageSubject';
import { DocumentTable, type StoredDocument } from './documentTable';
import { filter } from './odataFilter';
import { ignoreExisting } from './storeErrors';
import { tableKey, type TableKey } from './tableKeys';
import type { Tables } from './tables';

/** A lookup row: which subject an address, a home identity or an object id belongs to. */
interface SubjectPointer {
  subjectId: string;
}

type LookupKind = 'email' | 'home' | 'object';

/**
 * Access package subjects in `accessPackageSubjects`: each in its own partition, found by id, and through lookup
 * rows by address, by home identity (tenant id and object id) and by object id here. A lookup row is written
 * before the subject it points to and never removed (a subject is never deleted, only its object id set once), so
 * a subject is never there without the way to find it. Governed guests with a block or deletion planned are
 * listed in one more partition (`pendingRemoval`), read a page at a time.
 */
export class SubjectStore {
  readonly subjects: DocumentTable<AccessPackageSubject>;
  readonly #lookups: DocumentTable<SubjectPointer>;

  constructor(tables: Tables) {
    const table = () => tables.get('accessPackageSubjects');
    this.subjects = new DocumentTable(table, 'access package subject');
    this.#lookups = new DocumentTable(table, 'access package subject lookup');
  }

  static subjectKey = (id: string): TableKey => tableKey('subject', id);
  static readonly ROW = tableKey('subject');
  static readonly PENDING_REMOVALS = tableKey('pendingRemoval');

  get(id: string): Promise<StoredDocument<AccessPackageSubject> | undefined> {
    return this.subjects.get(SubjectStore.subjectKey(id), SubjectStore.ROW);
  }

  byEmail(email: string): Promise<StoredDocument<AccessPackageSubject> | undefined> {
    return this.#follow('email', normalizedEmail(email));
  }

  byHome(tenantId: string, objectId: string): Promise<StoredDocument<AccessPackageSubject> | undefined> {
    return this.#follow('home', tenantId.toLowerCase(), objectId.toLowerCase());
  }

  byObjectId(objectId: string): Promise<StoredDocument<AccessPackageSubject> | undefined> {
    return this.#follow('object', objectId.toLowerCase());
  }

  /**
   * Whether any subject was ever written: its lookup rows come first and none is removed, so a table with no row at
   * all holds none (one query of at most one row).
   */
  async anyAtAll(): Promise<boolean> {
    return (await this.#lookups.list({ limit: 1 })).length > 0;
  }

  /** Writes a new subject after its lookup rows (address, and home identity when known). */
  async insert(subject: AccessPackageSubject): Promise<StoredDocument<AccessPackageSubject>> {
    await this.#point(subject.id, 'email', normalizedEmail(subject.email));
    if (subject.homeTenantId && subject.homeObjectId) await this.#point(subject.id, 'home', subject.homeTenantId.toLowerCase(), subject.homeObjectId.toLowerCase());
    if (subject.objectId) await this.#point(subject.id, 'object', subject.objectId.toLowerCase());
    return this.subjects.insert(SubjectStore.subjectKey(subject.id), SubjectStore.ROW, subject);
  }

  /**
   * Saves a change on the ETag read. A new object id gets its lookup row first; a planned removal is listed, and
   * one that is no longer planned leaves the list after the subject is saved.
   */
  async replace(stored: StoredDocument<AccessPackageSubject>, changed: AccessPackageSubject): Promise<StoredDocument<AccessPackageSubject>> {
    if (changed.objectId && changed.objectId !== stored.value.objectId) await this.#point(changed.id, 'object', changed.objectId.toLowerCase());
    if (changed.removal) await this.#lookups.insert(SubjectStore.PENDING_REMOVALS, tableKey(changed.id), { subjectId: changed.id }).catch(ignoreExisting);
    const saved = await this.subjects.replace(stored, changed);
    if (!changed.removal) {
      const listed = await this.#lookups.get(SubjectStore.PENDING_REMOVALS, tableKey(changed.id));
      if (listed) await this.#lookups.delete(listed).catch(() => undefined);
    }
    return saved;
  }

  /**
   * One page of the subjects with a removal planned, in id order, after `after` (the last id of the previous
   * page). A listed subject whose plan was cancelled meanwhile is skipped.
   */
  async pendingRemovals(limit: number, after?: string): Promise<{ items: AccessPackageSubject[]; last?: string }> {
    const rows = await this.#lookups.list({
      partitionKey: SubjectStore.PENDING_REMOVALS,
      ...(after ? { filter: filter`RowKey gt ${tableKey(after)}` } : {}),
      limit,
    });
    const subjects = await mapConcurrently(rows, (row) => this.get(row.value.subjectId));
    const items = subjects.flatMap((s) => (s?.value.removal ? [s.value] : []));
    return { items, ...(rows.length === limit ? { last: rows[rows.length - 1]!.value.subjectId } : {}) };
  }

  async #follow(kind: LookupKind, ...parts: string[]): Promise<StoredDocument<AccessPackageSubject> | undefined> {
    const pointer = await this.#lookups.get(tableKey(kind, ...parts), tableKey(kind));
    return pointer && this.get(pointer.value.subjectId);
  }

  async #point(subjectId: string, kind: LookupKind, ...parts: string[]): Promise<void> {
    // The first subject for an address or identity keeps it: a second writer at the same moment then finds that one.
    await this.#lookups.insert(tableKey(kind, ...parts), tableKey(kind), { subjectId }).catch(ignoreExisting);
  }
}
