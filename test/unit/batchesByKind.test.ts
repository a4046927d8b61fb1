import type { DueItem } from '../../shared/store/dueWork';
import { batchesByKind } from '../../shared/operations/lifecycle/batchesByKind';
import type { BatchHandler } from '../../shared/operations/lifecycle/sweepDueWork';
import { SweepLeaseLost } from '../../shared/operations/lifecycle/sweepLease';
import { deferUntil, GraphThrottled, withThrottleDeferral } from '../../shared/directory/throttleDeferral';

type Kind = 'a' | 'b';
const item = (kind: Kind, n: number): DueItem<Kind> => ({ kind, dueDateTime: '2026-12-07T05:00:00Z', entityId: `${kind}${n}`, detail: '' });
const ITEMS = [item('a', 1), item('b', 1), item('a', 2), item('b', 2)];
const hold = async () => undefined;

function handler(kind: Kind, handle: BatchHandler<Kind>['handle']): BatchHandler<Kind> & { calls: number } {
  const counted = { kinds: new Set<Kind>([kind]), size: 10, calls: 0, handle: (items: readonly DueItem<Kind>[], h: () => Promise<void>) => (counted.calls++, handle(items, h)) };
  return counted;
}
const processedAll = (kind: Kind) => handler(kind, async (items) => items.map(() => 'processed' as const));

test("items go to their kind's handler, answers in the items' order", async () => {
  const answers = await batchesByKind([handler('a', async (items) => items.map(() => 'stale' as const)), processedAll('b')]).handle(ITEMS, hold);
  expect(answers).toEqual(['stale', 'processed', 'stale', 'processed']);
});

test("a handler that throws fails its own items only: the other kind's stay done, whichever runs first", async () => {
  const broken = new Error('storage away');
  const throwing = () => handler('a', async () => Promise.reject(broken));
  expect(await batchesByKind([throwing(), processedAll('b')]).handle(ITEMS, hold)).toEqual([broken, 'processed', broken, 'processed']);
  expect(await batchesByKind([processedAll('b'), throwing()]).handle(ITEMS, hold)).toEqual([broken, 'processed', broken, 'processed']);
});

test('a lost lease still stops the whole batch', async () => {
  const lost = handler('a', async () => Promise.reject(new SweepLeaseLost('expirationSweep')));
  await expect(batchesByKind([lost, processedAll('b')]).handle(ITEMS, hold)).rejects.toBeInstanceOf(SweepLeaseLost);
});

test('once Graph has asked to wait, no further handler starts: its items are deferred', async () => {
  const later = processedAll('b');
  const throttled = handler('a', async (items) => {
    // As the transport does on a 429 inside a queue function.
    return items.map(() => deferUntil(Date.now() + 5_000, 'Graph answered 429.'));
  });
  const { outcome } = await withThrottleDeferral(() => batchesByKind([throttled, later]).handle(ITEMS, hold));
  expect(later.calls).toBe(0);
  const answers = (outcome as { value: unknown[] }).value;
  expect(answers.every((a) => a instanceof GraphThrottled)).toBe(true);
});
