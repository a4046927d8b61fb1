import type { Caller } from './caller';

/**
 * A caller from another tenant (DESIGN §2.4): not a member of this directory, so known only by what their token
 * says. Portcullis matches them to a connected organization by `tenantId` first, then by the domain of `email` when
 * the token vouches for it.
 */
export interface ExternalIdentity {
  /** Their home tenant (`tid`), in lower case. */
  tenantId: string;
  /** `email` or `preferred_username`, in lower case; undefined when the token carries neither. */
  email: string | undefined;
  /** The domain of `email` (after the last `@`), in lower case. */
  domain: string | undefined;
  /** Whether the token vouches for the address (see Caller.emailVerified): only then does it identify them. */
  emailVerified: boolean;
}

/**
 * The caller with their standing towards the governed tenant: a `tid` other than `governedTenantId` makes them
 * external. Without a configured tenant id nobody is external (nothing to compare with), and a caller without a
 * `tid` is taken as one of ours, as before.
 */
export function withHomeTenant(caller: Caller, governedTenantId: string | undefined): Caller {
  const tenantId = caller.tenantId?.toLowerCase();
  if (!governedTenantId || !tenantId || tenantId === governedTenantId.toLowerCase()) return caller;
  const email = caller.email?.trim().toLowerCase() || undefined;
  const at = email?.lastIndexOf('@') ?? -1;
  const domain = email && at > 0 && at < email.length - 1 ? email.slice(at + 1) : undefined;
  return { ...caller, external: { tenantId, email, domain, emailVerified: caller.emailVerified === true } };
}

/** Whether the caller comes from another tenant. */
export const isExternal = (caller: Caller): caller is Caller & { external: ExternalIdentity } => caller.external !== undefined;
