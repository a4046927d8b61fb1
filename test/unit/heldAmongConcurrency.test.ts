import { DateTime } from 'luxon';
import type { ChangedUser } from '../../shared/directory/directoryPort';
import type { AutomaticPolicy } from '../../shared/operations/autoAssignment/automaticPolicies';
import { planChanges } from '../../shared/operations/autoAssignment/evaluateAutoAssignments';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';

/**
 * How an evaluation reads what the policies' users hold (planChanges): for some users (more of them than policies:
 * each package's assignee index), every policy's reads at once, so their round trips overlap; for the whole
 * directory, one package's assignments in memory at a time. Stores are recorders here: the reads themselves have
 * integration tests (autoAssignmentSweep, autoAssignmentShardRoundTrips).
 */
const POLICIES = 12;
const policies = Array.from({ length: POLICIES }, (_, n) => ({
  policy: { id: `policy-${n}`, accessPackageId: `package-${n}`, automaticRequestSettings: { removeAccessWhenTargetLeavesAllowedTargets: true } },
  rule: { matches: () => false },
  groupIds: [],
})) as unknown as AutomaticPolicy[];
const users = Array.from({ length: POLICIES + 1 }, (_, n) => ({ id: `user-${n}` })) as unknown as ChangedUser[];

/** Deps whose package reads take a moment each and count how many are in flight at once. */
function recordingReads() {
  let inFlight = 0;
  let most = 0;
  const read = async <T>(answer: T) => {
    most = Math.max(most, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
    return answer;
  };
  const deps = {
    clock: { now: () => DateTime.fromISO('2026-03-02T09:00:00Z') },
    overrides: { forUsers: async () => new Map() },
    grants: { assigneePointerPage: () => read({ pointers: [] }), assignmentsOfPackage: () => read([]) },
  } as unknown as EntitlementDeps;
  return { deps, mostAtOnce: () => most };
}

test("changed users' holdings: the policies' assignee indexes are read several at once", async () => {
  const { deps, mostAtOnce } = recordingReads();
  const plan = await planChanges(deps, policies, users, 'these');
  expect(plan).toMatchObject({ usersEvaluated: POLICIES + 1, additions: [], removals: [] });
  expect(mostAtOnce()).toBeGreaterThan(1);
});

test("the whole directory's holdings: one package's assignments at a time", async () => {
  const { deps, mostAtOnce } = recordingReads();
  await planChanges(deps, policies, users, 'all');
  expect(mostAtOnce()).toBe(1);
});
