import type { AutomaticPolicy } from '../../shared/operations/autoAssignment/automaticPolicies';
import type { Addition } from '../../shared/operations/autoAssignment/assignInBulk';
import { makeChanges, type ChangePlan } from '../../shared/operations/autoAssignment/evaluateAutoAssignments';
import type { Removal } from '../../shared/operations/autoAssignment/removeInBulk';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import type { Assignment } from '../../shared/domain/assignments/assignment';
import type { StoredDocument } from '../../shared/store/documentTable';

/**
 * In what order an auto-assignment run makes its changes (makeChanges): a user's removals after every addition of the
 * run when that user gains a package in it (a role taken while another package gives it would race), everything else
 * at once. The bulk writers are replaced by recorders here; what each does has integration tests of its own
 * (assignInBulk, removeInBulk, graceRemovals).
 */
const started: string[] = [];
let additionsDone: () => void = () => undefined;

jest.mock('../../shared/operations/autoAssignment/assignInBulk', () => ({
  assignInBulk: async (_deps: unknown, batch: Addition[]) => {
    started.push(`add ${batch.map((a) => a.userId).join(',')}`);
    await new Promise<void>((resolve) => (additionsDone = resolve));
    started.push('additions done');
    return batch.map(() => ({ kind: 'assigned' }));
  },
}));
jest.mock('../../shared/operations/autoAssignment/removeInBulk', () => ({
  removeInBulk: async (_deps: unknown, batch: Removal[]) => {
    started.push(`remove ${batch.map((r) => r.userId).join(',')}`);
    return batch.map(() => ({ kind: 'removed' }));
  },
}));
jest.mock('../../shared/operations/autoAssignment/graceRemovalPlans', () => ({
  graceRemovalPending: async () => false,
  planGraceRemovals: async (_deps: unknown, batch: Removal[]) => {
    started.push(`plan ${batch.map((r) => r.userId).join(',')}`);
    return batch.map(() => ({ kind: 'planned' }));
  },
  takeBackGraceRemovals: async (_deps: unknown, batch: Removal[]) => {
    started.push(`take back ${batch.map((r) => r.userId).join(',')}`);
    return batch.map(() => ({ kind: 'unchanged' }));
  },
}));

const AUTO = { policy: { id: 'policy-1', accessPackageId: 'package-1' } } as unknown as AutomaticPolicy;
const deps = {} as EntitlementDeps;
const later = () => Date.now() + 60_000;

function change(userId: string): Removal {
  return { auto: AUTO, userId, assignment: { value: { id: `assignment-of-${userId}`, targetId: userId } } as StoredDocument<Assignment> };
}

/** `gainer` gains a package and loses another; `leaver` only loses one; `planned` and `regained` only change marks. */
const plan: ChangePlan = {
  usersEvaluated: 4,
  ruleEvaluations: 4,
  additions: [{ auto: AUTO, userId: 'Gainer' }],
  removals: [change('gainer'), change('leaver')],
  plannedRemovals: [change('planned')],
  regained: [change('regained')],
};

/** Lets every promise that can settle now settle (the recorders answer at once, but the additions wait). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

beforeEach(() => void started.splice(0));

test("other users' removals, the plans and the take-backs go while the additions are made; the gaining user's removal after them", async () => {
  const made = makeChanges(deps, plan, later());
  await settle();
  expect(new Set(started)).toEqual(new Set(['add Gainer', 'remove leaver', 'plan planned', 'take back regained']));

  additionsDone();
  const { counts, unfinishedUserIds } = await made;
  expect(started.slice(-2)).toEqual(['additions done', 'remove gainer']);
  expect(counts).toMatchObject({ assigned: 1, removed: 2, removalsPlanned: 1, remaining: 0, failed: 0 });
  expect(unfinishedUserIds).toEqual([]);
});

test('a lost lease stops every kind before its next write, and the removals waiting for the additions are not made', async () => {
  let checks = 0;
  const hold = async () => {
    // The first check (the additions') passes; every later one finds the lease gone.
    if (++checks > 1) throw new Error('lease lost');
  };
  const made = makeChanges(deps, plan, later(), hold);
  await settle();
  additionsDone();
  await expect(made).rejects.toThrow('lease lost');
  expect(started).toEqual(['add Gainer', 'additions done']);
});
