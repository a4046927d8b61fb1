import type { Client } from '@microsoft/microsoft-graph-client';
import { GraphTransport } from '../../shared/directory/graphTransport';
import { parseRetryAfterMs, retryDelayMs, type RetryPolicy } from '../../shared/directory/retryPolicy';

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
});

describe('following Graph links', () => {
  const transport = new GraphTransport({ client: {} as Client, baseUrl: 'https://graph.microsoft.com/' });

  it('keeps the path and query of an absolute link, relative to the version', () => {
    expect(transport.linkPath('https://graph.microsoft.com/v1.0/users?$skiptoken=abc')).toBe('/users?$skiptoken=abc');
    expect(transport.linkPath('http://127.0.0.1:7072/v1.0/users/delta?$deltatoken=x')).toBe('/users/delta?$deltatoken=x');
  });

  it('never goes to the host a link names, so a token cannot leak to it', () => {
    expect(transport.linkPath('https://attacker.example/v1.0/users?$skiptoken=1')).toBe('/users?$skiptoken=1');
  });

  it('builds directory object URLs on the configured Graph', () => {
    expect(transport.directoryObjectUrl('a/b')).toBe('https://graph.microsoft.com/v1.0/directoryObjects/a%2Fb');
  });
});
