import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { handleControl } from './controlEndpoints';
import { parseFaultRules, type FaultRule } from './faults';
import type { TenantFixture } from './fixture';
import { GraphApi } from './graphApi';
import { badRequest, graphErrorBody, GraphHttpError } from './graphErrors';
import { MAX_PAGE_SIZE } from './odataQuery';
import { GRAPH_JSON, type GraphResponse } from './responses';
import { EmulatorRuntime } from './runtime';
import { readBody } from '../http/readBody';

export interface GraphEmulatorOptions {
  seed: TenantFixture;
  /** 0 or absent: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Fault rules in force from the start. */
  faults?: FaultRule[];
  /** Items per page of a collection when the request gives no `$top` (default 100). */
  pageSize?: number;
}

export interface GraphEmulator {
  /** Where it listens, without a trailing slash: `http://127.0.0.1:7072`. */
  url: string;
  stop(): Promise<void>;
}

/** Graph caps a JSON request (a `$batch` included) at 4 MB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const DEFAULT_PAGE_SIZE = 100;

/** Starts a Microsoft Graph v1.0 subset over HTTP, its directory in memory and seeded from the fixture. */
export async function startGraphEmulator(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new Error(`pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}; it is ${pageSize}.`);
  }
  const runtime = new EmulatorRuntime(options.seed, pageSize, parseFaultRules(options.faults ?? []));
  const graph = new GraphApi(runtime);
  const host = options.host ?? '127.0.0.1';
  const stopping = new AbortController();
  const wait = (ms: number) => delay(ms, undefined, { signal: stopping.signal });

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    answer(req, res, runtime, graph, wait, requestId).catch((error: unknown) => {
      if (stopping.signal.aborted) return res.destroy();
      process.stderr.write(`Graph emulator failed to answer ${req.method} ${req.url}: ${(error as Error)?.stack ?? String(error)}\n`);
      if (res.headersSent) return res.destroy();
      send(res, requestId, { status: 500, body: graphErrorBody('generalException', 'An unexpected error occurred in the Graph emulator.', requestId, requestId) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  runtime: EmulatorRuntime,
  graph: GraphApi,
  wait: (ms: number) => Promise<void>,
  requestId: string,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const target = req.url ?? '/';
  const queryAt = target.indexOf('?');
  const path = queryAt < 0 ? target : target.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? '' : target.slice(queryAt + 1);
  const body = await readBody(req, MAX_BODY_BYTES);
  const clientRequestId = headerValue(req, 'client-request-id');
  const fail = (error: GraphHttpError) =>
    send(res, requestId, {
      status: error.status,
      headers: { ...error.headers },
      body: graphErrorBody(error.code, error.message, requestId, clientRequestId ?? requestId),
    });

  if (body === undefined) {
    // The rest of the body is never read, so the connection cannot carry another request.
    return fail(new GraphHttpError(413, 'RequestEntityTooLarge', `The request body is larger than ${MAX_BODY_BYTES} bytes.`, { Connection: 'close' }));
  }
  if (path.startsWith('/_emulator/')) return send(res, requestId, handleControl(runtime, method, path.slice('/_emulator/'.length), body, requestId));
  const version = /^\/v1\.0(?=\/|$)/i.exec(path);
  if (!version) {
    const segment = path.split('/').filter(Boolean)[0] ?? '';
    return fail(badRequest(`Invalid version: '${segment}'. The emulator serves v1.0 only.`, 'BadRequest'));
  }
  const response = await graph.handle(
    { method, rawPath: path.slice(version[0].length), rawQuery, origin: originOf(req, res), requestId, clientRequestId },
    body,
    wait,
  );
  send(res, requestId, response, clientRequestId);
}

function send(res: ServerResponse, requestId: string, response: GraphResponse, clientRequestId?: string): void {
  const payload = response.body === undefined ? undefined : Buffer.from(JSON.stringify(response.body));
  res.writeHead(response.status, {
    'request-id': requestId,
    'client-request-id': clientRequestId ?? requestId,
    ...(payload ? { 'content-type': GRAPH_JSON } : {}),
    'content-length': String(payload?.length ?? 0),
    ...response.headers,
  });
  res.end(payload);
}

/** The origin the client called, for absolute links; the listening address when the Host header is unusable. */
function originOf(req: IncomingMessage, res: ServerResponse): string {
  const host = req.headers.host;
  if (host && /^[A-Za-z0-9.\-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host)) return `http://${host}`;
  const address = res.socket?.localAddress ?? '127.0.0.1';
  return `http://${address.includes(':') ? `[${address}]` : address}:${res.socket?.localPort ?? ''}`;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
