import { DirectoryError } from '../../shared/directory/directoryError';
import type { ChangedUser, DirectoryPort } from '../../shared/directory/directoryPort';
import type { ContractObjects } from '../support/contractTenant';
import { allPages } from '../../shared/directory/allPages';

/** What the directory behind the port can do at all, known before the suite runs. */
export interface DirectoryAbilities {
  /** Whether it grants SharePoint site roles to users; real Graph v1.0 grants site permissions only to applications. */
  grantsSiteRolesToUsers: boolean;
}

export interface DirectoryUnderTest {
  directory: DirectoryPort;
  objects: ContractObjects;
  /** Changes a user's attributes the way an administrator or HR sync would, outside Portcullis. */
  updateUser(userId: string, attributes: Record<string, unknown>): Promise<void>;
}

export async function fullUserPass(
  directory: DirectoryPort,
  deltaToken?: string,
  tracking?: readonly string[],
): Promise<{ changed: ChangedUser[]; removedIds: string[]; deltaToken: string }> {
  const changed: ChangedUser[] = [];
  const removedIds: string[] = [];
  let from: { deltaToken?: string; page?: string; tracking?: readonly string[] } = deltaToken ? { deltaToken } : { tracking };
  for (;;) {
    const page = await directory.userChanges(from);
    changed.push(...page.changed);
    removedIds.push(...page.removedIds);
    if (page.deltaToken) return { changed, removedIds, deltaToken: page.deltaToken };
    from = { page: page.nextPage! };
  }
}

/** What every DirectoryPort must do, whichever directory is behind it. */
export function directoryContract(arrange: () => DirectoryUnderTest, abilities: DirectoryAbilities): void {
  let directory: DirectoryPort;
  let objects: ContractObjects;
  let updateUser: DirectoryUnderTest['updateUser'];
  beforeAll(() => ({ directory, objects, updateUser } = arrange()));

  describe('users', () => {
    it('reads a user by id and by user principal name, with the attributes rules use and the manager', async () => {
      const byId = await directory.getUser(objects.member.id);
      expect(byId).toMatchObject({ id: objects.member.id, department: objects.member.department, managerId: objects.member.managerId });
      expect((await directory.getUser(objects.member.userPrincipalName))?.id).toBe(objects.member.id);
    });

    it("reads users' names and last sign-ins at once, leaving out users that do not exist", async () => {
      const missing = '00000000-0000-4000-8000-00000000dead';
      const found = await directory.getLastSignIns([objects.member.id, missing, 'not an id']);
      const member = found.get(objects.member.id);
      expect(member?.userPrincipalName?.toLowerCase()).toBe(objects.member.userPrincipalName.toLowerCase());
      expect(member?.lastSignInDateTime === null || !Number.isNaN(Date.parse(member!.lastSignInDateTime))).toBe(true);
      expect([...found.keys()]).toEqual([objects.member.id]);
    });

    it('answers undefined for a user that does not exist', async () => {
      expect(await directory.getUser('ffffffff-ffff-4fff-8fff-ffffffffffff')).toBeUndefined();
    });

    it('finds a user by employee id, and nobody through a quote in the id', async () => {
      expect((await directory.findUserByEmployeeId(objects.member.employeeId))?.id).toBe(objects.member.id);
      expect(await directory.findUserByEmployeeId(`x' or employeeId ne 'y`)).toBeUndefined();
    });

    it("reads a guest's sponsors", async () => {
      expect(await directory.getUserSponsorIds(objects.guest.id)).toEqual([objects.guest.sponsorId]);
    });

    it("reads an administrator's tenant-wide directory roles, leaving out a role scoped to an administrative unit", async () => {
      const roleIds = await directory.getDirectoryRoleIds(objects.administrator.id);
      expect(roleIds).toContain(objects.administrator.roleDefinitionId);
      expect(roleIds).not.toContain(objects.administrator.scopedRoleDefinitionId);
    });

    it('lists every user once across pages', async () => {
      const users = await allPages((page) => directory.listUsers(page));
      const ids = users.map((u) => u.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(users.find((u) => u.id === objects.member.id)?.managerId).toBe(objects.member.managerId);
    });

    it('reports only the users changed since the last pass, without a manager where the manager did not change', async () => {
      const first = await fullUserPass(directory);
      expect(first.changed.some((u) => u.id === objects.member.id)).toBe(true);
      const spare = objects.spareUserIds[0];
      const department = (await directory.getUser(spare))?.department ?? null;
      await updateUser(spare, { department: 'Contract Testing' });
      try {
        const second = await fullUserPass(directory, first.deltaToken);
        const changed = second.changed.find((u) => u.id === spare);
        expect(changed?.department).toBe('Contract Testing');
        expect(changed).not.toHaveProperty('managerId');
        expect(second.changed.some((u) => u.id === objects.member.id)).toBe(false);
      } finally {
        await updateUser(spare, { department });
      }
    });

    it('reports only changes to the properties a round tracks, with users carrying only those', async () => {
      const spare = objects.spareUserIds[0];
      const before = await directory.getUser(spare);
      const first = await fullUserPass(directory, undefined, ['jobTitle']);
      expect(first.changed.find((u) => u.id === spare)).toMatchObject({ jobTitle: before?.jobTitle ?? null, department: null });
      await updateUser(spare, { department: 'Contract Testing' });
      try {
        const untracked = await fullUserPass(directory, first.deltaToken);
        expect(untracked.changed.some((u) => u.id === spare)).toBe(false);
        await updateUser(spare, { jobTitle: 'Contract Tester' });
        const tracked = await fullUserPass(directory, untracked.deltaToken);
        expect(tracked.changed.find((u) => u.id === spare)).toMatchObject({ jobTitle: 'Contract Tester', department: null });
      } finally {
        await updateUser(spare, { department: before?.department ?? null, jobTitle: before?.jobTitle ?? null });
      }
    });

    it('blocks and unblocks sign-in', async () => {
      const spare = objects.spareUserIds[1];
      await directory.setAccountEnabled(spare, false);
      expect((await directory.getUser(spare))?.accountEnabled).toBe(false);
      await directory.setAccountEnabled(spare, true);
      expect((await directory.getUser(spare))?.accountEnabled).toBe(true);
    });
  });

  describe('groups', () => {
    it('reads a group and its owners; undefined for one that does not exist', async () => {
      expect(await directory.getGroup(objects.group.id)).toMatchObject({ id: objects.group.id, securityEnabled: true });
      expect(await directory.getGroupOwnerIds(objects.group.id)).toContain(objects.group.ownerId);
      expect(await directory.getGroup('ffffffff-ffff-4fff-8fff-ffffffffffff')).toBeUndefined();
    });

    it('adds members in bulk, counts an existing member as unchanged, and removes them again', async () => {
      const [a, b, c] = objects.spareUserIds;
      try {
        expect(await directory.addGroupMembers(objects.group.id, [a, b])).toEqual([
          { userId: a, outcome: 'changed' },
          { userId: b, outcome: 'changed' },
        ]);
        const again = await directory.addGroupMembers(objects.group.id, [a, c]);
        expect(again).toEqual(
          expect.arrayContaining([
            { userId: a, outcome: 'unchanged' },
            { userId: c, outcome: 'changed' },
          ]),
        );
        const members = (await allPages((page) => directory.listGroupMembers(objects.group.id, page))).map((m) => m.id);
        expect(members).toEqual(expect.arrayContaining([a, b, c, objects.member.id]));
      } finally {
        const removed = await directory.removeGroupMembers(objects.group.id, [a, b, c]);
        expect(removed.map((r) => r.outcome)).toEqual(['changed', 'changed', 'changed']);
      }
      expect(await directory.removeGroupMembers(objects.group.id, [a])).toEqual([{ userId: a, outcome: 'unchanged' }]);
      const members = (await allPages((page) => directory.listGroupMembers(objects.group.id, page))).map((m) => m.id);
      expect(members).not.toContain(a);
    });

    it('adds and removes owners, idempotently', async () => {
      const [a] = objects.spareUserIds;
      try {
        expect(await directory.addGroupOwners(objects.group.id, [a])).toEqual([{ userId: a, outcome: 'changed' }]);
        expect(await directory.addGroupOwners(objects.group.id, [a])).toEqual([{ userId: a, outcome: 'unchanged' }]);
        expect(await directory.getGroupOwnerIds(objects.group.id)).toContain(a);
      } finally {
        expect(await directory.removeGroupOwners(objects.group.id, [a])).toEqual([{ userId: a, outcome: 'changed' }]);
      }
      expect(await directory.removeGroupOwners(objects.group.id, [a])).toEqual([{ userId: a, outcome: 'unchanged' }]);
      expect(await directory.getGroupOwnerIds(objects.group.id)).not.toContain(a);
    });

    it("follows a group's members and owners with the groups delta: every one first, then only the changes, removals marked", async () => {
      const [a] = objects.spareUserIds;
      const groupId = objects.group.id.toLowerCase();
      const line = (relationship: string, id: string, removed: boolean) => ({ groupId, relationship, member: { id: id.toLowerCase(), type: 'user' }, removed });
      const lower = (round: { lines: Array<{ member: { id: string } }> }) => round.lines.map((l) => ({ ...l, member: { ...l.member, id: l.member.id.toLowerCase() } }));
      const first = await directory.groupMembershipChanges({ groupIds: [objects.group.id] });
      expect(first.groupIds).toEqual([groupId]);
      expect(lower(first)).toEqual(expect.arrayContaining([line('members', objects.member.id, false), line('owners', objects.group.ownerId, false)]));
      expect(lower(first)).not.toContainEqual(line('members', a, false));
      await directory.addGroupMembers(objects.group.id, [a]);
      let second;
      try {
        second = await directory.groupMembershipChanges({ deltaLink: first.deltaLink });
        expect(lower(second)).toEqual([line('members', a, false)]);
      } finally {
        await directory.removeGroupMembers(objects.group.id, [a]);
      }
      const third = await directory.groupMembershipChanges({ deltaLink: second.deltaLink });
      expect(lower(third)).toEqual([line('members', a, true)]);
      const quiet = await directory.groupMembershipChanges({ deltaLink: third.deltaLink });
      expect(quiet.lines).toEqual([]);
    });

    it('tells which of the given groups a user is in; none for an unknown user or group', async () => {
      const ghost = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
      expect(await directory.memberGroupsOf(objects.member.id, [objects.group.id, ghost])).toEqual([objects.group.id]);
      expect(await directory.memberGroupsOf(objects.spareUserIds[0], [objects.group.id])).toEqual([]);
      expect(await directory.memberGroupsOf(ghost, [objects.group.id])).toEqual([]);
    });

    it('adds the users that exist when one in the same request does not', async () => {
      const [a] = objects.spareUserIds;
      const ghost = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
      try {
        const outcomes = await directory.addGroupMembers(objects.group.id, [a, ghost]);
        expect(outcomes).toEqual(expect.arrayContaining([{ userId: a, outcome: 'changed' }]));
        const failed = outcomes.find((o) => o.userId === ghost);
        expect(failed?.outcome).toBe('failed');
        expect(failed?.error).toBeInstanceOf(DirectoryError);
        expect(failed?.error?.kind).toBe('notFound');
      } finally {
        await directory.removeGroupMembers(objects.group.id, [a]);
      }
    });
  });

  describe('applications', () => {
    it('reads an application with its app roles', async () => {
      const app = await directory.getApplication(objects.app.id);
      expect(app?.appRoles.map((r) => r.id)).toContain(objects.app.appRoleId);
    });

    it("reads an application's owners", async () => {
      expect(await directory.getApplicationOwnerIds(objects.app.id)).toEqual([objects.app.ownerId]);
    });

    it('grants and revokes an app role, idempotently', async () => {
      const [a] = objects.spareUserIds;
      expect(await directory.grantAppRole(objects.app.id, objects.app.appRoleId, [a])).toEqual([{ userId: a, outcome: 'changed' }]);
      expect(await directory.grantAppRole(objects.app.id, objects.app.appRoleId, [a])).toEqual([{ userId: a, outcome: 'unchanged' }]);
      const assignments = await allPages((page) => directory.listAppRoleAssignments(objects.app.id, page));
      expect(assignments).toContainEqual(expect.objectContaining({ principalId: a, appRoleId: objects.app.appRoleId }));
      expect(await directory.revokeAppRole(objects.app.id, objects.app.appRoleId, [a])).toEqual([{ userId: a, outcome: 'changed' }]);
      expect(await directory.revokeAppRole(objects.app.id, objects.app.appRoleId, [a])).toEqual([{ userId: a, outcome: 'unchanged' }]);
    });

    it('reports a role the application does not have as a permanent failure with Graph request id', async () => {
      const [a] = objects.spareUserIds;
      const [outcome] = await directory.grantAppRole(objects.app.id, 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee', [a]);
      expect(outcome?.outcome).toBe('failed');
      expect(outcome?.error?.kind).toBe('permanent');
      expect(outcome?.error?.details.requestId).toEqual(expect.any(String));
    });
  });

  describe('sites', () => {
    it('reads a site; undefined for one that does not exist', async () => {
      expect(await directory.getSite(objects.site.id)).toEqual({ id: objects.site.id, displayName: expect.any(String), webUrl: expect.any(String) });
      expect(await directory.getSite('ffffffff-ffff-4fff-8fff-ffffffffffff')).toBeUndefined();
    });

    it('reads a site by its URL, as entitlement management names sites; undefined for an unknown or malformed URL', async () => {
      const site = await directory.getSite(objects.site.id);
      expect(await directory.getSiteByUrl(site!.webUrl)).toEqual(site);
      expect(await directory.getSiteByUrl(`${site!.webUrl}-nothing-here`)).toBeUndefined();
      expect(await directory.getSiteByUrl('not a url')).toBeUndefined();
      expect(await directory.getSiteByUrl('http://contoso.sharepoint.com/sites/x')).toBeUndefined();
    });

    const unsupported = abilities.grantsSiteRolesToUsers ? '' : ' (skipped: real Graph grants site permissions only to applications)';
    (unsupported ? it.skip : it)(`grants and revokes a site role for a user, idempotently${unsupported}`, async () => {
      const [a] = objects.spareUserIds;
      expect(await directory.grantSiteRole(objects.site.id, 'read', a)).toEqual({ userId: a, outcome: 'changed' });
      expect(await directory.grantSiteRole(objects.site.id, 'read', a)).toEqual({ userId: a, outcome: 'unchanged' });
      expect(await directory.revokeSiteRole(objects.site.id, 'read', a)).toEqual({ userId: a, outcome: 'changed' });
      expect(await directory.revokeSiteRole(objects.site.id, 'read', a)).toEqual({ userId: a, outcome: 'unchanged' });
    });

    if (unsupported) {
      it('refuses to grant or revoke a site role for a user, for good, saying why', async () => {
        const [a] = objects.spareUserIds;
        for (const change of [() => directory.grantSiteRole(objects.site.id, 'read', a), () => directory.revokeSiteRole(objects.site.id, 'read', a)]) {
          const error = await change().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(DirectoryError);
          expect(error).toMatchObject({ kind: 'permanent' });
          expect((error as DirectoryError).message).toContain('SharePoint REST API');
        }
      });
    }
  });

  describe('ids that cannot be ids', () => {
    const malformed = ['a/b', '..', 'x?$select=id', 'x#y', 'back\\slash', ''];

    it('reads nothing for them, as for an id that does not exist', async () => {
      for (const id of malformed) {
        expect(await directory.getUser(id)).toBeUndefined();
        expect(await directory.getGroup(id)).toBeUndefined();
        expect(await directory.getApplication(id)).toBeUndefined();
        expect(await directory.getSite(id)).toBeUndefined();
        expect(await directory.getDirectoryRoleIds(id)).toEqual([]);
        await expect(directory.listGroupMembers(id)).rejects.toMatchObject({ kind: 'notFound' });
      }
      expect(await directory.getSite('not-a-host!,ffffffff-ffff-4fff-8fff-ffffffffffff,ffffffff-ffff-4fff-8fff-ffffffffffff')).toBeUndefined();
    });

    it('refuses changes naming them, for good: the whole call for a malformed group, the one user for a malformed user id', async () => {
      const [a] = objects.spareUserIds;
      await expect(directory.addGroupMembers('../groups', [a])).rejects.toMatchObject({ kind: 'permanent' });
      await expect(directory.revokeAppRole(`${objects.app.id}' or true`, objects.app.appRoleId, [a])).rejects.toMatchObject({ kind: 'permanent' });
      await expect(directory.setAccountEnabled('a/b', false)).rejects.toMatchObject({ kind: 'permanent' });
      const outcomes = await directory.removeGroupMembers(objects.group.id, ['x/../y', a]);
      expect(outcomes).toEqual([
        { userId: 'x/../y', outcome: 'failed', error: expect.objectContaining({ kind: 'permanent' }) },
        { userId: a, outcome: 'unchanged' },
      ]);
    });
  });

  describe('external users', () => {
    it('invites an external user once, blocks and deletes them', async () => {
      const email = `contract-${Date.now()}@fabrikam.com`;
      const guest = await directory.inviteExternalUser({ email, redirectUrl: 'https://myapps.microsoft.com' });
      expect(guest).toMatchObject({ userType: 'Guest', mail: email });
      expect((await directory.inviteExternalUser({ email, redirectUrl: 'https://myapps.microsoft.com' })).id).toBe(guest.id);
      await directory.setAccountEnabled(guest.id, false);
      await directory.deleteUser(guest.id);
      expect(await directory.getUser(guest.id)).toBeUndefined();
      await expect(directory.deleteUser(guest.id)).resolves.toBeUndefined();
    });

    it('invites a guest waiting for acceptance, enabled, who is then found by address in any letter case', async () => {
      const email = `Contract-Find-${Date.now()}@Fabrikam.com`;
      expect(await directory.findUserByEmail(email)).toBeUndefined();
      const guest = await directory.inviteExternalUser({ email, redirectUrl: 'https://myapps.microsoft.com', sendInvitationMessage: false });
      expect(guest).toMatchObject({ userType: 'Guest', accountEnabled: true, externalUserState: 'PendingAcceptance' });
      expect((await directory.findUserByEmail(email.toLowerCase()))?.id).toBe(guest.id);
      await directory.setAccountEnabled(guest.id, false);
      expect((await directory.getUser(guest.id))?.accountEnabled).toBe(false);
      await directory.setAccountEnabled(guest.id, true);
      expect((await directory.getUser(guest.id))?.accountEnabled).toBe(true);
      await directory.deleteUser(guest.id);
      expect(await directory.findUserByEmail(email)).toBeUndefined();
    });

    it('finds a member by mail, and nobody through a quote in the address', async () => {
      const member = await directory.getUser(objects.member.id);
      expect((await directory.findUserByEmail(member!.mail!))?.id).toBe(objects.member.id);
      expect(await directory.findUserByEmail(`x' or mail ne 'y@contoso.com`)).toBeUndefined();
    });
  });

  it('answers the health probe', async () => {
    await expect(directory.probe()).resolves.toBeUndefined();
  });
}
