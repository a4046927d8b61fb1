import { DEFAULT_FAULT_SEED, InvalidFaultRulesError, parseFaultRules } from './faults';
import { badRequest, GraphHttpError, graphErrorBody } from './graphErrors';
import { noContent, ok, type GraphResponse } from './responses';
import type { EmulatorRuntime } from './runtime';

type ControlHandler = (runtime: EmulatorRuntime, body: Buffer) => GraphResponse;

/**
 * The emulator's own endpoints under `/_emulator/`, for tests and benchmarks: fault rules, request counts, the
 * outbox, the invitation policy (blocked domains), and a reset. They are not Graph requests and are never counted or faulted.
 */
const CONTROL: Record<string, Partial<Record<string, ControlHandler>>> = {
  faults: {
    GET: (runtime) => ok(runtime.faults.settings()),
    PUT: (runtime, body) => {
      const { rules, seed } = readFaultSettings(body);
      runtime.faults.replace(rules, seed);
      return ok(runtime.faults.settings());
    },
    DELETE: (runtime) => {
      runtime.faults.clear();
      return noContent();
    },
  },
  requests: {
    GET: (runtime) => ok(runtime.counters.snapshot()),
    DELETE: (runtime) => {
      runtime.counters.reset();
      return noContent();
    },
  },
  outbox: {
    GET: (runtime) => ok({ value: runtime.outbox.list() }),
    DELETE: (runtime) => {
      runtime.outbox.clear();
      return noContent();
    },
  },
  invitationPolicy: {
    GET: (runtime) => ok({ blockedDomains: runtime.directory.blockedInvitationDomains }),
    PUT: (runtime, body) => {
      runtime.directory.blockedInvitationDomains = readBlockedDomains(body);
      return ok({ blockedDomains: runtime.directory.blockedInvitationDomains });
    },
  },
  deltaTokens: {
    // Expires every groups delta token issued so far, as Graph does after a while: the next use is a 410.
    DELETE: (runtime) => {
      runtime.directory.deltaTokenGeneration++;
      return noContent();
    },
  },
  reset: {
    POST: (runtime) => {
      runtime.reset();
      return noContent();
    },
  },
};

/** Answers `/_emulator/{name}`; `name` is the path after `/_emulator/`. */
export function handleControl(runtime: EmulatorRuntime, method: string, name: string, body: Buffer, requestId: string): GraphResponse {
  try {
    const endpoint = Object.hasOwn(CONTROL, name) ? CONTROL[name] : undefined;
    if (!endpoint) throw new GraphHttpError(404, 'itemNotFound', `No emulator endpoint /_emulator/${name}; there are ${Object.keys(CONTROL).join(', ')}.`);
    const handler = Object.hasOwn(endpoint, method) ? endpoint[method] : undefined;
    if (!handler) {
      throw new GraphHttpError(405, 'methodNotAllowed', `${method} is not allowed on /_emulator/${name}.`, { Allow: Object.keys(endpoint).join(', ') });
    }
    return handler(runtime, body);
  } catch (error) {
    if (!(error instanceof GraphHttpError)) throw error;
    return { status: error.status, headers: { ...error.headers }, body: graphErrorBody(error.code, error.message, requestId, requestId) };
  }
}

function readFaultSettings(body: Buffer): { rules: ReturnType<typeof parseFaultRules>; seed: number } {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The body must be JSON: {"rules": [...], "seed": 42}.', 'BadRequest');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('The body must be {"rules": [...], "seed": 42}.', 'BadRequest');
  const { rules, seed = DEFAULT_FAULT_SEED } = value as { rules?: unknown; seed?: unknown };
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw badRequest('The seed must be an integer.', 'BadRequest');
  try {
    return { rules: parseFaultRules(rules), seed };
  } catch (error) {
    if (error instanceof InvalidFaultRulesError) throw badRequest(error.message, 'BadRequest');
    throw error;
  }
}

const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const MAX_BLOCKED_DOMAINS = 1_000;

function readBlockedDomains(body: Buffer): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The body must be JSON: {"blockedDomains": ["fabrikam.com"]}.', 'BadRequest');
  }
  const domains = (value as { blockedDomains?: unknown } | null)?.blockedDomains;
  if (!Array.isArray(domains) || domains.length > MAX_BLOCKED_DOMAINS || !domains.every((d) => typeof d === 'string' && DOMAIN.test(d.toLowerCase()))) {
    throw badRequest(`The body must be {"blockedDomains": [...]} with at most ${MAX_BLOCKED_DOMAINS} domain names.`, 'BadRequest');
  }
  return [...new Set(domains.map((d: string) => d.toLowerCase()))];
}
