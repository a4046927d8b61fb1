import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { httpHandler } from '../shared/api/httpHandler';
import { getDeps } from '../shared/composition';
import { checkHealth } from '../shared/operations/checkHealth';
import { registerHttp } from '../shared/hosting/registry';

/** 200 when every dependency answers; 503 naming the ones that did not. Anonymous, as load balancers call it. */
export async function health(_request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> {
  const report = await checkHealth(getDeps().dependencyProbes);
  return { status: report.status === 'healthy' ? 200 : 503, jsonBody: report };
}

registerHttp('health', { route: 'api/health', methods: ['GET'], handler: httpHandler(health) });
