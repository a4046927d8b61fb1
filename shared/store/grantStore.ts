import type { DateTime } from 'luxon';
import type { Assignment } from '../domain/assignments/assignment';
import type { AuditEvent } from './auditLog';
import { SYSTEM_ACTOR, type AssignmentRequest } from '../domain/requests/assignmentRequest';
import { DocumentTable, writeDocumentsTogether, type DocumentWrite, type IndexedFields, type StoredDocument } from './documentTable';
import { allOf, anyOf, filter, rowKeysUnder, type ODataFilter } from './odataFilter';
import { splitTableKey, tableKey, type TableKey } from './tableKeys';
import { allSettled, mapConcurrently } from '../concurrently';
import { ignoreChanged, ignoreExisting, ignoreMissing } from './storeErrors';
import type { Tables } from './tables';
import { groupMadeBeforeHourOf, groupsMadeIn, locatorGroupOf } from './groupedIds';
import { transactionsOf } from './transactionsOf';
import { RequestsIndexedSince } from './requestsIndexedSince';

/**
 * Held while a target has an open request or an active assignment for a package. Inserting it together with the
 * request makes "one open request or assignment per target and package" hold under concurrency: the second
 * insert fails, so two identical requests at once make one request.
 */
export interface PackageClaim {
  packageId: string;
  requestId: string | null;
  assignmentId: string | null;
}

/** A pointer from an index partition to a request or assignment in its target's partition. */
export interface GrantPointer {
  id: string;
  targetId: string;
  /** A request's locator only: when the request was made, so the requests report of a period reads only it. */
  createdDateTime?: string;
  /**
   * The locator of a request made for others only: its requestor, lower-cased, so that their list of requests made
   * for others finds it in its group's partition (requestsMadeForOthersBy).
   */
  requestorId?: string;
}

/** A request's pointer: where it is, and (for the report by time) when it was made. */
const requestPointer = (request: AssignmentRequest): GrantPointer => ({ id: request.id, targetId: request.targetId, createdDateTime: request.createdDateTime });

/** Requests Portcullis makes itself, and one's own, are nobody's to list as "made for others". */
const madeForOthers = (request: AssignmentRequest): boolean => request.requestorId !== request.targetId && request.requestorId !== SYSTEM_ACTOR;

/** A request's locator: its pointer, and its requestor when it was made for others. */
const requestLocator = (request: AssignmentRequest): GrantPointer => ({ ...requestPointer(request), ...(madeForOthers(request) ? { requestorId: request.requestorId.toLowerCase() } : {}) });

/** The row key of a requestor's record of a locator group (requestsMadeForOthersBy); a pointer's key is its id's. */
const requestorGroupKey = (group: string) => tableKey('locatorGroup', group);
const REQUESTOR_GROUP_PREFIX = requestorGroupKey('');

type IndexKind = 'locator' | 'packageAssignee' | 'approver' | 'requestor' | 'decider';

/**
 * Requests, assignments and claims, kept together in their target's partition of `accessGrants`, so that what
 * must change together (a request with its claim; an approved request with its new assignment) is written in
 * one transaction. `grantIndex` finds them by id (locators), by package (assignees), by approver (pending
 * decisions), by the approvers who decided them (an approver's history) and by who made them for others (their
 * record of each locator group they made such requests in, whose locators name them): each pointer is written
 * before what it points to and removed after, so nothing is ever there without the way to find it (a requestor's
 * record of a group stays while other requests of the group may need it, until a list finds it leads to none,
 * requestsMadeForOthersBy); a stale pointer is skipped on read.
 */
export class GrantStore {
  readonly requests: DocumentTable<AssignmentRequest>;
  readonly assignments: DocumentTable<Assignment>;
  readonly claims: DocumentTable<PackageClaim>;
  /** Audit events written with the change they record, until appended to the audit log (auditOutbox.ts). */
  readonly auditOutbox: DocumentTable<AuditEvent>;
  readonly #index: DocumentTable<GrantPointer>;
  /** Claims and assignments read in one query (claimsOfTargetsIn), told apart by their row keys. */
  readonly #claimsAndAssignments: DocumentTable<PackageClaim | Assignment>;
  /** Since when every request's locator is found by time (the requests report's choice of reading). */
  readonly requestsIndexedSince: RequestsIndexedSince;

  constructor(tables: Tables) {
    const grants = () => tables.get('accessGrants');
    // Columns beside the document, so administrators' lists filter in the storage query (listedBy).
    this.requests = new DocumentTable(grants, 'assignment request', (r) => ({ state: r.state, accessPackageId: r.accessPackageId, catalogId: r.catalogId, requestorId: r.requestorId }));
    this.assignments = new DocumentTable(grants, 'assignment', (a) => ({ state: a.state, accessPackageId: a.accessPackageId, catalogId: a.catalogId, assignmentPolicyId: a.assignmentPolicyId }));
    this.claims = new DocumentTable(grants, 'package claim');
    this.#claimsAndAssignments = new DocumentTable(grants, 'package claim or assignment');
    this.auditOutbox = new DocumentTable(grants, 'audit outbox entry');
    // A request locator's creation time beside it, so the requests report's query narrows to its period in storage.
    const grantIndex = () => tables.get('grantIndex');
    this.requestsIndexedSince = new RequestsIndexedSince(grantIndex);
    // Recorded before this process writes any locator, once (a failure is not remembered: the next use tries again).
    let recorded: Promise<void> | undefined;
    const recordedFirst = async () => {
      recorded ??= this.requestsIndexedSince.record().catch((error: unknown) => {
        recorded = undefined;
        throw error;
      });
      await recorded;
      return grantIndex();
    };
    this.#index = new DocumentTable(recordedFirst, 'grant index entry', (p): IndexedFields => ({
      ...(p.createdDateTime === undefined ? {} : { createdDateTime: p.createdDateTime }),
      ...(p.requestorId === undefined ? {} : { requestorId: p.requestorId }),
    }));
  }

  /**
   * The requestors' records of locator groups this process wrote (requestor partition, group), kept for the groups of
   * one hour (a request's group is of the hour it is made in), so that a requestor's run of requests for others
   * writes its group's record once an hour, not once a request. A failed write is not remembered: the next tries again.
   * A record remembered here must stay while this process may still make ids of its group, or its next requests of
   * the hour would be found by nothing: lists delete only the records of groups older than the hour before their own
   * (requestsMadeForOthersBy), which holds as long as the clocks of processes differ by less than an hour.
   */
  #requestorGroups = { hour: '', written: new Map<string, Promise<void>>() };

  static requestKey = (id: string) => tableKey('request', id);
  static assignmentKey = (id: string) => tableKey('assignment', id);
  static claimKey = (packageId: string) => tableKey('claim', packageId);
  static targetKey = (targetId: string) => tableKey(targetId);
  static auditOutboxKey = (eventId: string) => tableKey('auditOutbox', eventId);

  async findRequest(id: string): Promise<StoredDocument<AssignmentRequest> | undefined> {
    const targetId = await this.#locate(id);
    return targetId === undefined ? undefined : this.requestOf(targetId, id);
  }

  async findAssignment(id: string): Promise<StoredDocument<Assignment> | undefined> {
    const targetId = await this.#locate(id);
    return targetId === undefined ? undefined : this.assignmentOf(targetId, id);
  }

  /** A target's request, by key: one read where its target is known. */
  requestOf(targetId: string, id: string): Promise<StoredDocument<AssignmentRequest> | undefined> {
    return this.requests.get(GrantStore.targetKey(targetId), GrantStore.requestKey(id));
  }

  /** A target's assignment, by key: one read where its target is known (a claim names the assignment). */
  assignmentOf(targetId: string, id: string): Promise<StoredDocument<Assignment> | undefined> {
    return this.assignments.get(GrantStore.targetKey(targetId), GrantStore.assignmentKey(id));
  }

  claimOf(targetId: string, packageId: string): Promise<StoredDocument<PackageClaim> | undefined> {
    return this.claims.get(GrantStore.targetKey(targetId), GrantStore.claimKey(packageId));
  }

  /** Every package a target has a claim on (an open request or an active assignment), in one partition read. */
  claimsOf(targetId: string): Promise<StoredDocument<PackageClaim>[]> {
    return this.claims.list({ partitionKey: GrantStore.targetKey(targetId), filter: rowKeysUnder('claim') });
  }

  /**
   * The claims of every target whose id is after `after` and up to `upTo` (null: open on that side), each with the
   * assignment it names when that is not expired: one query over that run of partitions, claims and assignments
   * together, whatever the packages hold (a claim's assignment read by key would cost a round trip each). Ids
   * compare lower-cased, as targets are kept. A claim's assignment is missing when expired, or when the query read
   * the partition's assignments before a grant written meanwhile (a query is not a snapshot): the caller reads it by key.
   */
  async claimsOfTargetsIn(range: { after: string | null; upTo: string | null }): Promise<Array<{ targetId: string; claim: StoredDocument<PackageClaim>; assignment?: StoredDocument<Assignment> }>> {
    const after = range.after === null ? undefined : filter`PartitionKey gt ${GrantStore.targetKey(range.after.toLowerCase())}`;
    const upTo = range.upTo === null ? undefined : filter`PartitionKey le ${GrantStore.targetKey(range.upTo.toLowerCase())}`;
    const live = allOf(rowKeysUnder('assignment'), filter`state ne ${'expired'}`)!;
    const rows = await this.#claimsAndAssignments.list({ filter: allOf(after, upTo, anyOf(rowKeysUnder('claim'), live)) });
    const isClaim = (row: StoredDocument<PackageClaim | Assignment>): row is StoredDocument<PackageClaim> => splitTableKey(row.rowKey)[0] === 'claim';
    const assignments = new Map(rows.filter((row) => !isClaim(row)).map((row) => [`${row.partitionKey}/${row.rowKey}`, row as StoredDocument<Assignment>]));
    return rows.filter(isClaim).map((claim) => {
      const { partitionKey, value } = claim;
      const assignment = value.assignmentId === null ? undefined : assignments.get(`${partitionKey}/${GrantStore.assignmentKey(value.assignmentId)}`);
      return { targetId: splitTableKey(partitionKey)[0]!, claim, ...(assignment ? { assignment } : {}) };
    });
  }

  /** A target's audit events not yet appended to the audit log: one partition query over a row-key range. */
  auditOutboxOf(targetId: string): Promise<StoredDocument<AuditEvent>[]> {
    return this.auditOutbox.list({ partitionKey: GrantStore.targetKey(targetId), filter: rowKeysUnder('auditOutbox') });
  }

  requestsOf(targetId: string): Promise<StoredDocument<AssignmentRequest>[]> {
    return this.requests.list({ partitionKey: GrantStore.targetKey(targetId), filter: rowKeysUnder('request') });
  }

  assignmentsOf(targetId: string): Promise<StoredDocument<Assignment>[]> {
    return this.assignments.list({ partitionKey: GrantStore.targetKey(targetId), filter: rowKeysUnder('assignment') });
  }

  /** Every request, across targets: a scan, for administrators' unfiltered lists. */
  allRequests(): Promise<StoredDocument<AssignmentRequest>[]> {
    return this.requests.list({ filter: rowKeysUnder('request') });
  }

  /**
   * The requests for a package, across targets: a scan filtered on the package, for deleting a policy or package
   * (rare, and it must see every open request; no index of requests by package is kept for it).
   */
  requestsForPackage(packageId: string): Promise<StoredDocument<AssignmentRequest>[]> {
    return this.requests.list({ filter: allOf(rowKeysUnder('request'), filter`accessPackageId eq ${packageId}`) });
  }

  allAssignments(): Promise<StoredDocument<Assignment>[]> {
    return this.assignments.list({ filter: rowKeysUnder('assignment') });
  }

  /**
   * One page of every assignment (or request), in key order, narrowed by `where` in the storage query itself: the
   * target by its partition, the other columns by the query's filter; the next page goes on from the storage's
   * continuation token, so a page costs one query whatever the table holds.
   */
  pageAssignments(where: ListedBy, pageSize: number, continuationToken?: string) {
    return this.assignments.page({ ...listedBy('assignment', where), pageSize, continuationToken });
  }

  pageRequests(where: ListedBy, pageSize: number, continuationToken?: string) {
    return this.requests.page({ ...listedBy('request', where), pageSize, continuationToken });
  }

  /**
   * A page of one package's active assignments read from their own rows, by the package and state columns stored
   * beside each: one query a page and no read per row. The storage goes over every target's assignment rows on the
   * way, so this pays where the package holds many of them (the package report's large case, packageAssignments.ts);
   * every assignment row has carried both columns since it was first written.
   */
  pageActiveAssignmentsOfPackage(packageId: string, pageSize: number, continuationToken?: string) {
    const active = allOf(rowKeysUnder('assignment'), filter`accessPackageId eq ${packageId}`, filter`state ne ${'expired'}`)!;
    return this.assignments.page({ filter: active, pageSize, continuationToken });
  }

  /** Who holds the package (pointers to their assignments), from its assignee index: one partition query. */
  assigneePointers(packageId: string): Promise<GrantPointer[]> {
    return this.#pointers('packageAssignee', packageId);
  }

  /** A page of a package's assignee index, and where the next starts: one partition query, however large the table. */
  async assigneePointerPage(packageId: string, pageSize: number, continuationToken?: string): Promise<{ pointers: GrantPointer[]; continuationToken?: string }> {
    const page = await this.#index.page({ partitionKey: indexKey('packageAssignee', packageId), pageSize, continuationToken });
    return { pointers: page.items.map((d) => d.value), ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
  }

  /** The row keys of a package's assignee index, in key order: where a fanned-out review opening cuts its shards. */
  async assigneeRowKeys(packageId: string): Promise<string[]> {
    return (await this.#index.list({ partitionKey: indexKey('packageAssignee', packageId) })).map((d) => d.rowKey);
  }

  /**
   * The assignments of one package, through its assignee index: the work follows the package's assignees. With
   * `range`, only the index's run of row keys from `fromRowKey` to `toRowKey` (one shard of a review's opening).
   */
  async assignmentsOfPackage(packageId: string, range?: { fromRowKey: string; toRowKey: string }): Promise<StoredDocument<Assignment>[]> {
    const pointers = range
      ? (await this.#index.list({ partitionKey: indexKey('packageAssignee', packageId), filter: filter`RowKey ge ${range.fromRowKey} and RowKey le ${range.toRowKey}` })).map((d) => d.value)
      : await this.assigneePointers(packageId);
    const found = await mapConcurrently(pointers, (p) => this.assignments.get(GrantStore.targetKey(p.targetId), GrantStore.assignmentKey(p.id)));
    return found.filter((a): a is StoredDocument<Assignment> => a !== undefined && a.value.accessPackageId === packageId);
  }

  /**
   * A page of the locators of requests made in [from, to), and where the next starts: one query over the run of
   * locator partitions of the groups made in that period (groupedIds.ts groupsMadeIn), narrowed in storage to the
   * locators made in it, so its cost follows the requests of the period, not all requests kept. Requests with ids of
   * no group (made before request ids carried their hour) are not found here.
   */
  async requestPointersCreatedIn(from: DateTime, to: DateTime, pageSize: number, continuationToken?: string): Promise<{ pointers: GrantPointer[]; continuationToken?: string }> {
    const groups = groupsMadeIn(from, to);
    const [start, end] = [from, to].map((t) => t.toUTC().toISO({ suppressMilliseconds: false })!);
    const page = await this.#index.page({
      filter: allOf(
        filter`PartitionKey ge ${tableKey('locatorGroup', groups.first)} and PartitionKey lt ${tableKey('locatorGroup', groups.after)}`,
        filter`createdDateTime ge ${start} and createdDateTime lt ${end}`,
      )!,
      pageSize,
      continuationToken,
    });
    return { pointers: page.items.map((d) => d.value), ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
  }

  /** Requests waiting for a decision by this approver; pointers of decided requests are skipped. */
  async requestsAwaiting(approverId: string): Promise<StoredDocument<AssignmentRequest>[]> {
    return this.#requestsPointedBy('approver', approverId);
  }

  /**
   * Requests this approver decided a stage of. The pointer is written before the decision is saved, so a decision
   * that lost its race leaves a pointer to a request someone else decided: callers check `reviewedBy`.
   */
  requestsDecidedBy(approverId: string): Promise<StoredDocument<AssignmentRequest>[]> {
    return this.#requestsPointedBy('decider', approverId);
  }

  /** Puts a request in an approver's history; before their decision is saved (see requestsDecidedBy). */
  indexDecision(request: AssignmentRequest, approverId: string): Promise<void> {
    return this.#point('decider', approverId, { id: request.id, targetId: request.targetId });
  }

  /**
   * Requests this user made for others (their own requests are in their own partition). Their partition of the
   * index holds a record of each locator group they made such requests in (indexRequest), and the pointers an
   * earlier version wrote, one per request (and this one for a request whose id is of no group): one query for
   * both, then one query per group for its locators of this requestor's, narrowed in storage on the requestor
   * stored beside each (another requestor's requests in the same group, their requestor's hash the same, are not
   * read), then a read per request; stale pointers are skipped. `now`: the record of a group found holding none of
   * theirs (its requests deleted, by retention for one) is deleted with those reads, if the group is older than
   * the hour before `now`'s, so that a list's queries follow the groups of the requests kept, not every hour the
   * requestor ever made requests for others in.
   */
  async requestsMadeForOthersBy(requestorId: string, now: DateTime): Promise<StoredDocument<AssignmentRequest>[]> {
    const rows = await this.#index.list({ partitionKey: indexKey('requestor', requestorId) });
    const isGroup = (rowKey: string) => rowKey.startsWith(REQUESTOR_GROUP_PREFIX);
    const records = rows.filter((d) => isGroup(d.rowKey));
    const requestor = requestorId.toLowerCase();
    const located = await mapConcurrently(records, (record) => this.#index.list({ partitionKey: tableKey('locatorGroup', groupOfRecord(record)), filter: filter`requestorId eq ${requestor}` }));
    // By id: a refiled request is found both ways (relocateRequest), each leading to where it is now.
    const pointers = new Map([...rows.filter((d) => !isGroup(d.rowKey)), ...located.flat()].map((d) => [d.value.id, d.value]));
    // Housekeeping only: a record that could not be deleted now is deleted by a later list; the list is answered.
    const forgotten = this.#forgetEmptyGroups(records.filter((_, i) => located[i]!.length === 0), now).catch(() => undefined);
    const [requests] = await Promise.all([this.#requestsAt([...pointers.values()]), forgotten]);
    return requests;
  }

  /**
   * Deletes a requestor's records of groups that held none of their requests when read, on the ETag read (a record
   * written again since is kept), but never one of the hour before `now`'s or after it: a process that wrote it may
   * still remember it (#requestorGroups) and make requests of its group without writing it again, and a request made
   * at the end of an hour may still be writing its locator.
   */
  async #forgetEmptyGroups(records: readonly StoredDocument<GrantPointer>[], now: DateTime): Promise<void> {
    const past = records.filter((record) => groupMadeBeforeHourOf(groupOfRecord(record), now.minus({ hours: 1 })));
    await mapConcurrently(past, (record) => this.#index.delete(record).catch(ignoreChanged));
  }

  /** Writes the pointers that let a new request (and its assignment, if any) be found; before the request itself. */
  /**
   * `assignmentId`: the assignment the request is to become at once, its id of the request's id group
   * (groupedIds.ts): both locators share the group's partition, so they are written in one transaction, and
   * indexAssignment is then told the locator is there.
   */
  async indexRequest(request: AssignmentRequest, assignmentId?: string): Promise<void> {
    // At once: both before the request, neither needed before the other.
    await allSettled([this.#findableByRequestor(request), this.#writeLocators(request, assignmentId)]);
  }

  /**
   * Made for others: found by its requestor through their record of its group, whose locator names them, or, for
   * an id of no group, by a pointer of its own.
   */
  async #findableByRequestor(request: AssignmentRequest): Promise<void> {
    if (!madeForOthers(request)) return;
    const group = locatorGroupOf(request.id);
    await (group === undefined ? this.#point('requestor', request.requestorId, requestPointer(request)) : this.#requestorUsed(request.requestorId, group));
  }

  async #writeLocators(request: AssignmentRequest, assignmentId?: string): Promise<void> {
    const locator = requestLocator(request);
    if (assignmentId !== undefined && indexKey('locator', assignmentId) === indexKey('locator', request.id)) {
      // Upserts: the same pointers written again (a retry) mean the same.
      await this.#index.together(
        [locator, { id: assignmentId, targetId: request.targetId }].map((p) => this.#index.upsertion(indexKey('locator', p.id), tableKey(p.id), p)),
      );
    } else {
      await this.#point('locator', request.id, locator);
      if (assignmentId !== undefined) await this.#point('locator', assignmentId, { id: assignmentId, targetId: request.targetId });
    }
  }

  /**
   * Records that the requestor made a request for others in the locator group (requestsMadeForOthersBy), once per
   * process and group: an upsert, so another process's record of the same group is the same row. Its value reads as
   * a pointer to a request that is not there (an id that is no request's, in the requestor's partition), which an
   * earlier version, listing the partition during a rolling upgrade, skips as stale.
   */
  #requestorUsed(requestorId: string, group: string): Promise<void> {
    const hour = group.slice(0, 6);
    if (hour !== this.#requestorGroups.hour) this.#requestorGroups = { hour, written: new Map() };
    const { written } = this.#requestorGroups;
    const partitionKey = indexKey('requestor', requestorId);
    const key = `${partitionKey} ${group}`;
    const writing =
      written.get(key) ??
      this.#index.together([this.#index.upsertion(partitionKey, requestorGroupKey(group), { id: group, targetId: requestorId })]).then(
        () => undefined,
        (error: unknown) => {
          written.delete(key);
          throw error;
        },
      );
    written.set(key, writing);
    return writing;
  }

  /**
   * Points a request's pointers at the partition it was refiled under (an invited subject's request moving to
   * their object id): the locator, the requestor's list of requests made for others, and its deciders' histories.
   */
  async relocateRequest(request: AssignmentRequest): Promise<void> {
    const pointer = requestPointer(request);
    await this.#index.together([this.#index.upsertion(indexKey('locator', request.id), tableKey(request.id), requestLocator(request))]);
    // Its requestor's pointer too, as before: a request an earlier version indexed is found by that alone (no record
    // of its group need be there), and it must lead to where the request is now.
    if (madeForOthers(request)) {
      await this.#index.together([this.#index.upsertion(indexKey('requestor', request.requestorId), tableKey(request.id), pointer)]);
    }
    await mapConcurrently(decidersOf(request), (approverId) => this.#index.together([this.#index.upsertion(indexKey('decider', approverId), tableKey(request.id), pointer)]));
  }

  /** `locatorWritten`: its locator was written with its request's (indexRequest). */
  async indexAssignment(assignment: Assignment, options: { locatorWritten?: boolean } = {}): Promise<void> {
    const pointer = { id: assignment.id, targetId: assignment.targetId };
    if (!options.locatorWritten) await this.#point('locator', assignment.id, pointer);
    await this.#point('packageAssignee', assignment.accessPackageId, pointer);
  }

  async indexApprovers(request: AssignmentRequest, approverIds: readonly string[]): Promise<void> {
    await mapConcurrently(approverIds, (approverId) => this.#point('approver', approverId, { id: request.id, targetId: request.targetId }));
  }

  async unindexApprovers(requestId: string, approverIds: readonly string[]): Promise<void> {
    await mapConcurrently(approverIds, (approverId) => this.#unpoint('approver', approverId, requestId));
  }

  /** An ended assignment leaves its package's assignee index: reprocessing and role changes skip it. */
  unindexAssignee(assignment: Assignment): Promise<void> {
    return this.#unpoint('packageAssignee', assignment.accessPackageId, assignment.id);
  }

  /**
   * unindexAssignee for many: the pointers of one package share its partition, so one transaction per package and
   * hundred; a pointer already gone fails its transaction, whose pointers are then removed one by one.
   */
  async unindexAssignees(assignments: readonly Assignment[]): Promise<void> {
    const byPackage = new Map<string, Assignment[]>();
    for (const a of assignments) byPackage.set(a.accessPackageId, [...(byPackage.get(a.accessPackageId) ?? []), a]);
    for (const [packageId, ended] of byPackage) {
      for (let i = 0; i < ended.length; i += 100) {
        const run = ended.slice(i, i + 100);
        await this.#index
          .together(run.map((a) => this.#index.deletion({ partitionKey: indexKey('packageAssignee', packageId), rowKey: tableKey(a.id) })))
          .catch(() => mapConcurrently(run, (a) => this.unindexAssignee(a)));
      }
    }
  }

  /** Forgets a deleted request's pointers (after the request is gone), and the locator written for its assignment-to-be. */
  async unindexRequest(request: AssignmentRequest, assignmentId?: string): Promise<void> {
    await this.#unpoint('requestor', request.requestorId, request.id);
    await mapConcurrently(decidersOf(request), (approverId) => this.#unpoint('decider', approverId, request.id));
    if (assignmentId !== undefined) await this.#unpoint('locator', assignmentId, assignmentId);
    await this.#unpoint('locator', request.id, request.id);
  }

  /**
   * The pointers of many new requests and assignments at once (a bulk write: assignInBulk.ts), before what they
   * point to, as indexRequest and indexAssignment write them one by one: each partition's in transactions of a
   * hundred. Locators of ids made together share their group's partition (groupedIds.ts); assignees, their
   * package's. Upserts: a bulk write run again writes the same pointers.
   */
  async indexInBulk(requests: readonly AssignmentRequest[], assignments: readonly Assignment[]): Promise<void> {
    const groupsUsed = new Map(
      requests.filter(madeForOthers).flatMap((r) => {
        const group = locatorGroupOf(r.id);
        return group === undefined ? [] : [[`${r.requestorId} ${group}`, { requestorId: r.requestorId, group }] as const];
      }),
    );
    await allSettled([
      mapConcurrently([...groupsUsed.values()], (used) => this.#requestorUsed(used.requestorId, used.group)),
      this.#inBulk(this.#bulkPointers(requests, assignments), (p) => this.#index.upsertion(p.partitionKey, tableKey(p.pointer.id), p.pointer)),
    ]);
  }

  /**
   * Takes back what indexInBulk wrote for requests and assignments that were not written after all; not the
   * requestors' records of groups, which other requests may need (one left leading to none is deleted by a list two
   * hours on, requestsMadeForOthersBy).
   */
  async unindexInBulk(requests: readonly AssignmentRequest[], assignments: readonly Assignment[]): Promise<void> {
    await this.#inBulk(this.#bulkPointers(requests, assignments), (p) => this.#index.deletion({ partitionKey: p.partitionKey, rowKey: tableKey(p.pointer.id) }));
  }

  #bulkPointers(requests: readonly AssignmentRequest[], assignments: readonly Assignment[]): Array<{ partitionKey: TableKey; pointer: GrantPointer }> {
    // A pointer of its own for a request made for others whose id is of no group (indexRequest).
    const requestors = requests.filter((r) => madeForOthers(r) && locatorGroupOf(r.id) === undefined);
    return [
      ...requests.map((r) => ({ partitionKey: indexKey('locator', r.id), pointer: requestLocator(r) })),
      ...assignments.map((a) => ({ partitionKey: indexKey('locator', a.id), pointer: { id: a.id, targetId: a.targetId } })),
      ...requestors.map((r) => ({ partitionKey: indexKey('requestor', r.requestorId), pointer: { id: r.id, targetId: r.targetId } })),
      ...assignments.map((a) => ({ partitionKey: indexKey('packageAssignee', a.accessPackageId), pointer: { id: a.id, targetId: a.targetId } })),
    ];
  }

  async #inBulk<P extends { partitionKey: TableKey }>(items: readonly P[], write: (item: P) => DocumentWrite): Promise<void> {
    const batches = transactionsOf(items, (item) => item.partitionKey);
    // A deletion of a pointer already gone fails its batch: the others of it are then deleted one by one.
    await mapConcurrently(batches, (batch) =>
      this.#index.together(batch.map(write)).catch(() => mapConcurrently(batch, (item) => this.#index.together([write(item)]).catch(ignoreMissing))),
    );
  }

  /** Writes of one target's partition, all or none. */
  together(writes: readonly DocumentWrite[]): Promise<Array<StoredDocument<object> | undefined>> {
    return writeDocumentsTogether(writes, 'assignment request');
  }

  async #locate(id: string): Promise<string | undefined> {
    const pointer = await this.#index.get(indexKey('locator', id), tableKey(id));
    return pointer?.value.targetId;
  }

  async #pointers(kind: IndexKind, ownerId: string): Promise<GrantPointer[]> {
    return (await this.#index.list({ partitionKey: indexKey(kind, ownerId) })).map((d) => d.value);
  }

  async #requestsPointedBy(kind: IndexKind, ownerId: string): Promise<StoredDocument<AssignmentRequest>[]> {
    return this.#requestsAt(await this.#pointers(kind, ownerId));
  }

  async #requestsAt(pointers: readonly GrantPointer[]): Promise<StoredDocument<AssignmentRequest>[]> {
    const found = await mapConcurrently(pointers, (p) => this.requests.get(GrantStore.targetKey(p.targetId), GrantStore.requestKey(p.id)));
    return found.filter((r): r is StoredDocument<AssignmentRequest> => r !== undefined);
  }

  async #point(kind: IndexKind, ownerId: string, pointer: GrantPointer): Promise<void> {
    // Two writers pointing at the same thing at once both mean the same pointer.
    await this.#index.insert(indexKey(kind, ownerId), tableKey(pointer.id), pointer).catch(ignoreExisting);
  }

  async #unpoint(kind: IndexKind, ownerId: string, id: string): Promise<void> {
    const entry = await this.#index.get(indexKey(kind, ownerId), tableKey(id));
    if (entry) await this.#index.delete(entry);
  }
}

/** The group a requestor's record is of (its row key's second part). */
const groupOfRecord = (record: StoredDocument<GrantPointer>): string => splitTableKey(record.rowKey)[1]!;

/** A locator's partition: its id's own, or, for ids made together (groupedIds.ts), their group's. */
const indexKey = (kind: IndexKind, ownerId: string): TableKey => {
  const group = kind === 'locator' ? locatorGroupOf(ownerId) : undefined;
  return group === undefined ? tableKey(kind, ownerId) : tableKey('locatorGroup', group);
};

/** The approvers who decided a stage of the request, each once. */
const decidersOf = (request: AssignmentRequest): string[] => [...new Set((request.approval?.stages ?? []).flatMap((s) => (s.reviewedBy ? [s.reviewedBy.id] : [])))];

/** What an administrator's list is narrowed by (each an equality); the stored columns written with every document. */
export interface ListedBy {
  targetId?: string;
  accessPackageId?: string;
  catalogId?: string;
  assignmentPolicyId?: string;
  requestorId?: string;
  state?: string;
}

function listedBy(kind: 'assignment' | 'request', where: ListedBy): { partitionKey?: TableKey; filter: ODataFilter } {
  const { targetId, accessPackageId, catalogId, assignmentPolicyId, requestorId, state } = where;
  return {
    ...(targetId === undefined ? {} : { partitionKey: GrantStore.targetKey(targetId) }),
    filter: allOf(
      rowKeysUnder(kind),
      accessPackageId === undefined ? undefined : filter`accessPackageId eq ${accessPackageId}`,
      catalogId === undefined ? undefined : filter`catalogId eq ${catalogId}`,
      assignmentPolicyId === undefined ? undefined : filter`assignmentPolicyId eq ${assignmentPolicyId}`,
      requestorId === undefined ? undefined : filter`requestorId eq ${requestorId}`,
      state === undefined ? undefined : filter`state eq ${state}`,
    )!,
  };
}
