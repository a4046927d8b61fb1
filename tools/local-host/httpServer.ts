import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { HttpRequest, HttpResponse, type HttpHandler, type HttpResponseInit } from '@azure/functions';
import { graphResponse, methodNotAllowedResponse } from '../../shared/api/errorResponses';
import { allowedMethods, comparePrecedence, parseRouteTemplate, type RouteTemplate } from '../../shared/hosting/routeTemplate';
import { invoke } from './invoke';
import type { HostLog } from './log';
import type { TimerRunner } from './timerRunner';
import { readBody } from '../http/readBody';

/** Azure Functions refuses request bodies over 100 MB; so does the local host by default. */
const AZURE_MAX_BODY_BYTES = 100 * 1024 * 1024;

export interface HttpRoute {
  name: string;
  route: RouteTemplate;
  methods: readonly string[];
  handler: HttpHandler;
}

export function httpRoute(name: string, template: string, methods: readonly string[], handler: HttpHandler): HttpRoute {
  return { name, route: parseRouteTemplate(template), methods: methods.map((m) => m.toUpperCase()), handler };
}

/**
 * Serves HTTP functions with the host's own request and response objects, and the admin endpoint that runs a
 * timer now. Paths no function has get 404, wrong methods 405, both in Graph's error shape.
 */
export function createHttpServer(
  routes: readonly HttpRoute[],
  timers: ReadonlyMap<string, TimerRunner>,
  log: HostLog,
  maxBodyBytes = AZURE_MAX_BODY_BYTES,
): Server {
  const ordered = [...routes].sort((a, b) => comparePrecedence(a.route, b.route));
  const admin = parseRouteTemplate('admin/functions/{name}');

  return createServer((req, res) => {
    void (async () => {
      const url = requestUrl(req);
      if (!url) return send(res, hostError(400, 'invalidRequest', 'The request URL or Host header is malformed.'));
      const method = (req.method ?? 'GET').toUpperCase();
      // A body announced or found too large is refused without reading (the rest of) it, so the connection cannot
      // carry another request and is closed.
      const declaredBytes = Number(req.headers['content-length'] ?? Number.NaN);
      const body = declaredBytes > maxBodyBytes ? undefined : await readBody(req, maxBodyBytes);
      if (body === undefined) return send(res, tooLarge(maxBodyBytes));

      const adminParams = admin.match(url.pathname);
      if (adminParams) return send(res, await runTimer(timers, adminParams.name ?? '', method, req, body));

      const target = ordered
        .filter((r) => r.methods.includes(method))
        .map((r) => ({ ...r, params: r.route.match(url.pathname) }))
        .find((r) => r.params !== undefined);
      if (!target) {
        const allowed = allowedMethods(ordered, url.pathname);
        if (allowed.length === 0) return send(res, hostError(404, 'itemNotFound', `No resource at ${url.pathname}.`));
        return send(res, new HttpResponse(methodNotAllowedResponse(method, url.pathname, allowed, randomUUID())));
      }

      const request = new HttpRequest({
        method,
        url: url.toString(),
        headers: flattenHeaders(req),
        params: target.params ?? {},
        body: { bytes: body },
      });
      const outcome = await invoke(
        target.name,
        log,
        async (context) => {
          const init = await target.handler(request, context);
          return { response: toResponse(init), streamed: isStreamed(init) };
        },
        ({ response }) => `, Status=${response.status}`,
      );
      if (outcome.result?.streamed) return stream(res, outcome.result.response);
      return send(res, outcome.result?.response ?? toResponse(graphResponse(500, 'generalException', 'An unexpected error occurred.', outcome.invocationId)));
    })().catch((error: unknown) => {
      log(`Local host failed to answer ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) void send(res, hostError(500, 'generalException', 'An unexpected error occurred.'));
      else res.destroy();
    });
  });
}

/**
 * `POST /admin/functions/{name}` with a JSON body `{"input": ...}`, as the Functions host requires. A request from a
 * browser page (it carries `Origin`) is refused, so no web page can start a sweep on someone's machine.
 */
async function runTimer(
  timers: ReadonlyMap<string, TimerRunner>,
  name: string,
  method: string,
  req: IncomingMessage,
  body: Buffer,
): Promise<HttpResponse> {
  if (method !== 'POST') return new HttpResponse(methodNotAllowedResponse(method, `/admin/functions/${name}`, ['POST'], randomUUID()));
  if (req.headers.origin) return hostError(403, 'accessDenied', 'The admin endpoint does not take requests from web pages.');
  if (!req.headers['content-type']?.toLowerCase().startsWith('application/json') || !hasInput(body)) {
    return hostError(400, 'invalidRequest', 'Send Content-Type: application/json with a body like {"input":""}.');
  }
  const timer = timers.get(name);
  if (!timer) return hostError(404, 'itemNotFound', `No timer function named '${name}'.`);
  const outcome = await timer.runNow();
  if (!outcome) return hostError(503, 'serviceNotAvailable', 'The host is stopping.');
  return new HttpResponse({
    status: 202,
    jsonBody: { id: outcome.invocationId, functionName: name, status: outcome.status, durationMs: outcome.durationMs },
  });
}

function hasInput(body: Buffer): boolean {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && 'input' in parsed;
  } catch {
    return false;
  }
}

function tooLarge(maxBodyBytes: number): HttpResponse {
  const response = graphResponse(413, 'requestTooLarge', `The body is larger than ${maxBodyBytes} bytes.`, randomUUID());
  return new HttpResponse({ ...response, headers: { ...(response.headers as Record<string, string>), connection: 'close' } });
}

function hostError(status: number, code: string, message: string): HttpResponse {
  return new HttpResponse(graphResponse(status, code, message, randomUUID()));
}

/** The URL asked for; the path is taken as it is, never as a host (`//evil/x` is a path). */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    const path = req.url?.startsWith('/') ? req.url : `/${req.url ?? ''}`;
    return new URL(`http://${req.headers.host ?? 'localhost'}${path}`);
  } catch {
    return undefined;
  }
}

function toResponse(result: HttpResponseInit | HttpResponse | void): HttpResponse {
  return result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
}

async function send(res: ServerResponse, response: HttpResponse): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string | string[]> = Object.fromEntries(response.headers);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  if (body.length > 0 || ![204, 304].includes(response.status)) headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

/** A body the function hands over as a stream (a Readable, a web stream, an async iterable): sent as it comes, as Azure does. */
function isStreamed(init: HttpResponseInit | HttpResponse | void): boolean {
  const body = init instanceof HttpResponse || !init ? undefined : init.body;
  return typeof body === 'object' && body !== null && (Symbol.asyncIterator in body || body instanceof ReadableStream);
}

/** Chunked, without reading the body whole: a large report is never held in memory. A failure midway cuts the response. */
function stream(res: ServerResponse, response: HttpResponse): void {
  const headers: Record<string, string> = Object.fromEntries(response.headers);
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), res, (error) => {
    if (error) res.destroy(error);
  });
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
