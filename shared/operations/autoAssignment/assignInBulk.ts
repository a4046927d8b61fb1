import type { Assignment } from '../../domain/assignments/assignment';
import { additions, deliveryState, STATUS_OF_STATE } from '../../domain/assignments/deliveryState';
import { isDomainError } from '../../domain/errors';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { assignmentEnd, isScheduledStart } from '../../domain/requests/requestRequirements';
import type { AuditEntry, AuditEvent } from '../../store/auditLog';
import type { StoredDocument } from '../../store/documentTable';
import type { DueItem, ExpirationKind, RedeliveryKind } from '../../store/dueWork';
import { GrantStore } from '../../store/grantStore';
import { newIdGroup } from '../../store/groupedIds';
import { MAX_TRANSACTION_SIZE, transactionsOf } from '../../store/transactionsOf';
import { allSettled, mapConcurrently } from '../../concurrently';
import { applyOperations } from '../assignments/applyOperations';
import { shownIn, writeAheadItem, writeAheadTogether } from '../audit/auditedChange';
import { refusedWriteLanded } from '../audit/refusedWrite';
import { markingWrites } from '../../store/writerMarks';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { cancelRemoval } from '../externalUsers/guestLifecycle';
import { PENDING_GRACE_MS } from '../lifecycle/planDueWork';
import { accessDelivered } from '../notifications/messages';
import { about, notify } from '../notifications/notify';
import { planEnd } from '../requests/fulfilRequest';
import { assignmentCreated, newAssignment } from '../requests/newAssignment';
import { inState, requestEvent, submitted } from '../requests/requestWrites';
import type { AutomaticPolicy } from './automaticPolicies';
import { automaticRequest } from './automaticRequests';
import { standingPolicies } from './standingPolicies';

/** A user a policy's rule now gives the policy's package. */
export interface Addition {
  auto: AutomaticPolicy;
  userId: string;
}

/** What became of an addition: made, not needed (the user holds the package or has a request open for it), or failed. */
export type AdditionOutcome = { kind: 'assigned' } | { kind: 'unchanged' } | { kind: 'failed'; error: unknown };

/** Requests and assignments whose ids share a group (groupedIds.ts): two locators each, a transaction's hundred. */
const GRANTS_PER_ID_GROUP = MAX_TRANSACTION_SIZE / 2;
/** Rows of one grant in its target's partition: the request, its claim, the assignment. */
const ROWS_PER_GRANT = 3;

/** One addition as written: the request and assignment as stored, and the events of how they came to be. */
interface Grant {
  index: number;
  request: AssignmentRequest;
  assignment: Assignment;
  events: AuditEvent[];
}

/**
 * Makes many automatic assignments at once, with the documents, events and guarantees of the request pipeline
 * (a system-made `adminAdd` request, carried out at once: systemRequests.ts, fulfilRequest.ts) but their writes
 * batched by partition, so a full evaluation's thousands of assignments cost about one Table round trip each:
 *
 * 1. Read once per policy: that it stands (not deleted, not being deleted) and the roles its package grants.
 * 2. Written ahead, a hundred to a transaction: the pointers (locators, in their id group's partition; the package's
 *    assignee index), the events (a grant's in one audit write-ahead item: auditedChange.ts), the planned ends, and for
 *    packages with roles the redelivery items. Should the process stop after this, the expiration sweep appends
 *    the events whose change shows and drops the others; stale pointers are skipped on read.
 * 3. In one transaction per target (the request, in its final state, its claim on the package, and the
 *    assignment): all of a user's new assignments together. A claim already there (the user holds the package, or
 *    has a request open for it, made meanwhile) fails the transaction: the user's grants are then written one by one,
 *    and those refused are `unchanged`, their write-ahead taken back. A rerun finds the assignments through the
 *    package's assignee index, and the claims refuse a second one: nothing is made twice.
 * 4. Roles delivered in bulk (applyOperations: one directory call per role for all its new holders), then each
 *    such request brought to its outcome, its event written ahead likewise (a write that failed but landed, told by
 *    its writer mark, counts as made; one that cannot be told is left to the sweep).
 * 5. The events appended (a hundred to a transaction) and their write-ahead items deleted.
 * Answers each addition's outcome, in order.
 */
export async function assignInBulk(deps: EntitlementDeps, wanted: readonly Addition[]): Promise<AdditionOutcome[]> {
  const outcomes: AdditionOutcome[] = wanted.map(() => ({ kind: 'unchanged' }));
  const grants = await grantsFor(deps, wanted, outcomes);
  if (grants.length === 0) return outcomes;

  // A grant's events share their probe (its request's row): one item holds them all.
  const aheadOf = new Map(grants.map((g) => [g, writeAheadTogether(deps, g.events, requestRow(g))]));
  // Kept to take back exactly what was planned: an item's key holds the time it was built at.
  const redeliveryOf = new Map(grants.filter((g) => g.assignment.operations.length > 0).map((g) => [g, redeliveryItem(deps, g.assignment)]));
  await allSettled([
    deps.grants.indexInBulk(
      grants.map((g) => g.request),
      grants.map((g) => g.assignment),
    ),
    deps.due.scheduleAll([...aheadOf.values()]),
    deps.redeliveries.scheduleAll([...redeliveryOf.values()]),
    mapConcurrently(
      grants.filter((g) => assignmentEnd(g.assignment.schedule)),
      (g) => planEnd(deps, g.assignment),
    ),
  ]);

  const written = await writeByTarget(deps, grants, outcomes);
  const refused = grants.filter((g) => !written.has(g));
  await allSettled([
    deps.grants.unindexInBulk(
      refused.map((g) => g.request),
      refused.map((g) => g.assignment),
    ),
    deps.due.unscheduleAll(refused.map((g) => aheadOf.get(g)!)),
    deps.redeliveries.unscheduleAll(refused.flatMap((g) => redeliveryOf.get(g) ?? [])),
  ]);
  deps.audit.burned(refused.flatMap((g) => g.events));

  const delivered = await deliverRoles(deps, [...written.values()]);
  await deps.audit.appendAll([...written.keys()].flatMap((g) => [...g.events, ...(delivered.get(g)?.event ? [delivered.get(g)!.event!] : [])]));
  await deps.due.unscheduleAll([...written.keys()].flatMap((g) => [aheadOf.get(g)!, ...(delivered.get(g)?.item ? [delivered.get(g)!.item!] : [])]));
  await cancelPlannedRemovals(deps, [...written.keys()].map((g) => g.request.targetId));
  await mapConcurrently([...written.keys()], async (g) => {
    const request = delivered.get(g)?.request ?? g.request;
    if (request.state !== 'delivered') return;
    const end = assignmentEnd(g.assignment.schedule)?.toUTC().toISO() ?? null;
    await notify(deps, { ...about(request), packageName: wanted[g.index]!.auto.packageName }, (s) => accessDelivered([request.targetId], s, end));
  });
  return outcomes;
}

/**
 * The grants to write, built as the pipeline builds them: the system's request, its assignment, and the events of
 * submitting, creating, starting and (without roles to deliver) finishing delivery. Additions under a policy that
 * does not stand fail; one with a future start (the pipeline's `scheduled`) is not made here and fails too.
 */
async function grantsFor(deps: EntitlementDeps, wanted: readonly Addition[], outcomes: AdditionOutcome[]): Promise<Grant[]> {
  const requests = wanted.map(({ auto, userId }) => automaticRequest(deps, auto, 'adminAdd', userId));
  const rolesOf = await standingPolicies(deps, requests);
  const roles = await mapConcurrently(requests, (request) => rolesOf(request).catch((error: unknown) => ({ error })));
  const grants: Grant[] = [];
  let nextId = newIdGroup(deps.clock.now());
  requests.forEach((made, index) => {
    const found = roles[index]!;
    if ('error' in found) return void (outcomes[index] = { kind: 'failed', error: found.error });
    if (isScheduledStart(made.schedule, deps.clock.now())) return void (outcomes[index] = { kind: 'failed', error: new Error('An automatic assignment starts at once.') });
    if (grants.length > 0 && grants.length % GRANTS_PER_ID_GROUP === 0) nextId = newIdGroup(deps.clock.now());
    const request = { ...made, id: nextId() };
    const created = newAssignment(deps, request, additions(found), nextId());
    const delivering = { ...inState(deps, request, 'delivering'), assignmentId: created.id };
    const entries: AuditEntry[] = [submitted(request), assignmentCreated(request, created), requestEvent('startDelivery', request, delivering)];
    if (created.operations.length > 0) {
      grants.push({ index, request: delivering, assignment: created, events: eventsTogether(deps, entries) });
      return;
    }
    // Nothing to deliver: as applyOperations leaves it, and the request delivered.
    const finished = inState(deps, delivering, 'delivered');
    const assignment = { ...created, state: deliveryState(created.operations), status: STATUS_OF_STATE[deliveryState(created.operations)] };
    grants.push({ index, request: finished, assignment, events: eventsTogether(deps, [...entries, requestEvent('deliverRequest', delivering, finished)]) });
  });
  return grants;
}

/**
 * A grant's events in one audit partition (its first event's shard, within a minute), as the pipeline's are
 * (auditOutbox.ts): appended in one transaction, not one per shard they would fall in apart.
 */
function eventsTogether(deps: EntitlementDeps, entries: readonly AuditEntry[]): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const entry of entries) events.push(deps.audit.event(entry, events[0]));
  return events;
}

/**
 * Writes each target's grants in its partition, all of a target's together (a transaction holds a hundred rows).
 * Answers the grants written, with their stored request and assignment.
 */
async function writeByTarget(deps: EntitlementDeps, grants: readonly Grant[], outcomes: AdditionOutcome[]): Promise<Map<Grant, Written>> {
  const batches = transactionsOf(grants, (g) => g.request.targetId, Math.floor(MAX_TRANSACTION_SIZE / ROWS_PER_GRANT));
  const written = new Map<Grant, Written>();
  await mapConcurrently(batches, async (batch) => {
    try {
      await writeTogether(deps, batch, written);
    } catch (error) {
      // One grant refused refuses them all: each alone, then, so the others are made.
      if (batch.length === 1) return void (outcomes[batch[0]!.index] = await refusal(deps, batch[0]!, error, written));
      for (const grant of batch) {
        await writeTogether(deps, [grant], written).catch(async (alone: unknown) => void (outcomes[grant.index] = await refusal(deps, grant, alone, written)));
      }
    }
  });
  for (const grant of written.keys()) outcomes[grant.index] = { kind: 'assigned' };
  return written;
}

interface Written {
  grant: Grant;
  request: StoredDocument<AssignmentRequest>;
  assignment: StoredDocument<Assignment>;
}

async function writeTogether(deps: EntitlementDeps, grants: readonly Grant[], written: Map<Grant, Written>): Promise<void> {
  const { grants: store } = deps;
  const target = GrantStore.targetKey(grants[0]!.request.targetId);
  const saved = await store.together(
    grants.flatMap(({ request, assignment }) => [
      store.requests.insertion(target, GrantStore.requestKey(request.id), request),
      store.claims.insertion(target, GrantStore.claimKey(request.accessPackageId), { packageId: request.accessPackageId, requestId: request.id, assignmentId: assignment.id }),
      store.assignments.insertion(target, GrantStore.assignmentKey(assignment.id), assignment),
    ]),
  );
  grants.forEach((grant, i) => {
    written.set(grant, {
      grant,
      request: saved[i * ROWS_PER_GRANT] as StoredDocument<AssignmentRequest>,
      assignment: saved[i * ROWS_PER_GRANT + 2] as StoredDocument<Assignment>,
    });
  });
}

/**
 * Why a grant was not written. The claim is read whatever the error: this grant's own claim means the write
 * committed and its answer was lost (a retry refused as a duplicate, or retries run out after a try that landed),
 * so it is written. Otherwise a duplicate is a user who holds the package or has a request open for it
 * (`unchanged`), and any other error, or a claim that cannot be read after one, `failed`.
 */
async function refusal(deps: EntitlementDeps, grant: Grant, error: unknown, written: Map<Grant, Written>): Promise<AdditionOutcome> {
  const duplicate = isDomainError(error) && error.code === 'alreadyExists';
  const { request } = grant;
  const reading = deps.grants.claimOf(request.targetId, request.accessPackageId);
  const claim = duplicate ? await reading : await reading.catch(() => undefined);
  if (claim?.value.requestId !== request.id) return duplicate ? { kind: 'unchanged' } : { kind: 'failed', error };
  const [stored, assignment] = await Promise.all([deps.grants.requestOf(request.targetId, request.id), deps.grants.assignmentOf(request.targetId, grant.assignment.id)]);
  if (!stored || !assignment) return { kind: 'failed', error };
  written.set(grant, { grant, request: stored, assignment });
  return { kind: 'assigned' };
}

interface Delivered {
  request: AssignmentRequest;
  /** The delivery's event and its write-ahead item; none when the request could not be brought to its outcome. */
  event?: AuditEvent;
  item?: DueItem<ExpirationKind>;
}

/**
 * The roles of the new assignments, delivered together (one directory call per role for all its new holders, as
 * applyOperations batches them), then each request brought to the outcome, its event written ahead. What fails
 * here stays `delivering`, with its redelivery item: the reconcile sweep finishes it as it finishes the pipeline's.
 */
async function deliverRoles(deps: EntitlementDeps, written: readonly Written[]): Promise<Map<Grant, Delivered>> {
  const delivering = written.filter((w) => w.assignment.value.operations.length > 0);
  const done = new Map<Grant, Delivered>();
  if (delivering.length === 0) return done;
  const applied = await applyOperations(
    deps,
    delivering.map((w) => w.assignment),
  );
  // Each write marked with its event (writerMarks.ts), so that one that failed can be told landed or not; its probe
  // looks at the state alone, so that another write's change (a cancel) is not taken for this delivery.
  const at = deps.clock.now().toUTC().toISO()!;
  const finished = delivering.map((w, i) => {
    const request = inState(deps, w.request.value, deliveryState(applied[i]!.value.operations, 'add'));
    const event = deps.audit.event(requestEvent('deliverRequest', w.request.value, request), w.grant.events[0]);
    const probe = { ...requestRow(w.grant), shows: 'changed' as const, field: 'state' };
    return { w, request, event, probe, mark: { eventId: event.id, at }, item: writeAheadItem(deps, event, probe, at) };
  });
  await deps.due.scheduleAll(finished.map((f) => f.item));
  await mapConcurrently(finished, async ({ w, request, event, probe, mark, item }) => {
    try {
      await markingWrites(mark, deps.clock, () => deps.grants.requests.replace(w.request, request));
      done.set(w.grant, { request, event, item });
    } catch {
      // Refused on its ETag, or failed otherwise: it may have landed, its answer lost (the SDK's retry refused).
      const landed = await refusedWriteLanded(deps, probe, mark).catch(() => 'unknown' as const);
      if (landed === 'yes') return void done.set(w.grant, { request, event, item });
      done.set(w.grant, { request: w.request.value });
      // Where the marks cannot tell, the item is left: the expiration sweep appends the event if the state shows.
      if (landed === 'unknown') return;
      // Changed meanwhile (canceled, removed), this write not made: what changed it has its own events; this one's is dropped.
      await deps.due.unscheduleAll([item]);
      deps.audit.burned([event]);
    }
  });
  return done;
}

/** Where a grant's request shows once written. */
const requestRow = (grant: Grant) =>
  shownIn('accessGrants', { partitionKey: GrantStore.targetKey(grant.request.targetId), rowKey: GrantStore.requestKey(grant.request.id) }, 'present');

/** The reconcile sweep's item that applies a new assignment's operations should this process stop first (as planRedelivery). */
const redeliveryItem = (deps: EntitlementDeps, assignment: Assignment): DueItem<RedeliveryKind> => ({
  kind: 'redelivery',
  dueDateTime: deps.clock.now().plus(PENDING_GRACE_MS).toUTC().toISO()!,
  entityId: assignment.id,
  detail: '',
});

/**
 * A governed guest assigned again before their removal keeps their account (as the pipeline's grantAccess does).
 * The guests with a removal planned are listed in one partition, read after the assignments are written: any
 * removal planned before that is seen, one planned after sees the new assignment.
 */
async function cancelPlannedRemovals(deps: EntitlementDeps, targetIds: readonly string[]): Promise<void> {
  const targets = new Set(targetIds.map((id) => id.toLowerCase()));
  const planned: string[] = [];
  for (let after: string | undefined, more = true; more; ) {
    const page = await deps.subjects.pendingRemovals(1_000, after);
    planned.push(...page.items.flatMap((s) => (s.objectId && targets.has(s.objectId.toLowerCase()) ? [s.objectId] : [])));
    after = page.last;
    more = page.last !== undefined;
  }
  await mapConcurrently(planned, (objectId) => cancelRemoval(deps, objectId).catch(() => undefined));
}
