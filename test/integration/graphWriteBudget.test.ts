import { bucketShape, LARGEST_WRITE, LONGEST_CHUNK_WAIT_MS, type WriteBucketState } from '../../shared/domain/writeBudget';
import { isDomainError } from '../../shared/domain/errors';
import { DocumentTable } from '../../shared/store/documentTable';
import { WriteBudgetStore } from '../../shared/store/writeBudgetStore';
import { tableKey } from '../../shared/store/tableKeys';
import { testTables } from '../support/testStorage';

/**
 * The tenant's Graph write budget in Table Storage (Azurite): instances taking tokens at once, each through its own
 * store as separate app instances would, never get more than the bucket gives, and lose no take to a conflict.
 */
const LIMITS = { writes: 200, windowMs: 10_000 };
const SHAPE = bucketShape(LIMITS);

const bucketRows = (tables: ReturnType<typeof testTables>) => new DocumentTable<WriteBucketState>(() => tables.get('graphWriteBudget'), 'budget');
const bucketRow = (tables: ReturnType<typeof testTables>) => bucketRows(tables).get(tableKey('graphWrites'), tableKey('tenant'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the shared Graph write budget', () => {
  it('hands several concurrent instances no more tokens than the bucket holds and refills, retrying their ETag conflicts', async () => {
    const tables = testTables();
    const instances = Array.from({ length: 4 }, () => new WriteBudgetStore(tables, LIMITS));
    // The bucket made and emptied first: a full bucket refills nothing, so on a loaded machine the time its table
    // took to be made would count as refill never given.
    expect(await instances[0]!.take(SHAPE.capacity, SHAPE.capacity)).toEqual({ granted: SHAPE.capacity });
    const emptiedAt = (await bucketRow(tables))!.value.updatedMs;
    const replace = jest.spyOn(DocumentTable.prototype, 'replace');
    const runUntil = Date.now() + 3_000;
    let granted = 0;
    let takes = 0;
    await Promise.all(
      instances.flatMap((store) =>
        Array.from({ length: 3 }, async () => {
          while (Date.now() < runUntil) {
            const take = await store.take(1, 20);
            takes++;
            granted += take.granted;
            if (take.granted === 0) await new Promise((resolve) => setTimeout(resolve, Math.min(50, 'waitMs' in take ? take.waitMs : 50)));
          }
        }),
      ),
    );
    const conflicts = (await Promise.allSettled(replace.mock.results.map((r) => r.value as Promise<unknown>))).filter(
      (r) => r.status === 'rejected' && isDomainError(r.reason) && r.reason.code === 'concurrencyConflict',
    ).length;
    replace.mockRestore();

    const saved = await bucketRow(tables);
    const given = SHAPE.refillPerMs * (saved!.value.updatedMs - emptiedAt);
    // Every token granted came out of the bucket: what was granted and what is left is what it held and refilled.
    expect(granted + saved!.value.tokens).toBeLessThanOrEqual(given + 1e-6);
    expect(granted + saved!.value.tokens).toBeGreaterThan(given - SHAPE.refillPerMs * 500);
    expect(granted).toBeGreaterThan(SHAPE.capacity);
    expect(conflicts).toBeGreaterThan(0);
    expect(takes).toBeGreaterThan(instances.length);
  });

  it('answers how long until the tokens needed are there, once the bucket is empty, or a chunk within a second', async () => {
    const store = new WriteBudgetStore(testTables(), LIMITS);
    let now = 1_000_000;
    expect(await store.take(SHAPE.capacity, SHAPE.capacity, () => now)).toEqual({ granted: SHAPE.capacity });
    const empty = await store.take(10, 10, () => now);
    expect(empty).toEqual({ granted: 0, waitMs: Math.ceil(10 / SHAPE.refillPerMs) });
    now += (empty as { waitMs: number }).waitMs;
    expect(await store.take(10, 10, () => now)).toEqual({ granted: 10 });
    // 10 tokens refill in 667 ms, 20 in 1,334: told to come back after a second, the taker gets 15.
    const forChunk = await store.take(10, 20, () => now);
    expect(forChunk).toEqual({ granted: 0, waitMs: LONGEST_CHUNK_WAIT_MS });
    now += LONGEST_CHUNK_WAIT_MS;
    expect(await store.take(10, 20, () => now)).toEqual({ granted: Math.floor(LONGEST_CHUNK_WAIT_MS * SHAPE.refillPerMs) });
  });

  it('gets a writer needing a whole `$batch` its tokens beside instances taking one at a time as fast as they can, back on any instance', async () => {
    const tables = testTables();
    const singles = Array.from({ length: 3 }, () => new WriteBudgetStore(tables, LIMITS));
    // A queue function's `$batch` told to wait is deferred, and its message may come back on another instance.
    const batchInstances = Array.from({ length: 2 }, () => new WriteBudgetStore(tables, LIMITS));
    expect(await batchInstances[0]!.take(SHAPE.capacity, SHAPE.capacity)).toEqual({ granted: SHAPE.capacity });
    const emptiedAt = (await bucketRow(tables))!.value.updatedMs;
    const runUntil = Date.now() + 4_000;
    let singlesGot = 0;
    const batchGrants: number[] = [];
    await Promise.all([
      ...singles.map(async (store) => {
        while (Date.now() < runUntil) {
          const take = await store.take(1, 20);
          singlesGot += take.granted;
          if (take.granted === 0) await sleep(Math.min(50, 'waitMs' in take ? take.waitMs : 50));
        }
      }),
      (async () => {
        for (let attempt = 0; Date.now() < runUntil; attempt++) {
          const take = await batchInstances[attempt % batchInstances.length]!.take(LARGEST_WRITE, LARGEST_WRITE);
          if (take.granted > 0) batchGrants.push(take.granted);
          else await sleep('waitMs' in take ? take.waitMs : 50);
        }
      })(),
    ]);
    // Without the reservation, the single takers polling every 50 ms left the `$batch` no 20 tokens at once in 4 s.
    expect(batchGrants).not.toHaveLength(0);
    expect(batchGrants.every((granted) => granted === LARGEST_WRITE)).toBe(true);
    expect(singlesGot).toBeGreaterThan(0);
    const saved = (await bucketRow(tables))!.value;
    expect(singlesGot + LARGEST_WRITE * batchGrants.length + saved.tokens).toBeLessThanOrEqual(SHAPE.refillPerMs * (saved.updatedMs - emptiedAt) + 1e-6);
  });

  it('lets an instance of the previous version, which replaces the row without the reservation, share it safely', async () => {
    const tables = testTables();
    const store = new WriteBudgetStore(tables, LIMITS);
    const single = new WriteBudgetStore(tables, LIMITS);
    let now = 1_000_000;
    expect(await store.take(SHAPE.capacity, SHAPE.capacity, () => now)).toEqual({ granted: SHAPE.capacity });
    const twentyMs = Math.ceil(LARGEST_WRITE / SHAPE.refillPerMs);
    expect(await store.take(LARGEST_WRITE, LARGEST_WRITE, () => now)).toEqual({ granted: 0, waitMs: twentyMs });
    expect((await bucketRow(tables))!.value.reserved).toEqual({ tokens: LARGEST_WRITE, untilMs: expect.any(Number) });
    now += 700;
    expect(await single.take(1, 20, () => now)).toMatchObject({ granted: 0 });
    // An instance of the previous version takes the 10 tokens there, and writes back the two fields it knows.
    const row = (await bucketRow(tables))!;
    const tokens = row.value.tokens + (now - row.value.updatedMs) * SHAPE.refillPerMs;
    await bucketRows(tables).replace(row, { tokens: tokens - Math.floor(tokens), updatedMs: now });
    // The reservation is gone with it: the single write is not held back any longer, and the `$batch`, back when
    // its tokens would have been there, finds them taken and reserves again.
    now += 100;
    expect(await single.take(1, 1, () => now)).toEqual({ granted: 1 });
    now = 1_000_000 + twentyMs;
    const again = await store.take(LARGEST_WRITE, LARGEST_WRITE, () => now);
    expect(again).toMatchObject({ granted: 0 });
    expect((await bucketRow(tables))!.value.reserved).toMatchObject({ tokens: LARGEST_WRITE });
    now += (again as { waitMs: number }).waitMs;
    expect(await single.take(1, 20, () => now)).toMatchObject({ granted: 0 });
    expect(await store.take(LARGEST_WRITE, LARGEST_WRITE, () => now)).toEqual({ granted: LARGEST_WRITE });
  });
});
