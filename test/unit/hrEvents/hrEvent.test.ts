import { DateTime } from 'luxon';
import { MalformedHrEvent, parseHrEvents } from '../../../shared/domain/hrEvents/hrEvent';

const NOW = DateTime.fromISO('2026-12-06T12:00:00Z', { zone: 'utc' });
const USER = 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83';
const joiner = (changes: Record<string, unknown> = {}) => ({
  eventId: 'e-1',
  eventType: 'joiner',
  occurredAt: '2026-12-06T10:00:00+01:00',
  employee: { userId: USER, attributes: { department: 'Sales', JOBTITLE: 'Rep', physicalDeliveryOfficeName: 'Oslo', extensionattribute3: 'x', accountEnabled: true, employeeHireDate: '2026-12-01T00:00:00-05:00', otherMails: ['a@b.c'], city: null } },
  ...changes,
});

function problem(body: unknown): MalformedHrEvent {
  try {
    parseHrEvents(body, NOW);
  } catch (error) {
    if (error instanceof MalformedHrEvent) return error;
    throw error;
  }
  throw new Error('parsed');
}

describe('HR events as received', () => {
  it('takes one event, with times in UTC and attributes under the rule language names', () => {
    expect(parseHrEvents(joiner({ effectiveAt: '2027-01-01T09:00:00+09:00' }), NOW)).toEqual([
      {
        eventId: 'e-1',
        eventType: 'joiner',
        occurredAt: '2026-12-06T09:00:00.000Z',
        effectiveAt: '2027-01-01T00:00:00.000Z',
        employee: {
          userId: USER,
          attributes: { department: 'Sales', jobTitle: 'Rep', physicalDeliveryOfficeName: 'Oslo', extensionAttribute3: 'x', accountEnabled: true, employeeHireDate: '2026-12-01T05:00:00.000Z', otherMails: ['a@b.c'], city: null },
        },
      },
    ]);
  });

  it('takes an array of up to 500, and refuses 501 and an empty one', () => {
    expect(parseHrEvents(Array.from({ length: 500 }, (_, i) => joiner({ eventId: `e-${i}` })), NOW)).toHaveLength(500);
    expect(problem(Array.from({ length: 501 }, (_, i) => joiner({ eventId: `e-${i}` }))).message).toContain('at most 500');
    expect(problem([]).message).toContain('empty array');
  });

  it.each([
    ['no eventId', { eventId: undefined }, 'eventId'],
    ['an eventId that is a number', { eventId: 7 }, 'eventId'],
    ['an unknown eventType', { eventType: 'promotion' }, "eventType: must be 'joiner', 'mover' or 'leaver'"],
    ['an occurredAt that is no date', { occurredAt: 'yesterday' }, 'occurredAt: must be an ISO 8601'],
    ['an occurredAt without a zone', { occurredAt: '2026-12-06T10:00:00' }, 'occurredAt: must be an ISO 8601'],
    ['an occurredAt that does not exist', { occurredAt: '2026-02-30T10:00:00Z' }, 'occurredAt: must be a real date'],
    ['an occurredAt in the future', { occurredAt: '2026-12-06T12:10:00Z' }, 'occurredAt: must not be in the future'],
    ['an effectiveAt years ahead', { effectiveAt: '2030-01-01T00:00:00Z' }, 'effectiveAt: must be at most 366 days ahead'],
    ['an unknown property', { occuredAt: '2026-12-06T10:00:00Z' }, 'occuredAt'],
    ['no employee key', { employee: { attributes: {} } }, 'exactly one of userId, userPrincipalName and employeeId (it names 0)'],
    ['two employee keys', { employee: { userId: USER, employeeId: '42' } }, 'it names 2'],
    ['a userId that is no GUID', { employee: { userId: 'camille' } }, 'employee.userId: must be a GUID'],
    ['an attribute the rule language does not know', { employee: { userId: USER, attributes: { favouriteColour: 'blue' } } }, 'employee.attributes.favouriteColour: not a user property'],
    ['group membership as an attribute', { employee: { userId: USER, attributes: { memberOf: ['x'] } } }, 'employee.attributes.memberOf'],
    ['the object id as an attribute', { employee: { userId: USER, attributes: { objectId: USER } } }, 'employee.attributes.objectId'],
    ['a text attribute given a number', { employee: { userId: USER, attributes: { department: 7 } } }, 'employee.attributes.department: must be a string'],
    ['a flag given text', { employee: { userId: USER, attributes: { accountEnabled: 'yes' } } }, 'employee.attributes.accountEnabled: must be true, false or null'],
    ['a date attribute that is no date', { employee: { userId: USER, attributes: { employeeHireDate: 'soon' } } }, 'employee.attributes.employeeHireDate: must be an ISO 8601'],
    ['a collection given text', { employee: { userId: USER, attributes: { otherMails: 'a@b.c' } } }, 'employee.attributes.otherMails: must be an array'],
  ])('refuses an event with %s, naming it and the problem', (_situation, changes, expected) => {
    const error = problem([joiner({ eventId: 'fine' }), joiner(changes)]);
    expect(error.index).toBe(1);
    expect(error.message).toContain(expected);
    expect(error.message).toMatch(/^Event 1/);
  });

  it('names the malformed event by its eventId when it has one', () => {
    expect(problem([joiner(), joiner({ eventId: 'e-2', eventType: 'x' })]).message).toMatch(/^Event 1 \(eventId 'e-2'\) is malformed: eventType/);
  });

  it('refuses something that is no event object', () => {
    expect(problem(['joiner']).message).toBe('Event 0 is malformed: an event must be a JSON object.');
  });
});
