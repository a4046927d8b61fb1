import type { DirectoryPort } from '../directory/directoryPort';
import type { PortalSettings } from './portalPage';

type LocalSignInResult = Pick<NonNullable<PortalSettings['localSignIn']>, 'signedIn' | 'error'>;

/**
 * The local sign-in of `?as=<user id or userPrincipalName>`: the user as the emulated directory has them, and the
 * `x-ms-client-principal` App Service Authentication would set for them (object id, tenant, name, sign-in name).
 */
export async function signInAs(directory: DirectoryPort, tenantId: string | undefined, as: string): Promise<LocalSignInResult> {
  const user = await directory.getUser(as.trim());
  if (!user) return { error: `The emulated tenant has no user '${as}'. Pick one below.` };
  const userPrincipalName = user.userPrincipalName ?? user.mail ?? user.id;
  const displayName = user.displayName ?? userPrincipalName;
  const claims = [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: user.id },
    ...(tenantId ? [{ typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: tenantId }] : []),
    { typ: 'name', val: displayName },
    { typ: 'preferred_username', val: userPrincipalName },
  ];
  const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: 'roles' })).toString('base64');
  return { signedIn: { id: user.id, displayName, userPrincipalName, principal } };
}
