import { employmentEnded } from '../../../shared/operations/workflows/endedEmployment';
import { memberUser } from '../../support/directoryUsers';

/**
 * The employment a leave-date occurrence's claim records: only a hire date on the leave day or later tells one
 * departure that day from another (a rehire between them); an earlier one, however it changes, is the same employment.
 */
const LEAVE = 'employeeLeaveDateTime@2026-12-09';
const hiredAt = (employeeHireDate: string | null) => memberUser('u1', { employeeHireDate });

describe('employmentEnded', () => {
  it('is the hire date, as UTC, when it falls on the leave day or later', () => {
    expect(employmentEnded(LEAVE, hiredAt('2026-12-09T01:02:00+01:00'))).toBe('2026-12-09T00:02:00.000Z');
    expect(employmentEnded(LEAVE, hiredAt('2026-12-09'))).toBe('2026-12-09T00:00:00.000Z');
    // Local midnight of the leave day east of UTC (Paris): the UTC day before.
    expect(employmentEnded(LEAVE, hiredAt('2026-12-09T00:00:00+01:00'))).toBe('2026-12-08T23:00:00.000Z');
  });

  it('is null for an employment begun before the leave day, or no hire date at all', () => {
    expect(employmentEnded(LEAVE, hiredAt('2020-06-22'))).toBeNull();
    expect(employmentEnded(LEAVE, hiredAt('2026-12-08T09:59:59Z'))).toBeNull();
    expect(employmentEnded(LEAVE, hiredAt(null))).toBeNull();
    // A rehire to come (next month) is not the employment this departure ends.
    expect(employmentEnded(LEAVE, hiredAt('2026-12-10T09:00:00Z'))).toBeNull();
  });

  it('is undefined for other occurrences: hire dates, changes, HR events', () => {
    for (const occurrence of ['employeeHireDate@2026-12-09', 'change:3', 'hrEvent:e1']) expect(employmentEnded(occurrence, hiredAt('2026-12-09'))).toBeUndefined();
  });
});
