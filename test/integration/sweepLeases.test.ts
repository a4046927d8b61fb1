import { DateTime } from 'luxon';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { checkHealth } from '../../shared/operations/checkHealth';
import { MAX_ITEM_ATTEMPTS, processDueItems, RETRY_CAP_MS, withSweepLease, type DueWorkResult } from '../../shared/operations/lifecycle/sweepDueWork';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { DueWorkStore, type DueItem } from '../../shared/store/dueWork';
import type { Tables } from '../../shared/store/tables';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';
import { assign, groupMembers, groupPackage, hookedDirectory } from '../support/packageWorld';
import { testTables } from '../support/testStorage';

/**
 * The sweep runner on Azurite, with a clock the test moves: a run longer than its lease keeps it by renewing it, a
 * run that lost it stops writing and saves no checkpoint, and an item that always fails is parked after its bound.
 */
let world: InProcessOperations;
let deps: EntitlementDeps;
let tables: Tables;
/** One index per test, so each sees only its own items. */
let index: DueWorkStore<'test'>;
let indexes = 0;

beforeAll(async () => {
  world = await startInProcessOperations();
  deps = world.deps;
  tables = testTables();
});
beforeEach(() => {
  index = new DueWorkStore<'test'>(tables, `testDue${++indexes}`);
});
afterAll(async () => {
  await world.stop();
  await tables.deleteAll();
});

const item = (entityId: string, dueDateTime = world.now().minus({ minutes: 1 }).toUTC().toISO()!): DueItem<'test'> => ({ kind: 'test', dueDateTime, entityId, detail: '' });

describe('a sweep run and its lease', () => {
  it('keeps the lease through a run longer than the lease, renewing it as it goes', async () => {
    const intruders: unknown[] = [];
    const result = await withSweepLease(deps, 'longRun', { holder: 'long', budgetMs: 60_000 }, async (_checkpoint, _deadline, lease) => {
      for (let step = 0; step < 3; step++) {
        world.advance({ minutes: 8 });
        await lease.hold();
        intruders.push(await deps.sweeps.acquire('longRun', 'intruder', world.now(), 60_000));
      }
      return { checkpoint: 'reached', result: 'finished' };
    });
    expect(result).toBe('finished');
    expect(intruders).toEqual([undefined, undefined, undefined]);
    // Released with its checkpoint: the next run takes it at once, from there.
    expect((await deps.sweeps.acquire('longRun', 'next', world.now(), 60_000))?.value).toMatchObject({ holder: 'next', checkpoint: 'reached' });
  });

  it('stops writing once another runner took its lease, and does not save its checkpoint', async () => {
    const entities = Array.from({ length: 12 }, (_, i) => `fenced-${String(i).padStart(2, '0')}`);
    for (const entityId of entities) await index.schedule(item(entityId));
    const handled: string[] = [];
    let stolen!: () => void;
    const taken = new Promise<void>((resolve) => (stolen = resolve));
    const run = await withSweepLease(deps, 'fenced', { holder: 'paused', budgetMs: 60_000 }, (checkpoint, deadline, lease) =>
      processDueItems(deps, index, async (due) => {
        handled.push(due.entityId);
        if (handled.length === 1) {
          // This run pauses past its lease (a host without the functions' timeout), and another runner takes it.
          world.advance({ minutes: 12 });
          expect(await deps.sweeps.acquire('fenced', 'intruder', world.now(), 11 * 60_000)).toBeDefined();
          stolen();
        }
        await taken;
        return 'processed';
      }, { from: checkpoint, now: world.now(), deadline, lease }),
    );
    expect(run).toBeUndefined();
    // Those already under way when the lease was taken finish; none is started after.
    expect(handled.length).toBeLessThan(entities.length);
    expect((await index.dueBy(world.now(), undefined)).map((d) => d.value.entityId).sort()).toEqual(entities.filter((e) => !handled.includes(e)).sort());
    expect((await deps.sweeps.acquire('fenced', 'intruder', world.now(), 60_000))?.value).toMatchObject({ holder: 'intruder', checkpoint: null });
    for (const d of await index.dueBy(world.now(), undefined)) await index.done(d);
  });
});

describe('an item that always fails', () => {
  const runOnce = () =>
    withSweepLease(deps, 'failing', { holder: 'runner', budgetMs: 60_000 }, (checkpoint, deadline, lease) =>
      processDueItems(deps, index, async (due) => (due.entityId === 'broken' ? Promise.reject(new Error('always fails')) : 'processed'), { from: checkpoint, now: world.now(), deadline, lease }),
    );
  const checkpointOf = async () => (await deps.sweeps.acquire('failing', 'runner', world.now(), 1))?.value.checkpoint;

  it(`is parked after ${MAX_ITEM_ATTEMPTS} failed runs a day past due, freeing the checkpoint, audited and shown in health`, async () => {
    const dueAt = world.now().minus({ minutes: 1 }).toUTC().toISO()!;
    const minute = dueAt.slice(0, 16).replace(/[-T:]/g, '');
    await index.schedule(item('broken', dueAt));
    const runs: DueWorkResult[] = [];
    for (let run = 0; run < MAX_ITEM_ATTEMPTS; run++) {
      runs.push((await runOnce())!);
      // Until it is parked, the failing item holds the checkpoint at or before its minute.
      if (run < MAX_ITEM_ATTEMPTS - 1) expect((await checkpointOf())! <= minute).toBe(true);
      world.advance({ hours: 3 });
    }
    expect(runs.slice(0, -1).every((r) => r.failed === 1 && r.parked === 0)).toBe(true);
    expect(runs.at(-1)).toMatchObject({ failed: 0, parked: 1 });
    expect(await index.dueBy(world.now(), undefined)).toEqual([]);
    expect(await index.parked()).toEqual([expect.objectContaining({ entityId: 'broken', index: `testDue${indexes}`, attempts: MAX_ITEM_ATTEMPTS, lastError: 'always fails' })]);
    // The checkpoint moved on: new work is read from near now, not from the parked item's minute.
    expect((await checkpointOf())! > minute).toBe(true);
    // The audit log keeps the wall clock's time, not the test's.
    const days = new Set([DateTime.utc().minus({ minutes: 1 }), DateTime.utc()].map((at) => at.toFormat('yyyy-MM-dd')));
    const events = (await Promise.all([...days].map((day) => deps.audit.ofDay(day)))).flat();
    expect(events.filter((e) => e.action === 'parkDueWork')).toEqual([expect.objectContaining({ entityType: 'dueWork', entityId: 'broken', actorId: expect.any(String) })]);
    const health = await checkHealth([{ name: 'storage', probe: async () => undefined }], { parkedWork: async () => (await index.parked()).length });
    expect(health).toMatchObject({ status: 'degraded', failed: [], parkedWork: 1 });
  });

  it('is not parked within a day of its due time, however many runs failed it (an outage may still be passing)', async () => {
    const run = () =>
      withSweepLease(deps, 'outage', { holder: 'runner', budgetMs: 60_000 }, (checkpoint, deadline, lease) =>
        processDueItems(deps, index, () => Promise.reject(new Error('directory away')), { from: checkpoint, now: world.now(), deadline, lease }),
      );
    await index.schedule(item('outage'));
    for (let attempt = 0; attempt < MAX_ITEM_ATTEMPTS + 2; attempt++) {
      expect(await run()).toMatchObject({ failed: 1, parked: 0 });
      // Past its retry time, which is at most RETRY_CAP_MS away.
      world.advance({ milliseconds: RETRY_CAP_MS });
    }
    expect((await index.dueBy(world.now(), undefined)).map((d) => d.value)).toEqual([expect.objectContaining({ entityId: 'outage', attempts: MAX_ITEM_ATTEMPTS + 2 })]);
  });
});

describe('drift repair under a lease it lost', () => {
  const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';
  const PERSON = 'a30354ef-398b-4edf-a326-3c49440a9a11';

  it('changes nothing in the directory once another runner took the reconcile sweep', async () => {
    const pkg = await groupPackage(deps, 'Fenced drift', MARKETING);
    await assign(deps, PERSON, pkg);
    world.advance({ minutes: 6 });
    await reconcile(deps, { holder: 'delivery checked', budgetMs: 60_000 });
    // Drift: someone took the assignee out of the group by hand.
    await deps.directory.removeGroupMembers(MARKETING, [PERSON]);
    // While the run reads its groups' changes, it pauses past its lease and another runner takes the sweep.
    const paused = hookedDirectory(deps.directory, 'groupMembershipChanges', async () => {
      world.advance({ minutes: 12 });
      expect(await deps.sweeps.acquire('reconcileSweep', 'intruder', world.now(), 11 * 60_000)).toBeDefined();
    });

    expect(await reconcile({ ...deps, directory: paused.directory }, { holder: 'paused', budgetMs: 60_000 })).toBeUndefined();

    expect(await groupMembers(world.emulator, MARKETING)).not.toContain(PERSON);
    world.advance({ minutes: 12 });
    expect(await reconcile(deps, { holder: 'after the intruder', budgetMs: 60_000 })).toMatchObject({ added: 1 });
    expect(await groupMembers(world.emulator, MARKETING)).toContain(PERSON);
  });
});
