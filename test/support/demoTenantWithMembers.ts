import { demoTenantPath, loadTenantFixture, type TenantFixture } from '../../tools/graph-emulator/fixture';

/**
 * The demo tenant with members of its own for a test: `${name} ${n}`, signing in and mailed as
 * `${name, lower-cased and dotted}${n}@contoso.com`, enabled.
 */
export function demoTenantWithMembers(ids: readonly string[], name: string): TenantFixture {
  const fixture = loadTenantFixture(demoTenantPath());
  const local = name.toLowerCase().replace(/ /g, '.');
  const users = ids.map((id, n) => ({ id, displayName: `${name} ${n}`, userPrincipalName: `${local}${n}@contoso.com`, mail: `${local}${n}@contoso.com`, userType: 'Member' as const, accountEnabled: true }));
  return { ...fixture, users: [...(fixture.users ?? []), ...users] };
}
