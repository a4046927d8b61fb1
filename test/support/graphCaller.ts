import { Client } from '@microsoft/microsoft-graph-client';

/** A caller as App Service Authentication would describe them in `x-ms-client-principal`. */
export function clientPrincipal(objectId: string, tenantId: string, extraClaims: Array<{ typ: string; val: string }> = []): string {
  const claims = [{ typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: objectId }, { typ: 'tid', val: tenantId }, ...extraClaims];
  return Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: 'roles' })).toString('base64');
}

/** The Graph SDK, unchanged, pointed at a Portcullis host and signed in as the given principal. */
export function graphClientFor(hostUrl: string, principal: string): Client {
  return Client.init({
    baseUrl: `${hostUrl}/`,
    defaultVersion: 'v1.0',
    authProvider: (done) => done(null, 'unused'),
    fetchOptions: { headers: { 'x-ms-client-principal': principal } },
  });
}
