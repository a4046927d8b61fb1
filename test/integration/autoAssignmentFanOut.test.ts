import { randomUUID } from 'node:crypto';
import { QueueServiceClient } from '@azure/storage-queue';
import { DateTime } from 'luxon';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { autoAssignmentShardMessage, processAutoAssignmentShard } from '../../shared/operations/autoAssignment/autoAssignmentFanOut';
import { sweepAutoAssignments, type AutoAssignmentResult } from '../../shared/operations/autoAssignment/autoAssignmentSweep';
import type { EvaluationCounts } from '../../shared/operations/autoAssignment/evaluateAutoAssignments';
import type { WorkQueue } from '../../shared/queues/workQueue';
import { AutoAssignmentShards } from '../../shared/store/autoAssignmentShards';
import { demoTenantPath, loadTenantFixture } from '../../tools/graph-emulator/fixture';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { drainWithWorkers, normalizedRows, testQueue } from '../support/fanOutWorkers';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';
import { autoGroupPackage, groupMembers } from '../support/packageWorld';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The auto-assignment sweep's full evaluation fanned out: two policies giving group memberships (Sales by
 * department, Engineering by department, the latter's additions failed at its creation), and the directory moved on
 * since (Liam joined Sales, Sofia left it, Grace was deleted). The first sweep, a full one, cuts the 55 users into
 * runs of 10 (six shards); taken by one worker or three, or with a shard lost and sent again, the shards leave the
 * same rows and the same group members as the sweep inline; a shard handled twice changes nothing.
 */
const SALES_TEAM = 'd3a71489-888c-4c0b-a3f7-b4ef51fb5227';
const ENGINEERING = '509c2530-0367-4f48-a429-6461beddd096';
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4'; // Marketing, moves to Sales
const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65'; // Sales, moves to Marketing
const GRACE = '616273cd-d6a1-4e4f-8ca4-c608ef605abf'; // Sales, deleted
const USERS_PER_SHARD = 10;

interface Outcome {
  world: InProcessOperations;
  startedAt: DateTime;
  runs: Array<AutoAssignmentResult | undefined>;
  byWorker: number[];
  salesTeam: string[];
  engineering: string[];
}

const worlds: InProcessOperations[] = [];
afterAll(async () => {
  for (const world of worlds) await world.stop();
});

const options = () => ({ holder: randomUUID(), budgetMs: 60_000 });
const handleShard = (deps: EntitlementDeps, payload: unknown, holder: string) => processAutoAssignmentShard(deps, autoAssignmentShardMessage.parse(payload), { holder, budgetMs: 60_000 });

async function graph(emulator: GraphEmulator, method: string, path: string, body?: object): Promise<void> {
  const response = await fetch(`${emulator.url}/v1.0${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

/** The same packages and directory changes in a world of its own, its clock at `startAt` when given. */
async function arrange(startAt?: DateTime): Promise<{ world: InProcessOperations; startedAt: DateTime }> {
  const world = await startInProcessOperations();
  worlds.push(world);
  if (startAt) world.advance({ milliseconds: startAt.toMillis() - world.now().toMillis() });
  const startedAt = world.now();
  const { deps, emulator } = world;
  await autoGroupPackage(deps, 'Fan-out sales', SALES_TEAM, '(user.department -eq "Sales")');
  const failing = jest.spyOn(deps.grants, 'indexInBulk').mockRejectedValue(new Error('storage unavailable'));
  await autoGroupPackage(deps, 'Fan-out engineering', ENGINEERING, '(user.department -eq "Engineering")').finally(() => failing.mockRestore());
  await graph(emulator, 'PATCH', `/users/${LIAM}`, { department: 'Sales' });
  await graph(emulator, 'PATCH', `/users/${SOFIA}`, { department: 'Marketing' });
  await graph(emulator, 'DELETE', `/users/${GRACE}`);
  world.advance({ minutes: 6 });
  return { world, startedAt };
}

async function outcomeOf(world: InProcessOperations, startedAt: DateTime, runs: Outcome['runs'], byWorker: number[]): Promise<Outcome> {
  return {
    world,
    startedAt,
    runs,
    byWorker,
    salesTeam: (await groupMembers(world.emulator, SALES_TEAM)).sort(),
    engineering: (await groupMembers(world.emulator, ENGINEERING)).sort(),
  };
}

/** The sweep as it ran before fan-out: the whole evaluation in the timer. */
async function inline(startAt: DateTime): Promise<Outcome> {
  const { world, startedAt } = await arrange(startAt);
  return outcomeOf(world, startedAt, [await sweepAutoAssignments(world.deps, options())], []);
}

/** The first sweep sends the shards, `workers` take them, the next sweep sees them done. */
async function fannedOut(workers: number, startAt: DateTime, beforeDrain: (world: InProcessOperations, queue: WorkQueue) => Promise<void> = async () => undefined): Promise<Outcome & { queue: WorkQueue }> {
  const { world, startedAt } = await arrange(startAt);
  const queue = testQueue('auto');
  const sweep = () => sweepAutoAssignments(world.deps, options(), { queue, usersPerShard: USERS_PER_SHARD });
  const runs = [await sweep()];
  await beforeDrain(world, queue);
  const byWorker = await drainWithWorkers(world, queue, workers, handleShard);
  runs.push(await sweep());
  return { ...(await outcomeOf(world, startedAt, runs, byWorker)), queue };
}

/** Takes one message off the queue for good, as if the host had moved it to the poison queue. */
async function loseOneMessage(queue: WorkQueue): Promise<void> {
  const client = QueueServiceClient.fromConnectionString(testStorageConnectionString()).getQueueClient(queue.name);
  const [message] = (await client.receiveMessages({ numberOfMessages: 1 })).receivedMessageItems;
  await client.deleteMessage(message!.messageId, message!.popReceipt);
}

const known = new Set([...(loadTenantFixture(demoTenantPath()).users ?? []).map((u) => u.id), SALES_TEAM, ENGINEERING]);
/**
 * normalizedRows, and further: a users delta link names its emulator's port and token; a locator group is a hash of
 * an id made at run time; the Graph write budget's refill, and the audit events still in the outbox (those of the
 * additions that failed at the policy's creation), follow the wall clock and name their writer.
 */
const rowsOf = async (world: InProcessOperations) =>
  (await normalizedRows(world.prefix, known))
    .filter((row) => !row.startsWith('graphWriteBudget '))
    .map((row) => row.replace(/http:\/\/127\.0\.0\.1:\d+\/v1\.0\/users\/delta\?[^"\\]*/g, '<users delta link>').replace(/locatorGroup\|[0-9a-f]+/g, 'locatorGroup|<group>'))
    .map((row) => (row.startsWith('dueWork ') ? row.replace(/(occurredDateTime[^0-9]*)\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, '$1<wall time>').replace(/(writer[^0-9a-f]*)[0-9a-f]{16}/g, '$1<writer>') : row));

let alone: Outcome;
let one: Outcome;
let three: Outcome;
let stopped: Outcome;
let lost: Outcome & { resent: AutoAssignmentResult | undefined };

/** A shard's message lost: the next sweep, finding the queue empty and the shard not done, sends it again. */
async function withLostShard(startAt: DateTime): Promise<Outcome & { resent: AutoAssignmentResult | undefined }> {
  let resent: AutoAssignmentResult | undefined;
  const outcome = await fannedOut(2, startAt, async (world, queue) => {
    await loseOneMessage(queue);
    await drainWithWorkers(world, queue, 2, handleShard);
    // The queue empty and a shard not done: the next sweep sends it again.
    resent = await sweepAutoAssignments(world.deps, options(), { queue, usersPerShard: USERS_PER_SHARD });
  });
  return { ...outcome, resent };
}

beforeAll(async () => {
  // Each world has its own tables, queue and emulator, and all start at the same time: they run at once.
  const startAt = DateTime.utc();
  [alone, one, three, lost] = await Promise.all([inline(startAt), fannedOut(1, startAt), fannedOut(3, startAt), withLostShard(startAt)]);
  // A shard's changes made but not marked done (the worker stopped): its message, back, evaluates it again.
  // The workers have deps of their own (drainWithWorkers): the store's prototype is where they all meet, so this
  // world runs after the others.
  const markDone = AutoAssignmentShards.prototype.markDone;
  let stoppedOnce = false;
  const stopping = jest.spyOn(AutoAssignmentShards.prototype, 'markDone').mockImplementation(async function (this: AutoAssignmentShards, shard, done) {
    if (!stoppedOnce && (done.counts as EvaluationCounts).assigned > 0) {
      stoppedOnce = true;
      throw new Error('the worker stopped');
    }
    return markDone.call(this, shard, done);
  });
  stopped = await fannedOut(2, startAt).finally(() => stopping.mockRestore());
  expect(stoppedOnce).toBe(true);
}, 300_000);

describe('the auto-assignment full evaluation fanned out over a queue', () => {
  it('sends six shards of at most ten users, spread over the workers, and advances once every shard is done', () => {
    for (const outcome of [one, three]) {
      expect(outcome.runs[0]).toMatchObject({ mode: 'full', shards: { sent: 6, pending: 6 }, assigned: 0, removed: 0 });
      expect(outcome.byWorker.reduce((a, b) => a + b)).toBe(6);
      expect(outcome.runs[1]).toMatchObject({ mode: 'full', shards: { sent: 0, pending: 0 }, usersEvaluated: 54, failed: 0, remaining: 0 });
    }
    expect(three.byWorker.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(alone.runs[0]).toMatchObject({ mode: 'full', usersEvaluated: 54, failed: 0, remaining: 0 });
    expect(alone.runs[0]!.shards).toBeUndefined();
    // The shards' changes together are the inline sweep's.
    for (const key of ['assigned', 'removed', 'removalsPlanned'] as const) expect(one.runs[1]![key]).toBe(alone.runs[0]![key]);
    expect(alone.runs[0]!.assigned).toBeGreaterThan(10);
    expect(alone.runs[0]!.removed).toBe(2);
  });

  it('gives the groups the same members with one worker, three, or a lost shard sent again, as inline', () => {
    expect(alone.salesTeam).toContain(LIAM);
    expect(alone.salesTeam).not.toContain(SOFIA);
    for (const outcome of [one, three, stopped, lost]) {
      expect(outcome.salesTeam).toEqual(alone.salesTeam);
      expect(outcome.engineering).toEqual(alone.engineering);
    }
  });

  it('leaves the same rows in every table as inline (ids made at run time aside): shards and their leases gone', async () => {
    const expected = await rowsOf(alone.world);
    for (const outcome of [one, three, stopped, lost]) expect(await rowsOf(outcome.world)).toEqual(expected);
  });

  it('sends a lost shard again once the queue is empty, and completes with it', () => {
    expect(lost.runs[0]).toMatchObject({ shards: { sent: 6, pending: 6 } });
    expect(lost.resent).toMatchObject({ shards: { sent: 1, pending: 1 }, usersEvaluated: 0 });
    expect(lost.byWorker.reduce((a, b) => a + b)).toBe(1);
    expect(lost.runs[1]).toMatchObject({ shards: { sent: 0, pending: 0 }, usersEvaluated: 54, failed: 0 });
  });

  it('a shard evaluated again after its changes were made (not marked done) makes none twice', () => {
    // Seven handlings of six shards: the stopped one's second finds its changes made, and counts none.
    expect(stopped.byWorker.reduce((a, b) => a + b)).toBe(6);
    expect(stopped.runs[1]).toMatchObject({ shards: { sent: 0, pending: 0 }, failed: 0 });
    expect(stopped.runs[1]!.assigned + stopped.runs[1]!.removed).toBeLessThan(alone.runs[0]!.assigned + alone.runs[0]!.removed);
  });
});

test('a shard handled again once done changes nothing', async () => {
  const { world } = await arrange(alone.startedAt);
  const queue = testQueue('auto');
  await sweepAutoAssignments(world.deps, options(), { queue, usersPerShard: USERS_PER_SHARD });
  const shards = await world.deps.autoAssignmentShards.all();
  const message = { run: shards[0]!.value.run, shard: shards[0]!.value.index };
  const first = await processAutoAssignmentShard(world.deps, message, options());
  const before = await storageSnapshot(world.prefix);
  const again = await processAutoAssignmentShard(world.deps, message, options());
  // The 54 users cut into six shards of as many: nine.
  expect(first!.usersEvaluated).toBe(9);
  expect(again).toMatchObject({ usersEvaluated: 0, assigned: 0, removed: 0 });
  expect(await storageSnapshot(world.prefix)).toEqual(before);
}, 120_000);
