import { randomUUID } from 'node:crypto';
import { QueueServiceClient } from '@azure/storage-queue';
import type { DateTime } from 'luxon';
import { roleKey } from '../../shared/domain/assignments/deliveryState';
import { directoryRoleOf } from '../../shared/operations/assignments/directoryRoles';
import { dispatchReconcile, processReconcileShard, reconcileShardMessage } from '../../shared/operations/lifecycle/reconcileFanOut';
import type { WorkQueue } from '../../shared/queues/workQueue';
import { demoTenantPath, loadTenantFixture } from '../../tools/graph-emulator/fixture';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { drainWithWorkers, normalizedRows, testQueue } from '../support/fanOutWorkers';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';
import { assign, groupMembers, groupPackage, packageGranting, type TestPackage } from '../support/packageWorld';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The reconcile sweep's comparison fanned out: three packages grant Marketing membership and two application
 * roles, and the directory drifted from them (an assignee taken out by hand, a walk-in added by hand, a person the
 * ledger says Portcullis granted and no assignment gives). Its timer sends three shards (the set of groups, each
 * application role), taken by one worker or by three at once: both put back the assignees, remove only the
 * ledger's leftovers, keep the walk-ins, and leave the same storage. A shard handled again changes nothing; a
 * shard lost waits for the next run, which sends the comparison again.
 */
const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';
const EXPENSES_APP = '0e30277e-50b7-484f-8fda-60dc99517a7e';
const EXPENSES_AUDITOR = 'de065c43-29c7-49a0-9849-8d8838794684';
const SALESFORCE = '63c7fe35-2f6d-4f84-9d1d-95e1ad61682b';
const SALESFORCE_USER = '4cb9d2a2-e639-467b-8784-7ff4a1cb8b0a';
const PEOPLE = ['a30354ef-398b-4edf-a326-3c49440a9a11', 'a22fa1f7-2560-4b2f-8a7c-e6e5f89c8d33', '5043796d-4061-4823-9b39-320448410fe3', 'c10c2788-a8e1-4980-86f6-d2e1c91d6da3'] as const;
const [ASSIGNEE, TAKEN_OUT, LEFTOVER, WALK_IN] = PEOPLE;

interface Outcome {
  world: InProcessOperations;
  queue: WorkQueue;
  packages: TestPackage[];
  startedAt: DateTime;
  firstRun: unknown;
  byWorker: number[];
  marketing: string[];
  expenses: string[];
  salesforce: string[];
}

const worlds: InProcessOperations[] = [];
afterAll(async () => {
  for (const world of worlds) await world.stop();
});

const options = () => ({ holder: randomUUID(), budgetMs: 60_000 });
const handleShard = (deps: Parameters<typeof processReconcileShard>[0], payload: unknown, holder: string) => processReconcileShard(deps, reconcileShardMessage.parse(payload), { holder, budgetMs: 60_000 });

async function call(emulator: GraphEmulator, method: string, path: string, body?: object): Promise<Response> {
  return fetch(`${emulator.url}/v1.0${path}`, { method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
}

async function holdersOf(emulator: GraphEmulator, appId: string, appRoleId: string): Promise<string[]> {
  const answer = (await (await call(emulator, 'GET', `/servicePrincipals/${appId}/appRoleAssignedTo`)).json()) as { value: Array<{ principalId: string; appRoleId: string }> };
  return answer.value.filter((a) => a.appRoleId === appRoleId).map((a) => a.principalId).sort();
}

async function byHand(emulator: GraphEmulator, action: 'add' | 'remove', resource: { group: string } | { app: string; appRole: string }, userId: string): Promise<void> {
  let answer: Response;
  if ('group' in resource) {
    answer = action === 'add'
      ? await call(emulator, 'POST', `/groups/${resource.group}/members/$ref`, { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${userId}` })
      : await call(emulator, 'DELETE', `/groups/${resource.group}/members/${userId}/$ref`);
  } else if (action === 'add') {
    answer = await call(emulator, 'POST', `/servicePrincipals/${resource.app}/appRoleAssignedTo`, { principalId: userId, resourceId: resource.app, appRoleId: resource.appRole });
  } else {
    const all = (await (await call(emulator, 'GET', `/servicePrincipals/${resource.app}/appRoleAssignedTo`)).json()) as { value: Array<{ id: string; principalId: string; appRoleId: string }> };
    const held = all.value.find((a) => a.principalId === userId && a.appRoleId === resource.appRole)!;
    answer = await call(emulator, 'DELETE', `/servicePrincipals/${resource.app}/appRoleAssignedTo/${held.id}`);
  }
  if (!answer.ok) throw new Error(`${action} by hand: ${answer.status} ${await answer.text()}`);
}

const RESOURCES = [{ group: MARKETING }, { app: EXPENSES_APP, appRole: EXPENSES_AUDITOR }, { app: SALESFORCE, appRole: SALESFORCE_USER }] as const;

/** One world: the same packages, assignments and drift, the clock at `startAt`; the shards taken by `workers` runners. */
async function reconcileWith(workers: number, startAt?: DateTime): Promise<Outcome> {
  const world = await startInProcessOperations();
  worlds.push(world);
  if (startAt) world.advance({ milliseconds: startAt.toMillis() - world.now().toMillis() });
  const startedAt = world.now();
  const { deps, emulator } = world;
  const packages = [
    await groupPackage(deps, 'Fan-out marketing', MARKETING),
    await packageGranting(deps, 'Fan-out auditors', { originId: EXPENSES_APP, originSystem: 'AadApplication' }, EXPENSES_AUDITOR),
    await packageGranting(deps, 'Fan-out sales', { originId: SALESFORCE, originSystem: 'AadApplication' }, SALESFORCE_USER),
  ];
  for (const [index, pkg] of packages.entries()) {
    for (const person of [ASSIGNEE, TAKEN_OUT]) await assign(deps, person, pkg);
    const resource = RESOURCES[index]!;
    await byHand(emulator, 'remove', resource, TAKEN_OUT);
    await byHand(emulator, 'add', resource, WALK_IN);
    await byHand(emulator, 'add', resource, LEFTOVER);
    // Drift in the store: the ledger says Portcullis granted the leftover (no assignment gives it).
    await deps.ledger.record(directoryRoleOf(pkg.roleScope), [LEFTOVER]);
  }
  world.advance({ minutes: 6 });

  const queue = testQueue('rec');
  const firstRun = await dispatchReconcile(deps, queue, options());
  const byWorker = await drainWithWorkers(world, queue, workers, handleShard);
  return {
    world,
    queue,
    packages,
    startedAt,
    firstRun,
    byWorker,
    marketing: (await groupMembers(emulator, MARKETING)).sort(),
    expenses: await holdersOf(emulator, EXPENSES_APP, EXPENSES_AUDITOR),
    salesforce: await holdersOf(emulator, SALESFORCE, SALESFORCE_USER),
  };
}

let one: Outcome;
let three: Outcome;

beforeAll(async () => {
  one = await reconcileWith(1);
  three = await reconcileWith(3, one.startedAt);
}, 240_000);

describe('the reconcile comparison fanned out over a queue', () => {
  it('sends one shard per set of groups and per application role, spread over the workers', () => {
    for (const outcome of [one, three]) expect(outcome.firstRun).toMatchObject({ pendingShards: 0, shardsSent: 3, redelivery: { failed: 0 } });
    expect(three.byWorker.reduce((a, b) => a + b)).toBe(3);
    expect(three.byWorker.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('puts back the assignees, removes only what the ledger granted, keeps the walk-ins: with three workers as with one', () => {
    for (const outcome of [one, three]) {
      for (const holders of [outcome.marketing, outcome.expenses, outcome.salesforce]) {
        expect(holders).toEqual(expect.arrayContaining([ASSIGNEE, TAKEN_OUT, WALK_IN]));
        expect(holders).not.toContain(LEFTOVER);
      }
    }
    expect(three.marketing).toEqual(one.marketing);
    expect(three.expenses).toEqual(one.expenses);
    expect(three.salesforce).toEqual(one.salesforce);
  });

  it('leaves the same rows in every table with three workers as with one (ids made at run time aside)', async () => {
    const known = new Set([...(loadTenantFixture(demoTenantPath()).users ?? []).map((u) => u.id), MARKETING, EXPENSES_APP, EXPENSES_AUDITOR, SALESFORCE, SALESFORCE_USER]);
    const [a, b] = await Promise.all([normalizedRows(one.world.prefix, known), normalizedRows(three.world.prefix, known)]);
    expect(b).toEqual(a);
    // Every shard compared and removed, the shards' leases with them: the sweep's state and the set's delta link remain.
    expect(a.filter((row) => row.startsWith('sweepStates')).length).toBe(2);
    expect(a.filter((row) => row.includes('reconcile.remove')).length).toBe(3);
  });

  it('changes nothing when a shard is handled again', async () => {
    const known = new Set<string>();
    const before = await normalizedRows(three.world.prefix, known);
    const shard = `role:${roleKey(directoryRoleOf(three.packages[1]!.roleScope))}`;
    expect(await processReconcileShard(three.world.deps, { shard }, options())).toMatchObject({ rolesChecked: 0, added: 0, removed: 0 });
    expect(await normalizedRows(three.world.prefix, known)).toEqual(before);
  });

  it('compares a lost shard at the next run that finds the queue empty: the repair is only delayed', async () => {
    const { world, queue } = one;
    await byHand(world.emulator, 'remove', RESOURCES[1], ASSIGNEE);
    await byHand(world.emulator, 'remove', RESOURCES[2], ASSIGNEE);
    world.advance({ minutes: 15 });
    expect(await dispatchReconcile(world.deps, queue, options())).toMatchObject({ shardsSent: 3 });
    const client = QueueServiceClient.fromConnectionString(testStorageConnectionString()).getQueueClient(queue.name);
    const [lost] = (await client.receiveMessages({ numberOfMessages: 1 })).receivedMessageItems;
    await client.deleteMessage(lost!.messageId, lost!.popReceipt);
    await drainWithWorkers(world, queue, 1, handleShard);
    const lostShard = reconcileShardMessage.parse(JSON.parse(Buffer.from(lost!.messageText, 'base64').toString('utf8'))).shard;
    expect(await world.deps.reconcileShards.get(lostShard)).toBeDefined();
    const repaired = [await holdersOf(world.emulator, EXPENSES_APP, EXPENSES_AUDITOR), await holdersOf(world.emulator, SALESFORCE, SALESFORCE_USER)];
    expect(repaired.filter((holders) => holders.includes(ASSIGNEE)).length).toBeGreaterThanOrEqual(1);

    world.advance({ minutes: 15 });
    expect(await dispatchReconcile(world.deps, queue, options())).toMatchObject({ pendingShards: 0, shardsSent: 3 });
    await drainWithWorkers(world, queue, 1, handleShard);
    expect(await holdersOf(world.emulator, EXPENSES_APP, EXPENSES_AUDITOR)).toContain(ASSIGNEE);
    expect(await holdersOf(world.emulator, SALESFORCE, SALESFORCE_USER)).toContain(ASSIGNEE);
    expect(await world.deps.reconcileShards.get(lostShard)).toBeUndefined();
  });
});
