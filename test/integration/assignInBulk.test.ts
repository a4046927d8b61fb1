import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import type { AutomaticPolicy } from '../../shared/operations/autoAssignment/automaticPolicies';
import { assignInBulk } from '../../shared/operations/autoAssignment/assignInBulk';
import { DateTime } from 'luxon';
import { AUDIT_SETTLE_MINUTES, completeAuditEvent, writeAheadItem } from '../../shared/operations/audit/auditedChange';
import { eventsWrittenAhead, type DueItem, type ExpirationKind } from '../../shared/store/dueWork';
import { processDueItems, withSweepLease, type ItemOutcome } from '../../shared/operations/lifecycle/sweepDueWork';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { SYSTEM_ACTOR } from '../../shared/domain/requests/assignmentRequest';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { automaticPolicyMatchingNobody, groupMembers } from '../support/packageWorld';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { PROCESS_STOPPED, stopAtWrite, type Row } from '../support/stopAtWrite';
import { writeAheadRows } from '../support/writeAheadRows';
import { nextReplaceLandsThenFails, retryRefused } from '../support/lostAnswer';

/**
 * Auto-assignment's bulk path (assignInBulk) on Azurite and the Graph emulator: what it writes is what the request
 * pipeline writes (a delivered system request found by id, its assignment, their events), roles go to the directory
 * in one call per role, and a process stopped in the middle leaves nothing made twice and no change without its event.
 */
const USERS = [
  'e085b021-e0d4-4f2b-935a-b03d8de49eb1',
  '2e3d6a63-40ed-467e-8564-f1dc632417c4',
  '3f0279a1-abe7-420e-89e0-b9583a589e65',
  'bb9d2ebe-f476-492f-80fc-275e69b5220d',
];
const LEGAL_GROUP = '993bb873-540b-442e-8a6e-83734bc9404e';

let world: InProcessOperations;
let deps: EntitlementDeps;
let emulator: GraphEmulator;
inProcessOperationsForFile((started) => {
  world = started;
  ({ deps, emulator } = started);
});

const additionsOf = (auto: AutomaticPolicy, users = USERS) => users.map((userId) => ({ auto, userId }));

async function assignmentsOf(auto: AutomaticPolicy) {
  return (await deps.grants.assignmentsOfPackage(auto.policy.accessPackageId)).map((d) => d.value);
}

async function eventsOf(entityId: string): Promise<string[]> {
  const events = [];
  for await (const event of deps.audit.between(world.now().minus({ days: 1 }), world.now().plus({ days: 1 }))) events.push(event);
  return events.filter((e) => e.entityId === entityId).map((e) => e.action);
}

/** Every target holds one assignment of the package, through a delivered system request, each with its four events once. */
async function expectMadeOnceWithEvents(auto: AutomaticPolicy): Promise<void> {
  const assignments = await assignmentsOf(auto);
  expect(assignments.map((a) => a.targetId).sort()).toEqual([...USERS].sort());
  for (const assignment of assignments) {
    const request = (await deps.grants.findRequest(assignment.requestId!))!.value;
    expect(request).toMatchObject({ requestType: 'adminAdd', requestorId: SYSTEM_ACTOR, state: 'delivered', status: 'Delivered', assignmentId: assignment.id });
    expect((await deps.grants.findAssignment(assignment.id))?.value.state).toBe('delivered');
    expect((await deps.grants.claimOf(assignment.targetId, auto.policy.accessPackageId))?.value).toMatchObject({ requestId: request.id, assignmentId: assignment.id });
    expect(await eventsOf(request.id)).toEqual(['submitRequest', 'startDelivery', 'deliverRequest']);
    expect(await eventsOf(assignment.id)).toEqual(['createAssignment']);
  }
}

const expirationSweep = () => sweepExpirations(deps, { holder: 'test', budgetMs: 60_000 });
const requestRow = (row: Row) => String(row.rowKey).startsWith('request|');

test('assignments made in bulk are what the pipeline makes: a delivered system request found by id, and their events', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, no roles');

  expect(await assignInBulk(deps, additionsOf(auto))).toEqual(USERS.map(() => ({ kind: 'assigned' })));

  await expectMadeOnceWithEvents(auto);
  // Nothing is left written ahead: the expiration sweep, past the settle time, finds no event to complete.
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await expirationSweep()).toMatchObject({ processed: 0, failed: 0 });
  // The users hold the package now: a second bulk write makes nothing.
  expect(await assignInBulk(deps, additionsOf(auto))).toEqual(USERS.map(() => ({ kind: 'unchanged' })));
  expect(await assignmentsOf(auto)).toHaveLength(USERS.length);
});

test('a bulk write none of whose additions was made gives its events up: the next event lists their numbers as a run', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, then all unchanged');
  expect(await assignInBulk(deps, additionsOf(auto))).toEqual(USERS.map(() => ({ kind: 'assigned' })));
  const entry = { actorId: 'test', action: 'note', entityType: 'note', entityId: 'n', before: null, after: null };
  // Built and never appended nor given up: in flight, so listed one by one.
  const inFlight = deps.audit.event(entry).sequence!;
  expect(await assignInBulk(deps, additionsOf(auto))).toEqual(USERS.map(() => ({ kind: 'unchanged' })));
  const next = deps.audit.event(entry).sequence!;
  // Four events per grant (no roles to deliver): submitted, created, started, delivered.
  expect(next.unwrittenRuns).toContainEqual([inFlight.number + 1, inFlight.number + 4 * USERS.length]);
  expect(next.unwritten).toContain(inFlight.number);
});

test('a group role goes to every new holder in one directory call, and the requests end delivered with their event', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, a group', LEGAL_GROUP);
  await fetch(`${emulator.url}/_emulator/requests`, { method: 'DELETE' });

  expect(await assignInBulk(deps, additionsOf(auto))).toEqual(USERS.map(() => ({ kind: 'assigned' })));

  expect(await groupMembers(emulator, LEGAL_GROUP)).toEqual(expect.arrayContaining(USERS));
  const counts = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { byRoute: Record<string, number> };
  // Members are added 20 to a PATCH of the group (members@odata.bind): the four in one.
  expect(counts.byRoute['PATCH /v1.0/groups/{id}']).toBe(1);
  await expectMadeOnceWithEvents(auto);
});

test('a process stopped before any grant is written makes nothing; run again, each assignment is made once, the stale events dropped', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, stopped before');
  stopAtWrite('accessGrants', requestRow, 'before');
  await expect(assignInBulk(deps, additionsOf(auto))).rejects.toThrow(PROCESS_STOPPED);
  jest.restoreAllMocks();
  expect(await assignmentsOf(auto)).toEqual([]);

  expect(await assignInBulk(deps, additionsOf(auto))).toEqual(USERS.map(() => ({ kind: 'assigned' })));

  // The stopped run's events were written ahead for requests never written, a grant's four in one item: past the
  // settle time they are dropped, none appended.
  const stale = (await deps.due.dueBy(world.now().plus({ hours: 1 }), undefined)).filter((item) => item.value.kind === 'auditEvents');
  expect(stale).toHaveLength(USERS.length);
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await expirationSweep()).toMatchObject({ stale: USERS.length, failed: 0 });
  await expectMadeOnceWithEvents(auto);
  for (const event of stale.flatMap((item) => eventsWrittenAhead(item.value.audit!))) {
    expect(await deps.audit.find(event.id, DateTime.fromISO(event.occurredDateTime))).toBeUndefined();
  }
});

test('a process stopped right after grants were written: run again, the rest are made, and the sweep appends the written ones’ events', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, stopped after');
  stopAtWrite('accessGrants', requestRow, 'after');
  await expect(assignInBulk(deps, additionsOf(auto))).rejects.toThrow(PROCESS_STOPPED);
  jest.restoreAllMocks();
  const written = await assignmentsOf(auto);
  expect(written.length).toBeGreaterThan(0);
  for (const assignment of written) expect(await eventsOf(assignment.id)).toEqual([]);

  const again = await assignInBulk(deps, additionsOf(auto));
  expect(again.filter((o) => o.kind === 'unchanged')).toHaveLength(written.length);
  expect(again.filter((o) => o.kind === 'assigned')).toHaveLength(USERS.length - written.length);

  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await expirationSweep()).toMatchObject({ failed: 0 });
  await expectMadeOnceWithEvents(auto);
});

test('a grant whose write committed but whose answer was lost to another error is written: indexed, delivered, its events appended', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, answer lost', LEGAL_GROUP);
  const { together } = deps.grants;
  let lost = false;
  // The first target's transaction lands, then its answer is lost (the SDK's retries ran out on a later try).
  jest.spyOn(deps.grants, 'together').mockImplementation(async function (this: typeof deps.grants, writes) {
    const saved = await together.call(this, writes);
    if (lost) return saved;
    lost = true;
    throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  });

  expect(await assignInBulk(deps, additionsOf(auto))).toEqual(USERS.map(() => ({ kind: 'assigned' })));
  jest.restoreAllMocks();

  expect(lost).toBe(true);
  expect(await groupMembers(emulator, LEGAL_GROUP)).toEqual(expect.arrayContaining(USERS));
  await expectMadeOnceWithEvents(auto);
  // Nothing was taken back nor left written ahead: past the settle time the sweep has no event to complete.
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await expirationSweep()).toMatchObject({ processed: 0, failed: 0 });
  await expectMadeOnceWithEvents(auto);
});

test('a delivery whose write landed but was answered 412 (a retry of it) is told made by its writer mark: its event appended once, none given up', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, delivery answered 412', LEGAL_GROUP);
  // The first request's delivered state lands; the SDK's retry of it is refused on the ETag the first try changed.
  nextReplaceLandsThenFails(deps.grants.requests, retryRefused());
  const burned = jest.spyOn(deps.audit, 'burned');
  try {
    expect(await assignInBulk(deps, additionsOf(auto))).toEqual(USERS.map(() => ({ kind: 'assigned' })));
    expect(burned.mock.calls.flat(2)).toEqual([]);
  } finally {
    jest.restoreAllMocks();
  }
  await expectMadeOnceWithEvents(auto);
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  await expirationSweep();
  await expectMadeOnceWithEvents(auto);
});

test('a delivery whose write failed where its writer mark cannot tell (the last write unmarked) is left to the sweep, which appends its event once', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, delivery uncertain', LEGAL_GROUP);
  // Outside the delivery's mark: the write lands as an unmarked write would leave it, then its answer is lost.
  nextReplaceLandsThenFails(deps.grants.requests, Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), { unmarked: true });
  const burned = jest.spyOn(deps.audit, 'burned');
  try {
    expect(await assignInBulk(deps, additionsOf(auto))).toEqual(USERS.map(() => ({ kind: 'assigned' })));
    expect(burned.mock.calls.flat(2)).toEqual([]);
  } finally {
    jest.restoreAllMocks();
  }
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await expirationSweep()).toMatchObject({ processed: 1, failed: 0 });
  await expectMadeOnceWithEvents(auto);
});

test('a bulk grant writes its four events ahead as one due item, and deletes that one once they are appended', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, one item a grant');
  const rows = writeAheadRows();
  try {
    expect(await assignInBulk(deps, additionsOf(auto))).toEqual(USERS.map(() => ({ kind: 'assigned' })));
  } finally {
    jest.restoreAllMocks();
  }
  expect(rows).toEqual({ written: USERS.length, deleted: USERS.length });
  await expectMadeOnceWithEvents(auto);
});

/** Runs a bulk write whose process stops once its grants are written and their events appended, before its items are deleted. */
async function stoppedBeforeItemsDeleted(auto: AutomaticPolicy): Promise<void> {
  const unscheduleAll = deps.due.unscheduleAll.bind(deps.due);
  jest.spyOn(deps.due, 'unscheduleAll').mockImplementation(async (items) => {
    if (items.some((item) => item.kind === 'auditEvents')) throw new Error(PROCESS_STOPPED);
    return unscheduleAll(items);
  });
  try {
    await expect(assignInBulk(deps, additionsOf(auto))).rejects.toThrow(PROCESS_STOPPED);
  } finally {
    jest.restoreAllMocks();
  }
}

/** The write-ahead items in the index holding events about these requests and assignments. */
async function itemsAheadOf(entityIds: readonly string[]) {
  const items = await deps.due.dueBy(world.now().plus({ hours: 1 }), undefined);
  return items.filter((item) => item.value.audit && eventsWrittenAhead(item.value.audit).some((e) => entityIds.includes(e.entityId)));
}

/** The ids of the package's assignments and of the requests that made them. */
const grantIdsOf = async (auto: AutomaticPolicy) => (await assignmentsOf(auto)).flatMap((a) => [a.requestId!, a.id]);

test('a process stopped between appending a grant’s events and deleting their item: the sweep finds them there and appends none twice', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, stopped before the items went');
  await stoppedBeforeItemsDeleted(auto);
  await expectMadeOnceWithEvents(auto);
  expect(await itemsAheadOf(await grantIdsOf(auto))).toHaveLength(USERS.length);

  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await expirationSweep()).toMatchObject({ processed: USERS.length, failed: 0 });
  await expectMadeOnceWithEvents(auto);
  expect(await itemsAheadOf(await grantIdsOf(auto))).toEqual([]);
});

test('an item some of whose events are already appended: the sweep appends the others, each event once', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, half appended');
  // Stopped right after the grants were written: no event appended, every item left.
  stopAtWrite('accessGrants', requestRow, 'after');
  await expect(assignInBulk(deps, additionsOf(auto))).rejects.toThrow(PROCESS_STOPPED);
  jest.restoreAllMocks();
  await expect(assignInBulk(deps, additionsOf(auto))).resolves.toBeDefined();
  const grantIds = await grantIdsOf(auto);
  const [first] = (await itemsAheadOf(grantIds)).filter((item) => item.value.kind === 'auditEvents');
  // Two of its four events there already, in their partition: the transaction of all four meets them.
  const events = eventsWrittenAhead(first!.value.audit!);
  expect(events).toHaveLength(4);
  await deps.audit.appendAll(events.slice(0, 2));

  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await expirationSweep()).toMatchObject({ failed: 0 });
  await expectMadeOnceWithEvents(auto);
  expect(await itemsAheadOf(grantIds)).toEqual([]);
});

test('items the previous version wrote (one event each) are still completed', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, previous items');
  stopAtWrite('accessGrants', requestRow, 'after');
  await expect(assignInBulk(deps, additionsOf(auto))).rejects.toThrow(PROCESS_STOPPED);
  jest.restoreAllMocks();
  const grantIds = await grantIdsOf(auto);
  const left = await itemsAheadOf(grantIds);
  expect(left.length).toBeGreaterThan(0);
  // Each item as the previous version wrote it: one per event, the same probe.
  for (const item of left) {
    const { audit } = item.value;
    await deps.due.scheduleAll(eventsWrittenAhead(audit!).map((event) => ({ ...writeAheadItem(deps, event, audit!.probe), dueDateTime: item.value.dueDateTime })));
    await deps.due.done(item);
  }
  expect((await itemsAheadOf(grantIds)).map((i) => i.value.kind)).toEqual(left.flatMap(() => ['auditEvent', 'auditEvent', 'auditEvent', 'auditEvent']));

  await assignInBulk(deps, additionsOf(auto));
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await expirationSweep()).toMatchObject({ failed: 0 });
  await expectMadeOnceWithEvents(auto);
  expect(await itemsAheadOf(grantIds)).toEqual([]);
});

test('an earlier version’s sweep, which knows no `auditEvents`, leaves a grant’s item in the index: none of its events appended, none dropped', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Bulk, read by an earlier version');
  stopAtWrite('accessGrants', requestRow, 'after');
  await expect(assignInBulk(deps, additionsOf(auto))).rejects.toThrow(PROCESS_STOPPED);
  jest.restoreAllMocks();
  const grantIds = await grantIdsOf(auto);
  const left = await itemsAheadOf(grantIds);
  expect(left.map((item) => item.value.kind)).toEqual(left.map(() => 'auditEvents'));

  // Its handlers know `auditEvent` alone, looked up by the item's kind as its expiration sweep does.
  const earlier: Partial<Record<string, (deps: EntitlementDeps, item: DueItem<ExpirationKind>) => Promise<ItemOutcome>>> = { auditEvent: completeAuditEvent };
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  await withSweepLease(deps, 'earlierExpirationSweep', { holder: 'earlier', budgetMs: 60_000 }, (checkpoint, deadline, lease) =>
    processDueItems(deps, deps.due, (item) => earlier[item.kind]!(deps, item), { from: checkpoint, now: world.now(), deadline, lease }),
  );
  const after = await itemsAheadOf(grantIds);
  expect(after.map((item) => [item.rowKey, item.value.attempts])).toEqual(left.map((item) => [item.rowKey, 1]));
  for (const event of left.flatMap((item) => eventsWrittenAhead(item.value.audit!))) {
    expect(await deps.audit.find(event.id, DateTime.fromISO(event.occurredDateTime))).toBeUndefined();
  }

  // This version then completes them, once their retry time (a minute after the failure) has come.
  await assignInBulk(deps, additionsOf(auto));
  world.advance({ minutes: 1 });
  expect(await expirationSweep()).toMatchObject({ failed: 0 });
  await expectMadeOnceWithEvents(auto);
  expect(await itemsAheadOf(grantIds)).toEqual([]);
});
