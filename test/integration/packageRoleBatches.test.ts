import { mapConcurrently } from '../../shared/concurrently';
import { roleKey } from '../../shared/domain/assignments/deliveryState';
import { directoryRoleOf } from '../../shared/operations/assignments/directoryRoles';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { removeResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { demoTenantPath, loadTenantFixture } from '../../tools/graph-emulator/fixture';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, assign, groupMembers, groupPackage, hookedDirectory } from '../support/packageWorld';

/**
 * A role taken out of a package with more assignees than one batch: the reconcile sweep carries it a batch at a
 * time and, when its budget runs out, leaves the rest for its next run. In-process on Azurite and the emulator,
 * whose demo tenant gets one batch and one more people; a batch is five assignees here (the sweep's
 * `roleChangeBatch`; ROLE_CHANGE_BATCH unless set), so that a few people make two batches.
 */
const FALCON = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const BATCH = 5;
const PEOPLE = Array.from({ length: BATCH + 1 }, (_, n) => `0b000000-0000-4000-8000-${String(n).padStart(12, '0')}`);

/** The reconcile sweep's options: its role changes carried BATCH assignees at a time. */
const sweepOptions = (holder: string, budgetMs = 60_000) => ({ holder, budgetMs, roleChangeBatch: BATCH });

let world: InProcessOperations;
let emulator: GraphEmulator;
let deps: EntitlementDeps;

beforeAll(async () => {
  const seed = loadTenantFixture(demoTenantPath());
  seed.users = [...(seed.users ?? []), ...PEOPLE.map((id, n) => ({ id, displayName: `Batch person ${n}`, userPrincipalName: `batch${n}@contoso.com`, userType: 'Member' as const, accountEnabled: true }))];
  world = await startInProcessOperations(seed);
  ({ emulator, deps } = world);
});
afterAll(() => world.stop());

const stillIn = async () => {
  const members = new Set(await groupMembers(emulator, FALCON));
  return PEOPLE.filter((id) => members.has(id)).length;
};

/**
 * A package granting Falcon to everyone in PEOPLE, its delivery checked, whose role was then taken out by a process
 * that stopped before removing anyone: the withdrawal is the reconcile sweep's, and due.
 */
async function withdrawalLeftToTheSweep(name: string) {
  const pkg = await groupPackage(deps, name, FALCON);
  await mapConcurrently(PEOPLE, (id) => assign(deps, id, pkg));
  expect(await stillIn()).toBe(PEOPLE.length);
  world.advance({ minutes: 6 });
  await reconcile(deps, sweepOptions('delivery checked'));
  const stopping = hookedDirectory(deps.directory, 'removeGroupMembers', async () => {
    throw new Error('The process stopped.');
  });
  await expect(removeResourceRoleScope({ ...deps, directory: stopping.directory }, ADMIN, pkg.packageId, pkg.roleScope.id)).rejects.toThrow('The process stopped.');
  world.advance({ minutes: 6 });
  return pkg;
}

// Many assignees, each through Azurite and the emulator: under a loaded 2-core machine this outlasts the default 30 s.
const ROLE_BATCH_TEST_TIMEOUT_MS = 120_000;

it('takes a role out of a package from more assignees than one batch, a batch per budget, the next run going on', async () => {
  const pkg = await withdrawalLeftToTheSweep('Many assignees');
  // The first batch's removal takes longer than the run's whole budget: the run stops after it.
  const slow = hookedDirectory(deps.directory, 'removeGroupMembers', () => new Promise((resolve) => setTimeout(resolve, 3_500)));

  const first = await reconcile({ ...deps, directory: slow.directory }, sweepOptions('first', 3_000));

  expect(first?.redelivery).toMatchObject({ processed: 1, failed: 0 });
  expect(slow.calls).toHaveLength(1);
  expect(slow.calls[0]![1]).toHaveLength(BATCH);
  expect(await stillIn()).toBe(1);

  const second = await reconcile(deps, sweepOptions('second'));

  expect(second?.redelivery).toMatchObject({ processed: 1, failed: 0 });
  expect(await stillIn()).toBe(0);
  expect(await deps.ledger.holders(roleKey(directoryRoleOf(pkg.roleScope)))).toEqual(new Set());
  expect(await reconcile(deps, sweepOptions('third'))).toMatchObject({ redelivery: { processed: 0 }, removed: 0 });
}, ROLE_BATCH_TEST_TIMEOUT_MS);

it('stops carrying a role change to further batches once another runner took the sweep lease', async () => {
  await withdrawalLeftToTheSweep('Fenced batches');
  // While the first batch is on its way, this run pauses past its lease and another runner takes the sweep.
  const paused = hookedDirectory(deps.directory, 'removeGroupMembers', async () => {
    world.advance({ minutes: 12 });
    expect(await deps.sweeps.acquire('reconcileSweep', 'intruder', world.now(), 11 * 60_000)).toBeDefined();
  });

  expect(await reconcile({ ...deps, directory: paused.directory }, sweepOptions('paused'))).toBeUndefined();

  // The batch under way landed; the next one was not written, nor sent.
  expect(paused.calls).toHaveLength(1);
  expect(await stillIn()).toBe(1);
  world.advance({ minutes: 12 });
  expect(await reconcile(deps, sweepOptions('after the intruder'))).toMatchObject({ redelivery: { processed: 1, failed: 0 } });
  expect(await stillIn()).toBe(0);
}, ROLE_BATCH_TEST_TIMEOUT_MS);
