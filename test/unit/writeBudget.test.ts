import { bucketShape, CHUNK_LIFETIME_MS, LARGEST_WRITE, LONGEST_CHUNK_WAIT_MS, takeTokens, type WriteBucketState } from '../../shared/domain/writeBudget';
import { CHUNK, WriteTokens, type WriteBudgetSource } from '../../shared/directory/writeTokens';

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

  it('says to come back when it holds a chunk, within a second, but never before it holds what is needed', () => {
    const empty: WriteBucketState = { tokens: 0, updatedMs: 0 };
    // 20 tokens refill in 1.25 s, 1 in 63 ms: the writer comes back after a second, to 16 tokens rather than 1.
    expect(Math.ceil(20 / SHAPE.refillPerMs)).toBeGreaterThan(LONGEST_CHUNK_WAIT_MS);
    expect(takeTokens(empty, SHAPE, 1, 20, 0)).toEqual({ granted: 0, waitMs: LONGEST_CHUNK_WAIT_MS });
    expect(takeTokens({ tokens: 19.5, updatedMs: 0 }, SHAPE, 20, 20, 0)).toEqual({ granted: 0, waitMs: Math.ceil(0.5 / SHAPE.refillPerMs) });
    expect(takeTokens({ tokens: 0.5, updatedMs: 0 }, SHAPE, 1, 10, 0)).toEqual({ granted: 0, waitMs: Math.ceil(9.5 / SHAPE.refillPerMs) });
    // A budget whose one token takes longer than a second: the wait is for that token, as a queue function's deferral needs.
    const slow = bucketShape({ writes: 100, windowMs: 300_000 });
    expect(takeTokens(empty, slow, 1, 20, 0)).toEqual({ granted: 0, waitMs: Math.ceil(1 / slow.refillPerMs) });
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
  /** The shared bucket as the store keeps it, in memory, counting the takes that reach it. */
  function bucket(state: WriteBucketState): WriteBudgetSource & { calls: number; granted: number } {
    const shared = {
      calls: 0,
      granted: 0,
      take: async (need: number, want: number, nowMs: () => number = Date.now) => {
        shared.calls++;
        const outcome = takeTokens(state, SHAPE, need, want, nowMs());
        if (!('state' in outcome)) return outcome;
        state = outcome.state;
        shared.granted += outcome.granted;
        return { granted: outcome.granted };
      },
    };
    return shared;
  }

  /** A clock that moves only to wake the earliest sleeper, once everything awake has settled. */
  function virtualClock() {
    let now = 0;
    const sleepers: Array<{ at: number; wake: () => void }> = [];
    const settled = () => new Promise((resolve) => setImmediate(resolve));
    return {
      now: () => now,
      sleep: (ms: number) => new Promise<void>((wake) => sleepers.push({ at: now + ms, wake })),
      async run(work: Promise<unknown>): Promise<void> {
        let done = false;
        void work.then(() => (done = true));
        for (await settled(); !done; await settled()) {
          sleepers.sort((a, b) => a.at - b.at);
          const next = sleepers.shift();
          if (!next) throw new Error('Nothing left to wake, and the work is not done.');
          now = next.at;
          next.wake();
        }
      },
    };
  }

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

  it('goes to a spent shared budget about once per chunk for many waiting writers, not once per writer and wait', async () => {
    const clock = virtualClock();
    const shared = bucket({ tokens: 0, updatedMs: 0 });
    const tokens = new WriteTokens(shared, clock.now);
    const writers = 100;
    const writer = async () => {
      for (let waitMs = await tokens.take(1); waitMs > 0; waitMs = await tokens.take(1)) await clock.sleep(waitMs);
    };
    await clock.run(Promise.all(Array.from({ length: writers }, writer)));
    // Every writer wrote, on tokens the bucket gave; only the last chunk's rest went unspent.
    expect(shared.granted).toBeGreaterThanOrEqual(writers);
    expect(shared.granted - writers).toBeLessThan(CHUNK);
    // A second of refill is 16 tokens: a take that brings them, and one that is told to wait, per 16 writes.
    const chunks = Math.ceil(writers / Math.floor(LONGEST_CHUNK_WAIT_MS * SHAPE.refillPerMs));
    expect(shared.calls).toBeLessThanOrEqual(2 * chunks + 2);
    // As fast as the bucket refills: waiting for chunks costs the writers at most one chunk's wait.
    expect(clock.now()).toBeLessThanOrEqual(writers / SHAPE.refillPerMs + LONGEST_CHUNK_WAIT_MS);
  });

  it('goes to the shared budget once for many concurrent writers of one instance', async () => {
    const shared = source([{ granted: 20 }]);
    const tokens = new WriteTokens(shared, () => 0);
    expect(await Promise.all(Array.from({ length: 20 }, () => tokens.take(1)))).toEqual(Array(20).fill(0));
    expect(shared.calls).toHaveLength(1);
  });
});
