import { mapConcurrently } from '../../concurrently';

const MAX_REPORTED_ERRORS = 5;

export interface BudgetedWork<T> {
  /** Items whose handling threw; the next run takes them again. */
  failed: T[];
  /** Items not started because the deadline had passed. */
  remaining: T[];
  /** The first few failures, described, for the run's log. */
  errors: string[];
}

/**
 * Handles `items` a few at a time until `deadline` (epoch milliseconds): a sweep stops taking work before its
 * function is stopped, and one failing item does not stop the others. `beforeEach` runs before each item (a
 * sweep's lease check): when it throws, no further item is started and its error is thrown once those under way end.
 */
export async function workWithinBudget<T>(
  items: readonly T[],
  deadline: number,
  handle: (item: T) => Promise<void>,
  describe: (item: T) => string,
  beforeEach: () => Promise<void> = async () => undefined,
): Promise<BudgetedWork<T>> {
  const work: BudgetedWork<T> = { failed: [], remaining: [], errors: [] };
  let stopped: { error: unknown } | undefined;
  await mapConcurrently(items, async (item) => {
    if (stopped || Date.now() > deadline) {
      work.remaining.push(item);
      return;
    }
    try {
      await beforeEach();
    } catch (error) {
      stopped ??= { error };
      work.remaining.push(item);
      return;
    }
    try {
      await handle(item);
    } catch (error) {
      work.failed.push(item);
      if (work.errors.length < MAX_REPORTED_ERRORS) work.errors.push(`${describe(item)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  if (stopped) throw stopped.error;
  return work;
}
