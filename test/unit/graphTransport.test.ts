import { AuthenticationError, AuthenticationRequiredError, CredentialUnavailableError } from '@azure/identity';
import { AuthenticationHandler, Client, GraphError, HTTPMessageHandler } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { DirectoryError } from '../../shared/directory/directoryError';
import { GraphTransport, outcomeError, type BatchStep } from '../../shared/directory/graphTransport';
import type { RetryPolicy } from '../../shared/directory/retryPolicy';
import { GraphThrottled, withThrottleDeferral } from '../../shared/directory/throttleDeferral';
import type { WriteTokens } from '../../shared/directory/writeTokens';
import { fakeGraphClient, type FakeCall } from '../support/fakeGraphClient';

/** A clock that only moves when the transport sleeps or a fake request takes time. */
function fakeTime(start = Date.parse('2026-11-23T10:00:00Z')) {
  const time = { now: start, sleeps: [] as number[] };
  return {
    time,
    now: () => time.now,
    sleep: async (ms: number) => {
      time.sleeps.push(ms);
      time.now += ms;
    },
  };
}

const policy: RetryPolicy = { maxAttempts: 5, maxElapsedMs: 10_000, baseDelayMs: 100, maxDelayMs: 1_000 };
const patches = (count: number): BatchStep[] => Array.from({ length: count }, (_, i) => ({ method: 'PATCH', url: `/groups/g${i}`, body: { i } }));
const requestIds = (call: FakeCall | undefined) => (call?.body as { requests: Array<{ id: string }> }).requests.map((r) => r.id);
const answered = (...responses: Array<{ id: string; status: number; headers?: Record<string, string>; body?: unknown }>) => ({ responses });
const allNoContent = (call: FakeCall) => answered(...requestIds(call).map((id) => ({ id, status: 204 })));

describe('GraphTransport.batch', () => {
  it('sends a request Graph throttled inside a batch again, alone, in a new batch after its Retry-After', async () => {
    const clock = fakeTime();
    const answers = [
      answered({ id: '0', status: 204 }, { id: '1', status: 429, headers: { 'Retry-After': '2' } }, { id: '2', status: 204 }),
      answered({ id: '1', status: 204 }),
    ];
    const { client, calls } = fakeGraphClient(async () => answers.shift());
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: policy, ...clock });

    const outcomes = await transport.batch(patches(3));

    expect(outcomes.map((o) => o.status)).toEqual([204, 204, 204]);
    expect(calls.map((c) => c.path)).toEqual(['/$batch', '/$batch']);
    expect(calls.map(requestIds)).toEqual([['0', '1', '2'], ['1']]);
    expect(clock.time.sleeps).toEqual([2000]);
  });

  it('reports a request the batch answer left out as a transient failure, and does not send it again', async () => {
    const { client, calls } = fakeGraphClient(async () => answered({ id: '0', status: 204 }));
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: policy, ...fakeTime() });

    const [sent, leftOut] = await transport.batch(patches(2));

    expect(sent?.status).toBe(204);
    expect(leftOut?.status).toBeGreaterThanOrEqual(500);
    expect(outcomeError(leftOut!)).toMatchObject({ kind: 'transient', message: "Graph's $batch answer left this request out." });
    expect(calls).toHaveLength(1);
  });

  it('returns the outcome still throttled once waiting again would pass the time budget', async () => {
    const clock = fakeTime();
    const { client, calls } = fakeGraphClient(async () => answered({ id: '0', status: 429, headers: { 'retry-after': '0.6' } }));
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: { ...policy, maxElapsedMs: 1_000 }, ...clock });

    const [outcome] = await transport.batch(patches(1));

    expect(outcome?.status).toBe(429);
    expect(outcomeError(outcome!).kind).toBe('transient');
    expect(calls).toHaveLength(2);
    expect(clock.time.sleeps).toEqual([600]);
  });

  it('honours a Retry-After given as an HTTP date inside a batch, when it asks for the longest wait', async () => {
    const clock = fakeTime(Date.parse('2026-11-23T10:00:00Z'));
    const answers = [
      answered(
        { id: '0', status: 429, headers: { 'Retry-After': '1' } },
        { id: '1', status: 503, headers: { 'Retry-After': 'Mon, 23 Nov 2026 10:00:03 GMT' } },
      ),
      answered({ id: '0', status: 204 }, { id: '1', status: 204 }),
    ];
    const { client } = fakeGraphClient(async () => answers.shift());
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: policy, ...clock });

    const outcomes = await transport.batch(patches(2));

    expect(outcomes.map((o) => o.status)).toEqual([204, 204]);
    expect(clock.time.sleeps).toEqual([3000]);
  });

  it('draws every chunk from one time budget: a chunk whose turn comes after it ran out is reported, not sent', async () => {
    const clock = fakeTime();
    const { client, calls } = fakeGraphClient(async (call) => {
      clock.time.now += 2_000;
      return allNoContent(call);
    });
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: { ...policy, maxElapsedMs: 3_000 }, ...clock });

    const outcomes = await transport.batch(patches(45));

    expect(calls.map((c) => requestIds(c).length)).toEqual([20, 20]);
    expect(outcomes).toHaveLength(45);
    expect(outcomes.slice(0, 40).every((o) => o.status === 204)).toBe(true);
    for (const unsent of outcomes.slice(40)) {
      expect(unsent.status).toBe(503);
      expect(outcomeError(unsent).kind).toBe('transient');
      expect(outcomeError(unsent).message).toContain('time budget of 3 s');
    }
  });

  it('retries a $batch that fails as a whole within the same budget, then reports each of its requests as failed', async () => {
    const clock = fakeTime();
    const { client, calls } = fakeGraphClient(async () => {
      const error = new GraphError(503, 'The service is temporarily unavailable.');
      error.headers = new Headers({ 'Retry-After': '1' });
      throw error;
    });
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: { ...policy, maxAttempts: 10, maxElapsedMs: 2_500 }, ...clock });

    const outcomes = await transport.batch(patches(2));

    expect(calls).toHaveLength(3);
    expect(clock.time.sleeps).toEqual([1000, 1000]);
    expect(outcomes.map((o) => [o.status, outcomeError(o).kind])).toEqual([
      [503, 'transient'],
      [503, 'transient'],
    ]);
  });
});

describe('GraphTransport, one request', () => {
  it('gives every attempt a timeout of its own, and counts a request that times out as transient', async () => {
    const { client, calls } = fakeGraphClient(
      ({ signal }) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    );
    const transport = new GraphTransport({
      client,
      baseUrl: 'https://graph.microsoft.com',
      retry: { ...policy, maxAttempts: 2, requestTimeoutMs: 20 },
      sleep: async () => undefined,
    });

    const error = await transport.get('/organization').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DirectoryError);
    expect(error).toMatchObject({ kind: 'transient' });
    expect((error as DirectoryError).message).toBe('Graph did not answer within 20 ms.');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(calls[1]?.signal).not.toBe(calls[0]?.signal);
  });

  it.each([
    ['CredentialUnavailableError', new CredentialUnavailableError('ManagedIdentityCredential: no managed identity endpoint found.')],
    ['AuthenticationError', new AuthenticationError(400, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' })],
    ['AuthenticationRequiredError', new AuthenticationRequiredError({ scopes: ['https://graph.microsoft.com/.default'] })],
  ])('reports a %s as failed credentials, for good, and does not retry', async (_name, cause) => {
    // As the Graph client's GraphErrorHandler wraps an error that came with no response.
    const wrapped = Object.assign(new GraphError(-1, '', cause), { code: cause.name, body: cause.toString() });
    const { client, calls } = fakeGraphClient(async () => {
      throw wrapped;
    });
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: policy, sleep: async () => undefined });

    const error = await transport.get('/organization').catch((e: unknown) => e);

    expect(error).toMatchObject({ kind: 'permanent' });
    expect((error as DirectoryError).message).toContain('The credentials failed');
    expect(calls).toHaveLength(1);
  });

  it('reports credentials that fail inside the real Graph client as permanent, before any request leaves', async () => {
    const credential = {
      getToken: async () => {
        throw new CredentialUnavailableError('ManagedIdentityCredential: no managed identity endpoint found.');
      },
    };
    const authentication = new AuthenticationHandler(new TokenCredentialAuthenticationProvider(credential, { scopes: ['https://graph.microsoft.com/.default'] }));
    const client = Client.initWithMiddleware({ baseUrl: 'https://graph.microsoft.com/', defaultVersion: 'v1.0', middleware: [authentication, new HTTPMessageHandler()] });
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: policy, sleep: async () => undefined });

    const error = await transport.get('/organization').catch((e: unknown) => e);

    expect(error).toMatchObject({ kind: 'permanent' });
    expect((error as DirectoryError).message).toContain('The credentials failed to get a token for Graph, so Graph was not called (CredentialUnavailableError:');
  });

  it('keeps a Graph answer with its status, code and request id', async () => {
    const { client } = fakeGraphClient(async () => {
      throw Object.assign(new GraphError(403, 'Insufficient privileges to complete the operation.'), { code: 'Authorization_RequestDenied', requestId: 'r-1' });
    });
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: policy, sleep: async () => undefined });

    const error = await transport.get('/groups/g').catch((e: unknown) => e);

    expect(error).toMatchObject({ kind: 'permanent', details: { status: 403, graphCode: 'Authorization_RequestDenied', requestId: 'r-1' } });
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

describe('GraphTransport in a queue function (throttling deferred)', () => {
  it('does not wait out a 429 inside a batch: the request comes back GraphThrottled, and later calls are not sent', async () => {
    const clock = fakeTime();
    const { client, calls } = fakeGraphClient(async () => answered({ id: '0', status: 204 }, { id: '1', status: 429, headers: { 'Retry-After': '7' } }));
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: policy, ...clock });

    const { outcome, resumeAtMs } = await withThrottleDeferral(async () => {
      const outcomes = await transport.batch(patches(2));
      const later = await transport.send('DELETE', '/groups/g/members/u/$ref').catch((error: unknown) => error);
      return { outcomes, later };
    });

    const { outcomes, later } = (outcome as { value: { outcomes: Array<{ status: number; error?: unknown }>; later: unknown } }).value;
    expect(outcomes[0]!.status).toBe(204);
    expect(outcomes[1]!.error).toBeInstanceOf(GraphThrottled);
    expect(later).toBeInstanceOf(GraphThrottled);
    expect(resumeAtMs).toBe(clock.time.now + 7000);
    expect(clock.time.sleeps).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('defers a single write Graph answered 429 by its Retry-After', async () => {
    const clock = fakeTime();
    const { client } = fakeGraphClient(async () => {
      const error = new GraphError(429, 'Too many requests');
      error.headers = new Headers({ 'Retry-After': '3' });
      throw error;
    });
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: policy, ...clock });
    const { outcome, resumeAtMs } = await withThrottleDeferral(() => transport.send('POST', '/groups/g/members/$ref', {}));
    expect((outcome as { error: unknown }).error).toBeInstanceOf(GraphThrottled);
    expect(resumeAtMs).toBe(clock.time.now + 3000);
    expect(clock.time.sleeps).toEqual([]);
  });

  it('waits briefly for write tokens, and defers when the budget refills later than a second', async () => {
    const clock = fakeTime();
    const waits = [300, 0, 5000];
    const tokens = { take: async () => waits.shift() ?? 0 } as unknown as WriteTokens;
    const { client, calls } = fakeGraphClient(async (call) => allNoContent(call));
    const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', retry: policy, ...clock, writeTokens: tokens });
    const { outcome, resumeAtMs } = await withThrottleDeferral(async () => [await transport.batch(patches(2)), await transport.batch(patches(2))]);
    const [first, second] = (outcome as { value: Array<Array<{ status: number; error?: unknown }>> }).value;
    expect(first!.map((o) => o.status)).toEqual([204, 204]);
    expect(second!.every((o) => o.error instanceof GraphThrottled)).toBe(true);
    expect(clock.time.sleeps).toEqual([300]);
    expect(resumeAtMs).toBe(clock.time.now + 5000);
    expect(calls).toHaveLength(1);
  });
});
