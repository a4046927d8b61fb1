import { mapConcurrently } from '../concurrently';
import type { WorkQueue } from './workQueue';

/** A poison queue as health shows it: the messages the Functions host gave up on, and how long the oldest has waited. */
export interface PoisonQueueState {
  depth: number;
  /** Null when the queue is empty. */
  oldestMessageAgeSeconds: number | null;
}

/** Every poison queue's depth and oldest message's age, by queue name (a queue not created yet is empty). */
export async function poisonQueueStates(queues: readonly WorkQueue[], now = Date.now()): Promise<Record<string, PoisonQueueState>> {
  const states = await mapConcurrently(queues, async (queue) => {
    const [depth, oldestMs] = await Promise.all([queue.depth(), queue.oldestAgeMs(now)]);
    return [queue.name, { depth, oldestMessageAgeSeconds: oldestMs === undefined ? null : Math.floor(oldestMs / 1000) }] as const;
  });
  return Object.fromEntries(states);
}
