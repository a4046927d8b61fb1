import type { AuditEvent } from '../../shared/store/auditLog';
import { DateTime } from 'luxon';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import type { AutomaticPolicy } from '../../shared/operations/autoAssignment/automaticPolicies';
import { assignInBulk } from '../../shared/operations/autoAssignment/assignInBulk';
import { graceRemovalDueAt, graceRemovalItem } from '../../shared/operations/autoAssignment/automaticRequests';
import { makeChanges, planChanges } from '../../shared/operations/autoAssignment/evaluateAutoAssignments';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { AUDIT_SETTLE_MINUTES } from '../../shared/operations/audit/auditedChange';
import { demoTenantWithMembers } from '../support/demoTenantWithMembers';
import { automaticPolicyMatchingNobody } from '../support/packageWorld';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { stopAtWrite, type Row } from '../support/stopAtWrite';
import { nextReplaceLandsThenFails, retryRefused } from '../support/lostAnswer';
import { GrantStore } from '../../shared/store/grantStore';
import { PLAN_GRACE_REMOVAL, writeGraceMarks } from '../../shared/operations/autoAssignment/graceRemovalMarks';

/**
 * The grace mark (an assignment's graceRemovalDueDateTime, the time of its planned removal's item), on Azurite and
 * the Graph emulator: whatever order its writes stop or race in, a user who stops matching loses the assignment a
 * grace period after their latest stop, never later; items planned before marks were still act; every mark written
 * or cleared has its event.
 */
const USERS = Array.from({ length: 16 }, (_, n) => `d1000000-0000-4000-8000-${String(n).padStart(12, '0')}`);

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((started) => {
  world = started;
  deps = started.deps;
}, demoTenantWithMembers(USERS, 'Marked'));

async function moveTo(userId: string, department: string): Promise<void> {
  const response = await fetch(`${world.emulator.url}/v1.0/users/${userId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ department }) });
  expect(response.ok).toBe(true);
}

const planFor = async (auto: AutomaticPolicy, userId: string) => planChanges(deps, [auto], [(await deps.directory.getUser(userId))!], 'these');
const evaluate = async (auto: AutomaticPolicy, userId: string) => (await makeChanges(deps, await planFor(auto, userId), Date.now() + 60_000)).counts;
const sweep = () => sweepExpirations(deps, { holder: 'test', budgetMs: 60_000 });
const assignmentOf = async (userId: string) => (await deps.grants.assignmentsOf(userId))[0]!;
const stateOf = async (userId: string) => (await assignmentOf(userId)).value.state;

/** Assigned under a policy with an hour's grace period, then found not matching: its removal planned (at T1 + 1 h). */
async function assignedAndStopped(name: string, userId: string): Promise<AutomaticPolicy> {
  const auto = await automaticPolicyMatchingNobody(deps, name, undefined, 'PT1H');
  expect(await assignInBulk(deps, [{ auto, userId }])).toEqual([{ kind: 'assigned' }]);
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 1, failed: 0 });
  return auto;
}

/** The events of an assignment with this action (the audit log keeps real time; the operations, the test's clock). */
async function eventsOf(assignmentId: string, action: string) {
  const days = [...new Set([DateTime.utc(), world.now()].map((t) => t.toUTC().toFormat('yyyy-MM-dd')))];
  return (await Promise.all(days.map((day) => deps.audit.ofDay(day)))).flat().filter((e) => e.entityId === assignmentId && e.action === action);
}

/** The assignment's write that clears its grace mark. */
const markCleared = (assignmentId: string) => (row: Row) => row.rowKey === GrantStore.assignmentKey(assignmentId) && !String(row.part0 ?? '').includes('graceRemovalDueDateTime');

test('a take-back that races another write to the assignment is made on what that write left; the next stop is removed a grace period later', async () => {
  const userId = USERS[0]!;
  const auto = await assignedAndStopped('Marks, raced', userId);
  // Matches again at T1 + 20 min; another writer (a delivery's outcome, reconcile, reprocess) rewrites the assignment
  // between the evaluation's read and its take-back.
  world.advance({ minutes: 20 });
  await moveTo(userId, 'Nobody here');
  const plan = await planFor(auto, userId);
  expect(plan.regained).toHaveLength(1);
  const read = plan.regained[0]!.assignment;
  await deps.grants.assignments.replace(read, { ...read.value });
  expect((await makeChanges(deps, plan, Date.now() + 60_000)).counts).toMatchObject({ failed: 0 });
  expect((await assignmentOf(userId)).value.graceRemovalDueDateTime).toBeUndefined();

  // Stops again at T1 + 40 min: a grace period of its own, removed at T1 + 1 h 40 min.
  world.advance({ minutes: 20 });
  await moveTo(userId, 'Elsewhere');
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 1, failed: 0 });
  world.advance({ minutes: 21 });
  expect(await sweep()).toMatchObject({ processed: 0, failed: 0 });
  expect(await stateOf(userId)).not.toBe('expired');
  world.advance({ minutes: 40 });
  expect(await sweep()).toMatchObject({ processed: 1, failed: 0 });
  expect(await stateOf(userId)).toBe('expired');
}, 180_000);

test('a take-back stopped before its mark was cleared keeps the item: a stop before it is due is removed when it is', async () => {
  const userId = USERS[1]!;
  const auto = await assignedAndStopped('Marks, take-back stopped', userId);
  world.advance({ minutes: 20 });
  await moveTo(userId, 'Nobody here');
  stopAtWrite('accessGrants', markCleared((await assignmentOf(userId)).value.id), 'before');
  try {
    expect((await evaluate(auto, userId)).failed).toBe(1);
  } finally {
    jest.restoreAllMocks();
  }
  // Stops again at T1 + 40 min: the first stop's removal still stands (its mark and its item), due at T1 + 1 h.
  world.advance({ minutes: 20 });
  await moveTo(userId, 'Elsewhere');
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 0, failed: 0 });
  world.advance({ minutes: 21 });
  expect(await sweep()).toMatchObject({ processed: 1, failed: 0 });
  expect(await stateOf(userId)).toBe('expired');
}, 180_000);

test('a mark whose item is gone (parked, or taken back without its mark) keeps no one: once long overdue, the removal is planned again', async () => {
  const userId = USERS[2]!;
  const auto = await assignedAndStopped('Marks, item lost', userId);
  const marked = await assignmentOf(userId);
  await deps.due.unscheduleAll([graceRemovalItem(deps, auto, marked.value)]);
  // Within the sweep's lag the mark still counts as pending; past it, an evaluation plans the removal, due at once
  // (the grace period of that stop is over).
  world.advance({ hours: 1, minutes: 30 });
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 0 });
  world.advance({ hours: 1 });
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 1, failed: 0 });
  world.advance({ minutes: 1 });
  expect(await sweep()).toMatchObject({ processed: 1, failed: 0 });
  expect(await stateOf(userId)).toBe('expired');
}, 180_000);

test('an item planned before marks were (rolling upgrade) acts at its own time, though a new evaluation plans a later one', async () => {
  const userId = USERS[3]!;
  const auto = await automaticPolicyMatchingNobody(deps, 'Marks, upgrade', undefined, 'PT1H');
  expect(await assignInBulk(deps, [{ auto, userId }])).toEqual([{ kind: 'assigned' }]);
  // The previous version planned it at T1 (due T1 + 1 h), unmarked, and marked no assignment.
  const { marked: _marked, ...unmarked } = graceRemovalItem(deps, auto, (await assignmentOf(userId)).value);
  await deps.due.scheduleAll([unmarked]);
  world.advance({ minutes: 30 });
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 1, failed: 0 });
  world.advance({ minutes: 31 });
  expect(await sweep()).toMatchObject({ processed: 1, failed: 0 });
  expect(await stateOf(userId)).toBe('expired');
  // The new evaluation's item finds the assignment ended.
  world.advance({ minutes: 30 });
  expect(await sweep()).toMatchObject({ processed: 0, stale: 1, failed: 0 });
}, 180_000);

test('every mark written or cleared has its event, naming the mark alone; none is left written ahead', async () => {
  const userId = USERS[4]!;
  const auto = await assignedAndStopped('Marks, audited', userId);
  const { value: assignment } = await assignmentOf(userId);
  const due = assignment.graceRemovalDueDateTime!;
  world.advance({ minutes: 20 });
  await moveTo(userId, 'Nobody here');
  expect(await evaluate(auto, userId)).toMatchObject({ failed: 0 });
  // Read by time, not by the day the plan was made on: the file's clock may have crossed midnight since (it runs
  // hours ahead of the wall clock by now, so late in the day the plan falls on the day before).
  const events: AuditEvent[] = [];
  for await (const event of deps.audit.between(world.now().minus({ days: 2 }), world.now().plus({ minutes: 1 }))) {
    if (event.entityId === assignment.id && event.action.startsWith('autoAssignment.')) events.push(event);
  }
  expect(events).toEqual([
    expect.objectContaining({ action: 'autoAssignment.planGraceRemoval', actorId: 'system', entityType: 'assignment', catalogId: assignment.catalogId, before: {}, after: { graceRemovalDueDateTime: due } }),
    expect.objectContaining({ action: 'autoAssignment.cancelGraceRemoval', actorId: 'system', entityType: 'assignment', catalogId: assignment.catalogId, before: { graceRemovalDueDateTime: due }, after: {} }),
  ]);
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await sweep()).toMatchObject({ processed: 0, failed: 0 });
}, 180_000);

test('a kept user whose mark write races another write still has it cleared, so that their next stop is planned', async () => {
  const userId = USERS[5]!;
  const auto = await assignedAndStopped('Marks, kept raced', userId);
  // Matches again with no evaluation in between; when the removal is due, another write lands between its read of
  // the assignment and the clearing of its mark.
  await moveTo(userId, 'Nobody here');
  world.advance({ hours: 1, minutes: 1 });
  const replace = deps.grants.assignments.replace.bind(deps.grants.assignments);
  let raced = false;
  jest.spyOn(deps.grants.assignments, 'replace').mockImplementation(async (stored, next) => {
    if (!raced && stored.value.targetId === userId) {
      raced = true;
      await replace(stored, { ...stored.value });
    }
    return replace(stored, next);
  });
  try {
    expect(await sweep()).toMatchObject({ processed: 0, stale: 1, failed: 0 });
  } finally {
    jest.restoreAllMocks();
  }
  expect(raced).toBe(true);
  expect((await assignmentOf(userId)).value.graceRemovalDueDateTime).toBeUndefined();
  await moveTo(userId, 'Elsewhere');
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 1, failed: 0 });
}, 180_000);

test("a kept user's mark whose event cannot be appended is cleared all the same, its event appended once settled; the batch's removals are made", async () => {
  const [kept, removed] = [USERS[6]!, USERS[7]!];
  const auto = await automaticPolicyMatchingNobody(deps, 'Marks, event not appended', undefined, 'PT1H');
  expect(await assignInBulk(deps, [kept, removed].map((userId) => ({ auto, userId })))).toEqual([{ kind: 'assigned' }, { kind: 'assigned' }]);
  expect((await makeChanges(deps, await planChanges(deps, [auto], await Promise.all([kept, removed].map(async (id) => (await deps.directory.getUser(id))!)), 'these'), Date.now() + 60_000)).counts).toMatchObject({ removalsPlanned: 2, failed: 0 });
  await moveTo(kept, 'Nobody here');
  world.advance({ hours: 1, minutes: 1 });
  const appendAll = deps.audit.appendAll.bind(deps.audit);
  jest.spyOn(deps.audit, 'appendAll').mockImplementation(async (events) => {
    if (events.some((e) => e.action === 'autoAssignment.cancelGraceRemoval')) throw new Error('audit log unavailable');
    return appendAll(events);
  });
  try {
    // (The earlier tests' last items fall due in this sweep too.)
    expect(await sweep()).toMatchObject({ failed: 0 });
  } finally {
    jest.restoreAllMocks();
  }
  expect(await stateOf(removed)).toBe('expired');
  expect(await stateOf(kept)).not.toBe('expired');
  const { value: keptAssignment } = await assignmentOf(kept);
  expect(keptAssignment.graceRemovalDueDateTime).toBeUndefined();
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await sweep()).toMatchObject({ failed: 0 });
  expect(await eventsOf(keptAssignment.id, 'autoAssignment.cancelGraceRemoval')).toHaveLength(1);
}, 180_000);

test('a removal still retrying over an hour past its time stays pending (nothing replanned, its attempts kept); parked, it is planned again at once', async () => {
  const userId = USERS[8]!;
  const auto = await assignedAndStopped('Marks, retrying', userId);
  const { value: marked } = await assignmentOf(userId);
  const mark = marked.graceRemovalDueDateTime!;
  const itemOf = async () => (await deps.due.dueBy(world.now(), undefined)).find((d) => d.value.kind === 'graceRemoval' && d.value.entityId === marked.id);
  jest.spyOn(deps.directory, 'getUsers').mockRejectedValue(new Error('Graph unavailable'));
  try {
    world.advance({ hours: 1, minutes: 1 });
    expect(await sweep()).toMatchObject({ failed: 1 });
    world.advance({ hours: 1, minutes: 5 });
    expect(await sweep()).toMatchObject({ failed: 1 });
  } finally {
    jest.restoreAllMocks();
  }
  // The hourly full evaluation (or a delta change) sees the user still not matching, the mark over an hour overdue:
  // its item is still in the index, retrying, so the removal is pending.
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 0, failed: 0 });
  expect((await assignmentOf(userId)).value.graceRemovalDueDateTime).toBe(mark);
  expect((await itemOf())?.value).toMatchObject({ dueDateTime: mark, attempts: 2 });
  // Parked after failing too often, the item is gone from the index: the next evaluation plans it again, due at once.
  await deps.due.park((await itemOf())!, world.now());
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 1, failed: 0 });
  world.advance({ minutes: 1 });
  expect(await sweep()).toMatchObject({ processed: 1, failed: 0 });
  expect(await stateOf(userId)).toBe('expired');
}, 180_000);

test('a plan that lost its race (unchanged) and stopped before its write-ahead event was taken back leaves no event for a mark it never wrote', async () => {
  const userId = USERS[9]!;
  const auto = await automaticPolicyMatchingNobody(deps, 'Marks, unchanged then stopped', undefined, 'PT1H');
  expect(await assignInBulk(deps, [{ auto, userId }])).toEqual([{ kind: 'assigned' }]);
  const { value: assignment } = await assignmentOf(userId);
  const stale = await planFor(auto, userId); // evaluation A reads
  world.advance({ minutes: 1 });
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 1 }); // evaluation B plans and marks
  const mark = (await assignmentOf(userId)).value.graceRemovalDueDateTime;
  // A goes on a moment later: its mark write finds B's plan (unchanged); the process stops at its next write of a
  // write-ahead event (taking its own back). The sweep then finds a mark, B's, that is not A's.
  world.advance({ seconds: 1 });
  stopAtWrite('dueWork', (row) => String(row.rowKey ?? '').includes('auditEvent'), 'before');
  try {
    expect((await makeChanges(deps, stale, Date.now() + 60_000)).counts).toMatchObject({ removalsPlanned: 0 });
  } finally {
    jest.restoreAllMocks();
  }
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 2 });
  await sweep();
  expect((await eventsOf(assignment.id, 'autoAssignment.planGraceRemoval')).map((e) => e.after)).toEqual([{ graceRemovalDueDateTime: mark }]);
}, 180_000);

test('a batch stopped before its events were appended leaves those of its marks written, not of those that found another plan', async () => {
  const [raced, marked] = [USERS[11]!, USERS[12]!];
  const auto = await automaticPolicyMatchingNobody(deps, 'Marks, stopped before appended', undefined, 'PT1H');
  expect(await assignInBulk(deps, [raced, marked].map((userId) => ({ auto, userId })))).toEqual([{ kind: 'assigned' }, { kind: 'assigned' }]);
  const [racedId, markedId] = [(await assignmentOf(raced)).value.id, (await assignmentOf(marked)).value.id];
  // Evaluation A reads both; B plans the first meanwhile, at the same moment A then writes (the same mark).
  const stale = await planChanges(deps, [auto], await Promise.all([raced, marked].map(async (id) => (await deps.directory.getUser(id))!)), 'these');
  expect(await evaluate(auto, raced)).toMatchObject({ removalsPlanned: 1 });
  stopAtWrite('auditEvents', () => true, 'before');
  try {
    expect((await makeChanges(deps, stale, Date.now() + 60_000)).counts).toMatchObject({ removalsPlanned: 1, failed: 0 });
  } finally {
    jest.restoreAllMocks();
  }
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 2 });
  await sweep();
  expect(await eventsOf(racedId, 'autoAssignment.planGraceRemoval')).toHaveLength(1);
  expect(await eventsOf(markedId, 'autoAssignment.planGraceRemoval')).toHaveLength(1);
}, 180_000);

test("a take-back whose events cannot be appended still takes back the items of the marks it cleared; the sweep appends the events", async () => {
  const userId = USERS[10]!;
  const auto = await assignedAndStopped('Marks, take-back not appended', userId);
  const { value: marked } = await assignmentOf(userId);
  world.advance({ minutes: 20 });
  await moveTo(userId, 'Nobody here');
  const appendAll = deps.audit.appendAll.bind(deps.audit);
  jest.spyOn(deps.audit, 'appendAll').mockImplementation(async (events) => {
    if (events.some((e) => e.action === 'autoAssignment.cancelGraceRemoval')) throw new Error('audit log unavailable');
    return appendAll(events);
  });
  try {
    expect(await evaluate(auto, userId)).toMatchObject({ failed: 0 });
  } finally {
    jest.restoreAllMocks();
  }
  expect((await assignmentOf(userId)).value.graceRemovalDueDateTime).toBeUndefined();
  expect(await deps.due.holds(graceRemovalDueAt(marked, marked.graceRemovalDueDateTime!))).toBe(false);
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  await sweep();
  expect((await eventsOf(marked.id, 'autoAssignment.cancelGraceRemoval')).map((e) => e.before)).toEqual([{ graceRemovalDueDateTime: marked.graceRemovalDueDateTime }]);
}, 180_000);

test('a mark written whose answer was lost has its event all the same, and the next evaluation finds it planned', async () => {
  const userId = USERS[13]!;
  const auto = await automaticPolicyMatchingNobody(deps, 'Marks, answer lost', undefined, 'PT1H');
  expect(await assignInBulk(deps, [{ auto, userId }])).toEqual([{ kind: 'assigned' }]);
  const { value: assignment } = await assignmentOf(userId);
  const replace = deps.grants.assignments.replace.bind(deps.grants.assignments);
  jest.spyOn(deps.grants.assignments, 'replace').mockImplementation(async (stored, next) => {
    await replace(stored, next);
    throw new Error('connection reset');
  });
  try {
    expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 0, failed: 1 });
  } finally {
    jest.restoreAllMocks();
  }
  const mark = (await assignmentOf(userId)).value.graceRemovalDueDateTime;
  expect(mark).toBeDefined();
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 0, failed: 0 });
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  await sweep();
  expect((await eventsOf(assignment.id, 'autoAssignment.planGraceRemoval')).map((e) => e.after)).toEqual([{ graceRemovalDueDateTime: mark }]);
}, 180_000);

test('marks that no longer apply give their events up: the next event lists their numbers as a run, not one in flight', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Marks, none applies', undefined, 'PT1H');
  const users = [USERS[14]!, USERS[15]!];
  expect(await assignInBulk(deps, users.map((userId) => ({ auto, userId })))).toEqual(users.map(() => ({ kind: 'assigned' })));
  const assignments = await Promise.all(users.map(assignmentOf));
  const entry = { actorId: 'test', action: 'note', entityType: 'note', entityId: 'n', before: null, after: null };
  // Built and never appended nor given up: in flight, so listed one by one.
  const inFlight = deps.audit.event(entry).sequence!;
  const changes = assignments.map((assignment) => ({ assignment, mark: '2030-01-01T00:00:00.000Z', applies: () => false }));
  expect(await writeGraceMarks(deps, PLAN_GRACE_REMOVAL, changes)).toEqual(['unchanged', 'unchanged']);
  const next = deps.audit.event(entry).sequence!;
  expect(next.unwrittenRuns).toContainEqual([inFlight.number + 1, inFlight.number + 2]);
  expect(next.unwritten).toContain(inFlight.number);
});

test('a mark whose write landed but was answered 412 (a retry of it) is told written by its writer mark, not given up: its event appended once', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Marks, 412 after landing', undefined, 'PT1H');
  expect(await assignInBulk(deps, [{ auto, userId: USERS[0]! }])).toEqual([{ kind: 'assigned' }]);
  const assignment = (await deps.grants.assignmentsOfPackage(auto.policy.accessPackageId))[0]!;
  const mark = '2030-01-01T00:00:00.000Z';
  // The write lands; the SDK's retry of it is refused on the ETag the first try changed.
  nextReplaceLandsThenFails(deps.grants.assignments, retryRefused());
  const burned = jest.spyOn(deps.audit, 'burned');
  try {
    const changes = [{ assignment, mark, applies: (a: { graceRemovalDueDateTime?: string }) => a.graceRemovalDueDateTime !== mark }];
    expect(await writeGraceMarks(deps, PLAN_GRACE_REMOVAL, changes)).toEqual(['written']);
    expect(burned.mock.calls.flat(2)).toEqual([]);
  } finally {
    jest.restoreAllMocks();
  }
  expect((await deps.grants.findAssignment(assignment.value.id))?.value.graceRemovalDueDateTime).toBe(mark);
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  await sweep();
  await sweep();
  expect((await eventsOf(assignment.value.id, PLAN_GRACE_REMOVAL)).map((e) => e.after)).toEqual([{ graceRemovalDueDateTime: mark }]);
}, 180_000);

test('a mark whose write failed where its writer mark cannot tell (the last write unmarked) is left to the sweep, which appends its event once', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Marks, 412 uncertain', undefined, 'PT1H');
  expect(await assignInBulk(deps, [{ auto, userId: USERS[1]! }])).toEqual([{ kind: 'assigned' }]);
  const assignment = (await deps.grants.assignmentsOfPackage(auto.policy.accessPackageId))[0]!;
  const mark = '2030-01-02T00:00:00.000Z';
  // Outside the mark's write: it lands as an unmarked write would leave it, then the retry is refused.
  nextReplaceLandsThenFails(deps.grants.assignments, retryRefused(), { unmarked: true });
  const burned = jest.spyOn(deps.audit, 'burned');
  try {
    const changes = [{ assignment, mark, applies: (a: { graceRemovalDueDateTime?: string }) => a.graceRemovalDueDateTime !== mark }];
    expect(await writeGraceMarks(deps, PLAN_GRACE_REMOVAL, changes)).toEqual(['unchanged']);
    expect(burned.mock.calls.flat(2)).toEqual([]);
  } finally {
    jest.restoreAllMocks();
  }
  expect(await eventsOf(assignment.value.id, PLAN_GRACE_REMOVAL)).toEqual([]);
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  await sweep();
  await sweep();
  expect((await eventsOf(assignment.value.id, PLAN_GRACE_REMOVAL)).map((e) => e.after)).toEqual([{ graceRemovalDueDateTime: mark }]);
}, 180_000);
