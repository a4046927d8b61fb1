import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest } from '@azure/functions';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import { BearerTokenValidator } from '../../shared/auth/bearerTokens';
import { callerFromRequest } from '../../shared/auth/callerFromRequest';
import { DomainError } from '../../shared/domain/errors';
import { freePort } from '../support/localHostProcess';

const ISSUER = 'https://login.example.test/11111111-1111-1111-1111-111111111111/v2.0';
const AUDIENCE = 'api://portcullis';
const OBJECT_ID = 'AAAAAAAA-0000-0000-0000-000000000001';

/** A JWKS on loopback whose keys a test can change, counting how often it is fetched. */
interface KeySetServer {
  url: string;
  keys: JWK[];
  fetches: number;
  status: number;
  close(): Promise<void>;
}

async function serveKeySet(keys: JWK[]): Promise<KeySetServer> {
  const keySet = { url: '', keys, fetches: 0, status: 200, close: () => close(server) };
  const server = createServer((_request, response) => {
    keySet.fetches += 1;
    response.writeHead(keySet.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: keySet.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  keySet.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/discovery/keys`;
  return keySet;
}

const close = (server: Server) => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));

interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

const now = () => Math.floor(Date.now() / 1000);

/** The claims of a good token for this service (a user's delegated access token); a test overrides what its situation changes. */
const claims = (overrides: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: AUDIENCE,
  iat: now(),
  nbf: now(),
  exp: now() + 600,
  oid: OBJECT_ID,
  sub: 'pairwise-subject-of-the-user',
  tid: '11111111-1111-1111-1111-111111111111',
  scp: 'EntitlementManagement.ReadWrite.All',
  ...overrides,
});

const sign = (key: KeyLike, kid: string, payload: JWTPayload = claims()) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** What the validator makes of the header: the caller, or the code and message it is refused with. */
async function outcomeOf(validator: BearerTokenValidator, authorization: string | null) {
  try {
    return { caller: await validator.callerFrom(authorization) };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { code: error.code, message: error.message };
  }
}

describe('bearer tokens validated against a JWKS', () => {
  let keySet: KeySetServer;
  let known: SigningKey;
  let stranger: SigningKey;
  let validator: BearerTokenValidator;

  beforeAll(async () => {
    known = await signingKey('key-1');
    stranger = await signingKey('key-2');
  });

  beforeEach(async () => {
    keySet = await serveKeySet([known.jwk]);
    validator = new BearerTokenValidator({ jwksUrl: keySet.url, issuer: ISSUER, audience: AUDIENCE });
  });

  afterEach(() => keySet.close());

  it('maps a valid token to the caller with the same rules as easyauth', async () => {
    const token = await sign(
      known.privateKey,
      known.kid,
      claims({ scp: 'EntitlementManagement.Read.All User.Read', roles: ['A', 'B'], idtyp: 'app', preferred_username: 'u1@contoso.com' }),
    );

    const outcome = await outcomeOf(validator, `Bearer ${token}`);

    expect(outcome).toEqual({
      caller: {
        objectId: OBJECT_ID.toLowerCase(),
        tenantId: '11111111-1111-1111-1111-111111111111',
        scopes: ['EntitlementManagement.Read.All', 'User.Read'],
        roles: ['A', 'B'],
        isApplication: true,
        email: 'u1@contoso.com',
        emailVerified: false,
      },
    });
  });

  it('takes the boolean xms_edov claim as the issuer vouching for the address', async () => {
    const vouched = await sign(known.privateKey, known.kid, claims({ scp: 'User.Read', email: 'ben@fabrikam.com', xms_edov: true }));
    const unvouched = await sign(known.privateKey, known.kid, claims({ scp: 'User.Read', email: 'ben@fabrikam.com', xms_edov: false }));

    expect(await outcomeOf(validator, `Bearer ${vouched}`)).toMatchObject({ caller: { email: 'ben@fabrikam.com', emailVerified: true } });
    expect(await outcomeOf(validator, `Bearer ${unvouched}`)).toMatchObject({ caller: { email: 'ben@fabrikam.com', emailVerified: false } });
  });

  it('takes an app-only token without the optional idtyp claim as an application: no scp, and oid equal to sub', async () => {
    const token = await sign(known.privateKey, known.kid, claims({ scp: undefined, sub: OBJECT_ID, roles: ['EntitlementManagement.ReadWrite.All'] }));

    expect(await outcomeOf(validator, `Bearer ${token}`)).toMatchObject({ caller: { isApplication: true, scopes: undefined } });
  });

  it('refuses a token that is neither delegated (scp) nor app-only (401), instead of taking it for a user with every scope', async () => {
    const token = await sign(known.privateKey, known.kid, claims({ scp: undefined, roles: ['Some.Role'] }));

    expect(await outcomeOf(validator, `Bearer ${token}`)).toEqual({ code: 'unauthenticated', message: expect.stringMatching(/not an access token/) });
  });

  it.each([['nonce'], ['at_hash'], ['c_hash']])('refuses an ID token, known by its %s claim, even for our audience (401)', async (claim) => {
    const idToken = await sign(known.privateKey, known.kid, claims({ scp: undefined, [claim]: 'x1y2z3', roles: ['Some.Role'], idtyp: 'app' }));

    expect(await outcomeOf(validator, `Bearer ${idToken}`)).toEqual({ code: 'unauthenticated', message: expect.stringMatching(/ID token/) });
  });

  it('names no caller when there is no Authorization header, so the route asks to sign in', async () => {
    expect(await outcomeOf(validator, null)).toEqual({ caller: undefined });
  });

  it.each([
    { situation: 'expired beyond the clock skew', overrides: () => ({ exp: now() - 120 }), reason: /expired/ },
    { situation: 'not valid until beyond the clock skew', overrides: () => ({ nbf: now() + 120 }), reason: /"nbf"/ },
    { situation: 'for another audience', overrides: () => ({ aud: 'api://someone-else' }), reason: /"aud"/ },
    { situation: 'from another issuer', overrides: () => ({ iss: 'https://evil.example.test/v2.0' }), reason: /"iss"/ },
    { situation: 'without an expiry', overrides: () => ({ exp: undefined }), reason: /"exp"/ },
    { situation: 'without an object id', overrides: () => ({ oid: undefined }), reason: /object id/ },
  ])('refuses a token $situation (401)', async ({ overrides, reason }) => {
    const token = await sign(known.privateKey, known.kid, claims(overrides()));

    const outcome = await outcomeOf(validator, `Bearer ${token}`);

    expect(outcome).toEqual({ code: 'unauthenticated', message: expect.stringMatching(reason) });
    expect(outcome.message).not.toContain(token);
  });

  it.each([
    { situation: 'expired within the clock skew', overrides: () => ({ exp: now() - 30 }) },
    { situation: 'not valid until within the clock skew', overrides: () => ({ nbf: now() + 30 }) },
  ])('accepts a token $situation', async ({ overrides }) => {
    const token = await sign(known.privateKey, known.kid, claims(overrides()));

    expect(await outcomeOf(validator, `Bearer ${token}`)).toMatchObject({ caller: { objectId: OBJECT_ID.toLowerCase() } });
  });

  it('refuses a token whose signature is not by the key its key id names (401)', async () => {
    const forged = await sign(stranger.privateKey, known.kid);

    expect(await outcomeOf(validator, `Bearer ${forged}`)).toEqual({ code: 'unauthenticated', message: expect.stringMatching(/signature/) });
  });

  it('refuses an unsigned token (alg none) (401)', async () => {
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims())}.`;

    expect(await outcomeOf(validator, `Bearer ${unsigned}`)).toEqual({ code: 'unauthenticated', message: expect.stringMatching(/algorithm/) });
  });

  it('refuses an HMAC token, even one keyed with the public key it names (401)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(known.jwk));
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: known.kid }).sign(secret);

    expect(await outcomeOf(validator, `Bearer ${token}`)).toEqual({ code: 'unauthenticated', message: expect.stringMatching(/algorithm/) });
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer '], ['Bearer a.b'], ['Bearer  a.b.c'], ['']])(
    'refuses the Authorization header %j (401)',
    async (authorization) => {
      expect(await outcomeOf(validator, authorization)).toMatchObject({ code: 'unauthenticated' });
    },
  );

  it('refuses a token by an unknown key id, and accepts it once the JWKS publishes that key (refetch)', async () => {
    const refetching = new BearerTokenValidator({ jwksUrl: keySet.url, issuer: ISSUER, audience: AUDIENCE }, 0);
    const token = await sign(stranger.privateKey, stranger.kid);

    const before = await outcomeOf(refetching, `Bearer ${token}`);
    keySet.keys = [known.jwk, stranger.jwk];
    const after = await outcomeOf(refetching, `Bearer ${token}`);

    expect(before).toEqual({ code: 'unauthenticated', message: expect.stringMatching(/known key/) });
    expect(after).toMatchObject({ caller: { objectId: OBJECT_ID.toLowerCase() } });
  });

  it('does not refetch the JWKS for an unknown key id within the cooldown', async () => {
    await outcomeOf(validator, `Bearer ${await sign(known.privateKey, known.kid)}`);
    const fetchesAfterFirstToken = keySet.fetches;

    const outcome = await outcomeOf(validator, `Bearer ${await sign(stranger.privateKey, stranger.kid)}`);

    expect(outcome).toMatchObject({ code: 'unauthenticated' });
    expect({ fetchesAfterFirstToken, fetches: keySet.fetches }).toEqual({ fetchesAfterFirstToken: 1, fetches: 1 });
  });

  it('answers 503, not 401, when the JWKS answers with an error', async () => {
    keySet.status = 500;

    const outcome = await outcomeOf(validator, `Bearer ${await sign(known.privateKey, known.kid)}`);

    expect(outcome).toMatchObject({ code: 'dependencyUnavailable' });
  });

  it('answers 503, not 401, when nothing serves the JWKS', async () => {
    const down = new BearerTokenValidator({ jwksUrl: `http://127.0.0.1:${await freePort()}/keys`, issuer: ISSUER, audience: AUDIENCE });

    const outcome = await outcomeOf(down, `Bearer ${await sign(known.privateKey, known.kid)}`);

    expect(outcome).toMatchObject({ code: 'dependencyUnavailable' });
  });

  it('is what callerFromRequest uses in jwt mode, which ignores x-ms-client-principal', async () => {
    const principal = Buffer.from(JSON.stringify({ claims: [{ typ: 'oid', val: 'someone-else' }] })).toString('base64');
    const token = await sign(known.privateKey, known.kid);
    const request = (headers: Record<string, string>) => new HttpRequest({ method: 'GET', url: 'http://host/v1.0/x', headers });

    const withToken = await callerFromRequest(request({ authorization: `Bearer ${token}`, 'x-ms-client-principal': principal }), { AUTH_MODE: 'jwt' }, validator);
    const withPrincipalOnly = await callerFromRequest(request({ 'x-ms-client-principal': principal }), { AUTH_MODE: 'jwt' }, validator);

    expect(withToken).toMatchObject({ objectId: OBJECT_ID.toLowerCase() });
    expect(withPrincipalOnly).toBeUndefined();
  });
});
