import { app, type HttpHandler, type HttpMethod, type StorageQueueHandler, type TimerHandler } from '@azure/functions';
import { withAuditScope } from '../auditScope';
import { getConfig } from '../config';
import { WorkQueue } from '../queues/workQueue';
import { storageConnectionFor } from '../store/storageConnection';
import { deferringThrottling } from './deferringQueueHandler';

export type RegisteredFunction =
  | { trigger: 'http'; name: string; route: string; methods: readonly HttpMethod[]; handler: HttpHandler }
  | { trigger: 'timer'; name: string; schedule: string; handler: TimerHandler }
  | { trigger: 'queue'; name: string; queueName: string; handler: StorageQueueHandler };

/** The app setting naming the storage account of queue triggers: the app's own (host.json's `extensions.queues` apply). */
export const QUEUE_CONNECTION = 'AzureWebJobsStorage';

/**
 * Kept on a global symbol: the local host loads the function files through package.json `main`, and must see what
 * they registered even when its own copy of this module is a different file (compiled versus source).
 */
const REGISTRY = Symbol.for('portcullis.registeredFunctions');
const registered: Map<string, RegisteredFunction> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map()) as Map<
  string,
  RegisteredFunction
>;

/**
 * Registers an HTTP function with the Functions host and records it, so the local host serves exactly the
 * functions Azure would. Authorization is the service's own (Easy Auth or JWT), hence `anonymous` here.
 */
export function registerHttp(
  name: string,
  options: { route: string; methods: readonly HttpMethod[]; handler: HttpHandler },
): void {
  // Every event of one request shares its correlation id: the invocation's.
  const handler: HttpHandler = (request, context) => withAuditScope(context.invocationId, () => options.handler(request, context));
  record({ trigger: 'http', name, ...options, handler });
  app.http(name, { route: options.route, methods: [...options.methods], authLevel: 'anonymous', handler });
}

/** Registers a timer function (6-field NCRONTAB schedule) with the Functions host and records it. */
export function registerTimer(name: string, options: { schedule: string; handler: TimerHandler }): void {
  const handler: TimerHandler = (timer, context) => withAuditScope(context.invocationId, () => options.handler(timer, context));
  record({ trigger: 'timer', name, ...options, handler });
  app.timer(name, { schedule: options.schedule, handler });
}

/**
 * Registers a Storage queue-triggered function with the Functions host and records it. The handler gets the
 * message as the Node worker decodes it (JSON parsed when it is JSON) and `triggerMetadata.dequeueCount`; a thrown
 * error makes the host retry the message, and move it to `<queueName>-poison` after `maxDequeueCount` attempts.
 * Throttled by Graph, the message is sent again after the wait instead (deferringQueueHandler.ts).
 */
export function registerQueue(name: string, options: { queueName: string; handler: StorageQueueHandler }): void {
  let requeue: WorkQueue | undefined;
  const deferring = deferringThrottling(options.handler, () => (requeue ??= new WorkQueue(storageConnectionFor(getConfig().storage), options.queueName)));
  const handler: StorageQueueHandler = (message, context) => withAuditScope(context.invocationId, () => deferring(message, context));
  record({ trigger: 'queue', name, ...options, handler });
  app.storageQueue(name, { queueName: options.queueName, connection: QUEUE_CONNECTION, handler });
}

export function registeredFunctions(): RegisteredFunction[] {
  return [...registered.values()];
}

function record(fn: RegisteredFunction): void {
  if (registered.has(fn.name)) throw new Error(`A function named '${fn.name}' is already registered.`);
  registered.set(fn.name, fn);
}
