import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HttpRequest, HttpResponse, type HttpHandler, type HttpResponseInit } from '@azure/functions';
import { graphErrorBody } from '../../shared/api/graphError';
import { invoke } from './invoke';
import type { HostLog } from './log';
import { comparePrecedence, parseRouteTemplate, type RouteTemplate } from './routeTemplate';
import type { TimerRunner } from './timerRunner';

const MAX_BODY_BYTES = 10 * 1024 * 1024;

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
 * Serves HTTP functions with the host's request and response objects, plus the admin endpoint that runs a timer
 * now. Answers 404 and 405 in Graph's error shape.
 */
export function createHttpServer(routes: readonly HttpRoute[], timers: ReadonlyMap<string, TimerRunner>, log: HostLog): Server {
  const ordered = [...routes].sort((a, b) => comparePrecedence(a.route, b.route));
  const admin = parseRouteTemplate('admin/functions/{name}');

  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const method = (req.method ?? 'GET').toUpperCase();
      const body = await readBody(req);
      if (body === undefined) return sendError(res, 413, 'requestTooLarge', `The body is larger than ${MAX_BODY_BYTES} bytes.`);

      const adminParams = admin.match(url.pathname);
      if (adminParams) {
        if (method !== 'POST') return sendError(res, 405, 'methodNotAllowed', `Use POST on ${url.pathname}.`, ['POST']);
        return runTimer(timers, adminParams.name ?? '', res);
      }

      const matching = ordered.flatMap((r) => {
        const params = r.route.match(url.pathname);
        return params ? [{ ...r, params }] : [];
      });
      const target = matching.find((r) => r.methods.includes(method));
      if (!target) {
        if (matching.length === 0) return sendError(res, 404, 'itemNotFound', `No resource at ${url.pathname}.`);
        const allowed = [...new Set(matching.flatMap((r) => r.methods))];
        return sendError(res, 405, 'methodNotAllowed', `${method} is not allowed on ${url.pathname}.`, allowed);
      }

      const request = new HttpRequest({
        method,
        url: url.toString(),
        headers: flattenHeaders(req),
        params: target.params,
        body: { bytes: body },
      });
      const outcome = await invoke(
        target.name,
        log,
        async (context) => toResponse(await target.handler(request, context)),
        (response) => `, Status=${response.status}`,
      );
      if (outcome.result) return send(res, outcome.result);
      return sendError(res, 500, 'generalException', 'An unexpected error occurred.', undefined, outcome.invocationId);
    })().catch((error: unknown) => {
      log(`Local host failed to answer ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) sendError(res, 500, 'generalException', 'An unexpected error occurred.');
      else res.destroy();
    });
  });
}

async function runTimer(timers: ReadonlyMap<string, TimerRunner>, name: string, res: ServerResponse): Promise<void> {
  const timer = timers.get(name);
  if (!timer) return sendError(res, 404, 'itemNotFound', `No timer function named '${name}'.`);
  const outcome = await timer.runNow();
  res.writeHead(202, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({ id: outcome.invocationId, functionName: name, status: outcome.status, durationMs: outcome.durationMs }),
  );
}

function toResponse(result: HttpResponseInit | HttpResponse | void): HttpResponse {
  return result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
}

async function send(res: ServerResponse, response: HttpResponse): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = Object.fromEntries(response.headers);
  if (body.length > 0 || ![204, 304].includes(response.status)) headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  allow?: readonly string[],
  requestId: string = randomUUID(),
): void {
  const body = JSON.stringify(graphErrorBody(code, message, requestId));
  res.writeHead(status, { 'content-type': 'application/json', ...(allow ? { allow: allow.join(', ') } : {}) });
  res.end(body);
}

/** The whole body, or `undefined` once it passes the size limit. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
