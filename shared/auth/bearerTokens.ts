import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config';
import { DomainError } from '../domain/errors';
import { callerFromClaims, type Caller, type ClaimValues } from './caller';

/** Where `jwt` mode finds signing keys and what it expects a token to say (DESIGN §2.2). */
export interface BearerTokenSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
}

// Asymmetric only: with an HMAC algorithm, anyone holding a public key from the JWKS could sign tokens with it.
const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
// Clocks of the token issuer and this host drift apart by seconds; a minute absorbs that without stretching `exp`.
const CLOCK_SKEW_SECONDS = 60;
// After fetching the key set, a token naming an unknown key id does not refetch it for this long, so tokens with
// made-up key ids cannot make every request hit the key set.
const REFETCH_COOLDOWN_MS = 30_000;
// A request waits at most this long for the key set.
const FETCH_TIMEOUT_MS = 5_000;

// RFC 6750 §2.1 with the scheme case-insensitive (RFC 9110 §11.1), and the token a compact JWS: three base64url
// parts. The signature may be empty so that an unsigned token is refused for its algorithm, not its shape.
const BEARER_JWT = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/**
 * Turns `Authorization: Bearer <token>` into a Caller: signature against the configured JWKS (cached, refetched
 * when a token names a key id it does not hold), issuer, audience, expiry and not-before. Built once per worker so
 * the key cache lives as long as the worker.
 */
export class BearerTokenValidator {
  private readonly signingKeys: JWTVerifyGetKey;

  constructor(
    private readonly settings: BearerTokenSettings,
    refetchCooldownMs = REFETCH_COOLDOWN_MS,
  ) {
    const keySet = createRemoteJWKSet(new URL(settings.jwksUrl), {
      cooldownDuration: refetchCooldownMs,
      timeoutDuration: FETCH_TIMEOUT_MS,
    });
    this.signingKeys = async (header, token) => {
      try {
        return await keySet(header, token);
      } catch (error) {
        // Which key a token names is the token's business; whether the key set can be read at all is ours.
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
        throw new KeySetUnavailable(error);
      }
    };
  }

  /**
   * The caller the token names, or undefined when there is no Authorization header (so the route asks the caller
   * to sign in). A header that is not a bearer JWT, or a token that fails any check, is refused (401); a key set
   * that cannot be fetched is 503, because the token may well be good.
   */
  async callerFrom(authorization: string | null): Promise<Caller | undefined> {
    if (authorization === null) return undefined;
    const token = BEARER_JWT.exec(authorization)?.[1];
    if (token === undefined) {
      throw new DomainError('unauthenticated', "The Authorization header must be 'Bearer' followed by a signed JWT.");
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.signingKeys, {
        algorithms: ACCEPTED_ALGORITHMS,
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: CLOCK_SKEW_SECONDS,
        // Without `exp` a token would be good forever.
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof KeySetUnavailable) {
        throw new DomainError('dependencyUnavailable', 'The keys that sign bearer tokens could not be fetched; try again later.', {
          cause: error.cause,
        });
      }
      if (error instanceof errors.JOSEError) {
        throw new DomainError('unauthenticated', `The bearer token was refused: ${reasonFor(error)}`);
      }
      throw error;
    }
    return accessTokenCaller(payload);
  }
}

// Claims only an ID token carries (OpenID Connect Core §2, §3.1.3.6, §3.3.2.11); an access token has none of them.
const ID_TOKEN_CLAIMS = ['nonce', 'at_hash', 'c_hash'];

/**
 * The caller an access token names. An ID token says who signed in to a client, not what that client may do here,
 * so it is refused even when its audience is ours (a client whose id is the audience gets ID tokens for it). The
 * refusal is 401, as Graph answers a token it cannot use (InvalidAuthenticationToken; RFC 6750 §3.1 invalid_token):
 * 403 is for a usable token whose caller lacks a right. An access token is delegated (it has `scp`) or app-only; a
 * token that is neither would otherwise be taken for a user with every scope.
 */
function accessTokenCaller(payload: JWTPayload): Caller {
  const idTokenClaim = ID_TOKEN_CLAIMS.find((claim) => payload[claim] !== undefined);
  if (idTokenClaim) {
    throw new DomainError('unauthenticated', `The bearer token was refused: it is an ID token (it has "${idTokenClaim}"); send an access token.`);
  }
  const caller = callerFromClaims(tokenClaimValues(payload));
  if (caller.scopes === undefined && !caller.isApplication) {
    throw new DomainError(
      'unauthenticated',
      'The bearer token was refused: it is not an access token for a user (no "scp") nor for an application calling as itself ("idtyp" app, or "oid" equal to "sub").',
    );
  }
  return caller;
}

/** The validator `jwt` mode needs; none in `easyauth` mode. */
export function bearerTokenValidatorFor(
  config: Pick<Config, 'AUTH_MODE' | 'AUTH_JWKS_URL' | 'AUTH_ISSUER' | 'AUTH_AUDIENCE'>,
): BearerTokenValidator | undefined {
  if (config.AUTH_MODE !== 'jwt') return undefined;
  const { AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience } = config;
  // loadConfig already requires all three in jwt mode; this keeps a hand-made config from validating nothing.
  if (!jwksUrl || !issuer || !audience) {
    throw new Error('AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE are required when AUTH_MODE is jwt.');
  }
  return new BearerTokenValidator({ jwksUrl, issuer, audience });
}

class KeySetUnavailable extends Error {
  constructor(cause: unknown) {
    super('The JSON Web Key Set could not be fetched.', { cause });
  }
}

/** Why a token was refused: the check it failed, never the token or its claims' values. */
function reasonFor(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return 'it has expired.';
  if (error instanceof errors.JWTClaimValidationFailed) return `its "${error.claim}" claim is missing or not accepted.`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'it is not signed with an accepted algorithm.';
  if (error instanceof errors.JWKSNoMatchingKey) return 'it is not signed by a known key.';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'it does not name the key that signed it.';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature is not valid.';
  return 'it is not a well-formed signed JWT.';
}

/**
 * A token's claims: a string is one value (`scp` stays space separated), an array (`roles`) one value each, a
 * boolean (`xms_edov`) its text.
 */
function tokenClaimValues(payload: JWTPayload): ClaimValues {
  return (types) =>
    types.flatMap((type) => {
      const value = payload[type];
      if (typeof value === 'string') return [value];
      if (typeof value === 'boolean') return [String(value)];
      return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
    });
}
