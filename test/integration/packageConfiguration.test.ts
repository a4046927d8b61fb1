import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { deleteAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { deleteAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { addIncompatible } from '../../shared/operations/entitlements/incompatibilities';
import { changingPackageConfiguration, keptPackageConfiguration, packageConfigurationOf } from '../../shared/operations/entitlements/packageConfiguration';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import { tableKey } from '../../shared/store/tableKeys';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, hooked, selfServicePackage } from '../support/packageWorld';

/**
 * The package's configuration kept as one row for the request pipeline (packageConfiguration.ts): every change of
 * what it holds is seen by the next request, a writer that stopped leaves the tables to be read (not a stale
 * snapshot), a reader never keeps what it read over a change made meanwhile, and a policy's delete under way is
 * still seen by a request written meanwhile.
 */
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4';
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((started) => ({ deps } = world = started));

const adminAdd = (on: EntitlementDeps, targetId: string, pkg: { packageId: string; policyId: string }) =>
  submitAssignmentRequest(on, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });
const configurationRow = (packageId: string) => deps.store.packageConfigurations.get(tableKey(packageId), tableKey('configuration'));
/** The store with one of its tables replaced (a hooked one). */
const storeWith = (tables: Partial<EntitlementDeps['store']>): EntitlementDeps['store'] => Object.assign(Object.create(deps.store) as EntitlementDeps['store'], tables);

it('a change of what the configuration holds is seen by the next request: an incompatibility, then the policy deleted', async () => {
  const wanted = await selfServicePackage(deps, 'Kept, then made incompatible');
  const held = await selfServicePackage(deps, 'Held');
  await adminAdd(deps, LIAM, held);
  expect((await keptPackageConfiguration(deps, wanted.packageId))?.incompatiblePackageIds).toEqual([]);

  await addIncompatible(deps, ADMIN, held.packageId, 'accessPackage', wanted.packageId);
  // Declared on the other package: the wanted one's configuration holds it too.
  expect((await keptPackageConfiguration(deps, wanted.packageId))?.incompatiblePackageIds).toEqual([held.packageId]);
  await expect(adminAdd(deps, LIAM, wanted)).rejects.toMatchObject({ code: 'forbidden' });

  await deleteAssignmentPolicy(deps, ADMIN, wanted.policyId);
  expect((await keptPackageConfiguration(deps, wanted.packageId))?.policies).toEqual([]);
  await expect(adminAdd(deps, '94a2de50-ff54-4939-a9d6-bd800bc49874', wanted)).rejects.toMatchObject({ code: 'invalidRequest' });
});

it('a writer that stopped mid-change leaves no snapshot: readers read the tables until its entry is abandoned, then keep it again', async () => {
  const pkg = await selfServicePackage(deps, 'Writer stopped');
  // The writer's clean-up (its second read of the row) fails, as a process stopping after its change would leave it.
  let reads = 0;
  const stopping = hooked(deps.store.packageConfigurations, 'get', () => Promise.reject(new Error('stopped')), () => ++reads === 2);
  await changingPackageConfiguration({ ...deps, store: storeWith({ packageConfigurations: stopping.part }) }, [pkg.packageId], async () => undefined);

  expect(await keptPackageConfiguration(deps, pkg.packageId)).toBeUndefined();
  expect((await packageConfigurationOf(deps, pkg.packageId))?.policies.map((p) => p.id)).toEqual([pkg.policyId]);
  // Read from the tables, and not kept while the writer may still be changing them.
  expect(await keptPackageConfiguration(deps, pkg.packageId)).toBeUndefined();
  expect((await adminAdd(deps, LIAM, pkg)).state).toBe('submitted');

  world.advance({ minutes: 11 });
  await packageConfigurationOf(deps, pkg.packageId);
  expect((await keptPackageConfiguration(deps, pkg.packageId))?.policies.map((p) => p.id)).toEqual([pkg.policyId]);
  expect(Object.keys((await configurationRow(pkg.packageId))!.value.changing)).toEqual([]);
});

it('a reader does not keep what it read over a change made while it read', async () => {
  const pkg = await selfServicePackage(deps, 'Reader raced');
  // As a package written before configurations were kept: the next reader reads the tables and would keep them.
  await deps.store.packageConfigurations.delete((await configurationRow(pkg.packageId))!);
  // While the reader reads the tables, an incompatible group is added (its links read before it lands).
  const racing = hooked(deps.store.roleScopes, 'list', () => addIncompatible(deps, ADMIN, pkg.packageId, 'group', FALCON_GROUP));

  const read = await packageConfigurationOf({ ...deps, store: storeWith({ roleScopes: racing.part }) }, pkg.packageId);

  expect(read?.incompatibleGroupIds).toEqual([]);
  expect((await keptPackageConfiguration(deps, pkg.packageId))?.incompatibleGroupIds).toEqual([FALCON_GROUP]);
});

it("a request written while its policy's delete is under way finds no kept configuration, reads the deletion mark and makes no assignment", async () => {
  const pkg = await selfServicePackage(deps, 'Policy going');
  let during: unknown;
  // The delete has placed its mark and is looking for assignments when the request comes: its second look (the first,
  // before the mark, refuses a delete that would change nothing).
  let looks = 0;
  const deleting = hooked(
    deps.grants,
    'assignmentsOfPackage',
    async () => {
      during = await adminAdd(deps, LIAM, pkg).catch((error: unknown) => error);
    },
    () => ++looks === 2,
  );

  await deleteAssignmentPolicy({ ...deps, grants: deleting.part }, ADMIN, pkg.policyId);

  expect(during).toMatchObject({ code: 'invalidRequest', message: expect.stringContaining('is being deleted') });
  expect((await deps.grants.assignmentsOfPackage(pkg.packageId)).filter((a) => a.value.state !== 'expired')).toEqual([]);
  expect((await keptPackageConfiguration(deps, pkg.packageId))?.policies).toEqual([]);
});

it("a deleted package's row stays without a snapshot, so a reader that read the package before cannot put one back", async () => {
  const pkg = await selfServicePackage(deps, 'Deleted under a reader');
  // As a package written before configurations were kept: no row, so the reader would insert one.
  await deps.store.packageConfigurations.delete((await configurationRow(pkg.packageId))!);
  // While the reader reads the tables, the policy and then the package are deleted.
  const racing = hooked(deps.store.roleScopes, 'list', async () => {
    await deleteAssignmentPolicy(deps, ADMIN, pkg.policyId);
    await deleteAccessPackage(deps, ADMIN, pkg.packageId);
  });

  const read = await packageConfigurationOf({ ...deps, store: storeWith({ roleScopes: racing.part }) }, pkg.packageId);

  expect(read?.policies.map((p) => p.id)).toEqual([pkg.policyId]);
  expect((await configurationRow(pkg.packageId))?.value).toMatchObject({ snapshot: null, changing: {} });
  expect(await keptPackageConfiguration(deps, pkg.packageId)).toBeUndefined();
  await expect(adminAdd(deps, LIAM, pkg)).rejects.toMatchObject({ code: 'invalidRequest' });
});

it('a snapshot serves 5 minutes, then is read from the tables again (what changed them outside the protocol shows)', async () => {
  const pkg = await selfServicePackage(deps, 'Snapshot aged');
  await packageConfigurationOf(deps, pkg.packageId);
  expect(await keptPackageConfiguration(deps, pkg.packageId)).toBeDefined();

  world.advance({ minutes: 6 });
  expect(await keptPackageConfiguration(deps, pkg.packageId)).toBeUndefined();
  expect((await packageConfigurationOf(deps, pkg.packageId))?.policies.map((p) => p.id)).toEqual([pkg.policyId]);
  expect((await keptPackageConfiguration(deps, pkg.packageId))?.policies.map((p) => p.id)).toEqual([pkg.policyId]);
});
