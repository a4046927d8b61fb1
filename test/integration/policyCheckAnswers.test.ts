import { DomainError } from '../../shared/domain/errors';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import { tableKey } from '../../shared/store/tableKeys';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, groupMembers, groupPackage, type TestPackage } from '../support/packageWorld';

/**
 * The policy check of a request carried out at once, and of its redelivery, acts on answers only: storage away is
 * no answer (the item is tried again), a delete under way only defers, and a write whose answer was lost and whose
 * read-back failed too takes nothing back (carryOutAtOnce.ts, requestWrites.ts).
 */
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874';
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4';
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((started) => ({ deps } = world = started));
afterEach(() => jest.restoreAllMocks());

const adminAdd = (targetId: string, pkg: { packageId: string; policyId: string }) =>
  submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });
const storageAway = () => new DomainError('dependencyUnavailable', 'Storage is unavailable.');
const redeliver = async () => (await reconcile(deps, { holder: 'test', budgetMs: 30_000 }))?.redelivery;

async function activeAssignments(packageId: string) {
  return (await deps.grants.allAssignments()).map((a) => a.value).filter((a) => a.accessPackageId === packageId && a.state !== 'expired');
}

/** An assignment applied (its role in the group) whose request's final write was lost: it stays `delivering`, for its redelivery to check. */
async function appliedButDelivering(pkg: TestPackage, targetId: string) {
  const together = deps.grants.together.bind(deps.grants);
  jest.spyOn(deps.grants, 'together').mockImplementation(async (writes) => {
    if (writes.some((w) => w.rowKey.startsWith('request|') && (w.action[1] as { state?: string }).state === 'delivered')) throw new Error('the process stopped');
    return together(writes);
  });
  await expect(adminAdd(targetId, pkg)).rejects.toThrow('the process stopped');
  jest.restoreAllMocks();
  const [assignment] = await activeAssignments(pkg.packageId);
  expect((await deps.grants.requestOf(targetId, assignment!.requestId))?.value.state).toBe('delivering');
  expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(targetId);
  return assignment!;
}

describe("a redelivery's policy check ends an assignment only on an answer that its policy is gone", () => {
  it('storage failing during the check leaves the assignment active and its role in the group; the item is tried again', async () => {
    const pkg = await groupPackage(deps, 'Storage away at the check', FALCON_GROUP);
    const assignment = await appliedButDelivering(pkg, LIAM);

    world.advance({ minutes: 6 });
    jest.spyOn(deps.store.policies, 'get').mockRejectedValue(storageAway());
    expect(await redeliver()).toMatchObject({ failed: 1 });
    jest.restoreAllMocks();

    expect((await activeAssignments(pkg.packageId)).map((a) => a.id)).toEqual([assignment.id]);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(LIAM);

    world.advance({ minutes: 30 });
    expect(await redeliver()).toMatchObject({ failed: 0 });
    expect((await deps.grants.requestOf(LIAM, assignment.requestId))?.value.state).toBe('delivered');
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(LIAM);
  });

  it('a delete mark seen, then taken away by the delete refused: the assignment is not ended', async () => {
    const pkg = await groupPackage(deps, 'Mark seen, delete refused', FALCON_GROUP);
    const assignment = await appliedButDelivering(pkg, MEGAN);

    world.advance({ minutes: 6 });
    // The check's first read of the mark finds it; the delete is then refused (this assignment governs) and takes it away.
    const mark = { kind: 'assignmentPolicy' as const, id: pkg.policyId, since: deps.clock.now().toUTC().toISO()! };
    jest.spyOn(deps.store.retiring, 'get').mockImplementationOnce(async (partitionKey, rowKey) => {
      expect([partitionKey, rowKey]).toEqual([tableKey('assignmentPolicy'), tableKey(pkg.policyId)]);
      return { value: mark, etag: '*' } as Awaited<ReturnType<typeof deps.store.retiring.get>>;
    });
    expect(await redeliver()).toMatchObject({ failed: 0 });
    jest.restoreAllMocks();

    expect((await activeAssignments(pkg.packageId)).map((a) => a.id)).toEqual([assignment.id]);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(MEGAN);
    expect(await deps.store.policies.find(pkg.policyId)).toBeDefined();
  });
});

describe('a write carried out at once whose answer was lost and whose read-back failed', () => {
  it('answers 503 and takes nothing back: its redelivery finds what landed and delivers it', async () => {
    const pkg = await groupPackage(deps, 'Answer and read-back lost', FALCON_GROUP);
    const together = deps.grants.together.bind(deps.grants);
    jest.spyOn(deps.grants, 'together').mockImplementationOnce(async (writes) => {
      await together(writes);
      // The SDK's retry of the committed transaction is refused as a duplicate; the read that would tell fails.
      jest.spyOn(deps.grants, 'requestOf').mockRejectedValueOnce(storageAway());
      throw new DomainError('alreadyExists', 'The entity already exists.');
    });
    await expect(adminAdd(MEGAN, pkg)).rejects.toMatchObject({ code: 'dependencyUnavailable' });
    jest.restoreAllMocks();
    const [landed] = (await deps.grants.requestsOf(MEGAN)).filter((r) => r.value.accessPackageId === pkg.packageId);
    expect(landed?.value.state).toBe('delivering');

    world.advance({ minutes: 6 });
    await redeliver();

    expect((await deps.grants.requestOf(MEGAN, landed!.value.id))?.value.state).toBe('delivered');
    expect((await activeAssignments(pkg.packageId)).map((a) => [a.targetId, a.state])).toEqual([[MEGAN, 'delivered']]);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(MEGAN);
  });
});
