import { HttpRequest } from '@azure/functions';
import { BODY_LIMITS, readJsonObject } from '../../shared/api/requestBody';
import { DomainError } from '../../shared/domain/errors';

const post = (body: string | Uint8Array, headers: Record<string, string> = {}) =>
  new HttpRequest({ method: 'POST', url: 'http://host/v1.0/x', headers, body: typeof body === 'string' ? { string: body } : { bytes: body } });

/**
 * A request whose body streams 64 KiB chunks without end, as a client that never stops sending would; the Functions
 * runtime streams bodies this way when HTTP streaming is on. Only what readJsonObject touches is there.
 */
function endlessRequest(headers: Record<string, string> = {}) {
  const sent = { bytes: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull: (controller) => {
      sent.bytes += 64 * 1024;
      controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
    },
  });
  return { request: { headers: new Headers(headers), body } as unknown as HttpRequest, sent };
}

const outcomeOf = (reading: Promise<unknown>) =>
  reading.then(
    () => 'read',
    (error: unknown) => (error instanceof DomainError ? `${error.code}: ${error.message}` : `unexpected ${String(error)}`),
  );

const nested = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

describe('reading a JSON body within its limits', () => {
  it('reads a JSON object', async () => {
    expect(await readJsonObject(post('{"displayName":"x","stages":[{"a":[1,2]}]}'))).toEqual({ displayName: 'x', stages: [{ a: [1, 2] }] });
  });

  it('refuses a body over the size limit with 413 (requestTooLarge), not 400', async () => {
    expect(await outcomeOf(readJsonObject(post(new Uint8Array(BODY_LIMITS.bytes + 1).fill(0x20))))).toMatch(/^requestTooLarge: /);
  });

  it('stops reading a body that does not say its length as soon as it passes the limit', async () => {
    const { request, sent } = endlessRequest();

    expect(await outcomeOf(readJsonObject(request))).toMatch(/^requestTooLarge: /);
    expect(sent.bytes).toBeLessThanOrEqual(BODY_LIMITS.bytes + 2 * 64 * 1024);
  });

  it('refuses a body whose Content-Length is over the limit before reading it', async () => {
    const { request, sent } = endlessRequest({ 'content-length': String(BODY_LIMITS.bytes + 1) });

    expect(await outcomeOf(readJsonObject(request))).toMatch(/^requestTooLarge: /);
    // A stream may pull its first chunk when it is made; nothing more is read.
    expect(sent.bytes).toBeLessThanOrEqual(64 * 1024);
  });

  it(`takes objects and arrays nested ${BODY_LIMITS.depth} levels deep, and refuses one level more (400)`, async () => {
    expect(await outcomeOf(readJsonObject(post(nested(BODY_LIMITS.depth))))).toBe('read');
    expect(await outcomeOf(readJsonObject(post(`{"a":[${nested(BODY_LIMITS.depth - 1)}]}`)))).toMatch(/^invalidRequest: .*deeper than 32/);
  });

  it('refuses a body nested hundreds of thousands of levels deep with 400, not a stack overflow', async () => {
    const depth = 400_000;

    expect(await outcomeOf(readJsonObject(post(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`)))).toMatch(/^invalidRequest: .*deeper/);
  });

  it('refuses a string value or a property name over the length limit (400), and takes one at the limit', async () => {
    const atLimit = 'x'.repeat(BODY_LIMITS.stringLength);

    expect(await outcomeOf(readJsonObject(post(JSON.stringify({ description: atLimit }))))).toBe('read');
    expect(await outcomeOf(readJsonObject(post(JSON.stringify({ list: [`${atLimit}y`] }))))).toMatch(/^invalidRequest: .*longer than/);
    expect(await outcomeOf(readJsonObject(post(JSON.stringify({ [`${atLimit}y`]: 1 }))))).toMatch(/^invalidRequest: .*longer than/);
  });

  it.each([
    ['empty', ''],
    ['not JSON', '{"a":'],
    ['an array', '[1]'],
    ['a string', '"x"'],
  ])('refuses a body that is %s (400)', async (_situation, body) => {
    expect(await outcomeOf(readJsonObject(post(body)))).toMatch(/^invalidRequest: /);
  });
});
