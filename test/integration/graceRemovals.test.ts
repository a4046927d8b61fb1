import type { Assignment } from '../../shared/domain/assignments/assignment';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import type { AutomaticPolicy } from '../../shared/operations/autoAssignment/automaticPolicies';
import { assignInBulk } from '../../shared/operations/autoAssignment/assignInBulk';
import { DEFAULT_RETRY_POLICY } from '../../shared/directory/retryPolicy';
import { GraphThrottled, withThrottleDeferral } from '../../shared/directory/throttleDeferral';
import { makeChanges, planChanges } from '../../shared/operations/autoAssignment/evaluateAutoAssignments';
import { removeInBulk } from '../../shared/operations/autoAssignment/removeInBulk';
import { AUDIT_SETTLE_MINUTES } from '../../shared/operations/audit/auditedChange';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import type { StoredDocument } from '../../shared/store/documentTable';
import { demoTenantWithMembers } from '../support/demoTenantWithMembers';
import { expectEndedBySystemRemoval } from '../support/endedBySystemRemoval';
import type { CountingProxy } from '../../tools/bench/countingProxy';
import { automaticPolicyMatchingNobody, groupMembers, setFaults } from '../support/packageWorld';
import { countedOperationsForFile } from '../support/countedOperations';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { stopAtWrite, type Row } from '../support/stopAtWrite';

/**
 * Auto-assignment's removals after a grace period, in bulk, on Azurite and the Graph emulator: planned by the
 * sweep's makeChanges as due items a hundred to a transaction; when due, checked again and ended by the expiration
 * sweep in batches (graceRemovals.ts → removeInBulk → carryOutRemovals), a user who matches again keeping the
 * assignment. Round trips counted by the benchmark's proxy, so that a read or write added per removal fails here.
 */
const GRACE_GROUP = '509c2530-0367-4f48-a429-6461beddd096';
const STOPPED_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
/** Sales Team: its removal is the one Graph throttles. */
const THROTTLED_GROUP = 'd3a71489-888c-4c0b-a3f7-b4ef51fb5227';
/** IT Administrators: given by the policy whose user stops matching twice. */
const REGAINED_GROUP = 'b2256110-d660-413b-bd70-3b61aa80bb6c';
/** Legal Hold Reviewers: none of the test's users is in it. */
const RULE_GROUP = '993bb873-540b-442e-8a6e-83734bc9404e';
const USERS = Array.from({ length: 20 }, (_, n) => `d0000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
/** Moves into the rule's department during the grace period: keeps the assignment. */
const RETURNER = USERS[3]!;

/**
 * Planning, per removal: its assignment marked with its item's time (1), so that matching again can take the item
 * back. Shared, a hundred to a transaction (graceRemovalMarks.ts): the due items of one minute, the marks' events
 * written ahead, appended, and their items taken back (four here).
 */
const TABLE_ROUND_TRIPS_TO_PLAN_EACH = 1;
const TABLE_ROUND_TRIPS_TO_PLAN_SHARED = 4;
/**
 * Per removal when due (measured 7.7 here, with a group role): the item's assignment by key (1); the target's
 * external-user subject (a governed guest goes through the pipeline) and their claim on the package, by key (2);
 * the end (request, assignment ended, claim released) and the outcome (request and assignment), one transaction each
 * (2); the claim read again by the compensation's check after the directory change (1). Shared by the batch, under
 * two in all: the policy, read once; the due items, read and deleted; what carryOutRemovals shares (request
 * locators, redelivery items, events written ahead, appended and taken back, assignee pointers, ledger). The users
 * are read in one Graph `$batch`, the group's removals go in one.
 */
const TABLE_ROUND_TRIPS_PER_GRACE_REMOVAL = 8;

const seed = () => demoTenantWithMembers(USERS, 'Mover');

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((started) => {
  world = started;
  deps = started.deps;
}, seed());

let proxy: CountingProxy;
let counted: EntitlementDeps;
countedOperationsForFile(() => world, (started) => ({ proxy, deps: counted } = started));

const emulatorRequests = async () => (await (await fetch(`${world.emulator.url}/_emulator/requests`)).json()) as { roundTrips: number; byRoute: Record<string, number> };

async function moveTo(userId: string, department: string): Promise<void> {
  const response = await fetch(`${world.emulator.url}/v1.0/users/${userId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ department }) });
  expect(response.ok).toBe(true);
}

const PLANNED = 'autoAssignment.planGraceRemoval';
const TAKEN_BACK = 'autoAssignment.cancelGraceRemoval';

/** Ended through a delivered system `adminRemove`, with the pipeline's events once each, and its marks'; the claim gone. */
const expectEndedOnceWithEvents = (auto: AutomaticPolicy, ended: StoredDocument<Assignment>, marks = [PLANNED]) => expectEndedBySystemRemoval(deps, world.now(), auto, ended, marks);

/** The users assigned under the policy (in bulk), then evaluated: none matches, so each one's removal is planned. */
async function assignedThenPlanned(auto: AutomaticPolicy, users: readonly string[], planWith: EntitlementDeps): Promise<Array<StoredDocument<Assignment>>> {
  expect(await assignInBulk(deps, users.map((userId) => ({ auto, userId })))).toEqual(users.map(() => ({ kind: 'assigned' })));
  const directoryUsers = await Promise.all(users.map(async (id) => (await deps.directory.getUser(id))!));
  const plan = await planChanges(deps, [auto], directoryUsers, 'these');
  expect(plan.plannedRemovals).toHaveLength(users.length);
  expect(plan.removals).toEqual([]);
  proxy.reset();
  expect((await makeChanges(planWith, plan, Date.now() + 60_000)).counts).toMatchObject({ removalsPlanned: users.length, failed: 0, remaining: 0 });
  return plan.plannedRemovals.map((p) => p.assignment);
}

/** The auto-assignment evaluation of one user (as the users delta reports them), its changes made. */
async function evaluate(auto: AutomaticPolicy, userId: string) {
  const plan = await planChanges(deps, [auto], [(await deps.directory.getUser(userId))!], 'these');
  return (await makeChanges(deps, plan, Date.now() + 60_000)).counts;
}

const expirationSweep = (on = deps) => sweepExpirations(on, { holder: 'test', budgetMs: 60_000 });

test(`grace removals are planned in bulk and, when due, ended in batches in at most ${TABLE_ROUND_TRIPS_PER_GRACE_REMOVAL} Table round trips each; a user who matches again keeps it`, async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Grace removals', GRACE_GROUP, 'PT1H');
  // A fresh process creates its tables on its first writes: a first user's plan and removal, not counted.
  const [first] = await assignedThenPlanned(auto, USERS.slice(0, 1), counted);
  world.advance({ hours: 1, minutes: 1 });
  expect(await expirationSweep(counted)).toMatchObject({ processed: 1, failed: 0 });
  await expectEndedOnceWithEvents(auto, first!);

  const users = USERS.slice(1);
  const planned = await assignedThenPlanned(auto, users, counted);
  const toPlan = proxy.counts().roundTrips;
  expect(toPlan <= TABLE_ROUND_TRIPS_TO_PLAN_EACH * users.length + TABLE_ROUND_TRIPS_TO_PLAN_SHARED ? 'within the bound' : JSON.stringify({ toPlan, byRoute: proxy.routes() })).toBe('within the bound');
  expect(await groupMembers(world.emulator, GRACE_GROUP)).toEqual(expect.arrayContaining(users));

  // Within the grace period nothing is due; the returner moves into the rule's department meanwhile.
  world.advance({ minutes: 30 });
  expect(await expirationSweep()).toMatchObject({ processed: 0, stale: 0 });
  await moveTo(RETURNER, 'Nobody here');
  world.advance({ minutes: 31 });
  proxy.reset();
  await fetch(`${world.emulator.url}/_emulator/requests`, { method: 'DELETE' });
  expect(await expirationSweep(counted)).toMatchObject({ processed: users.length - 1, stale: 1, failed: 0 });
  const perRemoval = proxy.counts().roundTrips / (users.length - 1);
  expect(perRemoval <= TABLE_ROUND_TRIPS_PER_GRACE_REMOVAL ? 'within the bound' : JSON.stringify({ perRemoval, byRoute: proxy.routes() })).toBe('within the bound');
  // The users read in one `$batch` and the group's 18 removals in one: 20 to a `$batch`.
  const graph = await emulatorRequests();
  expect(graph.byRoute['DELETE /v1.0/groups/{id}/members/{id}/$ref']).toBe(users.length - 1);
  expect(graph.roundTrips).toBe(2);

  const members = await groupMembers(world.emulator, GRACE_GROUP);
  for (const userId of users) (userId === RETURNER ? expect(members) : expect(members).not).toContain(userId);
  for (const assignment of planned) {
    if (assignment.value.targetId === RETURNER) expect((await deps.grants.findAssignment(assignment.value.id))!.value.state).not.toBe('expired');
    else await expectEndedOnceWithEvents(auto, assignment);
  }
  // Nothing is left written ahead.
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  expect(await expirationSweep()).toMatchObject({ processed: 0, failed: 0 });
}, 180_000);

test('a user gone from the directory when the grace period ends loses it too; an item for an assignment ended meanwhile is stale', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Grace removals, gone', undefined, 'PT1H');
  const [gone, endedMeanwhile] = await assignedThenPlanned(auto, USERS.slice(10, 12), deps);
  const response = await fetch(`${world.emulator.url}/v1.0/users/${gone!.value.targetId}`, { method: 'DELETE' });
  expect(response.ok).toBe(true);
  // Ended by another removal before the grace period is over.
  expect(await removeInBulk(deps, [{ auto, userId: endedMeanwhile!.value.targetId, assignment: (await deps.grants.findAssignment(endedMeanwhile!.value.id))! }])).toEqual([{ kind: 'removed' }]);
  world.advance({ hours: 1, minutes: 1 });
  expect(await expirationSweep()).toMatchObject({ processed: 1, stale: 1, failed: 0 });
  expect((await deps.grants.findAssignment(gone!.value.id))!.value.state).toBe('expired');
}, 180_000);

/** The end's transaction writes the removal's request (`request|…`, an `adminRemove`) beside the assignment it ends. */
const endWritten = (row: Row) => String(row.rowKey).startsWith('request|') && String(row.part0).includes('"requestType":"adminRemove"');

test('a sweep stopped right after a grace removal was written: the redelivery item and the next sweeps finish it, once', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Grace removals, stopped', STOPPED_GROUP, 'PT1H');
  const planned = await assignedThenPlanned(auto, USERS.slice(13, 15), deps);
  world.advance({ hours: 1, minutes: 1 });
  stopAtWrite('accessGrants', endWritten, 'after');
  await expirationSweep().catch(() => undefined);
  jest.restoreAllMocks();

  // Its directory removals are the redelivery items' (5 minutes on), its events and its items the next sweeps'.
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  await reconcile(deps, { holder: 'test', budgetMs: 60_000 });
  expect(await expirationSweep()).toMatchObject({ failed: 0 });
  expect(await expirationSweep()).toMatchObject({ processed: 0, failed: 0 });
  expect(await groupMembers(world.emulator, STOPPED_GROUP)).toEqual(expect.not.arrayContaining(USERS.slice(13, 15)));
  for (const assignment of planned) await expectEndedOnceWithEvents(auto, assignment);
}, 180_000);

test("one user's directory error fails that user's grace removal alone; each user is checked against their own policies' groups", async () => {
  const byGroup = await automaticPolicyMatchingNobody(deps, 'Grace removals, group rule', undefined, 'PT1H', `user.memberOf -any (group.objectId -in ['${RULE_GROUP}'])`);
  const byDepartment = await automaticPolicyMatchingNobody(deps, 'Grace removals, department rule', undefined, 'PT1H');
  const [unreadable, unchecked, ...fine] = USERS.slice(4, 8);
  const planned = [...(await assignedThenPlanned(byGroup, [unreadable!, unchecked!, ...fine], deps)), ...(await assignedThenPlanned(byDepartment, [USERS[8]!], deps))];
  const endedOf = async () => {
    const ended = [];
    for (const a of planned) if ((await deps.grants.findAssignment(a.value.id))!.value.state === 'expired') ended.push(a.value.targetId);
    return ended.sort();
  };
  // Graph keeps failing one user's read and another's membership check (503s, past the retries).
  await setFaults(world.emulator, [
    { pathPattern: `^/v1.0/users/${unreadable}$`, status: 503, rate: 1, retryAfterSeconds: 0 },
    { pathPattern: `^/v1.0/users/${unchecked}/checkMemberGroups$`, status: 503, rate: 1, retryAfterSeconds: 0 },
  ]);
  world.advance({ hours: 1, minutes: 1 });
  await fetch(`${world.emulator.url}/_emulator/requests`, { method: 'DELETE' });
  try {
    expect(await expirationSweep()).toMatchObject({ processed: 3, failed: 2, parked: 0 });
  } finally {
    await setFaults(world.emulator, []);
  }
  expect(await endedOf()).toEqual([...fine, USERS[8]!].sort());
  // Memberships are checked for the group rule's users only (not the department rule's), the unreadable one not at
  // all: the two fine ones once each, the faulted one on every attempt the retry policy allows.
  expect((await emulatorRequests()).byRoute['POST /v1.0/users/{id}/checkMemberGroups']).toBe(fine.length + DEFAULT_RETRY_POLICY.maxAttempts);

  // The failed ones are kept and done by the next run at their retry time (a minute after their first failure).
  world.advance({ minutes: 1 });
  await fetch(`${world.emulator.url}/_emulator/requests`, { method: 'DELETE' });
  expect(await expirationSweep()).toMatchObject({ processed: 2, failed: 0 });
  expect((await emulatorRequests()).byRoute['POST /v1.0/users/{id}/checkMemberGroups']).toBe(2);
  expect(await endedOf()).toEqual(planned.map((a) => a.value.targetId).sort());
}, 180_000);

test('a grace removal Graph deferred (429) is finished by its own item when it comes back: membership removed, request delivered', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Grace removals, throttled', THROTTLED_GROUP, 'PT1H');
  const [planned] = await assignedThenPlanned(auto, USERS.slice(15, 16), deps);
  const userId = planned!.value.targetId;
  world.advance({ hours: 1, minutes: 1 });

  // As a queue function runs the sweep's shard: Graph's 429 on the removal defers the invocation.
  await setFaults(world.emulator, [{ pathPattern: `/groups/${THROTTLED_GROUP}/members/`, method: 'DELETE', status: 429, rate: 1, retryAfterSeconds: 5 }]);
  let deferred;
  try {
    deferred = await withThrottleDeferral(() => expirationSweep());
  } finally {
    await setFaults(world.emulator, []);
  }
  expect('error' in deferred.outcome && deferred.outcome.error).toBeInstanceOf(GraphThrottled);
  const saved = (await deps.grants.findAssignment(planned!.value.id))!.value;
  expect(saved).toMatchObject({ state: 'expired', operations: [{ action: 'remove', state: 'pending' }] });
  expect((await deps.grants.requestOf(userId, saved.endedByRequestId!))?.value.state).toBe('delivering');
  expect(await groupMembers(world.emulator, THROTTLED_GROUP)).toContain(userId);

  // The shard's message comes back after the Retry-After: the item finishes the saved end, well before its redelivery.
  world.advance({ seconds: 10 });
  const resumed = await withThrottleDeferral(() => expirationSweep());
  expect(resumed).toMatchObject({ outcome: { value: { processed: 1, stale: 0, failed: 0 } }, resumeAtMs: undefined });
  expect(await groupMembers(world.emulator, THROTTLED_GROUP)).not.toContain(userId);
  await expectEndedOnceWithEvents(auto, planned!);
}, 180_000);

test('a user who matches again and stops again within the grace period keeps it until a grace period after the second stop', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Grace removals, stopped twice', REGAINED_GROUP, 'PT1H');
  // Stops matching at T1 (the removal planned for T1 + 1 h), matches again at T1 + 20 min, stops again at T1 + 40 min.
  const [planned] = await assignedThenPlanned(auto, USERS.slice(16, 17), deps);
  const userId = planned!.value.targetId;
  world.advance({ minutes: 20 });
  await moveTo(userId, 'Nobody here');
  expect(await evaluate(auto, userId)).toMatchObject({ assigned: 0, removed: 0, removalsPlanned: 0, failed: 0 });
  world.advance({ minutes: 20 });
  await moveTo(userId, 'Elsewhere');
  expect(await evaluate(auto, userId)).toMatchObject({ removed: 0, removalsPlanned: 1, failed: 0 });
  const ended = async () => (await deps.grants.findAssignment(planned!.value.id))!.value.state === 'expired';

  // T1 + 1 h 1 min: the first stop's grace period is over, not the second's (its item was taken back).
  world.advance({ minutes: 21 });
  expect(await expirationSweep()).toMatchObject({ processed: 0, stale: 0, failed: 0 });
  expect(await ended()).toBe(false);
  expect(await groupMembers(world.emulator, REGAINED_GROUP)).toContain(userId);

  // T1 + 1 h 41 min: a grace period after the second stop.
  world.advance({ minutes: 40 });
  expect(await expirationSweep()).toMatchObject({ processed: 1, failed: 0 });
  expect(await groupMembers(world.emulator, REGAINED_GROUP)).not.toContain(userId);
  await expectEndedOnceWithEvents(auto, planned!, [PLANNED, TAKEN_BACK, PLANNED]);
}, 180_000);

test('an evaluation that finds the user still not matching plans nothing again: the first stop\'s removal stands', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Grace removals, evaluated again', undefined, 'PT1H');
  const [planned] = await assignedThenPlanned(auto, USERS.slice(17, 18), deps);
  world.advance({ minutes: 30 });
  expect(await evaluate(auto, planned!.value.targetId)).toMatchObject({ removalsPlanned: 0, failed: 0 });
  world.advance({ minutes: 31 });
  expect(await expirationSweep()).toMatchObject({ processed: 1, stale: 0, failed: 0 });
  expect((await deps.grants.findAssignment(planned!.value.id))!.value.state).toBe('expired');
}, 180_000);

test('a user found matching again only by the grace removal itself has a later stop planned afresh', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Grace removals, matched unseen', undefined, 'PT1H');
  const [planned] = await assignedThenPlanned(auto, USERS.slice(18, 19), deps);
  const userId = planned!.value.targetId;
  // Matches again with no evaluation in between: the removal, when due, finds it and keeps the assignment.
  await moveTo(userId, 'Nobody here');
  world.advance({ hours: 1, minutes: 1 });
  expect(await expirationSweep()).toMatchObject({ processed: 0, stale: 1, failed: 0 });
  // Stops again: a grace period of its own, then the removal.
  await moveTo(userId, 'Elsewhere');
  expect(await evaluate(auto, userId)).toMatchObject({ removalsPlanned: 1, failed: 0 });
  world.advance({ hours: 1, minutes: 1 });
  expect(await expirationSweep()).toMatchObject({ processed: 1, failed: 0 });
  expect((await deps.grants.findAssignment(planned!.value.id))!.value.state).toBe('expired');
}, 180_000);
