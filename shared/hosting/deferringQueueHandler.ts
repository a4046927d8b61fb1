import type { StorageQueueHandler } from '@azure/functions';
import { GraphThrottled, withThrottleDeferral } from '../directory/throttleDeferral';

/** Where a deferred message is sent again: its own queue (WorkQueue.send). */
export interface Requeue {
  send(payload: unknown, options: { delayMs?: number }): Promise<void>;
}

/**
 * A queue function whose Graph throttling defers its message instead of holding the instance: when Graph answered
 * 429, or the tenant's write budget is spent (throttleDeferral.ts), the message is sent again to its queue with the
 * wait as its visibility delay, and this invocation succeeds, so the host deletes the original. A queue function
 * cannot set its own message's visibility in the Functions host, so this is how it is done there; the local host
 * runs the same code. The copy starts again at dequeue count 1: being throttled is not a failure, and never poisons
 * a message. Work the invocation finished stays finished: queue functions are idempotent (DESIGN §1).
 */
export function deferringThrottling(handler: StorageQueueHandler, requeue: () => Requeue): StorageQueueHandler {
  return async (message, context) => {
    const { outcome, resumeAtMs } = await withThrottleDeferral(async () => handler(message, context));
    // Another failure on the way is a failure: the message is retried, and poisoned at last, as any other.
    if (resumeAtMs === undefined || ('error' in outcome && !(outcome.error instanceof GraphThrottled))) {
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    }
    const delayMs = Math.max(0, resumeAtMs - Date.now());
    await requeue().send(message, { delayMs });
    context.log(`Graph throttled this message's work; sent it again to be taken in ${Math.ceil(delayMs / 1000)} s.`);
    return undefined;
  };
}
