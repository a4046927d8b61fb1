import { DirectoryError } from '../../directory/directoryError';
import { isDomainError, type ErrorCode } from '../../domain/errors';

/** Domain errors that name a dependency away or a race lost, not the task's input: the same call may well work later. */
const FOR_NOW: ReadonlySet<ErrorCode> = new Set(['dependencyUnavailable', 'concurrencyConflict', 'tooManyRequests']);

/**
 * Whether a task failed for now (storage or the directory away, a write that lost a race) rather than for good (a
 * package that does not exist, a user the directory no longer has). An error nobody raised on purpose (a network
 * failure, Table Storage's own) counts as for now: trying a removal again costs less than keeping the access.
 */
export function failedForNow(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(failedForNow);
  if (error instanceof DirectoryError) return error.kind === 'transient';
  if (isDomainError(error)) return FOR_NOW.has(error.code);
  return true;
}

/**
 * Runs `work` on each item in turn; one that fails does not keep the rest from being tried. Once all were tried,
 * throws the one error, or all of them together (an AggregateError whose message names each).
 */
export async function tryEach<T>(items: readonly T[], work: (item: T) => Promise<unknown>): Promise<void> {
  const errors: unknown[] = [];
  for (const item of items) {
    try {
      await work(item);
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => (e instanceof Error ? e.message : String(e))).join(' '));
}
