import { mapConcurrently } from '../../concurrently';
import type { Assignment, DeliveryOperation } from '../../domain/assignments/assignment';
import { deliveryState, removals, roleKey, STATUS_OF_STATE } from '../../domain/assignments/deliveryState';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { AuditEntry, AuditEvent, AuditProbe } from '../../store/auditLog';
import { writersOf, type StoredDocument } from '../../store/documentTable';
import { GrantStore, type PackageClaim } from '../../store/grantStore';
import { idsInGroups, locatorGroupOf } from '../../store/groupedIds';
import { markedVersion, markingWrites, type MarkedVersion, type WriterMark } from '../../store/writerMarks';
import { afterOutcomes, changeDirectory, withOutcomes, type ApplyOptions, type DirectoryPass } from '../assignments/applyOperations';
import { GraphThrottled } from '../../directory/throttleDeferral';
import { claimedGrants, claimKeyOf, packagesGranting } from '../assignments/claimedGrants';
import { shownIn, failedChangeMade, writeAheadTogether, type WriteAheadItem } from '../audit/auditedChange';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { dueItem, PENDING_GRACE_MS } from '../lifecycle/planDueWork';
import { systemRemovalOf } from './systemRequests';
import { inState, requestEvent } from './requestWrites';

/**
 * A target's claim on a package as an ending knows it: read, or known without a read (its keys and what it names;
 * its release deletes it by key, whatever its ETag).
 */
export type KnownClaim = Pick<StoredDocument<PackageClaim>, 'partitionKey' | 'rowKey' | 'value'>;

/** An assignment to end, with its target's claim on its package as known (undefined: none). */
export interface Ending {
  assignment: StoredDocument<Assignment>;
  claim: KnownClaim | undefined;
  /** The request that ends it, when not the system's own `systemRemove` (an auto-assignment's `adminRemove`). */
  request?: AssignmentRequest;
  /**
   * Set when an earlier run saved this end (its request, still `delivering`) and its removals did not go out:
   * Graph deferred them (429 in a queue function), or that run stopped. It joins the batch at step 3.
   */
  endedBy?: StoredDocument<AssignmentRequest>;
}

/**
 * The system's removal of many assignments at once (a batch of the expiration sweep; auto-assignment's removals,
 * removeInBulk.ts, each with its own request): what `carryOut` of a
 * `systemRemove` does for one (systemRequests.ts, fulfilRequest.ts), with each step taken for all of them before
 * the next, so that the directory changes go out as bulk calls (a `$batch` of 20) and writes that share a partition
 * (due items, audit events, the grant ledger, the package assignee index) go in transactions:
 * 1. each request's pointer, then the redelivery item of each end with something for the directory (the reconcile
 *    sweep's, should this stop before the end);
 * 2. one transaction per target: the request (already `delivering`), the assignment ended with its removals pending,
 *    its claim released; then the assignees' pointers, per package;
 * 3. the removals of all, by role, in bulk directory calls (applyOperations' changeDirectory), a role the target
 *    holds through another assignment kept (looked up by claims, claimedGrants.ts); the grant ledger told;
 * 4. one transaction per target: the outcomes on the assignment and the request delivered (or not); then retries
 *    planned and raced changes compensated as delivery does.
 * An end with nothing for the directory to take (its assignment gave no role, or its removals are all done) is its
 * own outcome, as the pipeline's delivery of no operation leaves it: written once at step 2 in its final state (the
 * request delivered), its events (the outcome's with the end's) in one item, without a redelivery item or step 4.
 * Every event is written ahead (auditedChange.ts), all in a few transactions of the due-time index, and appended
 * once its change is made; a process stopped midway leaves them to the sweep, which appends those whose change
 * shows (each change marks what it writes, writerMarks.ts, so that an outcome another run made is not taken for this
 * one's), and the redelivery items (5 minutes on) to the reconcile sweep, which finishes the removals and the
 * requests. The request is written with its assignment's end (`delivering`, or already delivered), so it never
 * waits `submitted` and needs no recovery item. One assignment's failure (a write, the directory refusing one user) is its own: the
 * others go on. `hold` (the sweep's lease check) runs before each step's writes. Answers, for each ending, undefined when carried out (a directory change that failed is then
 * retried by the reconcile sweep, as delivery does), or the error that stopped it.
 */
export async function carryOutRemovals(
  deps: EntitlementDeps,
  endings: readonly Ending[],
  justification: string,
  hold: () => Promise<void> = async () => undefined,
): Promise<Array<Error | undefined>> {
  const errors: Array<Error | undefined> = endings.map(() => undefined);
  const fail = (index: number) => (error: unknown) => void (errors[index] = error instanceof Error ? error : new Error(String(error)));
  const written: WriteAhead[] = [];

  // 1. Pointers and redelivery items, before what they find and repair (an end saved earlier has its own).
  const fresh = [...endings.keys()].filter((index) => !endings[index]!.endedBy);
  // The system's own requests get ids in groups (groupedIds.ts), so that their locators go in a few transactions.
  const requestId = idsInGroups();
  const removing = endings.map(({ assignment, request }) => ({ request: request ?? { ...systemRemovalOf(deps, assignment.value, justification), id: requestId(deps.clock.now()) }, assignment }));
  await hold();
  // Requests whose ids share a group (groupedIds.ts) share their locators' partition: a hundred to a transaction.
  const grouped = (index: number) => locatorGroupOf(removing[index]!.request.id) !== undefined;
  await deps.grants.indexInBulk(fresh.filter(grouped).map((index) => removing[index]!.request), []).catch((error: unknown) => fresh.filter(grouped).forEach((index) => fail(index)(error)));
  await mapConcurrently(fresh.filter((index) => !grouped(index)), (index) => deps.grants.indexRequest(removing[index]!.request).catch(fail(index)));
  const planned = fresh.map((index) => ({ ...endOf(deps, removing[index]!.request, removing[index]!.assignment, endings[index]!.claim), index }));
  const redeliveries = removing.map(({ assignment }) => dueItem(deps, 'redelivery' as const, deps.clock.now().plus(PENDING_GRACE_MS), assignment.value.id));
  await deps.redeliveries.scheduleAll(planned.filter((end) => !end.final).map((end) => redeliveries[end.index]!));

  // 2. The ends, their events written ahead all at once (an end's three, or four, in one item: they share their probe).
  const ends = planned.filter((end) => !errors[end.index]);
  const endsAhead = await writeAhead(deps, written, ends.map((e) => e.change));
  const ended = await mapConcurrently([...ends.keys()], async (n) => {
    const end = ends[n]!;
    const ahead = endsAhead[n]!;
    try {
      return { ...(await markedBy(ahead.marks, deps, end.save)), index: end.index, final: end.final };
    } catch (error) {
      fail(end.index)(error);
      // Written despite the error (its answer lost), it is finished by its redelivery (or, written final, is done);
      // not written, its pointer goes.
      // Should the read that tells fail too, its pointer stays (a stale one is skipped on read) and the sweep decides
      // for its events, by the request's row.
      ahead.made = await failedChangeMade(deps, ahead.item);
      if (ahead.made === 'no') await deps.grants.unindexRequest(end.request).catch(() => undefined);
      return undefined;
    }
  });
  await deps.grants.unindexAssignees(ended.flatMap((e) => (e ? [e.assignment.value] : [])));
  const resumed = endings.flatMap(({ assignment, claim, endedBy }, index) =>
    endedBy ? [{ request: endedBy, assignment, claimAfter: claim?.value ?? null, index }] : [],
  );
  // An end written in its final state is done: nothing for the directory, no outcome to save.
  const live = [...ended.flatMap((e) => (e && !e.final ? [e] : [])), ...resumed];

  // 3. The directory: every removal of the batch, by role.
  const roles = live.flatMap((e) => e.assignment.value.operations.map((o) => o.role));
  const granting = await packagesGranting(deps, roles);
  const asked = new Map(live.map((e) => [e.assignment.value.id, e.assignment.value.operations.map((o) => o.role)]));
  // Right after the ends were saved, each claim is as its transaction left it: not read again.
  const known = new Map(live.map((e) => [claimKeyOf(e.request.value.targetId, e.request.value.accessPackageId), e.claimAfter] as const));
  const options: ApplyOptions = { retryFailed: false, grantsElsewhere: claimedGrants(deps, granting, asked, known) };
  let pass;
  try {
    pass = await changeDirectory(deps, live.map((e) => e.assignment), options);
  } catch (error) {
    // The ends are saved with their removals pending: the redelivery items carry them out.
    for (const e of live) fail(e.index)(error);
    await appendWrittenAhead(deps, written);
    return errors;
  }

  // Removals Graph deferred (429 in a queue function) are not failed deliveries: their ends stay saved with the
  // removals pending, as step 2 left them, and their items come back with the invocation's message after the wait.
  const deferred = live.filter((e) => throttledRemoval(pass, e.assignment.value));
  for (const e of deferred) fail(e.index)(throttledRemoval(pass, e.assignment.value));
  const settled = live.filter((e) => !deferred.includes(e));

  // 4. The outcomes, their events written ahead all at once.
  await hold();
  const outcomes = settled.map((e) => outcomeOf(deps, e, withOutcomes(pass, e.request.value.targetId, options)));
  const outcomesAhead = await writeAhead(deps, written, outcomes.map((o) => o.change));
  const saved = await mapConcurrently([...outcomes.keys()], async (n) => {
    const outcome = outcomes[n]!;
    const index = settled[n]!.index;
    try {
      return { assignment: await markedBy(outcomesAhead[n]!.marks, deps, outcome.save), index };
    } catch (error) {
      fail(index)(error);
      // Not saved (another writer changed the assignment meanwhile): its redelivery item finishes it, with an event
      // of its own; this one's is appended only if the write went through after all (its answer lost).
      outcomesAhead[n]!.made = await failedChangeMade(deps, outcomesAhead[n]!.item);
      return undefined;
    }
  });
  const delivered = saved.filter((s) => s !== undefined);
  await appendWrittenAhead(deps, written);
  // Done: nothing left for the redelivery item (a removal that failed keeps it, and gets its own retry too).
  // (An end saved by an earlier run keeps that run's item, which finds it done.)
  await deps.redeliveries.unscheduleAll(
    delivered.filter((s) => !endings[s.index]!.endedBy && s.assignment.value.operations.every((o) => o.state === 'done')).map((s) => redeliveries[s.index]!),
  );
  // Compensation looks again after the directory changed, so it reads every claim afresh. A deferred end is looked
  // at too, as an immediate one: a removal of its that went out before Graph said 429 (another role's) may have taken
  // a role an assignment made meanwhile gives; when its item comes back that role is found given elsewhere and kept,
  // so nothing else would give it back before drift repair.
  await afterOutcomes(deps, [...delivered.map((s) => s.assignment), ...deferred.map((e) => e.assignment)], pass, { retryFailed: false, grantsElsewhere: claimedGrants(deps, granting, asked) });
  return errors;
}

/** The deferral Graph answered for one of the assignment's removals in this pass, if it did. */
function throttledRemoval(pass: DirectoryPass, assignment: Assignment): GraphThrottled | undefined {
  for (const op of assignment.operations) {
    const error = pass.results.get(`${op.action}|${roleKey(op.role)}`)?.get(assignment.targetId)?.error;
    if (error instanceof GraphThrottled) return error;
  }
  return undefined;
}

interface Ended {
  request: StoredDocument<AssignmentRequest>;
  assignment: StoredDocument<Assignment>;
  /** The claim on the package as the end left it. */
  claimAfter: PackageClaim | null;
}

/**
 * Step 2 for one: the request, the end and the claim's release, to be saved in one transaction of the target's
 * partition. `final` when the end leaves nothing for the directory: the request is then saved delivered, with its
 * outcome's event.
 */
function endOf(deps: EntitlementDeps, request: AssignmentRequest, assignment: StoredDocument<Assignment>, claim: KnownClaim | undefined) {
  const { grants } = deps;
  const before = assignment.value;
  const endedValue: Assignment = {
    ...before,
    state: 'expired',
    status: STATUS_OF_STATE.expired,
    expiredDateTime: nowIso(deps),
    // As removeAccess (fulfilRequest.ts): what it was given, and removals not yet done.
    operations: removals(before.operations.filter((o) => o.action === 'add' || o.state !== 'done').map((o) => o.role)),
    endedByRequestId: request.id,
  };
  const delivering = inState(deps, request, 'delivering');
  // As deliver (fulfilRequest.ts) leaves a removal without operations: the assignment as ended, the request delivered.
  const final = endedValue.operations.length === 0;
  const written = final ? inState(deps, delivering, deliveryState(endedValue.operations, 'remove')) : delivering;
  const target = GrantStore.targetKey(request.targetId);
  const requestRow = { partitionKey: target, rowKey: GrantStore.requestKey(request.id) };
  const releases = claim?.value.assignmentId === before.id;
  const change: Change = {
    entries: [
      { actorId: request.requestorId, action: 'submitRequest', entityType: 'assignmentRequest', entityId: request.id, before: null, after: request },
      { actorId: request.requestorId, action: 'endAssignment', entityType: 'assignment', entityId: before.id, before, after: endedValue },
      requestEvent('startDelivery', request, delivering),
      ...(final ? [requestEvent('deliverRequest', delivering, written)] : []),
    ],
    // All shown by the request, written with the end: a later end of the assignment (this one stopped before it) is
    // not this one's.
    probe: shownIn('accessGrants', requestRow, 'present'),
  };
  const save = async (): Promise<Ended> => {
    const [savedRequest, savedAssignment] = await grants.together([
      grants.requests.insertion(target, requestRow.rowKey, written),
      grants.assignments.replacement(assignment, endedValue),
      ...(releases ? [grants.claims.deletion(claim)] : []),
    ]);
    return {
      request: savedRequest as StoredDocument<AssignmentRequest>,
      assignment: savedAssignment as StoredDocument<Assignment>,
      claimAfter: releases || !claim ? null : claim.value,
    };
  };
  return { request, change, save, final };
}

/** Step 4 for one: the assignment's outcomes and the request's end, to be saved in one transaction on the ETags step 2 left. */
function outcomeOf(deps: EntitlementDeps, ended: Ended, outcome: (op: DeliveryOperation) => DeliveryOperation) {
  const { grants } = deps;
  const assignment: Assignment = { ...ended.assignment.value, operations: ended.assignment.value.operations.map(outcome) };
  const finished = inState(deps, ended.request.value, deliveryState(assignment.operations, 'remove'));
  // Should its write carry no mark by then (an unmarked write after it: the reconcile sweep's), the request's content
  // decides. A delivered request is not completed again, so its own completedDateTime tells this write from another
  // run's; a failed one may be, by a retry that read this write, so any change from `delivering` counts.
  const changed = shownIn('accessGrants', ended.request, 'changed');
  const probe: AuditProbe = finished.state === 'delivered' ? { ...changed, field: 'completedDateTime' } : { ...changed, was: ended.request.value };
  // Made on the ETag step 2 (or an earlier run) left: the marks tell whether it landed on that version.
  const replaces = markedVersion(writersOf(ended.request));
  const change: Change = { entries: [requestEvent('deliverRequest', ended.request.value, finished)], probe, ...(replaces ? { replaces } : {}) };
  const save = async (): Promise<StoredDocument<Assignment>> => {
    const [, savedAssignment] = await grants.together([grants.requests.replacement(ended.request, finished), grants.assignments.replacement(ended.assignment, assignment)]);
    return savedAssignment as StoredDocument<Assignment>;
  };
  return { change, save };
}

/** One change's events, where it shows, and (a replacement on a marked version) that version. */
interface Change {
  entries: AuditEntry[];
  probe: AuditProbe;
  replaces?: MarkedVersion;
}

interface WriteAhead {
  /** One item for all the change's events (auditedChange.ts's writeAheadTogether). */
  item: WriteAheadItem;
  events: AuditEvent[];
  /** Its change's marks on what it writes (writerMarks.ts), one for each event. */
  marks: WriterMark[];
  /**
   * Set when its change failed, as what shows after (failedChangeMade) tells: `yes`, made all the same (its answer
   * lost), appended; `no`, not made, its item taken back and the events dropped; `unknown`, neither: its item is left
   * to the sweep, which appends the events if their change shows once settled, or drops them. Unset: made, appended.
   */
  made?: 'yes' | 'no' | 'unknown';
}

/**
 * Writes the events of changes ahead of them (auditedChange.ts's `audited`, for many): one due item a change, one
 * transaction per minute; an outcome's (a replacement on a marked version) with its change's mark and that version.
 * A change's events share an audit partition, so that they are appended in one transaction.
 */
async function writeAhead(deps: EntitlementDeps, written: WriteAhead[], changes: readonly Change[]): Promise<WriteAhead[]> {
  const at = deps.clock.now().toUTC().toISO()!;
  const ahead = changes.map(({ entries, probe, replaces }) => {
    const events: AuditEvent[] = [];
    for (const entry of entries) events.push(deps.audit.event(entry, events[0]));
    // An end's change is the insert of a request of its own id: its row being there says it was made, and the marks'
    // time rule (which may say "not made" of a row there when clocks differ) would only add doubt. An outcome's is a
    // replacement, which the marks tell from another run's (writtenBy).
    const item = replaces ? writeAheadTogether(deps, events, probe, at, replaces) : writeAheadTogether(deps, events, probe);
    return { item, events, marks: events.map((event) => ({ eventId: event.id, at })) };
  });
  await deps.due.scheduleAll(ahead.map((a) => a.item));
  written.push(...ahead);
  return ahead;
}

/** Runs a change that several events record with each one's mark on what it writes. */
const markedBy = <R>(marks: readonly WriterMark[], deps: Pick<EntitlementDeps, 'clock'>, change: () => Promise<R>): Promise<R> =>
  marks.reduceRight<() => Promise<R>>((inner, mark) => () => markingWrites(mark, deps.clock, inner), change)();

/**
 * Appends the events written ahead whose changes were made, then takes their items back and gives the dropped
 * events' numbers up (burned: the writer's next event lists them, so the verifier does not take them for deleted).
 * The items of events whose change is unknown stay, their numbers neither appended nor given up: the sweep decides
 * (completeAuditEvent). Should the append or the taking back fail, all the items stay: the sweep appends each event
 * whose change shows, so no number is given up.
 */
async function appendWrittenAhead(deps: EntitlementDeps, written: readonly WriteAhead[]): Promise<void> {
  try {
    await deps.audit.appendAll(written.filter((w) => w.made === undefined || w.made === 'yes').flatMap((w) => w.events));
    await deps.due.unscheduleAll(written.filter((w) => w.made !== 'unknown').map((w) => w.item));
  } catch {
    return;
  }
  deps.audit.burned(written.filter((w) => w.made === 'no').flatMap((w) => w.events));
}
