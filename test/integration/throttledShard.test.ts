import { randomBytes, randomUUID } from 'node:crypto';
import { GraphThrottled } from '../../shared/directory/throttleDeferral';
import { deferringThrottling } from '../../shared/hosting/deferringQueueHandler';
import { dispatchExpirations, processExpirationShard } from '../../shared/operations/lifecycle/expirationSweep';
import { dueRangeMessage } from '../../shared/operations/lifecycle/fanOutDueWork';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { WorkQueue } from '../../shared/queues/workQueue';
import { demoTenantWithMembers } from '../support/demoTenantWithMembers';
import { QueueRunner } from '../../tools/local-host/queueRunner';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';
import { assign, groupMembers, groupPackage, setFaults } from '../support/packageWorld';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The expiration sweep's shards (ten items each: the sweep's `shardSize`), taken by the local host's queue runner
 * while Graph throttles the group removals (429, Retry-After 5 s): a throttled shard's invocation starts no further
 * batch and ends at once, its message comes back after the Retry-After, and its items left are then done; the
 * removals Graph refused in a batch under way are deferred with it, not failed: their items come back with the
 * message and carry them out, no attempt counted; nothing ends in the poison queue, and the next timer run finds
 * nothing left.
 */
const DUE = 12;
const RETRY_AFTER_SECONDS = 5;
const options = () => ({ holder: randomUUID(), budgetMs: 60_000, shardSize: 10 });
const GROUP = '509c2530-0367-4f48-a429-6461beddd096';
const USERS = Array.from({ length: DUE }, (_, n) => `e1000000-0000-4000-8000-${String(n).padStart(12, '0')}`);

const seed = () => demoTenantWithMembers(USERS, 'Throttled');

let world: InProcessOperations;
afterAll(() => world?.stop());

interface Invocation {
  shard: string;
  startedAt: number;
  endedAt: number;
  deferredUntil?: number;
}

it('defers a throttled shard by the Retry-After, then finishes its items, with nothing poisoned and nothing left due', async () => {
  world = await startInProcessOperations(seed());
  const pkg = await groupPackage(world.deps, 'Throttled fan-out', GROUP, { type: 'afterDuration', duration: 'PT1H' });
  for (const userId of USERS) await assign(world.deps, userId, pkg);
  world.advance({ hours: 2 });
  const queue = new WorkQueue(testStorageConnectionString(), `thr${randomBytes(6).toString('hex')}`);
  const sent = await dispatchExpirations(world.deps, queue, options());
  // The assignments' ends (a request carried out at once plans no recovery item: carryOutAtOnce.ts).
  expect(sent).toMatchObject({ shardsSent: 2, itemsSent: DUE });
  await setFaults(world.emulator, [{ pathPattern: '/members/', method: 'DELETE', status: 429, rate: 1, retryAfterSeconds: RETRY_AFTER_SECONDS }]);

  const invocations: Invocation[] = [];
  const handler = deferringThrottling(async (payload) => {
    const shard = dueRangeMessage.parse(payload);
    const invocation: Invocation = { shard: `${shard.minute}|${shard.fromRowKey}`, startedAt: Date.now(), endedAt: 0 };
    invocations.push(invocation);
    try {
      await processExpirationShard(world.deps, shard, { holder: randomUUID(), budgetMs: 60_000 });
    } catch (error) {
      if (error instanceof GraphThrottled) invocation.deferredUntil = error.resumeAtMs;
      throw error;
    } finally {
      invocation.endedAt = Date.now();
    }
  }, () => queue);
  const settings = { batchSize: 1, newBatchThreshold: 0, maxDequeueCount: 2, visibilityTimeoutMs: 0, maxPollingIntervalMs: 200, messageEncoding: 'base64' as const };
  const runner = new QueueRunner('expirationShard', queue.name, handler, { connection: testStorageConnectionString(), settings, log: () => undefined });
  runner.start();
  try {
    const deadline = Date.now() + 30_000;
    while (!invocations.some((i) => i.deferredUntil !== undefined) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await setFaults(world.emulator, []);
    while ((await queue.depth()) > 0 && Date.now() < deadline + 30_000) await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    runner.stop();
    await runner.drained();
  }

  const deferred = invocations.filter((i) => i.deferredUntil !== undefined);
  expect(deferred.length).toBeGreaterThan(0);
  for (const first of deferred) {
    // It did not wait out the Retry-After in the function (it finished the items under way and ended before the
    // time Graph named), and its shard came back only after it.
    expect(first.endedAt).toBeLessThan(first.deferredUntil!);
    const again = invocations.find((i) => i.shard === first.shard && i.startedAt > first.endedAt);
    expect(again).toBeDefined();
    expect(again!.startedAt).toBeGreaterThanOrEqual(first.deferredUntil! - 100);
  }
  expect(await queue.depth()).toBe(0);
  const poison = new WorkQueue(testStorageConnectionString(), `${queue.name}-poison`);
  expect(await poison.depth()).toBe(0);

  // Every assignment ended and every target left the group once the queue was empty: the removals in flight when
  // Graph said 429 came back with their shard, with no failed attempt counted and no redelivery needed.
  const stillMembers = new Set(await groupMembers(world.emulator, GROUP));
  expect(USERS.filter((u) => stillMembers.has(u))).toEqual([]);
  for (const userId of USERS) {
    const [assignment] = await world.deps.grants.assignmentsOf(userId);
    expect(assignment?.value.state).toBe('expired');
    expect(assignment!.value.operations).toEqual([expect.objectContaining({ action: 'remove', state: 'done', attempts: 1, lastError: null })]);
    const ending = await world.deps.grants.requestOf(userId, assignment!.value.endedByRequestId!);
    expect(ending?.value).toMatchObject({ requestType: 'systemRemove', state: 'delivered' });
  }
  const next = await dispatchExpirations(world.deps, queue, options());
  expect(next).toMatchObject({ pendingShards: 0, shardsSent: 0, inline: { processed: 0, failed: 0, remaining: 0 } });
  // The redelivery items the ends planned find nothing left to do.
  world.advance({ minutes: 10 });
  const redelivered = await reconcile(world.deps, { holder: randomUUID(), budgetMs: 60_000 });
  expect(redelivered).toMatchObject({ redelivery: { processed: 0, failed: 0 } });
}, 120_000);
