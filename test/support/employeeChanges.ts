import type { DateTime } from 'luxon';
import type { AttributeValue } from '../../shared/domain/hrEvents/attributeOverrides';
import type { EmployeeChange } from '../../shared/operations/hrEvents/applyEmployeeChange';

/** A leaver HR event for `userId` that occurred a minute before `now`, or `lateDays` before that (delivered late). */
export const leaverEvent = (now: DateTime, eventId: string, userId: string, { attributes = {}, lateDays = 0 }: { attributes?: Record<string, AttributeValue>; lateDays?: number } = {}): EmployeeChange => ({
  eventId,
  eventType: 'leaver',
  occurredAt: now.minus({ days: lateDays, minutes: 1 }).toUTC().toISO()!,
  employee: { userId, attributes },
});
