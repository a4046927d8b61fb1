import { badRequest, GraphHttpError } from './graphErrors';
import { GRAPH_JSON, type GraphResponse } from './responses';

/** Graph answers at most 20 requests in one `$batch`. */
const MAX_BATCH_REQUESTS = 20;
const METHODS: readonly string[] = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];

export interface BatchStep {
  id: string;
  method: string;
  /** Relative to the version: `/groups/{id}` or `groups/{id}?$select=id`. */
  url: string;
  body: unknown;
  dependsOn: string[];
}

export interface BatchStepResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** The requests of a `$batch` body; anything malformed fails the whole batch with 400, as in Graph. */
export function parseBatch(body: unknown): BatchStep[] {
  const requests = (body as { requests?: unknown } | null)?.requests;
  if (typeof body !== 'object' || body === null || !Array.isArray(requests)) {
    throw invalidBatch("The batch body must be a JSON object with a 'requests' array.");
  }
  if (requests.length > MAX_BATCH_REQUESTS) {
    throw invalidBatch(`A batch holds at most ${MAX_BATCH_REQUESTS} requests; this one has ${requests.length}.`);
  }
  const steps = requests.map((value: unknown, i): BatchStep => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidBatch(`Request ${i} must be a JSON object.`);
    const request = value as Record<string, unknown>;
    const { id, method, url, headers, dependsOn } = request;
    if (typeof id !== 'string' || id === '') throw invalidBatch(`Request ${i} needs an 'id' string.`);
    if (typeof method !== 'string' || !METHODS.includes(method.toUpperCase())) {
      throw invalidBatch(`Request '${id}' needs a 'method' (${METHODS.join(', ')}).`);
    }
    if (typeof url !== 'string' || url === '' || /^[a-z][a-z0-9+.-]*:/i.test(url)) {
      throw invalidBatch(`Request '${id}' needs a relative 'url', such as /users/{id}.`);
    }
    if (headers !== undefined && (typeof headers !== 'object' || headers === null || Array.isArray(headers))) {
      throw invalidBatch(`The 'headers' of request '${id}' must be a JSON object.`);
    }
    if (request.body !== undefined && !Object.keys(headers ?? {}).some((name) => name.toLowerCase() === 'content-type')) {
      throw invalidBatch(`Request '${id}' has a body but no Content-Type header.`);
    }
    if (dependsOn !== undefined && (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string'))) {
      throw invalidBatch(`The 'dependsOn' of request '${id}' must be an array of request ids.`);
    }
    return { id, method: method.toUpperCase(), url, body: request.body, dependsOn: (dependsOn as string[] | undefined) ?? [] };
  });
  const ids = new Map(steps.map((step) => [step.id.toLowerCase(), step]));
  if (ids.size !== steps.length) throw invalidBatch('Request ids must be unique within a batch.');
  for (const step of steps) {
    const unknown = step.dependsOn.find((id) => !ids.has(id.toLowerCase()));
    if (unknown !== undefined) throw invalidBatch(`Request '${step.id}' depends on '${unknown}', which is not in the batch.`);
  }
  rejectCycles(steps, ids);
  return steps;
}

/**
 * Runs the steps, each after the ones it depends on; a step whose dependency failed is not run and answers 424.
 * Responses come back in the order of the requests.
 */
export function runBatch(
  steps: readonly BatchStep[],
  execute: (step: BatchStep) => GraphResponse,
  errorResponse: (error: GraphHttpError) => GraphResponse,
): BatchStepResponse[] {
  const byId = new Map(steps.map((step) => [step.id.toLowerCase(), step]));
  const answers = new Map<BatchStep, GraphResponse>();
  const answer = (step: BatchStep): GraphResponse => {
    const known = answers.get(step);
    if (known) return known;
    const failed = step.dependsOn.find((id) => answer(byId.get(id.toLowerCase())!).status >= 400);
    const response =
      failed === undefined
        ? execute(step)
        : errorResponse(new GraphHttpError(424, 'FailedDependency', `Request '${step.id}' was not run: request '${failed}', which it depends on, failed.`));
    answers.set(step, response);
    return response;
  };
  return steps.map((step) => {
    const { status, headers, body } = answer(step);
    return {
      id: step.id,
      status,
      headers: { ...(body === undefined ? {} : { 'Content-Type': GRAPH_JSON }), ...headers },
      ...(body === undefined ? {} : { body }),
    };
  });
}

const invalidBatch = (problem: string) => badRequest(`Invalid batch payload: ${problem}`, 'BadRequest');

function rejectCycles(steps: readonly BatchStep[], byId: ReadonlyMap<string, BatchStep>): void {
  const state = new Map<BatchStep, 'visiting' | 'done'>();
  const visit = (step: BatchStep) => {
    if (state.get(step) === 'done') return;
    if (state.get(step) === 'visiting') throw invalidBatch(`The dependsOn of request '${step.id}' forms a cycle.`);
    state.set(step, 'visiting');
    for (const id of step.dependsOn) visit(byId.get(id.toLowerCase())!);
    state.set(step, 'done');
  };
  steps.forEach(visit);
}
