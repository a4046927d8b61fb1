import type { HttpRequest } from '@azure/functions';
import { DomainError } from '../domain/errors';

/** What a request body may be at most; each bound is refused before anything reads the body's meaning. */
export interface BodyLimits {
  bytes: number;
  /** Objects and arrays inside one another; the body itself is depth 1. */
  depth: number;
  /** Of any string, property names included, in UTF-16 code units as JavaScript counts them. */
  stringLength: number;
}

export const BODY_LIMITS: BodyLimits = {
  // Graph's own bodies are small; a megabyte leaves room for the largest policy while refusing abuse early.
  bytes: 1024 * 1024,
  // The deepest body Graph defines (a policy's approval stages, their approvers, their ids) nests about seven
  // levels; code that walks a body recursively would overflow the stack on a far deeper one.
  depth: 32,
  // A longer string could not be stored: a table property holds at most 64 KiB of UTF-16.
  stringLength: 32 * 1024,
};

/**
 * The request body as a JSON object; anything else (empty, malformed, an array, too deep, a string too long) is a
 * 400, a body over the size limit a 413.
 */
export async function readJsonObject(request: HttpRequest, limits: BodyLimits = BODY_LIMITS): Promise<Record<string, unknown>> {
  const parsed = parseJsonBody(await readBounded(request, limits.bytes), limits, 'a JSON object');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DomainError('invalidRequest', 'The body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Bytes already read (with `readBounded`, for a caller that needs them raw, as a signature check does) as JSON
 * within `limits`' depth and string length; `expected` says what to send instead of an empty body.
 */
export function parseJsonBody(bytes: Buffer, limits: BodyLimits, expected: string): unknown {
  if (bytes.length === 0) throw new DomainError('invalidRequest', `The body is empty; send ${expected}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DomainError('invalidRequest', `The body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed === 'object' && parsed !== null) requireWithinShape(parsed, limits);
  return parsed;
}

/**
 * The body's bytes, refused (413) as soon as they pass `maxBytes`: by its Content-Length before reading, and by
 * counting while reading, so a body that does not say its length, or says less than it sends, is never held whole.
 */
export async function readBounded(request: HttpRequest, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

const tooLarge = (maxBytes: number) => new DomainError('requestTooLarge', `The body is larger than ${maxBytes} bytes.`);

/** Walks the parsed body without recursion (the depth is what is being checked), refusing what passes a limit. */
function requireWithinShape(body: object, limits: BodyLimits): void {
  const requireShort = (text: string) => {
    if (text.length > limits.stringLength) {
      throw new DomainError('invalidRequest', `The body holds a string longer than ${limits.stringLength} characters.`);
    }
  };
  const pending: Array<{ value: unknown; depth: number }> = [{ value: body, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value === 'string') requireShort(value);
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limits.depth) throw new DomainError('invalidRequest', `The body nests objects and arrays deeper than ${limits.depth} levels.`);
    if (Array.isArray(value)) {
      for (const item of value) pending.push({ value: item, depth: depth + 1 });
    } else {
      for (const [name, item] of Object.entries(value)) {
        requireShort(name);
        pending.push({ value: item, depth: depth + 1 });
      }
    }
  }
}
