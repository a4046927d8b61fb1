import { createGraphDirectory } from '../../shared/directory/createGraphDirectory';
import type { ChangeOutcome, DirectoryPort } from '../../shared/directory/directoryPort';
import type { TenantFixture } from '../graph-emulator/fixture';
import { startGraphEmulator, type GraphEmulator } from '../graph-emulator/server';
import { allPages } from '../../shared/directory/allPages';

export interface DirectoryBenchRow {
  case: string;
  changes: number;
  roundTrips: number;
  batchedRequests: number;
  faultsInjected: number;
  durationMs: number;
  /** Every change reported done once, and the group holds exactly the members it should. */
  appliedExactlyOnce: boolean;
}

const GROUP_ID = 'b0000000-0000-4000-8000-000000000001';
const NO_FAULTS = { rules: [] };
const THROTTLING = { rules: [{ pathPattern: '^/v1.0/groups', status: 429, rate: 0.1, retryAfterSeconds: 0.01 }], seed: 42 };

/**
 * 1,000 member additions and 1,000 removals for distinct users through GraphDirectory against the emulator, then
 * the same with 10% of the group requests throttled. Round trips are the emulator's own count of HTTP requests.
 */
export async function directoryScenario(userCount = 1000): Promise<DirectoryBenchRow[]> {
  const userIds = Array.from({ length: userCount }, (_, i) => `a0000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const emulator = await startGraphEmulator({ seed: tenantWith(userIds), port: 0 });
  try {
    const directory = createGraphDirectory({ graphBaseUrl: emulator.url, usesGraphEmulator: true });
    const rows: DirectoryBenchRow[] = [];
    for (const faults of [NO_FAULTS, THROTTLING]) {
      const suffix = faults === THROTTLING ? ' (10% throttled)' : '';
      const add = () => directory.addGroupMembers(GROUP_ID, userIds);
      const remove = () => directory.removeGroupMembers(GROUP_ID, userIds);
      rows.push(await measure(emulator, directory, faults, `add ${userCount} members${suffix}`, userIds, add));
      rows.push(await measure(emulator, directory, faults, `remove ${userCount} members${suffix}`, [], remove));
    }
    return rows;
  } finally {
    await emulator.stop();
  }
}

/** Runs one change under the given faults, counts its round trips, then checks the group without faults. */
async function measure(
  emulator: GraphEmulator,
  directory: DirectoryPort,
  faults: object,
  name: string,
  expectedMembers: string[],
  change: () => Promise<ChangeOutcome[]>,
): Promise<DirectoryBenchRow> {
  await call(emulator, 'PUT', '/_emulator/faults', faults);
  await call(emulator, 'DELETE', '/_emulator/requests');
  const started = performance.now();
  const outcomes = await change();
  const durationMs = Math.round(performance.now() - started);
  const counts = (await call(emulator, 'GET', '/_emulator/requests')) as { roundTrips: number; batchedRequests: number; faultsInjected: number };
  await call(emulator, 'PUT', '/_emulator/faults', NO_FAULTS);
  const members = await memberIds(directory);
  return {
    case: name,
    changes: outcomes.length,
    roundTrips: counts.roundTrips,
    batchedRequests: counts.batchedRequests,
    faultsInjected: counts.faultsInjected,
    durationMs,
    appliedExactlyOnce:
      outcomes.every((o) => o.outcome === 'changed') &&
      members.length === expectedMembers.length &&
      expectedMembers.every((id) => members.includes(id)),
  };
}

async function memberIds(directory: DirectoryPort): Promise<string[]> {
  return (await allPages((page) => directory.listGroupMembers(GROUP_ID, page))).map((m) => m.id);
}

async function call(emulator: GraphEmulator, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 || response.headers.get('content-length') === '0' ? undefined : response.json();
}

function tenantWith(userIds: string[]): TenantFixture {
  return {
    tenantId: 'be000000-0000-4000-8000-000000000000',
    domains: ['bench.example'],
    users: userIds.map((id, i) => ({
      id,
      displayName: `Bench User ${i}`,
      userPrincipalName: `user${i}@bench.example`,
      mail: `user${i}@bench.example`,
      userType: 'Member' as const,
      accountEnabled: true,
    })),
    groups: [{ id: GROUP_ID, displayName: 'Bench Group', mailEnabled: false, securityEnabled: true, groupTypes: [], members: [], owners: [] }],
  } as TenantFixture;
}
