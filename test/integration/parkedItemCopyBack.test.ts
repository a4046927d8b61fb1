import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { MAX_ITEM_ATTEMPTS, PARK_AFTER_MS, processDueItems, RETRY_CAP_MS, withSweepLease, type ItemOutcome } from '../../shared/operations/lifecycle/sweepDueWork';
import { DueWorkStore, minuteOf, type DueItem } from '../../shared/store/dueWork';
import type { Tables } from '../../shared/store/tables';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';
import { testTables } from '../support/testStorage';

/** A parked item copied back as the README says ("Sweeps"), and a retry time counted on a clock ahead. */
type Kind = 'single';
let world: InProcessOperations;
let deps: EntitlementDeps;
let tables: Tables;
let index: DueWorkStore<Kind>;
const sweep = 'copyBack';

beforeAll(async () => {
  world = await startInProcessOperations();
  deps = world.deps;
  tables = testTables();
  index = new DueWorkStore<Kind>(tables, 'copyBackDue');
});
afterAll(async () => {
  await world.stop();
  await tables.deleteAll();
});

const run = (handle: (due: DueItem<Kind>) => Promise<ItemOutcome>) =>
  withSweepLease(deps, sweep, { holder: 'runner', budgetMs: 60_000 }, (checkpoint, deadline, lease) => processDueItems(deps, index, handle, { from: checkpoint, now: world.now(), deadline, lease }));

test('a parked item copied back into its index, the sweep\'s checkpoint set back to its minute, is handled by the next run', async () => {
  await index.schedule({ kind: 'single', dueDateTime: world.now().minus({ minutes: 1 }).toUTC().toISO()!, entityId: 'assignment-end', detail: '' });
  const always = () => Promise.reject(new Error('directory away'));
  for (let attempt = 1; attempt <= MAX_ITEM_ATTEMPTS; attempt++) {
    await run(always);
    world.advance({ milliseconds: RETRY_CAP_MS });
  }
  world.advance({ milliseconds: PARK_AFTER_MS });
  expect(await run(always)).toMatchObject({ parked: 1 });
  const [parked] = await index.parked();
  // The operator fixed the cause and copies the row back (same keys: the item's minute and row key).
  const { attempts, lastError, retryAfter, index: from, parkedDateTime, ...item } = parked!;
  expect([attempts, lastError, retryAfter, from, parkedDateTime].every((v) => v !== undefined)).toBe(true);
  await index.schedule(item);
  expect(await index.holds(item)).toBe(true);
  const handled: string[] = [];
  const handling = async (due: DueItem<Kind>): Promise<ItemOutcome> => {
    handled.push(due.entityId);
    return 'processed';
  };
  // Copied back alone, it is before the checkpoint: not read.
  world.advance({ minutes: 1 });
  await run(handling);
  expect(handled).toEqual([]);
  // The checkpoint set back to the item's minute, as the README says: handled.
  const state = await deps.sweeps.acquire(sweep, 'operator', world.now(), 1);
  await deps.sweeps.release(state!, minuteOf(item.dueDateTime));
  await run(handling);
  expect(handled).toEqual(['assignment-end']);
});

test('an item failed once by a runner whose clock was a day ahead is tried again within the cap (15 minutes) on a right clock', async () => {
  const skewed = new DueWorkStore<Kind>(tables, 'clockSkewDue');
  await skewed.schedule({ kind: 'single', dueDateTime: world.now().minus({ minutes: 1 }).toUTC().toISO()!, entityId: 'skewed', detail: '' });
  const runAt = (now: ReturnType<typeof world.now>, handle: (due: DueItem<Kind>) => Promise<ItemOutcome>) =>
    withSweepLease(deps, 'clockSkew', { holder: 'runner', budgetMs: 60_000 }, (_checkpoint, deadline, lease) => processDueItems(deps, skewed, handle, { from: null, now, deadline, lease }));
  // One run on an instance whose clock is a day ahead fails it (the directory away).
  expect(await runAt(world.now().plus({ days: 1 }), () => Promise.reject(new Error('directory away')))).toMatchObject({ failed: 1 });
  // The right clock, 16 minutes on: the directory is back.
  world.advance({ minutes: 16 });
  const handled: string[] = [];
  await runAt(world.now(), async (due) => {
    handled.push(due.entityId);
    return 'processed';
  });
  expect(handled).toEqual(['skewed']);
});
