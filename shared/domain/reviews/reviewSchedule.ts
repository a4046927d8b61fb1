import { DateTime, Duration } from 'luxon';
import type { ReviewSettings } from '../policies';

/** How long a review stays open when the policy's schedule gives no expiration (the documented example's P14D). */
export const DEFAULT_REVIEW_DURATION = Duration.fromObject({ days: 14 });
/**
 * Pattern types reviews support (reference graph-wave2 §2.1: weekly and absoluteMonthly), and absoluteYearly, which
 * the beta `recurrenceType: annual` becomes; leave `recurrence` out for a one-time review.
 */
export const REVIEW_RECURRENCE_TYPES = ['weekly', 'absoluteMonthly', 'absoluteYearly'] as const;
const STEP_UNIT = { weekly: 'weeks', absoluteMonthly: 'months', absoluteYearly: 'years' } as const;
/** No schedule is walked further than this many occurrences, whatever its start (a weekly one from 100 years ago is 5,200). */
const MAX_OCCURRENCES_SCANNED = 10_000;

export interface ReviewOccurrence {
  /** 0 for the first review. */
  index: number;
  start: DateTime;
  end: DateTime;
}

/**
 * The review occurrence at `index` of a policy's schedule, or undefined when the schedule has none there (past its
 * range, or a one-time review's second). Each start counts from the first, so month ends do not drift.
 */
export function occurrenceAt(settings: ReviewSettings, index: number): ReviewOccurrence | undefined {
  const schedule = settings.schedule;
  if (!settings.isEnabled || !schedule?.startDateTime || index < 0) return undefined;
  const first = DateTime.fromISO(schedule.startDateTime, { zone: 'utc' });
  const recurrence = schedule.recurrence;
  const unit = recurrence ? STEP_UNIT[recurrence.pattern.type as keyof typeof STEP_UNIT] : undefined;
  const pattern = unit ? recurrence!.pattern : undefined;
  if (!unit && index > 0) return undefined;
  const start = unit ? first.plus({ [unit]: Math.max(1, pattern!.interval) * index }) : first;
  const range = recurrence?.range;
  if (pattern && range?.type === 'numbered' && index >= range.numberOfOccurrences) return undefined;
  if (pattern && range?.type === 'endDate' && range.endDate && start.toISODate()! > range.endDate) return undefined;
  return { index, start, end: start.plus(durationOf(settings)) };
}

/** How long each review of the schedule stays open. */
export function durationOf(settings: ReviewSettings): Duration {
  const schedule = settings.schedule;
  const expiration = schedule?.expiration;
  if (expiration?.type === 'afterDuration' && expiration.duration) return Duration.fromISO(expiration.duration);
  if (expiration?.type === 'afterDateTime' && expiration.endDateTime && schedule?.startDateTime) {
    // The first review ends at endDateTime; later ones stay open as long.
    const length = DateTime.fromISO(expiration.endDateTime).diff(DateTime.fromISO(schedule.startDateTime));
    if (length.toMillis() > 0) return length;
  }
  return DEFAULT_REVIEW_DURATION;
}

/**
 * The occurrence to open next as of `now`: one already under way (started, not yet ended), or else the first
 * still to start. Undefined when the schedule has no more.
 */
export function nextOccurrence(settings: ReviewSettings, now: DateTime): ReviewOccurrence | undefined {
  for (let index = 0; index < MAX_OCCURRENCES_SCANNED; index++) {
    const occurrence = occurrenceAt(settings, index);
    if (!occurrence) return undefined;
    if (occurrence.end > now) return occurrence;
  }
  return undefined;
}

/** The midpoint of an occurrence, when reviewers are reminded. */
export const midpointOf = (start: DateTime, end: DateTime): DateTime => start.plus({ milliseconds: Math.floor(end.diff(start).toMillis() / 2) });
