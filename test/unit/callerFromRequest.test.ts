import { HttpRequest } from '@azure/functions';
import { callerFromRequest } from '../../shared/auth/callerFromRequest';
import { DomainError } from '../../shared/domain/errors';

const EASYAUTH = { AUTH_MODE: 'easyauth' } as const;
const principal = (claims: Array<{ typ: string; val: string }>) =>
  Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, role_typ: 'roles' })).toString('base64');
const request = (headers: Record<string, string>) => new HttpRequest({ method: 'GET', url: 'http://host/v1.0/x', headers });

describe('callerFromRequest in easyauth mode', () => {
  it('reads the caller from x-ms-client-principal and ignores any bearer token', async () => {
    const caller = await callerFromRequest(
      request({
        'x-ms-client-principal': principal([
          { typ: 'oid', val: 'U1' },
          { typ: 'tid', val: 't1' },
          { typ: 'scp', val: 'EntitlementManagement.Read.All' },
          { typ: 'roles', val: 'A' },
          { typ: 'email', val: 'u1@contoso.com' },
        ]),
        authorization: 'Bearer not.a.token',
      }),
      EASYAUTH,
    );

    expect(caller).toEqual({ objectId: 'u1', tenantId: 't1', scopes: ['EntitlementManagement.Read.All'], roles: ['A'], isApplication: false, email: 'u1@contoso.com', emailVerified: false });
  });

  it('marks a caller of another tenant than TENANT_ID external, with their email domain, and ours not', async () => {
    const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
    const settings = { AUTH_MODE: 'easyauth', TENANT_ID: TENANT } as const;
    const from = (tid: string, email?: string) =>
      callerFromRequest(request({ 'x-ms-client-principal': principal([{ typ: 'oid', val: 'U1' }, { typ: 'tid', val: tid }, ...(email ? [{ typ: 'preferred_username', val: email }] : [])]) }), settings);

    expect((await from('A7E6A4AB-5E53-4B97-B2B1-4D3C6A8E53A1', 'Ben@Fabrikam.COM'))?.external).toEqual({ tenantId: 'a7e6a4ab-5e53-4b97-b2b1-4d3c6a8e53a1', email: 'ben@fabrikam.com', domain: 'fabrikam.com', emailVerified: false });
    expect((await from('a7e6a4ab-5e53-4b97-b2b1-4d3c6a8e53a1'))?.external).toEqual({ tenantId: 'a7e6a4ab-5e53-4b97-b2b1-4d3c6a8e53a1', email: undefined, domain: undefined, emailVerified: false });
    // Only the issuer's `xms_edov` makes the address the caller's own.
    const vouched = principal([{ typ: 'oid', val: 'U1' }, { typ: 'tid', val: 'a7e6a4ab-5e53-4b97-b2b1-4d3c6a8e53a1' }, { typ: 'email', val: 'ben@fabrikam.com' }, { typ: 'xms_edov', val: 'true' }]);
    expect((await callerFromRequest(request({ 'x-ms-client-principal': vouched }), settings))?.external?.emailVerified).toBe(true);
    expect((await from(TENANT.toUpperCase(), 'megan@contoso.com'))?.external).toBeUndefined();
    // Without a governed tenant id there is nothing to compare with: nobody is external.
    expect((await callerFromRequest(request({ 'x-ms-client-principal': principal([{ typ: 'oid', val: 'U1' }, { typ: 'tid', val: 'other' }]) }), EASYAUTH))?.external).toBeUndefined();
  });

  it('names no caller without the header, even with a bearer token', async () => {
    expect(await callerFromRequest(request({ authorization: 'Bearer a.b.c' }), EASYAUTH)).toBeUndefined();
  });

  it('refuses a header that is not base64 JSON (401)', async () => {
    const refusal = callerFromRequest(request({ 'x-ms-client-principal': '%%%' }), EASYAUTH);

    await expect(refusal).rejects.toBeInstanceOf(DomainError);
    await expect(refusal).rejects.toMatchObject({ code: 'unauthenticated' });
  });
});
