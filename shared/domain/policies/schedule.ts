import type { z } from 'zod';
import {
  DAYS_OF_WEEK,
  RECURRENCE_PATTERN_TYPES,
  RECURRENCE_RANGE_TYPES,
  WEEK_INDEXES,
  type EntitlementManagementSchedule,
  type PatternedRecurrence,
} from './assignmentPolicy';
import { expirationPattern } from './expiration';
import { calendarDate, dateTimeOffset, enumIgnoringCase, graphObject, list, orNull, optionalText, wholeNumber } from './graphValues';

const recurrencePattern = graphObject('recurrencePattern', {
  type: enumIgnoringCase(RECURRENCE_PATTERN_TYPES),
  interval: wholeNumber(1, 99),
  month: wholeNumber(0, 12, 0),
  dayOfMonth: wholeNumber(0, 31, 0),
  daysOfWeek: list(enumIgnoringCase(DAYS_OF_WEEK), DAYS_OF_WEEK.length, 'days of the week'),
  firstDayOfWeek: orNull(enumIgnoringCase(DAYS_OF_WEEK)),
  index: orNull(enumIgnoringCase(WEEK_INDEXES)),
});

const recurrenceRange = graphObject('recurrenceRange', {
  type: enumIgnoringCase(RECURRENCE_RANGE_TYPES),
  startDate: orNull(calendarDate()),
  endDate: orNull(calendarDate()),
  numberOfOccurrences: wholeNumber(0, 1000, 0),
  recurrenceTimeZone: optionalText(128),
}).superRefine((range, ctx) => {
  if (range.type === 'endDate' && range.endDate === null) {
    ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'is required when type is endDate' });
  }
  if (range.type === 'numbered' && range.numberOfOccurrences === 0) {
    ctx.addIssue({ code: 'custom', path: ['numberOfOccurrences'], message: 'must be at least 1 when type is numbered' });
  }
});

const patternedRecurrence: z.ZodType<PatternedRecurrence, unknown> = graphObject('patternedRecurrence', {
  pattern: recurrencePattern,
  range: recurrenceRange,
});

/** entitlementManagementSchedule as review settings use it: the first review's start, its length, and how often. */
export const entitlementManagementSchedule: z.ZodType<EntitlementManagementSchedule, unknown> = graphObject('entitlementManagementSchedule', {
  startDateTime: orNull(dateTimeOffset()),
  expiration: orNull(expirationPattern),
  recurrence: orNull(patternedRecurrence),
});
