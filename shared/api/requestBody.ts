import type { HttpRequest } from '@azure/functions';
import { DomainError } from '../domain/errors';

/** Graph's own bodies are small; a megabyte leaves room for the largest policy while refusing abuse early. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The request body as a JSON object; anything else (empty, malformed, an array, too large) is a 400. */
export async function readJsonObject(request: HttpRequest, maxBytes = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > maxBytes) throw new DomainError('invalidRequest', `The body is larger than ${maxBytes} bytes.`);
  if (bytes.length === 0) throw new DomainError('invalidRequest', 'The body is empty; send a JSON object.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new DomainError('invalidRequest', `The body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DomainError('invalidRequest', 'The body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}
