import { DateTime } from 'luxon';
import type { ReviewSettings } from '../../shared/domain/policies';
import { recommend, removesAccess } from '../../shared/domain/reviews/accessReview';
import { durationOf, midpointOf, nextOccurrence, occurrenceAt } from '../../shared/domain/reviews/reviewSchedule';

const START = '2030-01-31T09:00:00.000Z';

function settings(schedule: Partial<NonNullable<ReviewSettings['schedule']>>, extra: Partial<ReviewSettings> = {}): ReviewSettings {
  return {
    isEnabled: true,
    expirationBehavior: 'keepAccess',
    isRecommendationEnabled: true,
    isReviewerJustificationRequired: true,
    isSelfReview: false,
    primaryReviewers: [],
    fallbackReviewers: [],
    schedule: { startDateTime: START, expiration: { type: 'afterDuration', duration: 'P14D', endDateTime: null }, recurrence: null, ...schedule },
    ...extra,
  };
}

const recurrence = (type: 'weekly' | 'absoluteMonthly', interval: number, range: Record<string, unknown> = { type: 'noEnd' }) =>
  ({ pattern: { type, interval, month: 0, dayOfMonth: 0, daysOfWeek: [], firstDayOfWeek: null, index: null }, range: { startDate: null, endDate: null, numberOfOccurrences: 0, recurrenceTimeZone: null, ...range } }) as never;

const iso = (d: DateTime | undefined) => d?.toUTC().toISO();

describe('review schedule', () => {
  it('a one-time review has one occurrence, open for its duration', () => {
    const once = settings({});
    expect(iso(occurrenceAt(once, 0)?.start)).toBe(START);
    expect(iso(occurrenceAt(once, 0)?.end)).toBe('2030-02-14T09:00:00.000Z');
    expect(occurrenceAt(once, 1)).toBeUndefined();
  });

  it('quarterly (absoluteMonthly, interval 3) counts each start from the first, so month ends do not drift', () => {
    const quarterly = settings({ recurrence: recurrence('absoluteMonthly', 3) });
    expect([1, 2, 4].map((i) => iso(occurrenceAt(quarterly, i)?.start))).toEqual(['2030-04-30T09:00:00.000Z', '2030-07-31T09:00:00.000Z', '2031-01-31T09:00:00.000Z']);
  });

  it('weekly every two weeks, with a numbered range and an end date', () => {
    expect(iso(occurrenceAt(settings({ recurrence: recurrence('weekly', 2) }), 3)?.start)).toBe('2030-03-14T09:00:00.000Z');
    expect(occurrenceAt(settings({ recurrence: recurrence('weekly', 1, { type: 'numbered', numberOfOccurrences: 2 }) }), 2)).toBeUndefined();
    expect(occurrenceAt(settings({ recurrence: recurrence('weekly', 1, { type: 'endDate', endDate: '2030-02-07' }) }), 1)).toBeDefined();
    expect(occurrenceAt(settings({ recurrence: recurrence('weekly', 1, { type: 'endDate', endDate: '2030-02-06' }) }), 1)).toBeUndefined();
  });

  it('afterDateTime ends the first review then; later ones stay open as long; no expiration is 14 days', () => {
    const byDate = settings({ expiration: { type: 'afterDateTime', duration: null, endDateTime: '2030-02-03T09:00:00.000Z' } });
    expect(durationOf(byDate).as('days')).toBe(3);
    expect(durationOf(settings({ expiration: null })).as('days')).toBe(14);
  });

  it('the next occurrence is the one under way, else the first to start', () => {
    const weekly = settings({ recurrence: recurrence('weekly', 1), expiration: { type: 'afterDuration', duration: 'P1D', endDateTime: null } });
    expect(nextOccurrence(weekly, DateTime.fromISO('2030-01-31T20:00:00Z'))?.index).toBe(0);
    expect(nextOccurrence(weekly, DateTime.fromISO('2030-02-02T00:00:00Z'))?.index).toBe(1);
    expect(nextOccurrence(settings({}, { isEnabled: false }), DateTime.fromISO('2029-01-01T00:00:00Z'))).toBeUndefined();
    expect(iso(midpointOf(DateTime.fromISO(START), DateTime.fromISO('2030-02-01T09:00:00Z')))).toBe('2030-01-31T21:00:00.000Z');
  });
});

describe('recommendations and what an end does', () => {
  const opened = DateTime.fromISO('2030-03-01T00:00:00Z');
  it('Approve within 30 days before the review opened, Deny before, NoInfoAvailable without a sign-in', () => {
    expect(recommend('2030-02-15T00:00:00Z', opened)).toBe('Approve');
    expect(recommend('2030-01-15T00:00:00Z', opened)).toBe('Deny');
    expect(recommend(null, opened)).toBe('NoInfoAvailable');
    expect(recommend('garbage', opened)).toBe('NoInfoAvailable');
  });

  it('Deny removes, Approve and DontKnow keep, NotReviewed follows expirationBehavior', () => {
    const keep = { expirationBehavior: 'keepAccess' } as const;
    expect(removesAccess({ decision: 'Deny', recommendation: 'Approve' }, keep)).toBe(true);
    expect(removesAccess({ decision: 'DontKnow', recommendation: 'Deny' }, { expirationBehavior: 'removeAccess' })).toBe(false);
    expect(removesAccess({ decision: 'NotReviewed', recommendation: 'Deny' }, keep)).toBe(false);
    expect(removesAccess({ decision: 'NotReviewed', recommendation: 'Approve' }, { expirationBehavior: 'removeAccess' })).toBe(true);
    expect(removesAccess({ decision: 'NotReviewed', recommendation: 'Deny' }, { expirationBehavior: 'acceptAccessRecommendation' })).toBe(true);
    expect(removesAccess({ decision: 'NotReviewed', recommendation: 'NoInfoAvailable' }, { expirationBehavior: 'acceptAccessRecommendation' })).toBe(false);
  });
});
