/**
 * The wait after the `failures`-th failure (counting from 1) when each wait is twice the one before: `firstMs` after
 * the first, never more than `longestMs`. The one formula of every retry that backs off: Graph calls (retryPolicy.ts),
 * deliveries (applyOperations.ts), held joiners (heldEmployeeChanges.ts) and failed due items (sweepDueWork.ts).
 */
export function doublingWaitMs(failures: number, firstMs: number, longestMs: number): number {
  return Math.min(firstMs * 2 ** (failures - 1), longestMs);
}
