import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { httpHandler } from '../shared/api/httpHandler';
import { getDeps } from '../shared/composition';
import { checkHealth } from '../shared/operations/checkHealth';
import { registerHttp } from '../shared/hosting/registry';
import { poisonQueueStates } from '../shared/queues/poisonQueues';

/**
 * 200 when every dependency answers (status `degraded` when work is parked or a poison queue holds messages: the
 * service runs, an operator is needed); 503 naming the ones that did not. Anonymous, as load balancers call it, so
 * the answer names dependencies, counts parked work and poisoned messages, but keeps error messages (endpoints,
 * hosts), the parked items and the messages to the log and storage.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const deps = getDeps();
  const report = await checkHealth(deps.dependencyProbes, { parkedWork: deps.parkedWork, poisonQueues: () => poisonQueueStates(deps.poisonQueues) });
  for (const [name, dependency] of Object.entries(report.dependencies)) {
    if (dependency.error) context.warn(`health: ${name} is down: ${dependency.error}`);
  }
  const dependencies = Object.fromEntries(
    Object.entries(report.dependencies).map(([name, { status, durationMs }]) => [name, { status, durationMs }]),
  );
  if (report.parkedWork) context.warn(`health: ${report.parkedWork} due item(s) parked in table parkedWork`);
  for (const [name, queue] of Object.entries(report.poisonQueues ?? {})) {
    if (queue.depth > 0) context.warn(`health: ${queue.depth} message(s) in poison queue ${name}, the oldest ${queue.oldestMessageAgeSeconds} s old`);
  }
  return { status: report.status === 'unhealthy' ? 503 : 200, jsonBody: { ...report, dependencies } };
}

registerHttp('health', { route: 'api/health', methods: ['GET'], handler: httpHandler(health) });
