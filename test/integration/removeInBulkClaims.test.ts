import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import type { AutomaticPolicy } from '../../shared/operations/autoAssignment/automaticPolicies';
import { assignInBulk } from '../../shared/operations/autoAssignment/assignInBulk';
import { removeInBulk, type Removal } from '../../shared/operations/autoAssignment/removeInBulk';
import { endAutomatically } from '../../shared/operations/autoAssignment/automaticRequests';
import { GrantStore } from '../../shared/store/grantStore';
import { demoTenantWithMembers } from '../support/demoTenantWithMembers';
import { automaticPolicyMatchingNobody, hooked } from '../support/packageWorld';
import { inProcessOperationsForFile } from '../support/inProcessOperations';

/** Bulk removals release claims by key: what a refused end's retry and a racing request leave. */
const USERS = Array.from({ length: 6 }, (_, n) => `d0000000-0000-4000-8000-${String(n).padStart(12, '0')}`);

let deps: EntitlementDeps;
inProcessOperationsForFile((started) => {
  deps = started.deps;
}, demoTenantWithMembers(USERS, 'Leaver'));

async function assigned(auto: AutomaticPolicy, users: readonly string[]): Promise<Removal[]> {
  expect(await assignInBulk(deps, users.map((userId) => ({ auto, userId })))).toEqual(users.map(() => ({ kind: 'assigned' })));
  const held = (await deps.grants.assignmentsOfPackage(auto.policy.accessPackageId)).filter((a) => users.includes(a.value.targetId) && a.value.state !== 'expired');
  return users.map((userId) => held.find((a) => a.value.targetId === userId)!).map((assignment) => ({ auto, userId: assignment.value.targetId, assignment }));
}

// Thrown out of removeInBulk, it would answer every removal of the batch failed, the ends made included.
test('a claim read that fails in the retry of a refused end fails that removal alone', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Retry read fails');
  const removals = await assigned(auto, USERS.slice(0, 3));
  const gone = removals[1]!;
  await deps.grants.claims.delete((await deps.grants.claimOf(gone.userId, auto.policy.accessPackageId))!);
  const { part: grants } = hooked(deps.grants, 'claimOf', async () => {
    throw new Error('storage unavailable (injected)');
  });
  const outcomes = await removeInBulk({ ...deps, grants }, removals).catch((error: unknown) => `threw: ${String(error)}`);
  expect(outcomes).toEqual([{ kind: 'removed' }, { kind: 'failed', error: expect.any(Error) }, { kind: 'removed' }]);
}, 180_000);

// The end refused on the assignment's ETag never deletes a claim that now belongs to someone else.
test('a pipeline end and a new request between the evaluation and the bulk end keep the new claim', async () => {
  const auto = await automaticPolicyMatchingNobody(deps, 'Race with a new request');
  const [removal] = await assigned(auto, USERS.slice(3, 4));
  await endAutomatically(deps, auto, removal!.assignment.value);
  const packageId = auto.policy.accessPackageId;
  expect(await deps.grants.claimOf(removal!.userId, packageId)).toBeUndefined();
  // A new request's claim (as writeClaimedRequest writes it).
  await deps.grants.claims.insert(GrantStore.targetKey(removal!.userId), GrantStore.claimKey(packageId), { packageId, requestId: 'r-new', assignmentId: null });
  const [outcome] = await removeInBulk(deps, [removal!, ...(await assigned(auto, USERS.slice(4, 5)))]);
  expect(outcome).toMatchObject({ kind: 'failed' });
  expect((await deps.grants.claimOf(removal!.userId, packageId))?.value).toEqual({ packageId, requestId: 'r-new', assignmentId: null });
}, 180_000);
