import { HttpRequest, InvocationContext } from '@azure/functions';
import '../../functions/health';
import { unmatchedRoute } from '../../functions/unmatchedRoute';

const context = () => new InvocationContext({ invocationId: 'inv-9', functionName: 'unmatchedRoute', logHandler: () => undefined });

describe('the catch-all function, as the Functions host runs it', () => {
  it('answers a path no function has with 404 in Graph error shape', async () => {
    const response = await unmatchedRoute(new HttpRequest({ method: 'GET', url: 'http://host/v1.0/nothing' }), context());
    expect(response.status).toBe(404);
    expect(response.jsonBody).toMatchObject({ error: { code: 'itemNotFound', innerError: { 'request-id': 'inv-9' } } });
  });

  it('answers a wrong method on a known path with 405 and the allowed methods', async () => {
    const response = await unmatchedRoute(new HttpRequest({ method: 'DELETE', url: 'http://host/api/health' }), context());
    expect(response.status).toBe(405);
    expect(response.headers).toMatchObject({ allow: 'GET', 'request-id': 'inv-9' });
    expect(response.jsonBody).toMatchObject({ error: { code: 'methodNotAllowed' } });
  });
});
