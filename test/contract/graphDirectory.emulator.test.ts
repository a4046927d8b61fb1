import { createGraphDirectory } from '../../shared/directory/createGraphDirectory';
import { DirectoryError } from '../../shared/directory/directoryError';
import type { DirectoryPort } from '../../shared/directory/directoryPort';
import type { RetryPolicy } from '../../shared/directory/retryPolicy';
import { startGraphEmulator, type GraphEmulator } from '../../tools/graph-emulator/server';
import { CONTRACT_FIXTURE, CONTRACT_OBJECTS } from '../support/contractTenant';
import { directoryContract, fullUserPass } from './directoryContract';
import { allPages } from '../../shared/directory/allPages';

const FAST_RETRY: RetryPolicy = { maxAttempts: 4, maxElapsedMs: 5_000, baseDelayMs: 5, maxDelayMs: 50 };
const STAFF = CONTRACT_FIXTURE.users!.filter((u) => u.displayName.startsWith('Staff')).map((u) => u.id);

let emulator: GraphEmulator;
let directory: DirectoryPort;

function directoryOn(url: string, mailSender?: string, retry: RetryPolicy = FAST_RETRY): DirectoryPort {
  return createGraphDirectory({ graphBaseUrl: url, usesGraphEmulator: true, MAIL_SENDER: mailSender }, retry);
}

async function emulatorCall(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

const requestCounts = async () => (await emulatorCall('GET', '/_emulator/requests')) as { roundTrips: number; batchedRequests: number; faultsInjected: number };

async function groupMemberIds(groupId: string): Promise<string[]> {
  return (await allPages((page) => directory.listGroupMembers(groupId, page))).map((m) => m.id).sort();
}

beforeAll(async () => {
  emulator = await startGraphEmulator({ seed: CONTRACT_FIXTURE, port: 0, pageSize: 10 });
  directory = directoryOn(emulator.url, CONTRACT_OBJECTS.mailSender);
});
afterAll(() => emulator.stop());

describe('GraphDirectory against the Graph emulator', () => {
  directoryContract(
    () => ({
      directory,
      objects: CONTRACT_OBJECTS,
      updateUser: async (userId, attributes) => {
        await emulatorCall('PATCH', `/v1.0/users/${userId}`, attributes);
      },
    }),
    { grantsSiteRolesToUsers: true },
  );

  describe('what only the emulator can show', () => {
    afterEach(async () => {
      await emulatorCall('DELETE', '/_emulator/faults');
    });

    it('serves signInActivity only when $select names it, and reads the last sign-ins of many users in batches of 20', async () => {
      const plain = (await emulatorCall('GET', `/v1.0/users/${CONTRACT_OBJECTS.member.id}`)) as Record<string, unknown>;
      expect(plain).not.toHaveProperty('signInActivity');
      const selected = (await emulatorCall('GET', `/v1.0/users/${CONTRACT_OBJECTS.member.id}?$select=id,signInActivity`)) as Record<string, unknown>;
      expect(selected.signInActivity).toEqual({ lastSignInDateTime: '2026-11-30T08:15:00Z' });

      const before = await requestCounts();
      const found = await directory.getLastSignIns([CONTRACT_OBJECTS.member.id, ...STAFF]);
      const after = await requestCounts();
      expect(found.get(CONTRACT_OBJECTS.member.id)?.lastSignInDateTime).toBe('2026-11-30T08:15:00Z');
      expect(found.get(STAFF[0]!)).toMatchObject({ lastSignInDateTime: null });
      expect(after.roundTrips - before.roundTrips).toBe(Math.ceil((STAFF.length + 1) / 20));
    });

    it('reads many users at once as getUser reads one, 20 to a $batch, leaving out those it does not have', async () => {
      const missing = '00000000-0000-4000-8000-00000000dead';
      const before = await requestCounts();
      const found = await directory.getUsers([CONTRACT_OBJECTS.member.id.toUpperCase(), ...STAFF, missing, 'not an id']);
      const after = await requestCounts();
      expect(after.roundTrips - before.roundTrips).toBe(Math.ceil((STAFF.length + 2) / 20));
      expect(found.found.size).toBe(STAFF.length + 1);
      expect(found.found.has(missing)).toBe(false);
      expect(found.failed.size).toBe(0);
      for (const id of [CONTRACT_OBJECTS.member.id, ...STAFF]) expect(found.found.get(id.toLowerCase())).toEqual(await directory.getUser(id));
    });

    it("answers a user Graph keeps failing with that user's error, the others read; throttling throws", async () => {
      const [failing, ...others] = STAFF;
      await emulatorCall('PUT', '/_emulator/faults', { rules: [{ pathPattern: `^/v1.0/users/${failing}$`, status: 503, rate: 1, retryAfterSeconds: 0 }] });
      const read = await directory.getUsers([failing!, ...others]);
      expect([...read.failed.keys()]).toEqual([failing!.toLowerCase()]);
      expect(read.failed.get(failing!.toLowerCase())).toMatchObject({ kind: 'transient' });
      expect([...read.found.keys()].sort()).toEqual(others.map((id) => id.toLowerCase()).sort());

      await emulatorCall('PUT', '/_emulator/faults', { rules: [{ pathPattern: `^/v1.0/users/${failing}$`, status: 429, rate: 1, retryAfterSeconds: 0 }] });
      await expect(directory.getUsers([failing!, ...others])).rejects.toMatchObject({ kind: 'transient', details: { status: 429 } });
    });

    it('reads a 404 of a membership check as an error for a user just read, as "in none" otherwise', async () => {
      const ghost = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
      expect(await directory.memberGroupsOfExisting(CONTRACT_OBJECTS.member.id, [CONTRACT_OBJECTS.group.id])).toEqual([CONTRACT_OBJECTS.group.id]);
      await expect(directory.memberGroupsOfExisting(ghost, [CONTRACT_OBJECTS.group.id])).rejects.toMatchObject({ kind: 'notFound' });
      expect(await directory.memberGroupsOf(ghost, [CONTRACT_OBJECTS.group.id])).toEqual([]);
    });

    it('sends mail from the configured sender', async () => {
      await emulatorCall('DELETE', '/_emulator/outbox');
      await directory.sendMail({ to: ['megan@contoso.com'], subject: 'Access granted', text: 'You now have Sales Tools.' });
      const outbox = (await emulatorCall('GET', '/_emulator/outbox')) as { value: Array<{ subject: string; to: string[] }> };
      expect(outbox.value).toEqual([expect.objectContaining({ subject: 'Access granted', to: ['megan@contoso.com'] })]);
    });

    it('sends many mails in one $batch, each with its own outcome: one refused leaves the others sent', async () => {
      await emulatorCall('DELETE', '/_emulator/outbox');
      const counts = await requestCounts();
      const mails = Array.from({ length: 20 }, (_, n) => ({ to: [`user${n}@contoso.com`], subject: `Access ended ${n}`, text: 'Your access ended.' }));
      const refused = { to: ['not an address'], subject: 'Refused', text: 't' };
      const errors = await directory.sendMails([...mails, refused]);
      expect((await requestCounts()).roundTrips - counts.roundTrips).toBe(2);
      expect(errors.slice(0, 20)).toEqual(mails.map(() => undefined));
      const outbox = (await emulatorCall('GET', '/_emulator/outbox')) as { value: Array<{ subject: string; to: string[] }> };
      expect(outbox.value.map((m) => m.subject).sort()).toEqual(mails.map((m) => m.subject).sort());
      expect(errors[20]).toMatchObject({ kind: 'permanent' });
    });

    it('refuses to send mail without a configured sender', async () => {
      const error = await directoryOn(emulator.url).sendMail({ to: ['x@contoso.com'], subject: 's', text: 't' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'permanent' });
    });

    it("reads a groups delta round across pages, a large group's members continuing on the next, each group once per page", async () => {
      const groupId = CONTRACT_OBJECTS.group.id.toLowerCase();
      const before = await groupMemberIds(groupId);
      await directory.addGroupMembers(groupId, STAFF);
      try {
        const counts = await requestCounts();
        const round = await directory.groupMembershipChanges({ groupIds: [groupId] });
        const pages = (await requestCounts()).roundTrips - counts.roundTrips;
        const members = round.lines.filter((l) => l.relationship === 'members').map((l) => l.member.id).sort();
        expect(members).toEqual(await groupMemberIds(groupId));
        // Page size 10: members and owners, 10 lines a page.
        expect(pages).toBe(Math.ceil(round.lines.length / 10));
        expect(pages).toBeGreaterThan(1);
      } finally {
        await directory.removeGroupMembers(groupId, STAFF);
      }
      expect(await groupMemberIds(groupId)).toEqual(before);
    });

    it('reports a deleted member of a group as removed, and asks for a new round once the groups delta token expired', async () => {
      const groupId = CONTRACT_OBJECTS.group.id;
      const guest = await directory.inviteExternalUser({ email: `member-gone-${Date.now()}@fabrikam.com`, redirectUrl: 'https://myapps.microsoft.com' });
      await directory.addGroupMembers(groupId, [guest.id]);
      const { deltaLink } = await directory.groupMembershipChanges({ groupIds: [groupId] });
      await directory.deleteUser(guest.id);
      const after = await directory.groupMembershipChanges({ deltaLink });
      expect(after.lines).toEqual([{ groupId: groupId.toLowerCase(), relationship: 'members', member: { id: guest.id.toLowerCase(), type: 'user' }, removed: true }]);

      await emulatorCall('DELETE', '/_emulator/deltaTokens');
      const error = await directory.groupMembershipChanges({ deltaLink: after.deltaLink }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DirectoryError);
      expect(error).toMatchObject({ kind: 'resyncRequired' });
      expect((await directory.groupMembershipChanges({ groupIds: [groupId] })).groupIds).toEqual([groupId.toLowerCase()]);
    });

    it('refuses a groups delta over more than 50 groups, and the emulator any filter but id equalities', async () => {
      const ids = Array.from({ length: 51 }, (_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
      await expect(directory.groupMembershipChanges({ groupIds: ids })).rejects.toThrow(RangeError);
      const response = await fetch(`${emulator.url}/v1.0/groups/delta?$select=members&$filter=${encodeURIComponent("displayName eq 'x'")}`);
      expect(response.status).toBe(400);
      const over = await fetch(`${emulator.url}/v1.0/groups/delta?$select=members&$filter=${encodeURIComponent(ids.map((id) => `id eq '${id}'`).join(' or '))}`);
      expect(over.status).toBe(400);
    });

    it('asks for a full pass again once a delta token has gone stale', async () => {
      const { deltaToken } = await fullUserPass(directory);
      await emulatorCall('POST', '/_emulator/reset');
      const error = await directory.userChanges({ deltaToken }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DirectoryError);
      expect(error).toMatchObject({ kind: 'resyncRequired' });
    });

    it('reports a manager in a delta only when it changed: a new manager, nothing on a department change, null once removed', async () => {
      const userId = CONTRACT_OBJECTS.spareUserIds[2];
      const managerId = CONTRACT_OBJECTS.administrator.id;
      const department = (await directory.getUser(userId))?.department ?? null;
      const changeOf = (pass: Awaited<ReturnType<typeof fullUserPass>>) => pass.changed.find((u) => u.id === userId);
      let pass = await fullUserPass(directory);
      try {
        await emulatorCall('PUT', `/v1.0/users/${userId}/manager/$ref`, { '@odata.id': `${emulator.url}/v1.0/directoryObjects/${managerId}` });
        pass = await fullUserPass(directory, pass.deltaToken);
        expect(changeOf(pass)?.managerId).toBe(managerId);

        await emulatorCall('PATCH', `/v1.0/users/${userId}`, { department: 'Contract Testing' });
        pass = await fullUserPass(directory, pass.deltaToken);
        expect(changeOf(pass)?.department).toBe('Contract Testing');
        expect(changeOf(pass)).not.toHaveProperty('managerId');
        expect((await directory.getUser(userId))?.managerId).toBe(managerId);

        await emulatorCall('DELETE', `/v1.0/users/${userId}/manager/$ref`);
        pass = await fullUserPass(directory, pass.deltaToken);
        expect(changeOf(pass)).toHaveProperty('managerId', null);
      } finally {
        await emulatorCall('PATCH', `/v1.0/users/${userId}`, { department });
      }
    });

    it('reports a deleted user among the removed ids, and not among the changed', async () => {
      const guest = await directory.inviteExternalUser({ email: `removed-${Date.now()}@fabrikam.com`, redirectUrl: 'https://myapps.microsoft.com' });
      const { deltaToken } = await fullUserPass(directory);
      await emulatorCall('DELETE', `/v1.0/users/${guest.id}`);
      const pass = await fullUserPass(directory, deltaToken);
      expect(pass.removedIds).toEqual([guest.id]);
      expect(pass.changed.some((u) => u.id === guest.id)).toBe(false);
    });

    it('refuses an invitation to a blocked domain for good, making nobody; still finds a user already there', async () => {
      await emulatorCall('PUT', '/_emulator/invitationPolicy', { blockedDomains: ['blocked.example'] });
      try {
        const error = await directory.inviteExternalUser({ email: 'eve@blocked.example', redirectUrl: 'https://myapps.microsoft.com' }).catch((e: unknown) => e);
        expect(error).toMatchObject({ kind: 'permanent' });
        expect((error as Error).message).toContain('blocked.example');
        expect(await directory.findUserByEmail('eve@blocked.example')).toBeUndefined();
      } finally {
        await emulatorCall('PUT', '/_emulator/invitationPolicy', { blockedDomains: [] });
      }
    });

    it('refuses an invitation policy that is not a list of domains', async () => {
      const response = await fetch(`${emulator.url}/_emulator/invitationPolicy`, { method: 'PUT', body: JSON.stringify({ blockedDomains: 'fabrikam.com' }) });
      expect(response.status).toBe(400);
      expect(await emulatorCall('GET', '/_emulator/invitationPolicy')).toEqual({ blockedDomains: [] });
    });

    it('invites through throttling on /invitations, making exactly one guest', async () => {
      await emulatorCall('PUT', '/_emulator/faults', { rules: [{ pathPattern: '^/v1.0/invitations', method: 'POST', status: 503, rate: 0.5, retryAfterSeconds: 0.01 }], seed: 7 });
      await emulatorCall('DELETE', '/_emulator/requests');
      const email = `throttled-${Date.now()}@fabrikam.com`;
      const guest = await directory.inviteExternalUser({ email, redirectUrl: 'https://myapps.microsoft.com' });
      expect((await requestCounts()).faultsInjected).toBeGreaterThan(0);
      const users = (await emulatorCall('GET', `/v1.0/users?$filter=${encodeURIComponent(`mail eq '${email}'`)}&$select=id`)) as { value: Array<{ id: string }> };
      expect(users.value.map((u) => u.id)).toEqual([guest.id]);
    });

    it('waits out throttling, honouring Retry-After, then succeeds', async () => {
      await emulatorCall('PUT', '/_emulator/faults', {
        rules: [{ pathPattern: '^/v1.0/groups', status: 429, rate: 0.5, retryAfterSeconds: 0.01 }],
        seed: 7,
      });
      await emulatorCall('DELETE', '/_emulator/requests');
      const group = await directory.getGroup(CONTRACT_OBJECTS.group.id);
      expect(group?.id).toBe(CONTRACT_OBJECTS.group.id);
      expect((await requestCounts()).faultsInjected).toBeGreaterThan(0);
    });

    it('gives up on a call still throttled after the last attempt, as a transient error', async () => {
      await emulatorCall('PUT', '/_emulator/faults', { rules: [{ pathPattern: '^/v1.0/sites', status: 503, rate: 1, retryAfterSeconds: 0 }] });
      await emulatorCall('DELETE', '/_emulator/requests');
      const error = await directory.getSite(CONTRACT_OBJECTS.site.id).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'transient' });
      expect((await requestCounts()).roundTrips).toBe(FAST_RETRY.maxAttempts);
    });

    it('abandons a request Graph does not answer within the request timeout, as transient', async () => {
      await emulatorCall('PUT', '/_emulator/faults', { rules: [{ pathPattern: '^/v1.0/organization', status: 503, rate: 0, latencyMs: 3_000 }] });
      const impatient = directoryOn(emulator.url, undefined, { maxAttempts: 1, maxElapsedMs: 0, baseDelayMs: 0, maxDelayMs: 0, requestTimeoutMs: 100 });
      const started = Date.now();
      const error = await impatient.probe().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DirectoryError);
      expect(error).toMatchObject({ kind: 'transient' });
      expect((error as DirectoryError).message).toBe('Graph did not answer within 100 ms.');
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('applies every change of a throttled bulk addition exactly once, waiting the Retry-After inside the batch', async () => {
      const before = await groupMemberIds(CONTRACT_OBJECTS.group.id);
      // With this seed both PATCHes of the first batch are throttled, and both go through in the second.
      await emulatorCall('PUT', '/_emulator/faults', {
        rules: [{ pathPattern: '^/v1.0/groups', status: 429, rate: 0.5, retryAfterSeconds: 0.2 }],
        seed: 7,
      });
      await emulatorCall('DELETE', '/_emulator/requests');
      try {
        const started = Date.now();
        const added = await directory.addGroupMembers(CONTRACT_OBJECTS.group.id, STAFF);
        const elapsedMs = Date.now() - started;
        expect(await requestCounts()).toMatchObject({ roundTrips: 2, batchedRequests: 4, faultsInjected: 2 });
        expect(elapsedMs).toBeGreaterThanOrEqual(200);
        expect(added).toEqual(STAFF.map((userId) => ({ userId, outcome: 'changed' })));
        await emulatorCall('DELETE', '/_emulator/faults');
        expect(await groupMemberIds(CONTRACT_OBJECTS.group.id)).toEqual([...before, ...STAFF].sort());
      } finally {
        await emulatorCall('DELETE', '/_emulator/faults');
        await directory.removeGroupMembers(CONTRACT_OBJECTS.group.id, STAFF);
      }
    });

    it('packs 30 additions into one round trip', async () => {
      await emulatorCall('DELETE', '/_emulator/requests');
      await directory.addGroupMembers(CONTRACT_OBJECTS.group.id, STAFF);
      expect(await requestCounts()).toMatchObject({ roundTrips: 1, batchedRequests: 2 });
      await directory.removeGroupMembers(CONTRACT_OBJECTS.group.id, STAFF);
    });

    it('asks Graph nothing about ids that cannot be ids', async () => {
      const [a] = CONTRACT_OBJECTS.spareUserIds;
      await emulatorCall('DELETE', '/_emulator/requests');
      expect(await directory.getUser('../organization')).toBeUndefined();
      expect(await directory.getGroup(`${CONTRACT_OBJECTS.group.id}/owners`)).toBeUndefined();
      expect(await directory.getSite('contoso.sharepoint.com,x,y')).toBeUndefined();
      await expect(directory.addGroupMembers('..', [a])).rejects.toMatchObject({ kind: 'permanent' });
      expect(await directory.removeGroupMembers(CONTRACT_OBJECTS.group.id, ['a?b'])).toEqual([
        { userId: 'a?b', outcome: 'failed', error: expect.objectContaining({ kind: 'permanent' }) },
      ]);
      expect((await requestCounts()).roundTrips).toBe(0);
    });
  });
});
