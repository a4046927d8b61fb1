import { DomainError } from '../domain/errors';
import type { ExternalIdentity } from './externalCaller';

/** Who is calling, from the claims DESIGN §2.4 names. */
export interface Caller {
  objectId: string;
  tenantId: string | undefined;
  /** Delegated scopes (`scp`), when the caller is a user signed in to an app; undefined when there is no `scp`. */
  scopes: string[] | undefined;
  /** Application permissions or app roles (`roles`). */
  roles: string[];
  /** An application calling as itself: `idtyp` = `app`, or no `scp` and `oid` equal to `sub` (see callerFromClaims). */
  isApplication: boolean;
  email: string | undefined;
  /**
   * Whether the issuer says the domain of `email` belongs to the caller's tenant (the `xms_edov` optional claim).
   * Any tenant can put any address in `email`, so an external caller's address is trusted only when this is true.
   */
  emailVerified?: boolean;
  /** The `name` claim, when there is one: how an external caller is named before they are in the directory. */
  displayName?: string;
  /** Set for a caller from another tenant than the governed one (see withHomeTenant); absent for our own. */
  external?: ExternalIdentity;
}

/**
 * Every value the caller's principal or token carries for any of the given claim types, in order. Both
 * authentication modes describe their claims this way, so one mapping turns claims into a Caller.
 */
export type ClaimValues = (types: readonly string[]) => string[];

const OBJECT_ID = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const TENANT_ID = ['http://schemas.microsoft.com/identity/claims/tenantid', 'tid'];
const SCOPES = ['http://schemas.microsoft.com/identity/claims/scope', 'scp'];
// App Service Authentication passes `sub` on under its WS-Federation name.
const SUBJECT = ['sub', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier'];
const NAME = ['name', 'http://schemas.microsoft.com/identity/claims/displayname'];
const EMAIL = ['email', 'preferred_username', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'];
const EMAIL_DOMAIN_OWNER_VERIFIED = ['xms_edov'];

/**
 * The caller the claims describe. `roleTypes` are the claim types that carry roles (easyauth may rename them).
 * Claims that name no object id are refused (401): nothing could be decided for such a caller.
 */
export function callerFromClaims(claimValues: ClaimValues, roleTypes: readonly string[] = ['roles']): Caller {
  const first = (types: readonly string[]) => claimValues(types)[0];
  const objectId = first(OBJECT_ID);
  if (!objectId) throw new DomainError('unauthenticated', 'The caller has no object id claim (oid).');
  const scopes = first(SCOPES);
  const subject = first(SUBJECT);
  return {
    // Object ids are GUIDs, compared everywhere as written in lower case.
    objectId: objectId.toLowerCase(),
    tenantId: first(TENANT_ID),
    scopes: scopes === undefined ? undefined : scopes.split(' ').filter(Boolean),
    roles: claimValues(roleTypes),
    // `idtyp` is an optional claim a tenant may not have turned on. Without it, an app-only token is the one with
    // no delegated scopes whose subject is the caller itself: in a token for a user, `sub` is a pairwise id per
    // application and never the user's object id (Microsoft's access token claims reference).
    isApplication: first(['idtyp']) === 'app' || (scopes === undefined && subject !== undefined && subject.toLowerCase() === objectId.toLowerCase()),
    email: first(EMAIL),
    emailVerified: ['true', '1'].includes(first(EMAIL_DOMAIN_OWNER_VERIFIED)?.toLowerCase() ?? ''),
    ...(first(NAME) ? { displayName: first(NAME) } : {}),
  };
}

interface ClientPrincipal {
  claims?: Array<{ typ?: unknown; val?: unknown }>;
  role_typ?: unknown;
}

/**
 * The caller named by `x-ms-client-principal` (base64 JSON, as App Service Authentication sets it), or undefined
 * when the header is absent. A header that is present but unreadable, or names no object id, is refused (401).
 */
export function callerFromClientPrincipal(header: string | null): Caller | undefined {
  if (header === null) return undefined;
  let principal: ClientPrincipal;
  try {
    principal = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as ClientPrincipal;
  } catch {
    throw new DomainError('unauthenticated', 'The x-ms-client-principal header is not base64-encoded JSON.');
  }
  if (typeof principal !== 'object' || principal === null || !Array.isArray(principal.claims)) {
    throw new DomainError('unauthenticated', 'The x-ms-client-principal header has no claims.');
  }
  const claims = principal.claims.filter(
    (c): c is { typ: string; val: string } => typeof c?.typ === 'string' && typeof c.val === 'string',
  );
  const roleType = typeof principal.role_typ === 'string' ? principal.role_typ : 'roles';
  // The principal lists one claim per value (each role its own claim), in the order the token had them.
  return callerFromClaims(
    (types) => claims.filter((c) => types.includes(c.typ)).map((c) => c.val),
    [roleType, 'roles'],
  );
}
