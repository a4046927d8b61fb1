import { makeChanges, type ChangePlan } from '../../shared/operations/autoAssignment/evaluateAutoAssignments';
import { CALLS_AT_ONCE } from '../../shared/concurrently';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';

/** How an auto-assignment run makes what it planned: within its time, users at once, one user's changes in turn. */
type Outcome = 'assigned' | 'removed' | 'removalsPlanned' | 'unchanged';

/** These plans hold no additions or removals, the only changes that reach storage through deps (assignInBulk, removeInBulk). */
const NO_DEPS = {} as EntitlementDeps;
const later = () => Date.now() + 60_000;
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function planOf(byUser: Record<string, Array<() => Promise<Outcome>>>): ChangePlan {
  return { usersEvaluated: Object.keys(byUser).length, ruleEvaluations: 3 * Object.keys(byUser).length, additions: [], removals: [], byUser: new Map(Object.entries(byUser)) };
}

test('each outcome is counted, and the evaluation counts are passed on', async () => {
  const plan = planOf({
    a: [async () => 'assigned', async () => 'removalsPlanned'],
    b: [async () => 'removed', async () => 'unchanged'],
  });
  expect(await makeChanges(NO_DEPS, plan, later())).toEqual({
    unfinishedUserIds: [],
    counts: {
      usersEvaluated: 2,
      ruleEvaluations: 6,
      assigned: 1,
      removed: 1,
      removalsPlanned: 1,
      remaining: 0,
      failed: 0,
      errors: [],
    },
  });
});

test('a failing change is counted and named; the user’s other changes and other users’ are still made', async () => {
  const made: string[] = [];
  const plan = planOf({
    a: [
      async () => {
        throw new Error('storage unavailable');
      },
      async () => (made.push('a2'), 'assigned'),
    ],
    b: [async () => (made.push('b1'), 'assigned')],
  });
  const { counts, unfinishedUserIds } = await makeChanges(NO_DEPS, plan, later());
  expect(counts).toMatchObject({ assigned: 2, failed: 1, remaining: 0, errors: ['user a: storage unavailable'] });
  expect(unfinishedUserIds).toEqual(['a']);
  expect(made.sort()).toEqual(['a2', 'b1']);
});

test('past the deadline nothing is started, and every change is left for the next run', async () => {
  let started = 0;
  const change = async (): Promise<Outcome> => (started++, 'assigned');
  const { counts, unfinishedUserIds } = await makeChanges(NO_DEPS, planOf({ a: [change, change], b: [change] }), Date.now() - 1);
  expect(counts).toMatchObject({ assigned: 0, remaining: 3, failed: 0 });
  expect(unfinishedUserIds.sort()).toEqual(['a', 'b']);
  expect(started).toBe(0);
});

test('users are changed at once, but one user’s changes never overlap', async () => {
  let running = 0;
  let most = 0;
  const runningFor = new Map<string, number>();
  const change = (user: string) => async (): Promise<Outcome> => {
    running++;
    runningFor.set(user, (runningFor.get(user) ?? 0) + 1);
    most = Math.max(most, running);
    expect(runningFor.get(user)).toBe(1);
    await tick();
    runningFor.set(user, runningFor.get(user)! - 1);
    running--;
    return 'assigned';
  };
  const users = Array.from({ length: 20 }, (_, i) => `user${i}`);
  const { counts } = await makeChanges(NO_DEPS, planOf(Object.fromEntries(users.map((u) => [u, [change(u), change(u), change(u)]]))), later());
  expect(counts.assigned).toBe(60);
  expect(most).toBe(CALLS_AT_ONCE);
});
