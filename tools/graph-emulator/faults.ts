import { seededRandom } from './seededRandom';

/** A fault to inject: requests whose path (with `/v1.0`) matches answer `status` at `rate`, after `latencyMs`. */
export interface FaultRule {
  /** A regular expression tested against the path, for example `^/v1.0/groups`. */
  pathPattern: string;
  /** Only this HTTP method when given. */
  method?: string;
  status: 429 | 503 | 504;
  /** The share of matching requests that fail, from 0 to 1. */
  rate: number;
  /** Sent as the Retry-After header, as given (it may be fractional, such as 0.01). */
  retryAfterSeconds?: number;
  /** How long every matching request waits before it is answered, faulted or not. */
  latencyMs?: number;
}

export interface FaultSettings {
  rules: FaultRule[];
  seed: number;
}

/** What happens to one request: how long it waits, and the rule that fails it, if any. */
export interface FaultDecision {
  latencyMs: number;
  fault?: FaultRule;
}

export const DEFAULT_FAULT_SEED = 1;
/** Longer waits would only hold connections open; a longer pattern is no longer a path pattern. */
export const MAX_LATENCY_MS = 60_000;
export const MAX_PATH_PATTERN_LENGTH = 200;
const RULE_KEYS = ['pathPattern', 'method', 'status', 'rate', 'retryAfterSeconds', 'latencyMs'];
const STATUSES: readonly number[] = [429, 503, 504];

export class InvalidFaultRulesError extends Error {
  override name = 'InvalidFaultRulesError';
}

/** The rules of the GRAPH_EMULATOR_FAULTS setting (a JSON array; unset means none), for `npm start` and the CLI alike. */
export function parseFaultsSetting(value: string | undefined): FaultRule[] {
  if (!value) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidFaultRulesError(`not valid JSON: ${(error as Error).message}`);
  }
  return parseFaultRules(parsed);
}

/** Checks fault rules given as JSON; the error names the rule and field at fault. */
export function parseFaultRules(value: unknown): FaultRule[] {
  if (!Array.isArray(value)) throw new InvalidFaultRulesError('Fault rules must be a JSON array of rules.');
  return value.map((rule: unknown, i) => {
    const fail = (problem: string): never => {
      throw new InvalidFaultRulesError(`Fault rule ${i}: ${problem}`);
    };
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return fail('must be a JSON object.');
    const fields = rule as Record<string, unknown>;
    const unknown = Object.keys(fields).find((key) => !RULE_KEYS.includes(key));
    if (unknown !== undefined) fail(`'${unknown}' is not a fault rule field (${RULE_KEYS.join(', ')}).`);
    const { pathPattern, method, status, rate, retryAfterSeconds, latencyMs } = fields;
    if (typeof pathPattern !== 'string') return fail('pathPattern must be a regular expression, as a string.');
    if (pathPattern.length > MAX_PATH_PATTERN_LENGTH) fail(`pathPattern may be at most ${MAX_PATH_PATTERN_LENGTH} characters long.`);
    try {
      new RegExp(pathPattern);
    } catch (error) {
      fail(`pathPattern is not a valid regular expression: ${(error as Error).message}`);
    }
    if (method !== undefined && (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method))) fail('method must be an HTTP method name.');
    if (typeof status !== 'number' || !STATUSES.includes(status)) fail('status must be 429, 503 or 504.');
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) fail('rate must be a number from 0 to 1.');
    const nonNegative = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);
    if (!nonNegative(retryAfterSeconds)) fail('retryAfterSeconds must be a number of seconds, 0 or more.');
    if (!nonNegative(latencyMs) || (latencyMs as number) > MAX_LATENCY_MS) fail(`latencyMs must be a number of milliseconds from 0 to ${MAX_LATENCY_MS}.`);
    return { ...(fields as unknown as FaultRule), ...(typeof method === 'string' ? { method: method.toUpperCase() } : {}) };
  });
}

/**
 * Decides, request by request, which fault rules apply. The draws come from a seeded generator, so the same
 * rules, seed and sequence of requests fail the same requests every time. Every matching rule adds its latency
 * (the longest one counts); the first matching rule whose draw falls under its rate fails the request.
 */
export class FaultInjector {
  #rules: Array<{ rule: FaultRule; pattern: RegExp }> = [];
  #seed = DEFAULT_FAULT_SEED;
  #random: () => number = seededRandom(DEFAULT_FAULT_SEED);

  constructor(rules: readonly FaultRule[] = [], seed = DEFAULT_FAULT_SEED) {
    this.replace(rules, seed);
  }

  replace(rules: readonly FaultRule[], seed = DEFAULT_FAULT_SEED): void {
    this.#rules = rules.map((rule) => ({ rule, pattern: new RegExp(rule.pathPattern) }));
    this.#seed = seed;
    this.#random = seededRandom(seed);
  }

  clear(): void {
    this.replace([]);
  }

  settings(): FaultSettings {
    return { rules: this.#rules.map(({ rule }) => rule), seed: this.#seed };
  }

  decide(method: string, path: string): FaultDecision {
    let latencyMs = 0;
    let fault: FaultRule | undefined;
    for (const { rule, pattern } of this.#rules) {
      if ((rule.method !== undefined && rule.method !== method) || !pattern.test(path)) continue;
      latencyMs = Math.max(latencyMs, rule.latencyMs ?? 0);
      if (!fault && rule.rate > 0 && this.#random() < rule.rate) fault = rule;
    }
    return fault ? { latencyMs, fault } : { latencyMs };
  }
}
