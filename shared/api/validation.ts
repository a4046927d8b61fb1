import type { z } from 'zod';
import { DomainError } from '../domain/errors';

/** Parses input with a schema; every problem is named by its path in one 400, so a caller fixes them in one go. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`);
  throw new DomainError('invalidRequest', `Invalid ${what}: ${problems.join('; ')}.`);
}
