import type { AccessToken, TokenCredential } from '@azure/identity';
import { startGraphEmulator, type GraphEmulator } from '../../tools/graph-emulator/server';
import { grantGraphPermissions, readPermissionList } from '../../tools/deploy/grantGraphPermissions';
import { join } from 'node:path';

/**
 * The grant script against the Graph emulator, over HTTP: Microsoft Graph's service principal with its app roles,
 * and a managed identity's service principal that holds one of them already.
 */
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const MANAGED_IDENTITY = id(1);
const GRAPH = id(2);
const list = readPermissionList(join(__dirname, '..', '..'));
const roleId = (index: number) => id(100 + index);

const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => ({ token: 'admin-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

let emulator: GraphEmulator;

beforeAll(async () => {
  emulator = await startGraphEmulator({
    port: 0,
    pageSize: 3, // the identity's assignments come back over several pages
    seed: {
      tenantId: id(9),
      servicePrincipals: [
        {
          id: GRAPH,
          appId: list.resourceAppId,
          displayName: 'Microsoft Graph',
          appRoles: [
            ...list.permissions.map((permission, index) => ({ id: roleId(index), displayName: permission.value, value: permission.value, allowedMemberTypes: ['Application' as const], isEnabled: true })),
            { id: id(999), displayName: 'Directory.ReadWrite.All', value: 'Directory.ReadWrite.All', allowedMemberTypes: ['Application' as const], isEnabled: true },
          ],
        },
        { id: MANAGED_IDENTITY, appId: id(3), displayName: 'id-portcullis' },
      ],
    },
  });
});
afterAll(() => emulator.stop());
beforeEach(async () => {
  await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
  // The identity already holds the first permission.
  const first = await fetch(`${emulator.url}/v1.0/servicePrincipals/${GRAPH}/appRoleAssignedTo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ principalId: MANAGED_IDENTITY, resourceId: GRAPH, appRoleId: roleId(0) }),
  });
  expect(first.status).toBe(201);
});

async function heldRoles(): Promise<string[]> {
  const answer = (await (await fetch(`${emulator.url}/v1.0/servicePrincipals/${GRAPH}/appRoleAssignedTo?$top=999`)).json()) as { value: { principalId: string; appRoleId: string }[] };
  return answer.value.filter((a) => a.principalId === MANAGED_IDENTITY).map((a) => a.appRoleId).sort();
}

const run = (dryRun: boolean, principalId = MANAGED_IDENTITY) => grantGraphPermissions({ graphUrl: emulator.url, principalId, list, credential, dryRun });

describe('npm run grant-graph-permissions', () => {
  it('with --dry-run, says what it would grant and grants nothing', async () => {
    const grants = await run(true);
    expect(grants[0]).toEqual({ permission: list.permissions[0]!.value, outcome: 'already granted' });
    expect(grants.slice(1).map((g) => g.outcome)).toEqual(list.permissions.slice(1).map(() => 'would grant'));
    expect(await heldRoles()).toEqual([roleId(0)]);
  });

  it('grants every listed permission the identity lacks, and nothing else', async () => {
    const grants = await run(false);
    expect(grants.map((g) => g.outcome)).toEqual(['already granted', ...list.permissions.slice(1).map(() => 'granted')]);
    expect(await heldRoles()).toEqual(list.permissions.map((_, index) => roleId(index)).sort());
  });

  it('run again, changes nothing: every permission is already granted', async () => {
    await run(false);
    const again = await run(false);
    expect(again.every((g) => g.outcome === 'already granted')).toBe(true);
    expect(await heldRoles()).toHaveLength(list.permissions.length);
  });

  it('refuses an identity that is not in the directory, granting nothing', async () => {
    await expect(run(false, id(404))).rejects.toThrow(`No service principal ${id(404)}`);
    expect(await heldRoles()).toEqual([roleId(0)]);
  });
});
