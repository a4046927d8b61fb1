import { randomBytes, randomUUID } from 'node:crypto';
import type { DateTime } from 'luxon';
import { buildDeps } from '../../shared/composition';
import { loadConfig } from '../../shared/config';
import { dispatchExpirations, processExpirationShard } from '../../shared/operations/lifecycle/expirationSweep';
import { dueRangeMessage, SHARD_SIZE } from '../../shared/operations/lifecycle/fanOutDueWork';
import { WorkQueue } from '../../shared/queues/workQueue';
import { demoTenantPath, loadTenantFixture } from '../../tools/graph-emulator/fixture';
import { demoTenantWithMembers } from '../support/demoTenantWithMembers';
import { QueueRunner } from '../../tools/local-host/queueRunner';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';
import { assign, groupMembers, groupPackage } from '../support/packageWorld';
import { normalizedRows } from '../support/fanOutWorkers';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The expiration sweep fanned out: 12 assignments have reached their end (their requests, carried out at once, left
 * no recovery item: carryOutAtOnce.ts): its timer cuts the 12 due items of that minute's partition into shards,
 * three items to a shard (the sweep's `shardSize`; SHARD_SIZE unless set): four shards on a queue, and the shards are taken by one worker, or by three workers at once (each with deps of its own, as
 * instances have). Both leave the same storage and the same directory, and a second timer run finds nothing left to do.
 */
const DUE = 12;
const ITEMS_PER_SHARD = 3;
const GROUP = '509c2530-0367-4f48-a429-6461beddd096';
const EXTRA_USERS = Array.from({ length: DUE }, (_, n) => `e0000000-0000-4000-8000-${String(n).padStart(12, '0')}`);

const seed = () => demoTenantWithMembers(EXTRA_USERS, 'Fan Out');

interface Outcome {
  startedAt: DateTime;
  prefix: string;
  firstRun: unknown;
  secondRun: unknown;
  members: string[];
  byWorker: number[];
}

const worlds: InProcessOperations[] = [];
afterAll(async () => {
  for (const world of worlds) await world.stop();
});

const options = () => ({ holder: randomUUID(), budgetMs: 60_000, shardSize: ITEMS_PER_SHARD });

/** One world: the same tenant and assignments, the clock at `startAt`; the shards taken by `workers` runners. */
async function expireWith(workers: number, startAt?: DateTime): Promise<Outcome> {
  const world = await startInProcessOperations(seed());
  worlds.push(world);
  if (startAt) world.advance({ milliseconds: startAt.toMillis() - world.now().toMillis() });
  const startedAt = world.now();
  const pkg = await groupPackage(world.deps, 'Fan-out', GROUP, { type: 'afterDuration', duration: 'PT1H' });
  // One after another: the same order of writes in both worlds.
  for (const userId of EXTRA_USERS) await assign(world.deps, userId, pkg);
  world.advance({ hours: 2 });

  const queue = new WorkQueue(testStorageConnectionString(), `fan${randomBytes(6).toString('hex')}`);
  const firstRun = await dispatchExpirations(world.deps, queue, options());

  const config = loadConfig({ AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: world.prefix, AUTH_MODE: 'easyauth', GRAPH_EMULATOR_PORT: new URL(world.emulator.url).port, TENANT_ID: 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd' });
  const byWorker = Array.from({ length: workers }, () => 0);
  const runners = byWorker.map((_, n) => {
    // Each worker builds its own deps, as each instance does; they share the test's clock.
    const deps = { ...buildDeps(config).entitlements, clock: world.deps.clock };
    const runner = new QueueRunner(`expirationShard${n}`, queue.name, async (payload, context) => {
      await processExpirationShard(deps, dueRangeMessage.parse(payload), { holder: context.invocationId, budgetMs: 60_000 });
      byWorker[n]!++;
    }, { connection: testStorageConnectionString(), settings: { batchSize: 1, newBatchThreshold: 0, maxDequeueCount: 5, visibilityTimeoutMs: 0, maxPollingIntervalMs: 200, messageEncoding: 'base64' }, log: () => undefined });
    runner.start();
    return runner;
  });
  const deadline = Date.now() + 60_000;
  while ((await queue.depth()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  for (const runner of runners) runner.stop();
  await Promise.all(runners.map((runner) => runner.drained()));

  const secondRun = await dispatchExpirations(world.deps, queue, options());
  return { startedAt, prefix: world.prefix, firstRun, secondRun, members: (await groupMembers(world.emulator, GROUP)).sort(), byWorker };
}


let one: Outcome;
let three: Outcome;

beforeAll(async () => {
  one = await expireWith(1);
  three = await expireWith(3, one.startedAt);
}, 240_000);

describe('the expiration sweep fanned out over a queue', () => {
  it('sends the due work as shards of the due-time index, at most shardSize items each (SHARD_SIZE unless set)', () => {
    expect(SHARD_SIZE).toBe(50);
    expect(one.firstRun).toEqual({ pendingShards: 0, shardsSent: 4, itemsSent: DUE });
    expect(three.firstRun).toEqual({ pendingShards: 0, shardsSent: 4, itemsSent: DUE });
  });

  it('spreads the shards over the three workers, and the next timer run finds nothing left', () => {
    expect(three.byWorker.reduce((a, b) => a + b)).toBe(4);
    expect(three.byWorker.filter((n) => n > 0).length).toBeGreaterThan(1);
    for (const outcome of [one, three]) expect(outcome.secondRun).toMatchObject({ shardsSent: 0, inline: { processed: 0, failed: 0, remaining: 0 } });
  });

  it('removes every due target from the group with three workers exactly as with one', () => {
    expect(three.members).toEqual(one.members);
    for (const userId of EXTRA_USERS) expect(one.members).not.toContain(userId);
  });

  it('leaves the same rows in every table with three workers as with one (ids made at run time aside)', async () => {
    const [a, b] = await Promise.all([normalizedRows(one.prefix, SEED_IDS), normalizedRows(three.prefix, SEED_IDS)]);
    expect(a.length).toBeGreaterThan(DUE * 3);
    expect(b).toEqual(a);
    // The shards' own leases were removed once done: only the timer's state is left.
    expect(a.filter((row) => row.startsWith('sweepStates')).length).toBe(1);
    // Every assignment expired, through one systemRemove request each.
    expect(a.filter((row) => row.startsWith('accessGrants') && row.includes('"state":"expired"')).length).toBeGreaterThanOrEqual(DUE);
  });
});

const SEED_IDS = new Set([...(loadTenantFixture(demoTenantPath()).users ?? []).map((u) => u.id), ...EXTRA_USERS, GROUP]);
