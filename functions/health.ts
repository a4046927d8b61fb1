import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { httpHandler } from '../shared/api/httpHandler';
import { getDeps } from '../shared/composition';
import { checkHealth } from '../shared/operations/checkHealth';
import { registerHttp } from '../shared/hosting/registry';

/**
 * 200 when every dependency answers (status `degraded` when work is parked: the service runs, an operator is
 * needed); 503 naming the ones that did not. Anonymous, as load balancers call it, so the answer names dependencies
 * and counts parked work but keeps error messages (endpoints, hosts) and the parked items to the log and storage.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const deps = getDeps();
  const report = await checkHealth(deps.dependencyProbes, { parkedWork: deps.parkedWork });
  for (const [name, dependency] of Object.entries(report.dependencies)) {
    if (dependency.error) context.warn(`health: ${name} is down: ${dependency.error}`);
  }
  const dependencies = Object.fromEntries(
    Object.entries(report.dependencies).map(([name, { status, durationMs }]) => [name, { status, durationMs }]),
  );
  if (report.parkedWork) context.warn(`health: ${report.parkedWork} due item(s) parked in table parkedWork`);
  return { status: report.status === 'unhealthy' ? 503 : 200, jsonBody: { ...report, dependencies } };
}

registerHttp('health', { route: 'api/health', methods: ['GET'], handler: httpHandler(health) });
