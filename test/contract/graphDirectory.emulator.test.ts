import { createGraphDirectory } from '../../shared/directory/createGraphDirectory';
import { DirectoryError } from '../../shared/directory/directoryError';
import type { DirectoryPort } from '../../shared/directory/directoryPort';
import type { RetryPolicy } from '../../shared/directory/retryPolicy';
import { startGraphEmulator, type GraphEmulator } from '../../tools/graph-emulator/server';
import { CONTRACT_FIXTURE, CONTRACT_OBJECTS } from '../support/contractTenant';
import { directoryContract } from './directoryContract';

const FAST_RETRY: RetryPolicy = { maxAttempts: 4, maxElapsedMs: 5_000, baseDelayMs: 5, maxDelayMs: 50 };

let emulator: GraphEmulator;
let directory: DirectoryPort;

function directoryOn(url: string, mailSender?: string): DirectoryPort {
  return createGraphDirectory({ graphBaseUrl: url, usesGraphEmulator: true, MAIL_SENDER: mailSender }, FAST_RETRY);
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

beforeAll(async () => {
  emulator = await startGraphEmulator({ seed: CONTRACT_FIXTURE, port: 0, pageSize: 10 });
  directory = directoryOn(emulator.url, CONTRACT_OBJECTS.mailSender);
});
afterAll(() => emulator.stop());

describe('GraphDirectory against the Graph emulator', () => {
  directoryContract(() => ({
    directory,
    objects: CONTRACT_OBJECTS,
    updateUser: async (userId, attributes) => {
      await emulatorCall('PATCH', `/v1.0/users/${userId}`, attributes);
    },
  }));

  describe('what only the emulator can show', () => {
    afterEach(async () => {
      await emulatorCall('DELETE', '/_emulator/faults');
    });

    it('sends mail from the configured sender', async () => {
      await emulatorCall('DELETE', '/_emulator/outbox');
      await directory.sendMail({ to: ['megan@contoso.com'], subject: 'Access granted', text: 'You now have Sales Tools.' });
      const outbox = (await emulatorCall('GET', '/_emulator/outbox')) as { value: Array<{ subject: string; to: string[] }> };
      expect(outbox.value).toEqual([expect.objectContaining({ subject: 'Access granted', to: ['megan@contoso.com'] })]);
    });

    it('refuses to send mail without a configured sender', async () => {
      const error = await directoryOn(emulator.url).sendMail({ to: ['x@contoso.com'], subject: 's', text: 't' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'permanent' });
    });

    it('asks for a full pass again once a delta token has gone stale', async () => {
      let from: { page?: string } = {};
      let deltaToken: string | undefined;
      while (!deltaToken) {
        const page = await directory.userChanges(from);
        deltaToken = page.deltaToken;
        from = { page: page.nextPage };
      }
      await emulatorCall('POST', '/_emulator/reset');
      const error = await directory.userChanges({ deltaToken }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DirectoryError);
      expect(error).toMatchObject({ kind: 'resyncRequired' });
    });

    it('waits out throttling, honouring Retry-After, then succeeds', async () => {
      await emulatorCall('PUT', '/_emulator/faults', {
        rules: [{ pathPattern: '^/v1.0/groups', status: 429, rate: 0.5, retryAfterSeconds: 0.01 }],
        seed: 7,
      });
      await emulatorCall('DELETE', '/_emulator/requests');
      const group = await directory.getGroup(CONTRACT_OBJECTS.group.id);
      expect(group?.id).toBe(CONTRACT_OBJECTS.group.id);
    });

    it('gives up on a call still throttled after the last attempt, as a transient error', async () => {
      await emulatorCall('PUT', '/_emulator/faults', { rules: [{ pathPattern: '^/v1.0/sites', status: 503, rate: 1, retryAfterSeconds: 0 }] });
      await emulatorCall('DELETE', '/_emulator/requests');
      const error = await directory.getSite(CONTRACT_OBJECTS.site.id).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'transient' });
      const counts = (await emulatorCall('GET', '/_emulator/requests')) as { roundTrips: number };
      expect(counts.roundTrips).toBe(FAST_RETRY.maxAttempts);
    });

    it('applies every change of a throttled bulk addition exactly once', async () => {
      const staff = CONTRACT_FIXTURE.users!.filter((u) => u.displayName?.startsWith('Staff')).map((u) => u.id);
      await emulatorCall('PUT', '/_emulator/faults', {
        rules: [{ pathPattern: '^/v1.0/groups', status: 429, rate: 0.3, retryAfterSeconds: 0.01 }],
        seed: 11,
      });
      try {
        const added = await directory.addGroupMembers(CONTRACT_OBJECTS.group.id, staff);
        expect(added.filter((o) => o.outcome === 'changed')).toHaveLength(staff.length);
        await emulatorCall('DELETE', '/_emulator/faults');
        const members = new Set<string>();
        let page: string | undefined;
        do {
          const result = await directory.listGroupMembers(CONTRACT_OBJECTS.group.id, page);
          result.items.forEach((m) => members.add(m.id));
          page = result.nextPage;
        } while (page);
        expect(staff.every((id) => members.has(id))).toBe(true);
      } finally {
        await emulatorCall('DELETE', '/_emulator/faults');
        const removed = await directory.removeGroupMembers(CONTRACT_OBJECTS.group.id, staff);
        expect(removed.every((o) => o.outcome === 'changed')).toBe(true);
      }
    });

    it('packs 30 additions into one round trip', async () => {
      const staff = CONTRACT_FIXTURE.users!.filter((u) => u.displayName?.startsWith('Staff')).map((u) => u.id);
      await emulatorCall('DELETE', '/_emulator/requests');
      await directory.addGroupMembers(CONTRACT_OBJECTS.group.id, staff);
      const counts = (await emulatorCall('GET', '/_emulator/requests')) as { roundTrips: number; batchedRequests: number };
      expect(counts).toMatchObject({ roundTrips: 1, batchedRequests: 2 });
      await directory.removeGroupMembers(CONTRACT_OBJECTS.group.id, staff);
    });
  });
});
