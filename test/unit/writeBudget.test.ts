import { bucketShape, CHUNK_LIFETIME_MS, LARGEST_WRITE, LONGEST_CHUNK_WAIT_MS, LONGEST_RESERVED_WAIT_MS, RESERVATION_GRACE_MS, takeTokens, type WriteBucketState } from '../../shared/domain/writeBudget';
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
    expect(drained).toMatchObject({ granted: 0, waitMs: Math.ceil(19.5 / SHAPE.refillPerMs) });
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
    expect(takeTokens({ tokens: 19.5, updatedMs: 0 }, SHAPE, 20, 20, 0)).toMatchObject({ granted: 0, waitMs: Math.ceil(0.5 / SHAPE.refillPerMs) });
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

  it('holds back the tokens of a writer needing more than one from writers needing fewer, until one needing as many takes them', () => {
    const twenty = Math.ceil(LARGEST_WRITE / SHAPE.refillPerMs);
    // A single write on a spent bucket only waits: the common case writes nothing.
    expect(takeTokens({ tokens: 0, updatedMs: 0 }, SHAPE, 1, 20, 0)).not.toHaveProperty('state');
    const reserving = takeTokens({ tokens: 0, updatedMs: 0 }, SHAPE, LARGEST_WRITE, LARGEST_WRITE, 0);
    const reserved = { tokens: LARGEST_WRITE, untilMs: twenty + RESERVATION_GRACE_MS };
    expect(reserving).toEqual({ granted: 0, waitMs: twenty, state: { tokens: 0, updatedMs: 0, reserved } });
    const saved = reserving.state!;
    // Held back by it, a single write asks again within a chunk's wait, not once the 20 are there too (1.3 s at the
    // default budget, which would defer a queue function's mail); it gets only what the bucket holds beyond them.
    expect(takeTokens(saved, SHAPE, 1, 1, 0)).toEqual({ granted: 0, waitMs: LONGEST_CHUNK_WAIT_MS });
    expect(takeTokens(saved, SHAPE, 1, 1, LONGEST_CHUNK_WAIT_MS)).toMatchObject({ granted: 0 });
    // Once 20 are there, a single write waits for more (a chunk's wait); it gets what is there beyond the 20.
    expect(takeTokens(saved, SHAPE, 1, 20, twenty)).toEqual({ granted: 0, waitMs: LONGEST_CHUNK_WAIT_MS });
    expect(takeTokens(saved, SHAPE, 1, 20, twenty + 200)).toEqual({ granted: 3, state: { tokens: expect.closeTo(20.2, 1), updatedMs: twenty + 200, reserved } });
    // Another writer needing 20 neither reserves again nor pushes the reservation back.
    expect(takeTokens(saved, SHAPE, LARGEST_WRITE, LARGEST_WRITE, 100)).toEqual({ granted: 0, waitMs: twenty - 100 });
    // A writer needing as many takes them, and for as long as they took to refill, no new reservation is made.
    const claimed = takeTokens(saved, SHAPE, LARGEST_WRITE, LARGEST_WRITE, twenty);
    expect(claimed).toEqual({ granted: 20, state: { tokens: expect.closeTo(0, 1), updatedMs: twenty, reserved: { tokens: 0, untilMs: 2 * twenty } } });
    expect(takeTokens(claimed.state, SHAPE, LARGEST_WRITE, LARGEST_WRITE, twenty + 1)).not.toHaveProperty('state');
    const single = takeTokens(claimed.state, SHAPE, 1, 1, twenty + 100);
    expect(single).toMatchObject({ granted: 1, state: { reserved: { tokens: 0 } } });
    expect(takeTokens(single.state, SHAPE, LARGEST_WRITE, LARGEST_WRITE, 2 * twenty)).toMatchObject({ state: { reserved: { tokens: LARGEST_WRITE } } });
  });

  it('makes no reservation for tokens more than 30 s off (a slow budget), so HTTP calls held back by it cannot run out of time', () => {
    const slow = bucketShape({ writes: 100, windowMs: 600_000 });
    expect(Math.ceil(LARGEST_WRITE / slow.refillPerMs)).toBeGreaterThan(LONGEST_RESERVED_WAIT_MS);
    expect(takeTokens({ tokens: 0, updatedMs: 0 }, slow, LARGEST_WRITE, LARGEST_WRITE, 0)).not.toHaveProperty('state');
    // At the default budget it reserves, as above.
    expect(takeTokens({ tokens: 0, updatedMs: 0 }, SHAPE, LARGEST_WRITE, LARGEST_WRITE, 0)).toHaveProperty('state.reserved');
  });

  it('lets a reservation lapse a few seconds after its tokens are there, so a writer that never comes back holds nothing', () => {
    const { state } = takeTokens({ tokens: 0, updatedMs: 0 }, SHAPE, LARGEST_WRITE, LARGEST_WRITE, 0);
    const lapsesAt = state!.reserved!.untilMs;
    expect(takeTokens(state, SHAPE, 1, 20, lapsesAt - 1)).toMatchObject({ granted: 20, state: { reserved: state!.reserved } });
    const after = takeTokens(state, SHAPE, 1, 200, lapsesAt);
    expect(after).toMatchObject({ granted: Math.floor(lapsesAt * SHAPE.refillPerMs) });
    expect(after.state).not.toHaveProperty('reserved');
  });

  it('never hands out more than the budget in any window, with reservations made, taken and left to lapse', () => {
    const limits = { writes: 300, windowMs: 10_000 };
    const shape = bucketShape(limits);
    const needs = [1, LARGEST_WRITE, 1, 5, 1, 1, LARGEST_WRITE, 2];
    let state: WriteBucketState | undefined;
    const grants: Array<{ at: number; count: number }> = [];
    for (let now = 0, turn = 0; now < 60_000; now += 7, turn++) {
      const need = needs[turn % needs.length]!;
      const outcome = takeTokens(state, shape, need, Math.max(20, need), now);
      if (outcome.state) state = outcome.state;
      if (outcome.granted > 0) grants.push({ at: now, count: outcome.granted });
    }
    expect(grants.filter((g) => g.count >= LARGEST_WRITE).length).toBeGreaterThan(0);
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
        if ('state' in outcome && outcome.state) state = outcome.state;
        if ('waitMs' in outcome) return { granted: 0, waitMs: outcome.waitMs };
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

  /** Park and Miller's minimal generator: numbers in (0, 1) that are the same each run, for random waits. */
  function seeded(seed: number): () => number {
    return () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
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
    const tokens = new WriteTokens(shared, clock.now, seeded(1));
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

  it("does not make a writer wait out another's wait for more tokens than it needs", async () => {
    let now = 0;
    // Just after another `$batch` took its reserved tokens: this one cannot reserve its own yet.
    const shared = bucket({ tokens: 0, updatedMs: 0, reserved: { tokens: 0, untilMs: 5_000 } });
    const tokens = new WriteTokens(shared, () => now);
    // A full `$batch` on an empty bucket waits for its 20 tokens, longer than a queue function waits in place.
    expect(await tokens.take(LARGEST_WRITE)).toBeGreaterThan(LONGEST_CHUNK_WAIT_MS);
    now = 100;
    // The bucket holds 1.6 tokens by now: a single write gets one at once.
    expect(await tokens.take(1)).toBe(0);
    expect(shared.calls).toBe(2);
  });

  it("makes writers needing as many tokens or more wait out the instance's last wait without asking again", async () => {
    let now = 0;
    const shared = bucket({ tokens: 0, updatedMs: 0 });
    const tokens = new WriteTokens(shared, () => now);
    const waitMs = await tokens.take(1);
    now = 100;
    expect(await tokens.take(1)).toBe(waitMs - 100);
    expect(await tokens.take(LARGEST_WRITE)).toBe(waitMs - 100);
    expect(shared.calls).toBe(1);
  });

  it("asks the shared budget again when the instance's clock steps back during a wait", async () => {
    let now = 200_000;
    const shared = bucket({ tokens: 0, updatedMs: now });
    const tokens = new WriteTokens(shared, () => now);
    expect(await tokens.take(1)).toBeLessThanOrEqual(LONGEST_CHUNK_WAIT_MS);
    now -= 60_000;
    // The bucket refills nothing for a clock behind, so it is a chunk's wait again, not the 61 s left by this clock.
    expect(await tokens.take(1)).toBeLessThanOrEqual(LONGEST_CHUNK_WAIT_MS);
    expect(shared.calls).toBe(2);
  });

  it("comes back up to a fifth sooner than a chunk's wait, at random, but waits in full for its own tokens", async () => {
    const waits = (random: number, waitMs: number) =>
      new WriteTokens(source([{ granted: 0, waitMs }]), () => 0, () => random).take(1);
    expect(await waits(0, LONGEST_CHUNK_WAIT_MS)).toBe(LONGEST_CHUNK_WAIT_MS);
    expect(await waits(0.999, LONGEST_CHUNK_WAIT_MS)).toBe(801);
    expect(await waits(0.999, LONGEST_CHUNK_WAIT_MS + 1)).toBe(LONGEST_CHUNK_WAIT_MS + 1);
  });

  it('shares a spent budget between instances that each have a backlog, not only with the first to ask', async () => {
    let now = 0;
    const shared = bucket({ tokens: 0, updatedMs: 0 });
    const instances = [1, 2].map((seed, i) => ({ tokens: new WriteTokens(shared, () => now, seeded(seed)), asksAt: i, written: 0 }));
    // Each instance writes as soon as it has a token, and comes back 3 ms (a table round trip) after a wait.
    while (now < 60_000) {
      const next = instances.reduce((a, b) => (b.asksAt < a.asksAt ? b : a));
      now = next.asksAt;
      const waitMs = await next.tokens.take(1);
      if (waitMs === 0) next.written++;
      else next.asksAt = now + waitMs + 3;
    }
    // Without random waits, the second to ask is back just after the first each time, to find the refill gone: it
    // wrote nothing.
    for (const { written } of instances) expect(written).toBeGreaterThan(shared.granted / 5);
  });

  /**
   * Instances on one spent bucket for 60 s, each with a writer that has a backlog of writes needing `need` tokens:
   * it writes as soon as it has them (a `$batch` takes `busyMs`) and comes back 3 ms (a table round trip) after a
   * wait; one with `asks` dies after asking that often.
   */
  async function compete(writers: Array<{ need: number; busyMs?: number; asks?: number }>) {
    let now = 0;
    const shared = bucket({ tokens: 0, updatedMs: 0 });
    const instances = writers.map((writer, i) => ({
      ...writer,
      tokens: new WriteTokens(shared, () => now, seeded(i + 1)),
      asksAt: i,
      asked: 0,
      written: 0,
      lastWriteAt: 0,
      longestGapMs: 0,
    }));
    for (;;) {
      const next = instances.filter((x) => x.asked < (x.asks ?? Infinity)).reduce((a, b) => (b.asksAt < a.asksAt ? b : a));
      if (next.asksAt >= 60_000) break;
      now = next.asksAt;
      next.asked++;
      const waitMs = await next.tokens.take(next.need);
      if (waitMs > 0) {
        next.asksAt = now + waitMs + 3;
        continue;
      }
      next.written += next.need;
      next.longestGapMs = Math.max(next.longestGapMs, now - next.lastWriteAt);
      next.lastWriteAt = now;
      next.asksAt = now + (next.busyMs ?? 0);
    }
    // A writer still asking at the end waited from its last write: one that starved waited all 60 s.
    for (const x of instances) if (x.asks === undefined) x.longestGapMs = Math.max(x.longestGapMs, 60_000 - x.lastWriteAt);
    return { instances, shared };
  }

  it('gets a writer needing a whole `$batch` its tokens within a bound beside instances taking one at a time, and them theirs', async () => {
    const { instances, shared } = await compete([{ need: LARGEST_WRITE, busyMs: 50 }, { need: 1 }, { need: 1 }, { need: 1 }]);
    const [batch, ...singles] = instances;
    const twentyMs = LARGEST_WRITE / SHAPE.refillPerMs;
    // Before reservations, the single writes drained every partial refill and the `$batch` got no token in 60 s.
    // Now it waits out at most the singles' turn at the refill and its reserved tokens, each 20 tokens' refill, and
    // a wait told just before the turn ended.
    expect(batch!.longestGapMs).toBeLessThanOrEqual(3 * twentyMs + LONGEST_CHUNK_WAIT_MS);
    expect(batch!.written).toBeGreaterThan(shared.granted / 3);
    // The single writes share the rest among them (at random: by jitter, as without a `$batch`).
    const singlesWrote = singles.reduce((sum, x) => sum + x.written, 0);
    expect(singlesWrote).toBeGreaterThan(shared.granted / 3);
    for (const single of singles) expect(single.written).toBeGreaterThan(shared.granted / 10);
  });

  it('lets the reservation of a writer that died lapse, so a writer needing fewer tokens than it is not held for long', async () => {
    const { instances, shared } = await compete([{ need: LARGEST_WRITE, asks: 1 }, { need: 5, busyMs: 50 }, { need: 1 }, { need: 1 }]);
    const [dead, five] = instances;
    expect(dead!.written).toBe(0);
    // Writers needing fewer than the 20 held back get only what the bucket holds beyond them, which the single writes
    // drain: the writer needing 5 waits for the lapse, then reserves its own.
    expect(five!.longestGapMs).toBeLessThanOrEqual(LARGEST_WRITE / SHAPE.refillPerMs + RESERVATION_GRACE_MS + LONGEST_CHUNK_WAIT_MS);
    // The 20 held back were given out after the lapse: nothing of the refill is lost.
    expect(shared.granted).toBeGreaterThan(60_000 * SHAPE.refillPerMs - LARGEST_WRITE);
  });

  it('goes to the shared budget once for many concurrent writers of one instance', async () => {
    const shared = source([{ granted: 20 }]);
    const tokens = new WriteTokens(shared, () => 0);
    expect(await Promise.all(Array.from({ length: 20 }, () => tokens.take(1)))).toEqual(Array(20).fill(0));
    expect(shared.calls).toHaveLength(1);
  });
});
