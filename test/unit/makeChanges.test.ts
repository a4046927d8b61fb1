import { DateTime } from 'luxon';
import { makeChanges, type ChangePlan } from '../../shared/operations/autoAssignment/evaluateAutoAssignments';
import type { AutomaticPolicy } from '../../shared/operations/autoAssignment/automaticPolicies';
import type { Removal } from '../../shared/operations/autoAssignment/removeInBulk';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import type { Assignment } from '../../shared/domain/assignments/assignment';
import type { StoredDocument } from '../../shared/store/documentTable';
import type { DueItem } from '../../shared/store/dueWork';
import type { AuditEntry } from '../../shared/store/auditLog';

/**
 * How an auto-assignment run plans the removals after a grace period: within its time, in bulk writes of the
 * due-time index (a thousand to a write), each item naming its target so the sweep reads the assignment by key,
 * then each assignment marked with its item's time (so that matching again can take the item back).
 * (Additions and removals made at once have integration tests of their own: assignInBulk, removeInBulk.)
 */
const NOW = DateTime.fromISO('2026-03-02T09:00:00Z');
const later = () => Date.now() + 60_000;

/** An automatic policy with an hour's grace period; only what planning reads of it. */
const AUTO = { policy: { id: 'policy-1', accessPackageId: 'package-1', automaticRequestSettings: { gracePeriodBeforeAccessRemoval: 'PT1H' } } } as unknown as AutomaticPolicy;

function planned(count: number): Removal[] {
  return Array.from({ length: count }, (_, n) => {
    const assignment = { value: { id: `assignment-${n}`, targetId: `user-${n}`, assignmentPolicyId: 'policy-1', state: 'delivered' } } as StoredDocument<Assignment>;
    return { auto: AUTO, userId: `user-${n}`, assignment };
  });
}

const planOf = (plannedRemovals: Removal[]): ChangePlan => ({ usersEvaluated: plannedRemovals.length, ruleEvaluations: 3 * plannedRemovals.length, additions: [], removals: [], plannedRemovals, regained: [] });

/**
 * Deps whose due-time index records the grace items scheduled, a write at a time (failing the writes `failing`
 * names), whose assignments record the marks written, and whose audit log records the events appended.
 */
function dueIndex(failing: (write: number) => boolean = () => false) {
  const writes: DueItem[][] = [];
  const marks = new Map<string, string | undefined>();
  const appended: AuditEntry[] = [];
  let events = 0;
  const deps = {
    grants: { assignments: { replace: async (stored: StoredDocument<Assignment>, value: Assignment) => (marks.set(value.id, value.graceRemovalDueDateTime), { ...stored, value }) } },
    clock: { now: () => NOW },
    audit: { event: (entry: AuditEntry) => ({ ...entry, id: `event-${++events}` }), appendAll: async (written: AuditEntry[]) => void appended.push(...written) },
    due: {
      scheduleAll: async (items: DueItem[]) => {
        if (failing(writes.length)) {
          writes.push([]);
          throw new Error('storage unavailable');
        }
        writes.push(items.filter((item) => item.kind === 'graceRemoval'));
      },
      unscheduleAll: async () => undefined,
    },
  } as unknown as EntitlementDeps;
  return { deps, writes, marks, appended };
}

test('each planned removal is a due item at the end of the grace period, naming its target, its time marked on the assignment; the evaluation counts are passed on', async () => {
  const { deps, writes, marks, appended } = dueIndex();
  expect(await makeChanges(deps, planOf(planned(2)), later())).toEqual({
    unfinishedUserIds: [],
    counts: { usersEvaluated: 2, ruleEvaluations: 6, assigned: 0, removed: 0, removalsPlanned: 2, remaining: 0, failed: 0, errors: [] },
  });
  expect(writes).toEqual([
    [0, 1].map((n) => ({ kind: 'graceRemoval', dueDateTime: '2026-03-02T10:00:00.000Z', entityId: `assignment-${n}`, detail: 'policy-1', targetId: `user-${n}`, marked: true })),
  ]);
  expect([...marks]).toEqual([0, 1].map((n) => [`assignment-${n}`, '2026-03-02T10:00:00.000Z']));
  // Each mark with its event, naming the mark alone.
  expect(appended).toEqual(
    [0, 1].map((n) =>
      expect.objectContaining({ action: 'autoAssignment.planGraceRemoval', entityType: 'assignment', entityId: `assignment-${n}`, before: {}, after: { graceRemovalDueDateTime: '2026-03-02T10:00:00.000Z' } }),
    ),
  );
});

test('planned a thousand to a write; a write that fails is counted and named, its users left for the next run, the others written', async () => {
  const { deps, writes, marks } = dueIndex((write) => write === 1);
  const { counts, unfinishedUserIds } = await makeChanges(deps, planOf(planned(2_500)), later());
  expect(writes.map((w) => w.length)).toEqual([1_000, 0, 500]);
  // No mark without its item.
  expect(marks.size).toBe(1_500);
  expect(marks.has('assignment-1000')).toBe(false);
  expect(counts).toMatchObject({ removalsPlanned: 1_500, failed: 1_000, remaining: 0 });
  expect(counts.errors).toEqual(['user user-1000: storage unavailable', 'user user-1001: storage unavailable', 'user user-1002: storage unavailable', 'user user-1003: storage unavailable', 'user user-1004: storage unavailable']);
  expect(unfinishedUserIds).toHaveLength(1_000);
  expect(unfinishedUserIds[0]).toBe('user-1000');
});

test('past the deadline nothing is written, and every planned removal is left for the next run', async () => {
  const { deps, writes } = dueIndex();
  const { counts, unfinishedUserIds } = await makeChanges(deps, planOf(planned(3)), Date.now() - 1);
  expect(counts).toMatchObject({ removalsPlanned: 0, remaining: 3, failed: 0 });
  expect(unfinishedUserIds.sort()).toEqual(['user-0', 'user-1', 'user-2']);
  expect(writes).toEqual([]);
});

test('a sweep whose lease is lost stops before the next write', async () => {
  const { deps, writes } = dueIndex();
  let checks = 0;
  const hold = async () => {
    if (++checks > 1) throw new Error('lease lost');
  };
  await expect(makeChanges(deps, planOf(planned(1_500)), later(), hold)).rejects.toThrow('lease lost');
  expect(writes.map((w) => w.length)).toEqual([1_000]);
});
