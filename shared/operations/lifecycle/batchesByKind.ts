import { deferredCall } from '../../directory/throttleDeferral';
import type { DueItem } from '../../store/dueWork';
import type { BatchHandler, ItemOutcome } from './sweepDueWork';
import { SweepLeaseLost } from './sweepLease';

/**
 * Several batch handlers as one (a sweep takes one): a batch's items go to the handler of their kind, each
 * handler's in one call, in turn; the answers come back in the items' order. The batch is the largest handler's
 * size, so a handler may get up to that many. A handler that throws fails its own items only, so the other kinds'
 * done items are counted done; once Graph has asked to wait, no further handler starts (its items are deferred).
 */
export function batchesByKind<K extends string>(handlers: ReadonlyArray<BatchHandler<K>>): BatchHandler<K> {
  return {
    kinds: new Set(handlers.flatMap((h) => [...h.kinds])),
    size: Math.max(...handlers.map((h) => h.size)),
    handle: async (items, hold) => {
      const answers = new Array<ItemOutcome | Error>(items.length);
      for (const handler of handlers) {
        const indexes = [...items.keys()].filter((i) => handler.kinds.has(items[i]!.kind));
        if (indexes.length === 0) continue;
        const handled = await handlerAnswers(handler, indexes.map((i) => items[i]!), hold);
        indexes.forEach((i, n) => (answers[i] = handled[n]!));
      }
      return answers;
    },
  };
}

async function handlerAnswers<K extends string>(handler: BatchHandler<K>, items: readonly DueItem<K>[], hold: () => Promise<void>): Promise<Array<ItemOutcome | Error>> {
  const deferred = deferredCall();
  if (deferred) return items.map(() => deferred);
  try {
    return await handler.handle(items, hold);
  } catch (error) {
    // A lost lease stops the whole pass: nothing more may be written.
    if (error instanceof SweepLeaseLost) throw error;
    return items.map(() => (error instanceof Error ? error : new Error(String(error))));
  }
}
