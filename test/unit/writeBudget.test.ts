import { bucketShape, CHUNK_LIFETIME_MS, LARGEST_WRITE, takeTokens, type WriteBucketState } from '../../shared/domain/writeBudget';
import { WriteTokens, type WriteBudgetSource } from '../../shared/directory/writeTokens';

const LIMITS = { writes: 2700, windowMs: 150_000 };
const SHAPE = bucketShape(LIMITS);

describe('the tenant write budget as a token bucket', () => {
  it('is shaped so that a full burst plus the refill over a window and a chunk lifetime is exactly the budget', () => {
    expect(SHAPE.capacity).toBe(270);
    expect(SHAPE.capacity + SHAPE.refillPerMs * (LIMITS.windowMs + CHUNK_LIFETIME_MS)).toBeCloseTo(LIMITS.writes, 6);
    expect(bucketShape({ writes: 100, windowMs: 10_000 }).capacity).toBe(LARGEST_WRITE);
  });

  it('starts full, grants up to what is wanted, and refills with time', () => {
    const first = takeTokens(undefined, SHAPE, 1, 20, 0);
    expect(first).toEqual({ granted: 20, state: { tokens: 250, updatedMs: 0 } });
    const drained = takeTokens({ tokens: 0.5, updatedMs: 0 }, SHAPE, 20, 20, 0);
    expect(drained).toEqual({ granted: 0, waitMs: Math.ceil(19.5 / SHAPE.refillPerMs) });
    const refilled = takeTokens({ tokens: 0.5, updatedMs: 0 }, SHAPE, 20, 20, (drained as { waitMs: number }).waitMs);
    expect(refilled.granted).toBe(20);
  });

  it('grants fewer than wanted when the bucket holds at least what is needed', () => {
    expect(takeTokens({ tokens: 7.9, updatedMs: 1000 }, SHAPE, 3, 20, 1000)).toEqual({ granted: 7, state: { tokens: expect.closeTo(0.9, 6), updatedMs: 1000 } });
  });

  it('refills nothing for a clock behind the last writer, and never above capacity', () => {
    const ahead: WriteBucketState = { tokens: 0, updatedMs: 10_000 };
    expect(takeTokens(ahead, SHAPE, 1, 1, 5_000)).toMatchObject({ granted: 0 });
    expect(takeTokens({ tokens: 0, updatedMs: 0 }, SHAPE, 1, 10_000, 10 * LIMITS.windowMs)).toMatchObject({ granted: SHAPE.capacity });
  });

  it('never hands out more than the budget in any window, taken as fast as it is given', () => {
    const limits = { writes: 300, windowMs: 10_000 };
    const shape = bucketShape(limits);
    let state: WriteBucketState | undefined;
    const grants: Array<{ at: number; count: number }> = [];
    for (let now = 0; now < 60_000; now += 7) {
      const outcome = takeTokens(state, shape, 1, 20, now);
      if ('state' in outcome) {
        state = outcome.state;
        grants.push({ at: now, count: outcome.granted });
      }
    }
    for (const { at } of grants) {
      const inWindow = grants.filter((g) => g.at >= at && g.at < at + limits.windowMs + CHUNK_LIFETIME_MS).reduce((sum, g) => sum + g.count, 0);
      expect(inWindow).toBeLessThanOrEqual(limits.writes);
    }
  });
});

describe("an instance's share of the write budget", () => {
  function source(grants: Array<{ granted: number } | { granted: 0; waitMs: number }>): WriteBudgetSource & { calls: Array<[number, number]> } {
    const calls: Array<[number, number]> = [];
    return { calls, take: async (need, want) => (calls.push([need, want]), grants.shift() ?? { granted: 0, waitMs: 99 }) };
  }

  it('takes a chunk per round trip and spends it locally until it runs out or expires', async () => {
    let now = 0;
    const shared = source([{ granted: 20 }, { granted: 20 }, { granted: 20 }]);
    const tokens = new WriteTokens(shared, () => now);
    for (let i = 0; i < 20; i++) expect(await tokens.take(1)).toBe(0);
    expect(shared.calls).toEqual([[1, 20]]);
    expect(await tokens.take(5)).toBe(0);
    expect(shared.calls).toHaveLength(2);
    now += CHUNK_LIFETIME_MS;
    expect(await tokens.take(1)).toBe(0);
    expect(shared.calls).toHaveLength(3);
  });

  it('answers the wait the shared budget gives when it has too few tokens', async () => {
    const tokens = new WriteTokens(source([{ granted: 0, waitMs: 1234 }]), () => 0);
    expect(await tokens.take(20)).toBe(1234);
  });

  it('goes to the shared budget once for many concurrent writers of one instance', async () => {
    const shared = source([{ granted: 20 }]);
    const tokens = new WriteTokens(shared, () => 0);
    expect(await Promise.all(Array.from({ length: 20 }, () => tokens.take(1)))).toEqual(Array(20).fill(0));
    expect(shared.calls).toHaveLength(1);
  });
});
