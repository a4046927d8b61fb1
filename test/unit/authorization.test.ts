import { DateTime } from 'luxon';
import { AdministratorRoles } from '../../shared/auth/administrators';
import { authorize, type Action } from '../../shared/auth/authorize';
import { callerFromClientPrincipal, type Caller } from '../../shared/auth/caller';
import type { DirectoryPort } from '../../shared/directory/directoryPort';
import { DomainError } from '../../shared/domain/errors';

const IGA = '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e';
const principal = (claims: Array<{ typ: string; val: string }>, extra: object = {}) =>
  Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, role_typ: 'roles', ...extra })).toString('base64');

function administratorsWith(roles: Record<string, string[]>) {
  const lookups: string[] = [];
  const directory = { getDirectoryRoleIds: async (id: string) => (lookups.push(id), roles[id] ?? []) } as unknown as DirectoryPort;
  let now = DateTime.fromISO('2026-11-23T10:00:00Z');
  const clock = { now: () => now };
  return { administrators: new AdministratorRoles(directory, clock, 60_000), lookups, advance: (ms: number) => (now = now.plus(ms)) };
}

const user = (objectId: string, scopes?: string[]): Caller => ({ objectId, tenantId: 't', scopes, roles: [], isApplication: false, email: undefined });
const app = (roles: string[]): Caller => ({ objectId: 'app', tenantId: 't', scopes: undefined, roles, isApplication: true, email: undefined });
const codeOf = (promise: Promise<unknown>) => promise.then(() => 'allowed', (e: unknown) => (e instanceof DomainError ? e.code : String(e)));

describe('the caller from x-ms-client-principal', () => {
  it('reads object id, tenant, scopes, roles and application identity from either claim spelling', () => {
    const caller = callerFromClientPrincipal(
      principal([
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'u1' },
        { typ: 'tid', val: 't1' },
        { typ: 'scp', val: 'EntitlementManagement.Read.All User.Read' },
        { typ: 'roles', val: 'A' },
        { typ: 'roles', val: 'B' },
        { typ: 'preferred_username', val: 'u1@contoso.com' },
      ]),
    );
    expect(caller).toEqual({ objectId: 'u1', tenantId: 't1', scopes: ['EntitlementManagement.Read.All', 'User.Read'], roles: ['A', 'B'], isApplication: false, email: 'u1@contoso.com' });
    expect(callerFromClientPrincipal(principal([{ typ: 'oid', val: 'a1' }, { typ: 'idtyp', val: 'app' }]))).toMatchObject({ objectId: 'a1', isApplication: true, scopes: undefined });
  });

  it('is absent without the header', () => {
    expect(callerFromClientPrincipal(null)).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['JSON without claims', Buffer.from('{"auth_typ":"aad"}').toString('base64')],
    ['claims without an object id', principal([{ typ: 'tid', val: 't' }])],
  ])('refuses a header that is %s with 401', (_situation, header) => {
    expect(() => callerFromClientPrincipal(header)).toThrow(expect.objectContaining({ code: 'unauthenticated' }));
  });
});

describe('the authorization decision', () => {
  it.each<Action>(['read', 'write', 'manageResources'])('refuses %s without a caller (401)', async (action) => {
    expect(await codeOf(authorize(undefined, action, administratorsWith({}).administrators))).toBe('unauthenticated');
  });

  it('lets any signed-in user read, and only administrators write', async () => {
    const { administrators } = administratorsWith({ admin: [IGA] });
    expect(await codeOf(authorize(user('employee'), 'read', administrators))).toBe('allowed');
    expect(await codeOf(authorize(user('employee'), 'write', administrators))).toBe('forbidden');
    expect(await codeOf(authorize(user('admin'), 'write', administrators))).toBe('allowed');
    expect(await codeOf(authorize(user('admin'), 'manageResources', administrators))).toBe('allowed');
  });

  it('holds a delegated caller to the scopes the token carries', async () => {
    const { administrators } = administratorsWith({ admin: [IGA] });
    expect(await codeOf(authorize(user('admin', ['User.Read']), 'read', administrators))).toBe('forbidden');
    expect(await codeOf(authorize(user('admin', ['EntitlementManagement.Read.All']), 'read', administrators))).toBe('allowed');
    expect(await codeOf(authorize(user('admin', ['EntitlementManagement.Read.All']), 'write', administrators))).toBe('forbidden');
    expect(await codeOf(authorize(user('admin', ['EntitlementManagement.ReadWrite.All']), 'write', administrators))).toBe('allowed');
  });

  it('lets an application with the read-write permission administer, except catalog resources', async () => {
    const { administrators } = administratorsWith({});
    expect(await codeOf(authorize(app(['EntitlementManagement.ReadWrite.All']), 'write', administrators))).toBe('allowed');
    expect(await codeOf(authorize(app(['EntitlementManagement.ReadWrite.All']), 'manageResources', administrators))).toBe('forbidden');
    expect(await codeOf(authorize(app(['EntitlementManagement.Read.All']), 'read', administrators))).toBe('allowed');
    expect(await codeOf(authorize(app(['EntitlementManagement.Read.All']), 'write', administrators))).toBe('forbidden');
    expect(await codeOf(authorize(app([]), 'read', administrators))).toBe('forbidden');
  });

  it('reads administrator roles from the directory once per minute per user', async () => {
    const { administrators, lookups, advance } = administratorsWith({ admin: [IGA] });
    await administrators.isAdministrator('admin');
    await administrators.isAdministrator('admin');
    expect(lookups).toEqual(['admin']);
    advance(61_000);
    await administrators.isAdministrator('admin');
    expect(lookups).toEqual(['admin', 'admin']);
  });
});
