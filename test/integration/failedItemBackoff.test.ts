import { randomBytes } from 'node:crypto';
import { deferUntil, withThrottleDeferral } from '../../shared/directory/throttleDeferral';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { fanOutDueWork } from '../../shared/operations/lifecycle/fanOutDueWork';
import { MAX_ITEM_ATTEMPTS, PARK_AFTER_MS, processDueItems, RETRY_CAP_MS, withSweepLease, type BatchHandler, type ItemOutcome } from '../../shared/operations/lifecycle/sweepDueWork';
import { WorkQueue } from '../../shared/queues/workQueue';
import { DueWorkStore, minuteOf, type DueItem } from '../../shared/store/dueWork';
import type { Tables } from '../../shared/store/tables';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';
import { testStorageConnectionString, testTables } from '../support/testStorage';

/**
 * The sweep runner's backoff on Azurite, with a clock the test moves: after its n-th failed run an item is not taken
 * again for 2^(n-1) minutes (at most RETRY_CAP_MS); while it waits it is neither handled nor written, and it holds
 * its sweep's checkpoint. A throttled deferral counts nothing, and parking still comes after 10 attempts and a day.
 */
type Kind = 'single' | 'batched';
let world: InProcessOperations;
let deps: EntitlementDeps;
let tables: Tables;
/** One index and one sweep per test, so each sees only its own items and checkpoint. */
let index: DueWorkStore<Kind>;
let sweep: string;
let tests = 0;

beforeAll(async () => {
  world = await startInProcessOperations();
  deps = world.deps;
  tables = testTables();
});
beforeEach(() => {
  index = new DueWorkStore<Kind>(tables, `backoffDue${++tests}`);
  sweep = `backoff${tests}`;
});
afterAll(async () => {
  await world.stop();
  await tables.deleteAll();
});

const MINUTE = 60_000;
const item = (entityId: string, kind: Kind = 'single'): DueItem<Kind> => ({ kind, dueDateTime: world.now().minus({ minutes: 1 }).toUTC().toISO()!, entityId, detail: '' });
const run = (handle: (due: DueItem<Kind>) => Promise<ItemOutcome>, batch?: BatchHandler<Kind>) =>
  withSweepLease(deps, sweep, { holder: 'runner', budgetMs: 60_000 }, (checkpoint, deadline, lease) => processDueItems(deps, index, handle, { from: checkpoint, now: world.now(), deadline, lease }, batch));
const stored = async (entityId: string) => (await index.dueBy(world.now().plus({ days: 2 }), undefined)).find((d) => d.value.entityId === entityId);
const checkpoint = async () => (await deps.sweeps.acquire(sweep, 'reader', world.now(), 1))?.value.checkpoint;
/** The time `minutes` from now, as items record it. */
const inMinutes = (minutes: number) => world.now().plus({ minutes }).toUTC().toISO()!;

test('an item failing twice is not handled before its retry time (no call, no write), holds the checkpoint, and is handled at it', async () => {
  const failing = item('failing');
  await index.schedule(failing);
  const calls: string[] = [];
  let failures = 2;
  const handle = async (due: DueItem<Kind>): Promise<ItemOutcome> => {
    calls.push(due.entityId);
    if (due.entityId === 'failing' && failures-- > 0) throw new Error('directory away');
    return 'processed';
  };

  expect(await run(handle)).toMatchObject({ failed: 1, waiting: 0 });
  expect((await stored('failing'))?.value).toMatchObject({ attempts: 1, retryAfter: inMinutes(1) });
  world.advance({ minutes: 1 });
  expect(await run(handle)).toMatchObject({ failed: 1, waiting: 0 });
  // The second failure waits twice as long.
  expect((await stored('failing'))?.value).toMatchObject({ attempts: 2, lastError: 'directory away', retryAfter: inMinutes(2) });
  const written = await stored('failing');

  // A minute on, a new item is done; the failed one is left as it is, and still holds the checkpoint.
  world.advance({ minutes: 1 });
  await index.schedule(item('later'));
  calls.length = 0;
  expect(await run(handle)).toMatchObject({ processed: 1, failed: 0, waiting: 1 });
  expect(calls).toEqual(['later']);
  expect((await stored('failing'))?.etag).toBe(written?.etag);
  expect((await checkpoint())! <= minuteOf(failing.dueDateTime)).toBe(true);

  // At its retry time it is handled, and done.
  world.advance({ minutes: 1 });
  calls.length = 0;
  expect(await run(handle)).toMatchObject({ processed: 1, failed: 0, waiting: 0 });
  expect(calls).toEqual(['failing']);
  expect(await stored('failing')).toBeUndefined();
});

test(`the wait doubles with each failure up to ${RETRY_CAP_MS / MINUTE} minutes, and parking still comes after ${MAX_ITEM_ATTEMPTS} attempts and a day`, async () => {
  const failing = item('failing');
  await index.schedule(failing);
  const always = () => Promise.reject(new Error('always fails'));
  const waits: number[] = [];
  for (let attempt = 1; attempt < MAX_ITEM_ATTEMPTS; attempt++) {
    expect(await run(always)).toMatchObject({ failed: 1, parked: 0 });
    const retryAfter = (await stored('failing'))!.value.retryAfter!;
    const wait = Date.parse(retryAfter) - world.now().toMillis();
    waits.push(wait / MINUTE);
    // A moment before its retry time: not handled.
    world.advance({ milliseconds: wait - 1 });
    expect(await run(always)).toMatchObject({ failed: 0, waiting: 1 });
    world.advance({ milliseconds: 1 });
  }
  expect(waits).toEqual([1, 2, 4, 8, 15, 15, 15, 15, 15]);
  // The tenth failure, under two hours after the first: not yet a day past due, so it is not parked.
  expect(await run(always)).toMatchObject({ failed: 1, parked: 0 });
  expect((await stored('failing'))!.value).toMatchObject({ attempts: MAX_ITEM_ATTEMPTS, retryAfter: inMinutes(15) });
  // A day past due, at its retry time, the next failure parks it and frees the checkpoint.
  world.advance({ milliseconds: PARK_AFTER_MS });
  expect(await run(always)).toMatchObject({ failed: 0, parked: 1 });
  expect(await index.parked()).toEqual([expect.objectContaining({ entityId: 'failing', attempts: MAX_ITEM_ATTEMPTS + 1 })]);
  expect((await checkpoint())! > minuteOf(failing.dueDateTime)).toBe(true);
});

test('a throttled deferral counts no attempt and leaves the retry time as it was', async () => {
  await index.schedule(item('throttled'));
  expect(await run(() => Promise.reject(new Error('directory away')))).toMatchObject({ failed: 1 });
  const failed = (await stored('throttled'))!;
  expect(failed.value).toMatchObject({ attempts: 1, retryAfter: inMinutes(1) });

  world.advance({ minutes: 1 });
  const throttled = await withThrottleDeferral(() => run(() => Promise.reject(deferUntil(Date.now() + 1_000, 'Graph said 429'))));
  expect(throttled.resumeAtMs).toBeDefined();
  expect((await stored('throttled'))?.etag).toBe(failed.etag);
  // When its message comes back it is handled at once: the deferral did not push it back.
  expect(await run(async () => 'processed')).toMatchObject({ processed: 1, waiting: 0 });
});

test('a batched kind backs off the same way: a failed item is left out of the batches until its retry time', async () => {
  await index.scheduleAll([item('b-failing', 'batched'), item('b-fine', 'batched')]);
  const batches: string[][] = [];
  let failures = 1;
  const batch: BatchHandler<Kind> = {
    kinds: new Set(['batched']),
    size: 10,
    handle: async (items, hold) => {
      batches.push(items.map((i) => i.entityId));
      await hold();
      return items.map((i) => (i.entityId === 'b-failing' && failures-- > 0 ? new Error('removal failed') : 'processed'));
    },
  };
  const single = () => Promise.reject(new Error('not batched'));
  expect(await run(single, batch)).toMatchObject({ processed: 1, failed: 1 });
  expect((await stored('b-failing'))?.value).toMatchObject({ attempts: 1, retryAfter: inMinutes(1) });

  world.advance({ seconds: 30 });
  expect(await run(single, batch)).toMatchObject({ processed: 0, failed: 0, waiting: 1 });
  world.advance({ seconds: 30 });
  expect(await run(single, batch)).toMatchObject({ processed: 1, failed: 0, waiting: 0 });
  expect(batches).toEqual([['b-failing', 'b-fine'], ['b-failing']]);
});

test('a fanned-out sweep sends no shard for items waiting for their retry time, and keeps its checkpoint at them', async () => {
  const queue = new WorkQueue(testStorageConnectionString(), `backoff${randomBytes(6).toString('hex')}`);
  const options = { holder: 'timer', budgetMs: 60_000, shardSize: 2 };
  const waiting = ['w1', 'w2', 'w3'];
  for (const entityId of waiting) await index.schedule(item(entityId));
  const calls: string[] = [];
  const handle = async (due: DueItem<Kind>): Promise<ItemOutcome> => {
    calls.push(due.entityId);
    if (waiting.includes(due.entityId)) throw new Error('directory away');
    return 'processed';
  };
  expect(await run(handle)).toMatchObject({ failed: 3 });

  // Four items are due, more than a shard of two, but only one is ready: the timer does it itself and sends nothing.
  world.advance({ seconds: 30 });
  await index.schedule(item('ready'));
  calls.length = 0;
  const timer = await fanOutDueWork(deps, sweep, index, queue, handle, options);
  expect(timer).toMatchObject({ shardsSent: 0, inline: { processed: 1, failed: 0, waiting: 3 } });
  expect(calls).toEqual(['ready']);
  expect(await queue.depth()).toBe(0);
  expect((await checkpoint())! <= minuteOf((await stored('w1'))!.value.dueDateTime)).toBe(true);
});
