import { DateTime } from 'luxon';
import type { DirectoryRole } from '../domain/assignments/assignment';
import type { AuditEvent, AuditProbe } from './auditLog';
import type { MarkedVersion } from './writerMarks';
import { DocumentTable, type StoredDocument } from './documentTable';
import { filter } from './odataFilter';
import { tableKey, type TableKey } from './tableKeys';
import type { Tables } from './tables';
import { ignoreExisting, ignoreMissing } from './storeErrors';
import { MAX_TRANSACTION_SIZE, measuredWrites, transactionsOf } from './transactionsOf';
import { mapConcurrently } from '../concurrently';
import { utcMinuteKeyOf } from '../domain/utcIsoTimes';

/**
 * What can fall due: each kind is written when the decision that makes it is taken (DESIGN §1, time-indexed work).
 * The expiration sweep's kinds share one index; redelivery, the reconcile sweep's, has its own.
 */
export type ExpirationKind =
  | 'assignmentEnd'
  | 'scheduledStart'
  | 'stageTimeout'
  | 'stageEscalation'
  | 'expiryReminder'
  | 'graceRemoval'
  | 'requestRecovery'
  /** An HR event to apply: at its effectiveAt, or (applied at once) as the recovery should its process stop first. */
  | 'hrEvent'
  /** The HR webhook deliveries signed in one minute, to forget once the signature tolerance has passed them. */
  | 'hrDeliveryExpiry'
  /** A joiner HR event held until the employee's account exists (entityId: the eventId; detail: the attempt). */
  | 'heldEmployeeChange'
  /** A lifecycle workflow's trigger for one user (entityId: the workflow; detail: the user and the occurrence). */
  | 'workflowTrigger'
  /**
   * A lifecycle workflow planned for every user, in the background (workflowPlan.ts; entityId: the workflow; detail:
   * its version, when the change was saved, and the part of the plan).
   */
  | 'workflowPlan'
  /** An audit event written ahead of its change (entityId: the event's id), appended if the change shows (auditedChange.ts). */
  | 'auditEvent'
  /**
   * The events of one change written ahead together, as one item (entityId: the first event's id), appended together
   * if the change shows. A kind of its own: a version that knows only `auditEvent` fails such an item (unknown kind)
   * rather than append part of it or drop it; it stays in the index, retried, until a version that knows it runs.
   */
  | 'auditEvents';
/** `redelivery`: one assignment's operations; `packageRoleChange`: a role added to or taken out of a package, for its assignees. */
export type RedeliveryKind = 'redelivery' | 'packageRoleChange';
/** A governed guest's sign-in blocked, or their account deleted, after their last assignment ended (the external user sweep's). */
export type ExternalUserKind = 'externalUserBlock' | 'externalUserDelete';
/** The access review sweep's: a policy's review occurrence opening, its midpoint reminder, and its end. */
export type ReviewKind = 'reviewOpen' | 'reviewReminder' | 'reviewEnd';

export interface DueItem<K extends string = string> {
  kind: K;
  /** UTC ISO 8601. */
  dueDateTime: string;
  /** The request, assignment or (for a package role change) access package it is about. */
  entityId: string;
  /** What distinguishes two items of one kind for one entity: a stage id, a reminder's lead time, a role change's action and role scope. */
  detail: string;
  /** Runs whose handling of it failed so far (absent: none). */
  attempts?: number;
  /** The last failure's message. */
  lastError?: string;
  /** After a failure: the time (UTC ISO 8601) before which its sweep does not take it again (sweepDueWork.ts). */
  retryAfter?: string;
  /** For an assignment's end: its target, so the sweep reads the assignment by key, without its locator. */
  targetId?: string;
  /**
   * For a grace removal: its assignment records its time (graceRemovalDueDateTime) while it is the one planned.
   * Absent on one planned before assignments recorded it, which acts at its own time whatever they record.
   */
  marked?: true;
  /** The role a package role change is about: a role taken out of a package is no longer in any role scope. */
  role?: DirectoryRole;
  /** For `auditEvent` and `auditEvents`: the event or events, and where their change shows. */
  audit?: WrittenAhead;
  /** For a workflow's plan past its first part: where in the directory's users it goes on. */
  planFrom?: UsersCursor;
}

/** A place in the directory's list of users: a page (its link; absent, the first) and how many of its users come before. */
export interface UsersCursor {
  page?: string;
  skip: number;
}

/**
 * Events written ahead of their change: one (`event`, kind `auditEvent`) or several that one change makes and that
 * show in the same place (`events`, kind `auditEvents`). `markedAt`: set when the change marks what it writes
 * (writerMarks.ts): the time its marks bear. `replaces`: set when the change is a replacement on a marked version of
 * its probe's document (writerMarks.ts).
 */
export type WrittenAhead = ({ event: AuditEvent } | { events: AuditEvent[] }) & { probe: AuditProbe; markedAt?: string; replaces?: MarkedVersion };

/** The events an item written ahead holds, in order. */
export const eventsWrittenAhead = (audit: WrittenAhead): readonly AuditEvent[] => ('events' in audit ? audit.events : [audit.event]);

/** An item taken out of its index after failing too often: kept, for an operator, with where it came from. */
export interface ParkedItem<K extends string = string> extends DueItem<K> {
  /** The index it was taken from (`dueWork`, `redeliveries`). */
  index: string;
  parkedDateTime: string;
}

const MAX_ERROR_LENGTH = 1_000;
/**
 * The due-time index: one partition per minute, so a sweep reads only the minutes that have passed since it last
 * finished, and the rows in them: its cost follows the work that is due, not the number of assignments. Items are
 * hints, written before or with what they are about and checked against it when they come due (an assignment
 * extended since has a later end: its old item is simply dropped).
 */
export class DueWorkStore<K extends string> {
  readonly #items: DocumentTable<DueItem<K>>;
  readonly #parked: DocumentTable<ParkedItem<K>>;

  /**
   * `table`: one index per sweep (`dueWork` for expirations, `redeliveries` for the reconcile sweep). Parked items
   * of every index share the table `parkedWork`, one partition per index.
   */
  constructor(tables: Tables, private readonly table: string) {
    this.#items = new DocumentTable(() => tables.get(table), 'due work item');
    this.#parked = new DocumentTable(() => tables.get('parkedWork'), 'parked work item');
  }

  /** Records an item; the same item twice is one item. */
  async schedule(item: DueItem<K>): Promise<void> {
    await this.#items.insert(minuteOf(item.dueDateTime), rowKeyOf(item), item).catch(ignoreExisting);
  }

  /**
   * Records many items (a bulk write's, assignInBulk.ts; a batch of expirations planning its items together), each
   * minute's in transactions of a hundred; an item already
   * there fails its batch, which is then written one by one.
   */
  async scheduleAll(items: readonly DueItem<K>[]): Promise<void> {
    // Cut by size too: an item may carry several events written ahead together (auditedChange.ts).
    const { bytesOf, writeOf } = measuredWrites((item: DueItem<K>) => this.#items.insertion(minuteOf(item.dueDateTime), rowKeyOf(item), item));
    await mapConcurrently(transactionsOf(items, (item) => minuteOf(item.dueDateTime), MAX_TRANSACTION_SIZE, bytesOf), async (batch) => {
      try {
        await this.#items.together(batch.map(writeOf));
      } catch {
        for (const item of batch) await this.schedule(item);
      }
    });
  }

  /** Takes back many items scheduleAll wrote (their work done); one already gone fails its batch, then done one by one. */
  async unscheduleAll(items: readonly DueItem<K>[]): Promise<void> {
    const deletion = (item: DueItem<K>) => this.#items.deletion({ partitionKey: minuteOf(item.dueDateTime), rowKey: rowKeyOf(item) });
    await mapConcurrently(transactionsOf(items, (item) => minuteOf(item.dueDateTime)), (batch) =>
      this.#items.together(batch.map(deletion)).catch(() => mapConcurrently(batch, (item) => this.#items.together([deletion(item)]).catch(ignoreMissing))),
    );
  }

  /** Items due at or before `now`, from the minute `from` on (inclusive), oldest first. */
  async dueBy(now: DateTime, from: string | undefined): Promise<StoredDocument<DueItem<K>>[]> {
    const last = minuteOf(now.toUTC().toISO()!);
    const range = from ? filter`PartitionKey ge ${from} and PartitionKey le ${last}` : filter`PartitionKey le ${last}`;
    const items = await this.#items.list({ filter: range });
    const nowIso = now.toUTC().toISO()!;
    return items.filter((d) => d.value.dueDateTime <= nowIso).sort((a, b) => a.value.dueDateTime.localeCompare(b.value.dueDateTime));
  }

  /**
   * The items of one minute's partition from one row key to another, both included, in key order (which is due
   * order): a shard of a fanned-out sweep (fanOutDueWork.ts). Done items are deleted, so a shard read again holds
   * only what is left of it.
   */
  inRange(shard: DueRange): Promise<StoredDocument<DueItem<K>>[]> {
    return this.#items.list({ partitionKey: tableKey(shard.minute), filter: filter`RowKey ge ${shard.fromRowKey} and RowKey le ${shard.toRowKey}` });
  }

  /** Whether the item is in the index (not done, taken back or parked): one point read. */
  async holds(item: DueItem<K>): Promise<boolean> {
    return (await this.#items.get(minuteOf(item.dueDateTime), rowKeyOf(item))) !== undefined;
  }

  /** Takes back an item planned for something that was then not written after all (a refused request). */
  async unschedule(item: DueItem<K>): Promise<void> {
    const stored = await this.#items.get(minuteOf(item.dueDateTime), rowKeyOf(item));
    if (stored) await this.#items.delete(stored);
  }

  done(item: StoredDocument<DueItem<K>>): Promise<void> {
    return this.#items.delete(item);
  }

  /**
   * Counts a failed attempt on the item, with its message and the time it may be tried again (`retryAfter`, given
   * the attempts now counted), in one write; answers the item as now stored.
   */
  failed(item: StoredDocument<DueItem<K>>, message: string, retryAfter: (attempts: number) => string): Promise<StoredDocument<DueItem<K>>> {
    const attempts = (item.value.attempts ?? 0) + 1;
    return this.#items.replace(item, { ...item.value, attempts, lastError: message.slice(0, MAX_ERROR_LENGTH), retryAfter: retryAfter(attempts) });
  }

  /**
   * Moves the item out of the index into `parkedWork`, so sweeps no longer take it. The copy is written first: a
   * crash between the two writes leaves it in both, and the next run that fails it parks it again (the copy is
   * already there) and deletes it from the index.
   */
  async park(item: StoredDocument<DueItem<K>>, now: DateTime): Promise<ParkedItem<K>> {
    const parked = this.parkedOf(item, now);
    await this.#parked.insert(tableKey(this.table), item.rowKey, parked).catch(ignoreExisting);
    await this.#items.delete(item);
    return parked;
  }

  /** The copy `park` writes, and where (its event is written ahead of it, probing there). */
  parkedOf(item: StoredDocument<DueItem<K>>, now: DateTime): ParkedItem<K> {
    return { ...item.value, index: this.table, parkedDateTime: now.toUTC().toISO()! };
  }
  parkedRow(item: StoredDocument<DueItem<K>>): { partitionKey: TableKey; rowKey: TableKey } {
    return { partitionKey: tableKey(this.table), rowKey: item.rowKey };
  }

  /** The items of this index that were parked, for an operator and the health check. */
  async parked(): Promise<ParkedItem<K>[]> {
    return (await this.#parked.list({ partitionKey: tableKey(this.table) })).map((d) => d.value);
  }
}

/** A run of items of the due-time index: a minute's partition (`yyyyMMddHHmm`) from one row key to another. */
export interface DueRange {
  minute: string;
  fromRowKey: string;
  toRowKey: string;
}

/** The partition of a moment: its minute, `yyyyMMddHHmm`, which sorts as time does. */
export function minuteOf(isoDateTime: string): TableKey {
  return tableKey(utcMinuteKeyOf(isoDateTime));
}

const rowKeyOf = (item: DueItem<string>) => tableKey(item.dueDateTime, item.kind, item.entityId, item.detail);
