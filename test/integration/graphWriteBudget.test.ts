import { bucketShape, LONGEST_CHUNK_WAIT_MS } from '../../shared/domain/writeBudget';
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

describe('the shared Graph write budget', () => {
  it('hands several concurrent instances no more tokens than the bucket holds and refills, retrying their ETag conflicts', async () => {
    const tables = testTables();
    const instances = Array.from({ length: 4 }, () => new WriteBudgetStore(tables, LIMITS));
    const bucketRow = () => new DocumentTable<{ tokens: number; updatedMs: number }>(() => tables.get('graphWriteBudget'), 'budget').get(tableKey('graphWrites'), tableKey('tenant'));
    // The bucket made and emptied first: a full bucket refills nothing, so on a loaded machine the time its table
    // took to be made would count as refill never given.
    expect(await instances[0]!.take(SHAPE.capacity, SHAPE.capacity)).toEqual({ granted: SHAPE.capacity });
    const emptiedAt = (await bucketRow())!.value.updatedMs;
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

    const saved = await bucketRow();
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
});
