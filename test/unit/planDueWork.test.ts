import { DateTime } from 'luxon';
import type { Assignment } from '../../shared/domain/assignments/assignment';
import type { ApprovalStage } from '../../shared/domain/policies';
import type { ApprovalStageRecord, AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { planAssignmentEnd, planRedelivery, planScheduledStart, planStage } from '../../shared/operations/lifecycle/planDueWork';
import type { DueItem } from '../../shared/store/dueWork';

const NOW = DateTime.fromISO('2026-11-23T10:00:00Z', { zone: 'utc' });

function fakeDeps() {
  const due: DueItem[] = [];
  const redeliveries: DueItem[] = [];
  const deps = {
    clock: { now: () => NOW },
    due: { schedule: async (item: DueItem) => void due.push(item) },
    redeliveries: { schedule: async (item: DueItem) => void redeliveries.push(item) },
  } as unknown as EntitlementDeps;
  return { deps, due, redeliveries };
}

const assignment = (endDateTime: string | null): Assignment =>
  ({ id: 'a1', schedule: { startDateTime: NOW.toISO(), expiration: endDateTime ? { type: 'afterDateTime', endDateTime, duration: null } : { type: 'noExpiration', endDateTime: null, duration: null } } }) as unknown as Assignment;

const stage = (overrides: Partial<ApprovalStage>): ApprovalStage =>
  ({ durationBeforeAutomaticDenial: 'P14D', durationBeforeEscalation: 'PT0S', isEscalationEnabled: false, ...overrides }) as ApprovalStage;

describe('what a decision plans in the due-time index', () => {
  it('plans an end, and reminders 14 days and 1 day before it only when the target may extend', async () => {
    const end = '2026-12-31T10:00:00.000Z';
    const extendable = fakeDeps();
    await planAssignmentEnd(extendable.deps, assignment(end), true);
    expect(extendable.due.map((i) => [i.kind, i.dueDateTime])).toEqual([
      ['assignmentEnd', end],
      ['expiryReminder', '2026-12-17T10:00:00.000Z'],
      ['expiryReminder', '2026-12-30T10:00:00.000Z'],
    ]);
    const fixed = fakeDeps();
    await planAssignmentEnd(fixed.deps, assignment(end), false);
    expect(fixed.due.map((i) => i.kind)).toEqual(['assignmentEnd']);
  });

  it('plans nothing for an assignment without an end, and no reminder whose day has passed', async () => {
    const none = fakeDeps();
    await planAssignmentEnd(none.deps, assignment(null), true);
    expect(none.due).toEqual([]);
    const soon = fakeDeps();
    await planAssignmentEnd(soon.deps, assignment('2026-11-30T10:00:00.000Z'), true);
    expect(soon.due.map((i) => [i.kind, i.detail.split('|')[0]])).toEqual([['assignmentEnd', expect.any(String)], ['expiryReminder', '1']]);
  });

  it("plans a stage's automatic denial, and its escalation when enabled, from the stage's start", async () => {
    const { deps, due } = fakeDeps();
    const record = { id: 's1', startedDateTime: NOW.toISO() } as ApprovalStageRecord;
    await planStage(deps, { id: 'r1' } as AssignmentRequest, record, stage({ durationBeforeAutomaticDenial: 'PT3S', isEscalationEnabled: true, durationBeforeEscalation: 'PT2S' }));
    expect(due.map((i) => [i.kind, i.dueDateTime, i.entityId, i.detail])).toEqual([
      ['stageTimeout', '2026-11-23T10:00:03.000Z', 'r1', 's1'],
      ['stageEscalation', '2026-11-23T10:00:02.000Z', 'r1', 's1'],
    ]);
  });

  it('plans a scheduled start, and makes something due in the past due now (so the sweep still reads it)', async () => {
    const { deps, due, redeliveries } = fakeDeps();
    await planScheduledStart(deps, { id: 'r2', schedule: { startDateTime: '2026-11-24T08:00:00Z', expiration: null } } as AssignmentRequest);
    await planRedelivery(deps, 'a2', NOW.minus({ hours: 1 }));
    expect(due.map((i) => [i.kind, i.dueDateTime])).toEqual([['scheduledStart', '2026-11-24T08:00:00.000Z']]);
    expect(redeliveries.map((i) => [i.kind, i.dueDateTime])).toEqual([['redelivery', NOW.toISO()]]);
  });
});
