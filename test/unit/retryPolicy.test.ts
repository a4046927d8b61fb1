import { longestRetryAfter, parseRetryAfterMs, retryDelayMs, type RetryPolicy } from '../../shared/directory/retryPolicy';

const policy: RetryPolicy = { maxAttempts: 4, maxElapsedMs: 10_000, baseDelayMs: 100, maxDelayMs: 1_000 };
const noJitter = () => 1;

describe('retry policy', () => {
  it('waits what Retry-After asks, in seconds or as an HTTP date', () => {
    expect(retryDelayMs(policy, 1, 0, '2')).toBe(2000);
    expect(retryDelayMs(policy, 1, 0, '0.25')).toBe(250);
    const now = () => Date.parse('2026-11-23T10:00:00Z');
    expect(parseRetryAfterMs('Mon, 23 Nov 2026 10:00:03 GMT', now)).toBe(3000);
  });

  it('backs off exponentially without Retry-After, capped', () => {
    expect([1, 2, 3].map((attempt) => retryDelayMs(policy, attempt, 0, undefined, Date.now, noJitter))).toEqual([100, 200, 400]);
    expect(retryDelayMs({ ...policy, maxAttempts: 10 }, 9, 0, null, Date.now, noJitter)).toBe(1000);
  });

  it('gives up after the last attempt', () => {
    expect(retryDelayMs(policy, 4, 0, '1')).toBeUndefined();
  });

  it('gives up when the wait would pass the time budget', () => {
    expect(retryDelayMs(policy, 1, 9_500, '1')).toBeUndefined();
    expect(retryDelayMs(policy, 1, 8_500, '1')).toBe(1000);
  });

  it('ignores a Retry-After it cannot read', () => {
    expect(parseRetryAfterMs('soon')).toBeUndefined();
  });

  it('picks the longest of several Retry-After values, comparing seconds and HTTP dates as waits', () => {
    const now = () => Date.parse('2026-11-23T10:00:00Z');
    expect(longestRetryAfter(['1', 'Mon, 23 Nov 2026 10:00:03 GMT', undefined, 'soon'], now)).toBe('Mon, 23 Nov 2026 10:00:03 GMT');
    expect(longestRetryAfter(['5', 'Mon, 23 Nov 2026 10:00:03 GMT'], now)).toBe('5');
    expect(longestRetryAfter([undefined], now)).toBeUndefined();
  });
});
