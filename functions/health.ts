import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { httpHandler } from '../shared/api/httpHandler';
import { getDeps } from '../shared/composition';
import { checkHealth } from '../shared/operations/checkHealth';
import { registerHttp } from '../shared/hosting/registry';

/**
 * 200 when every dependency answers; 503 naming the ones that did not. Anonymous, as load balancers call it, so
 * the answer names dependencies but keeps their error messages (endpoints, hosts) to the log.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const report = await checkHealth(getDeps().dependencyProbes);
  for (const [name, dependency] of Object.entries(report.dependencies)) {
    if (dependency.error) context.warn(`health: ${name} is down: ${dependency.error}`);
  }
  const dependencies = Object.fromEntries(
    Object.entries(report.dependencies).map(([name, { status, durationMs }]) => [name, { status, durationMs }]),
  );
  return { status: report.status === 'healthy' ? 200 : 503, jsonBody: { ...report, dependencies } };
}

registerHttp('health', { route: 'api/health', methods: ['GET'], handler: httpHandler(health) });
