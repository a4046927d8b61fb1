import { randomUUID } from 'node:crypto';
import { parseBatch, runBatch, type BatchStep } from './batch';
import type { FaultRule } from './faults';
import { badRequest, GraphHttpError, graphErrorBody } from './graphErrors';
import { parseQueryString } from './odataQuery';
import { ok, type GraphResponse } from './responses';
import { normalizedTemplate, pathSegments, resolve, type Resolution } from './router';
import { GRAPH_ROUTES } from './routes';
import type { EmulatorRuntime } from './runtime';
import { siteSegmentsByPath } from './routes/sites';

/** One request to the emulated Graph, top-level or inside a `$batch`. */
export interface GraphRequest {
  method: string;
  /** The path after `/v1.0` as sent: `/groups/0b7e…/members`. */
  rawPath: string;
  rawQuery: string;
  /** The parsed JSON body, if any. */
  body: unknown;
  origin: string;
  /** Graph's id of this request, in its error bodies; each request inside a `$batch` has its own. */
  requestId: string;
  clientRequestId?: string;
}

type Target = { kind: 'batch' } | { kind: 'route'; resolution: Resolution } | { kind: 'invalid'; error: GraphHttpError };

const FAULT_ERRORS: Record<FaultRule['status'], { code: string; message: string }> = {
  429: { code: 'TooManyRequests', message: 'Please retry again later.' },
  503: { code: 'serviceNotAvailable', message: 'The service is temporarily unavailable. Please retry again later.' },
  504: { code: 'gatewayTimeout', message: 'The gateway did not receive a timely response. Please retry again later.' },
};

/**
 * Answers Graph requests: counts them, lets the fault rules delay or fail them (a failed request changes nothing),
 * routes the rest to their handlers, and runs `$batch` requests through the same steps one by one.
 */
export class GraphApi {
  constructor(private readonly runtime: EmulatorRuntime) {}

  /** A top-level request. `rawBody` is parsed as JSON here, after any fault, as Graph would see it. */
  async handle(request: Omit<GraphRequest, 'body'>, rawBody: Buffer, wait: (ms: number) => Promise<void>): Promise<GraphResponse> {
    const target = this.#target(request.method, request.rawPath);
    this.runtime.counters.roundTrip(this.#routeKey(request, target));
    const decision = this.runtime.faults.decide(request.method, `/v1.0${request.rawPath}`);
    if (decision.latencyMs > 0) await wait(decision.latencyMs);
    if (decision.fault) return this.#faultResponse(decision.fault, request);

    let body: unknown;
    try {
      body = parseJsonBody(request.method, rawBody);
    } catch (error) {
      return this.#failure(error, request);
    }
    if (target.kind !== 'batch') return this.#execute(target, { ...request, body });

    let steps: BatchStep[];
    try {
      steps = parseBatch(body);
    } catch (error) {
      return this.#failure(error, request);
    }
    // Graph runs a batch's requests side by side, so the batch waits for its slowest request, not for their sum.
    let slowest = 0;
    const responses = runBatch(
      steps,
      (step) => {
        const { response, latencyMs } = this.#executeBatched(step, request);
        slowest = Math.max(slowest, latencyMs);
        return response;
      },
      (error) => this.#errorResponse(error, request),
    );
    if (slowest > 0) await wait(slowest);
    return ok({ responses });
  }

  #executeBatched(step: BatchStep, batch: Omit<GraphRequest, 'body'>): { response: GraphResponse; latencyMs: number } {
    const [path = '', query = ''] = step.url.split(/\?(.*)/s);
    const request: GraphRequest = {
      method: step.method,
      rawPath: path.startsWith('/') ? path : `/${path}`,
      rawQuery: query,
      body: step.body,
      origin: batch.origin,
      requestId: randomUUID(),
      clientRequestId: batch.clientRequestId,
    };
    const target = this.#target(request.method, request.rawPath);
    this.runtime.counters.batched(this.#routeKey(request, target));
    const { latencyMs, fault } = this.runtime.faults.decide(request.method, `/v1.0${request.rawPath}`);
    if (fault) return { response: this.#faultResponse(fault, request), latencyMs };
    if (target.kind === 'batch') {
      return { response: this.#errorResponse(badRequest('A $batch cannot contain another $batch.', 'BadRequest'), request), latencyMs };
    }
    return { response: this.#execute(target, request), latencyMs };
  }

  #execute(target: Exclude<Target, { kind: 'batch' }>, request: GraphRequest): GraphResponse {
    try {
      if (target.kind === 'invalid') throw target.error;
      const { resolution } = target;
      if (resolution.kind === 'notFound') {
        throw badRequest(`Resource not found for the segment '${resolution.segment}'.`, 'BadRequest');
      }
      if (resolution.kind === 'methodNotAllowed') {
        throw new GraphHttpError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
      }
      return resolution.route.handler({
        params: resolution.params,
        query: parseQueryString(request.rawQuery),
        rawPath: request.rawPath,
        rawQuery: request.rawQuery,
        body: request.body,
        origin: request.origin,
        directory: this.runtime.directory,
        outbox: this.runtime.outbox,
        pageSize: this.runtime.pageSize,
      });
    } catch (error) {
      return this.#failure(error, request);
    }
  }

  #target(method: string, rawPath: string): Target {
    let segments: string[];
    try {
      segments = pathSegments(rawPath);
    } catch (error) {
      return { kind: 'invalid', error: error as GraphHttpError };
    }
    if (segments.length === 1 && segments[0] === '$batch') {
      if (method === 'POST') return { kind: 'batch' };
      return { kind: 'invalid', error: new GraphHttpError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.') };
    }
    if (segments.length === 0) return { kind: 'invalid', error: badRequest('Resource not found for the segment \'v1.0\'.', 'BadRequest') };
    return { kind: 'route', resolution: resolve(GRAPH_ROUTES, method, siteSegmentsByPath(this.runtime.directory, segments)) };
  }

  /** `PATCH /v1.0/groups/{id}`: the route's template, or the path with GUIDs written `{id}` when no route matched. */
  #routeKey(request: Pick<GraphRequest, 'method' | 'rawPath'>, target: Target): string {
    if (target.kind === 'batch') return `${request.method} /v1.0/$batch`;
    if (target.kind === 'route' && target.resolution.kind === 'found') {
      return `${request.method} /v1.0${normalizedTemplate(target.resolution.route.template)}`;
    }
    const path = request.rawPath.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}');
    return `${request.method} /v1.0${path}`;
  }

  #faultResponse(fault: FaultRule, request: Pick<GraphRequest, 'requestId' | 'clientRequestId'>): GraphResponse {
    this.runtime.counters.faultInjected();
    const { code, message } = FAULT_ERRORS[fault.status];
    const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) };
    return this.#errorResponse(new GraphHttpError(fault.status, code, message, headers), request);
  }

  /** A handler's Graph error as its answer; anything else is a bug in the emulator, answered 500 and reported. */
  #failure(error: unknown, request: Pick<GraphRequest, 'requestId' | 'clientRequestId' | 'method' | 'rawPath'>): GraphResponse {
    if (error instanceof GraphHttpError) return this.#errorResponse(error, request);
    process.stderr.write(`Graph emulator failed on ${request.method} ${request.rawPath}: ${(error as Error)?.stack ?? String(error)}\n`);
    return this.#errorResponse(new GraphHttpError(500, 'generalException', 'An unexpected error occurred in the Graph emulator.'), request);
  }

  #errorResponse(error: GraphHttpError, request: Pick<GraphRequest, 'requestId' | 'clientRequestId'>): GraphResponse {
    return {
      status: error.status,
      headers: { ...error.headers },
      body: graphErrorBody(error.code, error.message, request.requestId, request.clientRequestId ?? request.requestId),
    };
  }
}

/** The body of a write as JSON; reads ignore theirs. A body that is not JSON is Graph's 400. */
function parseJsonBody(method: string, raw: Buffer): unknown {
  if (raw.length === 0 || method === 'GET' || method === 'DELETE') return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw badRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.', 'BadRequest');
  }
}
