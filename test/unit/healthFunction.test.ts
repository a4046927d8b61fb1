import { HttpRequest, InvocationContext } from '@azure/functions';
import { health } from '../../functions/health';
import type { Deps } from '../../shared/composition';

/** The health function's answer, with the dependencies stood in for: the status code for each state. */
let deps: Pick<Deps, 'dependencyProbes' | 'parkedWork' | 'poisonQueues'>;
// Hoisted above the imports by ts-jest: the function reads these deps.
jest.mock('../../shared/composition', () => ({ getDeps: () => deps }));

const warnings: string[] = [];
const context = () => new InvocationContext({ invocationId: 'inv-1', functionName: 'health', logHandler: (level, ...args) => level === 'warning' && warnings.push(args.join(' ')) });
const up = { name: 'storage', probe: async () => undefined };

describe('GET /api/health', () => {
  it('answers 200 degraded, with the count, when work is parked and the dependencies answer', async () => {
    deps = { dependencyProbes: [up], parkedWork: async () => 3, poisonQueues: [] };
    const response = await health(new HttpRequest({ method: 'GET', url: 'http://host/api/health' }), context());
    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({ status: 'degraded', failed: [], parkedWork: 3 });
    expect(warnings).toContainEqual(expect.stringContaining('3 due item(s) parked'));
  });

  it('answers 200 healthy with no parked work, and 503 when a dependency is down', async () => {
    deps = { dependencyProbes: [up], parkedWork: async () => 0, poisonQueues: [] };
    expect(await health(new HttpRequest({ method: 'GET', url: 'http://host/api/health' }), context())).toMatchObject({ status: 200, jsonBody: { status: 'healthy', parkedWork: 0 } });
    deps = { dependencyProbes: [up, { name: 'directory', probe: () => Promise.reject(new Error('down')) }], parkedWork: async () => 3, poisonQueues: [] };
    expect(await health(new HttpRequest({ method: 'GET', url: 'http://host/api/health' }), context())).toMatchObject({ status: 503, jsonBody: { status: 'unhealthy', failed: ['directory'] } });
  });
});
