import { inspect } from 'node:util';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { httpHandler } from '../../shared/api/httpHandler';
import { DomainError, type ErrorCode } from '../../shared/domain/errors';

const request = () => new HttpRequest({ method: 'GET', url: 'http://localhost/api/x' });
const context = (logged: unknown[] = []) =>
  new InvocationContext({ invocationId: 'inv-1', functionName: 'x', logHandler: (_level, ...args) => logged.push(...args) });

describe('the HTTP edge', () => {
  it('passes a response through and adds the request id', async () => {
    const handler = httpHandler(async () => ({ status: 201, headers: { etag: 'W/"1"' }, jsonBody: { id: 'a' } }));
    const response = await handler(request(), context());
    expect(response).toMatchObject({ status: 201, jsonBody: { id: 'a' }, headers: { etag: 'W/"1"', 'request-id': 'inv-1' } });
  });

  it.each<[ErrorCode, number, string]>([
    ['invalidRequest', 400, 'invalidRequest'],
    ['requestTooLarge', 413, 'requestTooLarge'],
    ['unauthenticated', 401, 'unauthenticated'],
    ['forbidden', 403, 'accessDenied'],
    ['notFound', 404, 'itemNotFound'],
    ['alreadyExists', 409, 'nameAlreadyExists'],
    ['concurrencyConflict', 409, 'resourceModified'],
    ['dependencyUnavailable', 503, 'serviceNotAvailable'],
  ])('answers a %s domain error with %d in Graph error shape', async (code, status, graphCode) => {
    const handler = httpHandler(async () => {
      throw new DomainError(code, 'explained');
    });
    const response = await handler(request(), context());
    expect(response.status).toBe(status);
    expect(response.jsonBody).toEqual({
      error: { code: graphCode, message: 'explained', innerError: { 'request-id': 'inv-1', date: expect.any(String) } },
    });
  });

  it('answers an unexpected error with a bare 500 and logs it in full', async () => {
    const logged: unknown[] = [];
    const handler = httpHandler(async () => {
      throw new Error('secret internals');
    });
    const response = await handler(request(), context(logged));
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.jsonBody)).not.toContain('secret internals');
    expect(response.jsonBody).toMatchObject({ error: { code: 'generalException', innerError: { 'request-id': 'inv-1' } } });
    expect(logged.map((entry) => inspect(entry)).join('\n')).toContain('secret internals');
  });

  it('keeps bearer tokens, JWTs and storage keys out of what it logs for an unexpected error', async () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJ4In0.c2lnbmF0dXJlLXZhbHVl';
    const logged: unknown[] = [];
    const handler = httpHandler(async () => {
      throw new Error(`request failed: {"authorization":"Bearer opaque-token-value"} id_token=${jwt}`, {
        cause: new Error('DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;EndpointSuffix=core.windows.net'),
      });
    });

    await handler(request(), context(logged));

    const log = logged.map((entry) => (typeof entry === 'string' ? entry : inspect(entry))).join('\n');
    expect(log).toContain('request failed');
    expect(log).toContain('AccountName=acct');
    for (const secret of ['opaque-token-value', jwt, 'eyJvaWQiOiJ4In0', 'c2VjcmV0LWtleQ==']) expect(log).not.toContain(secret);
  });
});
