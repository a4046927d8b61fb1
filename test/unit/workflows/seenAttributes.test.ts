import type { ScopedUser } from '../../../shared/operations/workflows/workflowScope';
import { baselineOf, compareSeen, LEAVE_DATE, type Keeping } from '../../../shared/operations/workflows/seenAttributes';
import { memberUser } from '../../support/directoryUsers';

/**
 * What planning keeps of a user between two reports: a leave date counts as changed only against one recorded
 * (a value or none), never when first seen, and a null the read did not carry says nothing.
 */
const user = (changes: Partial<ScopedUser> = {}): ScopedUser =>
  memberUser('u1', { displayName: 'Lee Gu', userPrincipalName: 'lee@contoso.test', department: 'Sales', jobTitle: 'Director', employeeLeaveDateTime: null, ...changes });
const LEAVING: Keeping = { watched: false, leaveDate: true, leaveDateRead: true };
const OLD = '2026-09-01T00:00:00Z';
const NEW = '2026-12-04T00:00:00Z';

describe('compareSeen: the leave date', () => {
  it('is a change from a recorded value, or from a recorded none', () => {
    expect(compareSeen({ values: { [LEAVE_DATE]: OLD }, changeCount: 0 }, user({ employeeLeaveDateTime: NEW }), LEAVING)).toMatchObject({ leaveDateChanged: true, next: { values: { [LEAVE_DATE]: NEW } } });
    expect(compareSeen({ values: { [LEAVE_DATE]: null }, changeCount: 0 }, user({ employeeLeaveDateTime: NEW }), LEAVING).leaveDateChanged).toBe(true);
  });

  it('is no change when it is the one recorded, and nothing is written', () => {
    expect(compareSeen({ values: { [LEAVE_DATE]: OLD }, changeCount: 0 }, user({ employeeLeaveDateTime: OLD }), LEAVING)).toMatchObject({ leaveDateChanged: false, next: undefined });
  });

  it('is recorded, not a change, when not known before (a user first seen, or kept before leave dates were)', () => {
    expect(compareSeen(undefined, user({ employeeLeaveDateTime: OLD }), LEAVING)).toMatchObject({ known: false, leaveDateChanged: false, next: { values: { [LEAVE_DATE]: OLD } } });
    expect(compareSeen({ values: { department: 'Sales' }, changeCount: 2 }, user({ employeeLeaveDateTime: OLD }), LEAVING)).toMatchObject({ leaveDateChanged: false, next: { values: { department: 'Sales', [LEAVE_DATE]: OLD }, changeCount: 2 } });
  });

  it('records a cleared leave date only when the read carried it', () => {
    const recorded = { values: { [LEAVE_DATE]: OLD }, changeCount: 0 };
    expect(compareSeen(recorded, user(), LEAVING)).toMatchObject({ leaveDateChanged: false, next: { values: { [LEAVE_DATE]: null } } });
    expect(compareSeen(recorded, user(), { ...LEAVING, leaveDateRead: false })).toMatchObject({ leaveDateChanged: false, next: undefined });
    expect(compareSeen(undefined, user(), { ...LEAVING, leaveDateRead: false }).next).toBeUndefined();
  });

  it('is not kept, nor a move, when no workflow counts from it', () => {
    const seen = compareSeen({ values: { department: 'Sales', [LEAVE_DATE]: OLD }, changeCount: 1 }, user({ employeeLeaveDateTime: NEW, department: 'Finance' }), { watched: true, leaveDate: false, leaveDateRead: true });
    expect(seen).toMatchObject({ changed: ['department'], leaveDateChanged: false, next: { values: { department: 'Finance', [LEAVE_DATE]: OLD }, changeCount: 2 } });
  });
});

describe('baselineOf', () => {
  it('fills in a leave date not known yet, none included, and leaves a known one as it is', () => {
    expect(baselineOf(undefined, user(), { watched: false, leaveDate: true })).toEqual({ values: { [LEAVE_DATE]: null }, changeCount: 0 });
    expect(baselineOf({ values: { jobTitle: 'Director' }, changeCount: 3 }, user({ employeeLeaveDateTime: OLD }), { watched: false, leaveDate: true })).toEqual({ values: { jobTitle: 'Director', [LEAVE_DATE]: OLD }, changeCount: 3 });
    // Known already (the delta has yet to report the new one): still a change when it does.
    expect(baselineOf({ values: { [LEAVE_DATE]: null }, changeCount: 0 }, user({ employeeLeaveDateTime: NEW }), { watched: false, leaveDate: true })).toBeUndefined();
  });
});
