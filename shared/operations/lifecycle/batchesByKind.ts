import type { BatchHandler, ItemOutcome } from './sweepDueWork';

/**
 * Several batch handlers as one (a sweep takes one): a batch's items go to the handler of their kind, each
 * handler's in one call, in turn; the answers come back in the items' order. The batch is the largest handler's
 * size, so a handler may get up to that many.
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
        const handled = await handler.handle(indexes.map((i) => items[i]!), hold);
        indexes.forEach((i, n) => (answers[i] = handled[n]!));
      }
      return answers;
    },
  };
}
