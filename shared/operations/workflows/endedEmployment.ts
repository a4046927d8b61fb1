import { DateTime } from 'luxon';
import { LEAVE_DATE } from './seenAttributes';
import { attributeDate, type ScopedUser } from './workflowScope';

const LEAVE_OCCURRENCE = `${LEAVE_DATE}@`;
/**
 * The leave day as the earliest time zone (UTC+14) has it: a hire date at local midnight east of UTC is the UTC day before.
 * A hire date after the leave day is a rehire to come, not an employment this departure ends.
 */
const EARLIEST_ZONE = { hours: 14 };

/**
 * For a leave-date occurrence (`employeeLeaveDateTime@2026-03-01`), the employment its departure ends, as its claim
 * records it: the user's hire date (as the run sees it, HR events' included) when it falls on that day or later (a
 * rehire since an earlier departure that day, or a start that day); null for an employment begun before that day, so
 * an old hire date filled in or corrected since does not make a departure new.
 * The key is the leave day alone, so a leaver rehired and leaving again the same day has the same key: a later
 * employment makes the second departure a new one (workflowStore.claim), while the directory's date and an HR event
 * for the same departure see the same employment and run once. Undefined for other occurrences.
 */
export function employmentEnded(occurrence: string, user: ScopedUser): string | null | undefined {
  if (!occurrence.startsWith(LEAVE_OCCURRENCE)) return undefined;
  const leaveDay = DateTime.fromISO(occurrence.slice(LEAVE_OCCURRENCE.length), { zone: 'utc' });
  const hired = attributeDate(user, 'employeeHireDate');
  return leaveDay.isValid && hired && hired >= leaveDay.startOf('day').minus(EARLIEST_ZONE) && hired <= leaveDay.endOf('day') ? hired.toUTC().toISO()! : null;
}
