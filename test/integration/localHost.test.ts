import { request as httpRequest } from 'node:http';
import { HttpResponse, type HttpHandler, type HttpMethod, type TimerHandler } from '@azure/functions';
import type { RegisteredFunction } from '../../shared/hosting/registry';
import { startLocalHost, type LocalHost } from '../../tools/local-host/localHost';

const http = (name: string, route: string, methods: HttpMethod[], handler: HttpHandler): RegisteredFunction => ({
  trigger: 'http',
  name,
  route,
  methods,
  handler,
});
const timer = (name: string, handler: TimerHandler): RegisteredFunction => ({
  trigger: 'timer',
  name,
  schedule: '0 0 0 1 1 *',
  handler,
});

const echo: HttpHandler = async (request) => ({
  status: 200,
  jsonBody: {
    method: request.method,
    params: request.params,
    tags: request.query.getAll('tag'),
    header: request.headers.get('x-custom'),
    body: await request.text(),
  },
});

describe('local host serving registered functions', () => {
  let host: LocalHost;
  let log: string[];
  let timerRuns: Array<{ isPastDue: boolean; running: number }>;
  let running = 0;

  beforeAll(async () => {
    log = [];
    timerRuns = [];
    host = await startLocalHost({
      port: 0,
      host: '127.0.0.1',
      log: (line) => log.push(line),
      schedule: false,
      maxBodyBytes: 1024 * 1024,
      functions: [
        http('echo', 'api/things/{id}', ['GET', 'POST'], echo),
        http('special', 'api/things/special', ['GET'], async () => ({ body: 'special' })),
        http('rest', 'v1.0/{*path}', ['GET'], async (request) => ({ jsonBody: request.params })),
        http('created', 'api/created', ['PUT'], async () => new HttpResponse({ status: 201, headers: { location: '/x' } })),
        http('empty', 'api/empty', ['DELETE'], async () => ({ status: 204 })),
        http('broken', 'api/broken', ['GET'], async () => {
          throw new Error('boom');
        }),
        timer('slowTimer', async (t, context) => {
          running++;
          timerRuns.push({ isPastDue: t.isPastDue, running });
          await new Promise((resolve) => setTimeout(resolve, 150));
          context.log('slow timer done');
          running--;
        }),
        timer('failingTimer', async () => {
          throw new Error('sweep failed');
        }),
      ],
    });
  });
  afterAll(() => host.stop());

  const call = (path: string, init?: RequestInit) => fetch(`${host.url}${path}`, init);

  it('passes method, route params, repeated query values, headers and body to the handler', async () => {
    const response = await call('/api/things/a%20b?tag=x&tag=y', {
      method: 'POST',
      headers: { 'x-custom': 'yes', 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ method: 'POST', params: { id: 'a b' }, tags: ['x', 'y'], header: 'yes', body: 'hello' });
  });

  it('prefers a literal route over a parameter', async () => {
    expect(await (await call('/api/things/special')).text()).toBe('special');
  });

  it('binds a catch-all to the rest of the path', async () => {
    expect(await (await call('/v1.0/identityGovernance/entitlementManagement/catalogs')).json()).toEqual({
      path: 'identityGovernance/entitlementManagement/catalogs',
    });
  });

  it('sends status and headers of an HttpResponse, and an empty 204', async () => {
    const created = await call('/api/created', { method: 'PUT' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/x');
    const empty = await call('/api/empty', { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('answers an unknown path with 404 in Graph error shape', async () => {
    const response = await call('/api/nothing-here');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'itemNotFound', message: expect.stringContaining('/api/nothing-here'), innerError: expect.any(Object) },
    });
  });

  it('answers a wrong method with 405, the allowed methods and Graph error shape', async () => {
    const response = await call('/api/things/1', { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, POST');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('methodNotAllowed');
  });

  it('answers a handler that throws with 500 and logs the failed invocation', async () => {
    const response = await call('/api/broken');
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('generalException');
    expect(log.some((line) => /Executed 'broken' \(Failed, Id=[0-9a-f-]{36}, Duration=\d+ms\)/.test(line))).toBe(true);
  });

  it('logs every invocation with its id, status and duration', async () => {
    await call('/api/things/1');
    expect(log.some((line) => /Executed 'echo' \(Succeeded, Status=200, Id=[0-9a-f-]{36}, Duration=\d+ms\)/.test(line))).toBe(true);
  });

  it('refuses a body over the size limit with 413', async () => {
    const response = await call('/api/things/1', { method: 'POST', body: Buffer.alloc(1024 * 1024 + 1) });
    expect(response.status).toBe(413);
  });

  it('refuses a body whose Content-Length is over the limit at once (413), without waiting for it, and closes the connection', async () => {
    // The client announces 2 MiB but sends a few bytes and then waits, as a slow or hostile client may.
    const answer = await new Promise<{ status?: number; connection?: string } | 'no answer'>((resolve, reject) => {
      const url = new URL(`${host.url}/api/things/1`);
      const req = httpRequest(url, { method: 'POST', headers: { 'content-length': String(2 * 1024 * 1024) } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection }));
      });
      req.on('error', (error) => (answered ? undefined : reject(error)));
      let answered = false;
      req.on('response', () => (answered = true));
      req.write('{"a":');
      setTimeout(() => {
        resolve('no answer');
        req.destroy();
      }, 2_000);
    });
    expect(answer).toEqual({ status: 413, connection: 'close' });
  });

  it('takes a path that starts with two slashes as a path, not as a host', async () => {
    const response = await call('//api/things/x');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ params: { id: 'x' } });
  });

  it('puts request-id on the errors it answers itself', async () => {
    const response = await call('/nowhere');
    expect(response.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe('admin endpoint', () => {
    const runTimer = (name: string) =>
      call(`/admin/functions/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":""}' });

    it('runs a timer now and answers 202 once the run has finished', async () => {
      const before = timerRuns.length;
      const response = await runTimer('slowTimer');
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ functionName: 'slowTimer', status: 'Succeeded' });
      expect(timerRuns.length).toBe(before + 1);
      expect(timerRuns.at(-1)?.isPastDue).toBe(false);
      expect(log.some((line) => line.includes('slowTimer [information]') && line.includes('slow timer done'))).toBe(true);
    });

    it('never overlaps two runs of the same timer', async () => {
      await Promise.all([runTimer('slowTimer'), runTimer('slowTimer'), runTimer('slowTimer')]);
      expect(Math.max(...timerRuns.map((r) => r.running))).toBe(1);
    });

    it('reports a failed run in its answer', async () => {
      const response = await runTimer('failingTimer');
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ status: 'Failed' });
    });

    it('answers 404 for an unknown function and for an HTTP function', async () => {
      expect((await runTimer('noSuchTimer')).status).toBe(404);
      expect((await runTimer('echo')).status).toBe(404);
    });

    it('answers 405 for anything but POST', async () => {
      expect((await call('/admin/functions/slowTimer')).status).toBe(405);
    });

    it.each([
      ['no JSON content type', { 'content-type': 'text/plain' }, '{"input":""}'],
      ['a body that is not JSON', { 'content-type': 'application/json' }, 'junk'],
      ['a body without input', { 'content-type': 'application/json' }, '{}'],
    ])('answers 400 to %s, and runs nothing', async (_situation, headers, body) => {
      const before = timerRuns.length;
      const response = await call('/admin/functions/slowTimer', { method: 'POST', headers, body });
      expect(response.status).toBe(400);
      expect(timerRuns.length).toBe(before);
    });

    it('refuses a request from a web page (it carries Origin), and runs nothing', async () => {
      const before = timerRuns.length;
      const response = await call('/admin/functions/slowTimer', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
        body: '{"input":""}',
      });
      expect(response.status).toBe(403);
      expect(timerRuns.length).toBe(before);
    });
  });
});

describe('local host stopping', () => {
  it('lets a request in flight finish, refuses new timer runs, and waits for the run in progress', async () => {
    const events: string[] = [];
    const host = await startLocalHost({
      port: 0,
      host: '127.0.0.1',
      log: () => undefined,
      schedule: false,
      functions: [
        http('slow', 'api/slow', ['GET'], async () => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          events.push('request done');
          return { body: 'finished' };
        }),
        timer('sweep', async () => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          events.push('timer done');
        }),
      ],
    });
    const inFlight = fetch(`${host.url}/api/slow`).then((r) => r.text());
    const running = host.timers.get('sweep')!.runNow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await host.stop();
    events.push('stopped');
    expect(await inFlight).toBe('finished');
    expect((await running)?.status).toBe('Succeeded');
    expect(events).toEqual(expect.arrayContaining(['request done', 'timer done']));
    expect(events.at(-1)).toBe('stopped');
    expect(await host.timers.get('sweep')!.runNow()).toBeUndefined();
  });
});
