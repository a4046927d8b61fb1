import { TokenBuckets } from '../../shared/domain/tokenBucket';

describe('token buckets per caller', () => {
  const limits = { capacity: 3, refillMs: 10_000, maxKeys: 2 };

  it('lets a burst of `capacity` calls through, then refuses with the wait until the next token', () => {
    const buckets = new TokenBuckets(limits);
    expect([0, 1, 2].map((t) => buckets.take('a', t).allowed)).toEqual([true, true, true]);
    expect(buckets.take('a', 1_000)).toEqual({ allowed: false, retryAfterMs: 9_000 });
  });

  it('gives a token back every refill period, never more than the capacity', () => {
    const buckets = new TokenBuckets(limits);
    for (let i = 0; i < 3; i++) buckets.take('a', 0);
    expect(buckets.take('a', 10_000).allowed).toBe(true);
    expect(buckets.take('a', 10_001).allowed).toBe(false);
    // A long pause refills to the capacity only.
    expect([1, 2, 3, 4].map((i) => buckets.take('a', 1_000_000 + i).allowed)).toEqual([true, true, true, false]);
  });

  it('keeps callers apart', () => {
    const buckets = new TokenBuckets(limits);
    for (let i = 0; i < 3; i++) buckets.take('a', 0);
    expect(buckets.take('a', 0).allowed).toBe(false);
    expect(buckets.take('b', 0).allowed).toBe(true);
  });

  it('forgets the longest idle callers beyond maxKeys, so memory stays bounded', () => {
    const buckets = new TokenBuckets(limits);
    for (let i = 0; i < 3; i++) buckets.take('a', 0);
    buckets.take('b', 1);
    buckets.take('c', 2);
    // 'a' was forgotten: it starts again with a full bucket.
    expect(buckets.take('a', 3).allowed).toBe(true);
  });
});
