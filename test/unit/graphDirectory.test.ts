import { createGraphDirectory } from '../../shared/directory/createGraphDirectory';
import { DirectoryError } from '../../shared/directory/directoryError';
import { GraphDirectory, SITE_ROLES_FOR_USERS_UNSUPPORTED, type GraphDirectoryOptions } from '../../shared/directory/graphDirectory';
import { GraphTransport } from '../../shared/directory/graphTransport';
import { fakeGraphClient, type FakeCall } from '../support/fakeGraphClient';

const USER = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const GROUP = 'b0000000-0000-4000-8000-000000000001';
const APP = 'c43ae8dd-fba0-408f-baaa-d0810748850f';
const ROLE = '8f841a8a-b31f-4e8b-8924-69ae194a5491';
const SITE = `contoso.sharepoint.com,${GROUP},${APP}`;

/** A GraphDirectory over a fake client; every `$batch` request answers 204 unless `respond` says otherwise. */
function directoryWith(options: GraphDirectoryOptions = {}, respond: (call: FakeCall) => Promise<unknown> = answerBatches) {
  const { client, calls } = fakeGraphClient(respond);
  const transport = new GraphTransport({ client, baseUrl: 'https://graph.microsoft.com', sleep: async () => undefined });
  return { directory: new GraphDirectory(transport, options), calls };
}

async function answerBatches(call: FakeCall): Promise<unknown> {
  const requests = (call.body as { requests?: Array<{ id: string }> } | undefined)?.requests ?? [];
  return { responses: requests.map(({ id }) => ({ id, status: 204 })) };
}

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

describe('GraphDirectory site roles', () => {
  it.each<[string, GraphDirectoryOptions]>([
    ['by default', {}],
    ['for real Graph', { siteRoles: 'unsupported' }],
  ])('refuses to grant or revoke a site role for a user %s, for good, without calling Graph', async (_situation, options) => {
    const { directory, calls } = directoryWith(options);
    for (const change of [() => directory.grantSiteRole(SITE, 'read', USER), () => directory.revokeSiteRole(SITE, 'read', USER)]) {
      const error = await rejection(change());
      expect(error).toBeInstanceOf(DirectoryError);
      expect(error).toMatchObject({ kind: 'permanent' });
      expect((error as DirectoryError).message).toBe(
        'Granting SharePoint site roles to users needs the SharePoint REST API, which Portcullis does not use yet.',
      );
    }
    expect(calls).toEqual([]);
  });

  it('is refused by the directory built for a real Graph, and granted by the one built for the emulator', async () => {
    const real = createGraphDirectory({
      graphBaseUrl: 'https://graph.microsoft.com',
      usesGraphEmulator: false,
      TENANT_ID: '7c1a1f2e-8d3b-4c55-9a0e-1b2c3d4e5f60',
      AZURE_CLIENT_ID: 'c0c0c0c0-0000-4000-8000-000000000001',
      AZURE_CLIENT_SECRET: 'not-a-secret',
    });
    expect(await rejection(real.grantSiteRole(SITE, 'read', USER))).toMatchObject({ kind: 'permanent', message: SITE_ROLES_FOR_USERS_UNSUPPORTED });

    const { directory, calls } = directoryWith({ siteRoles: 'emulated' }, async (call) => (call.method === 'GET' ? { value: [] } : { id: 'p1' }));
    expect(await directory.grantSiteRole(SITE, 'read', USER)).toEqual({ userId: USER, outcome: 'changed' });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET /sites/${encodeURIComponent(SITE)}/permissions`, `POST /sites/${encodeURIComponent(SITE)}/permissions`]);
  });
});

describe('GraphDirectory ids', () => {
  it.each(['a/b', '..', 'x?$filter=true', 'x#y', 'a\\b', '', `${USER}/owners`])('reads nothing for %j, without calling Graph', async (id) => {
    const { directory, calls } = directoryWith();
    expect(await directory.getGroup(id)).toBeUndefined();
    expect(await directory.getApplication(id)).toBeUndefined();
    expect(await directory.getSite(id)).toBeUndefined();
    expect(await directory.getDirectoryRoleIds(id)).toEqual([]);
    expect(await rejection(directory.getUserSponsorIds(id))).toMatchObject({ kind: 'notFound' });
    expect(await rejection(directory.getGroupOwnerIds(id))).toMatchObject({ kind: 'notFound' });
    expect(await rejection(directory.listGroupMembers(id))).toMatchObject({ kind: 'notFound' });
    expect(await rejection(directory.listAppRoleAssignments(id))).toMatchObject({ kind: 'notFound' });
    expect(await directory.getUser(id)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('looks a user up by a guest user principal name, escaped as one path segment', async () => {
    const { directory, calls } = directoryWith({}, async () => ({ id: USER }));
    expect((await directory.getUser('pat_fabrikam.com#EXT#@contoso.onmicrosoft.com'))?.id).toBe(USER);
    expect(calls[0]?.path).toMatch(/^\/users\/pat_fabrikam\.com%23EXT%23%40contoso\.onmicrosoft\.com\?/);
  });

  it('refuses changes naming a malformed group, application, role, site or user, for good, without calling Graph', async () => {
    const { directory, calls } = directoryWith({ siteRoles: 'emulated' });
    const refusals = [
      () => directory.addGroupMembers('../groups', [USER]),
      () => directory.removeGroupMembers(`${GROUP}?`, [USER]),
      () => directory.grantAppRole(`${APP}' or true`, ROLE, [USER]),
      () => directory.revokeAppRole(`${APP} or resourceId ne null`, ROLE, [USER]),
      () => directory.revokeAppRole(APP, 'x/y', [USER]),
      () => directory.grantSiteRole('a/b', 'read', USER),
      () => directory.revokeSiteRole(SITE, 'read', '../me'),
      () => directory.setAccountEnabled('..', false),
      () => directory.deleteUser('a/b'),
    ];
    for (const refusal of refusals) {
      const error = await rejection(refusal());
      expect(error).toBeInstanceOf(DirectoryError);
      expect(error).toMatchObject({ kind: 'permanent' });
    }
    expect(calls).toEqual([]);
  });

  it('fails only the malformed user ids of a bulk change, and sends the others', async () => {
    const { directory, calls } = directoryWith();
    const outcomes = await directory.addGroupMembers(GROUP, ['a/b', USER]);
    expect(outcomes).toEqual([
      { userId: 'a/b', outcome: 'failed', error: expect.objectContaining({ kind: 'permanent' }) },
      { userId: USER, outcome: 'changed' },
    ]);
    expect(JSON.stringify(calls.map((c) => c.body))).not.toContain('a/b');
  });

  it('puts only a checked service principal id into the $filter of a revocation', async () => {
    const { directory, calls } = directoryWith({}, async (call) => {
      const [lookup] = (call.body as { requests: Array<{ id: string }> }).requests;
      return { responses: [{ id: lookup!.id, status: 200, body: { value: [] } }] };
    });
    expect(await directory.revokeAppRole(APP, ROLE, [USER])).toEqual([{ userId: USER, outcome: 'unchanged' }]);
    const [lookup] = (calls[0]?.body as { requests: Array<{ url: string }> }).requests;
    expect(lookup?.url).toBe(`/users/${USER}/appRoleAssignments?$filter=${encodeURIComponent(`resourceId eq ${APP}`)}`);
  });
});

describe('GraphDirectory answers', () => {
  it('maps a group and a site to the port types, leaving out what else Graph sends', async () => {
    const context = { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#groups/$entity', '@odata.etag': 'W/"1"' };
    const { directory } = directoryWith({}, async (call) =>
      call.path.startsWith('/groups/')
        ? { ...context, id: GROUP, displayName: 'Sales', description: null, mailEnabled: false, securityEnabled: true, groupTypes: [], visibility: 'Private' }
        : { ...context, id: SITE, displayName: 'Sales Hub', webUrl: 'https://contoso.sharepoint.com/sites/SalesHub', name: 'SalesHub' },
    );
    expect(await directory.getGroup(GROUP)).toEqual({ id: GROUP, displayName: 'Sales', description: null, mailEnabled: false, securityEnabled: true, groupTypes: [] });
    expect(await directory.getSite(SITE)).toEqual({ id: SITE, displayName: 'Sales Hub', webUrl: 'https://contoso.sharepoint.com/sites/SalesHub' });
  });

  it("counts only an administrator's tenant-wide role assignments as directory roles", async () => {
    const { directory, calls } = directoryWith({}, async () => ({
      value: [
        { roleDefinitionId: 'r-tenant', directoryScopeId: '/' },
        { roleDefinitionId: 'r-unit', directoryScopeId: `/administrativeUnits/${GROUP}` },
      ],
    }));
    expect(await directory.getDirectoryRoleIds(USER)).toEqual(['r-tenant']);
    expect(calls[0]?.path).toContain('$select=roleDefinitionId,directoryScopeId');
  });
});
