import type { InvocationContext, StorageQueueHandler } from '@azure/functions';
import type { z } from 'zod';
import { getDeps, type Deps } from '../composition';
import { SYSTEM_ACTOR } from '../domain/requests/assignmentRequest';
import { GraphThrottled } from '../directory/throttleDeferral';
import { poisonQueueOf } from '../queues/queueMessages';
import { findProjectRoot } from './appRoot';
import { readQueueHostSettings } from './queueSettings';

let maxDequeueCount: number | undefined;

/**
 * A queue function: checks the message against `schema`, runs `work`, logs what it did. A message that fails
 * throws, so the Functions host retries it; on its last attempt (host.json `maxDequeueCount`), before the host
 * moves it to `<queue>-poison`, an audit event (`abandonQueueMessage`) names the message and why it was given up.
 */
export function queueHandler<T>(
  name: string,
  queueName: string,
  schema: z.ZodType<T>,
  work: (message: T, deps: Deps, context: InvocationContext) => Promise<object | undefined>,
): StorageQueueHandler {
  return async (payload, context) => {
    const deps = getDeps();
    try {
      const parsed = schema.safeParse(payload);
      if (!parsed.success) throw new Error(`The message is not one ${name} takes: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'} ${i.message}`).join('; ')}`);
      const result = await work(parsed.data, deps, context);
      context.log(result ? `${name}: ${JSON.stringify(result)}` : `${name}: another instance holds this work.`);
    } catch (error) {
      const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
      maxDequeueCount ??= readQueueHostSettings(findProjectRoot()).maxDequeueCount;
      // Deferred by Graph's throttling, the message is sent again (deferringQueueHandler.ts), not given up.
      if (dequeueCount >= maxDequeueCount && !(error instanceof GraphThrottled)) {
        await deps.entitlements.audit
          .record({
            actorId: SYSTEM_ACTOR,
            action: 'abandonQueueMessage',
            entityType: 'queueMessage',
            entityId: String(context.triggerMetadata?.id ?? context.invocationId),
            before: { queue: queueName, function: name, dequeueCount, message: payload },
            after: { poisonQueue: poisonQueueOf(queueName), reason: error instanceof Error ? error.message : String(error) },
          })
          .catch((auditError: unknown) => context.error(`${name}: the audit event of a message given up could not be written: ${String(auditError)}`));
      }
      throw error;
    }
  };
}
