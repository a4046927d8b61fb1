import { DateTime } from 'luxon';
import { activeOverrides, employmentChangedSince, settledBy, withChange, type AttributeChange, type AttributeOverrides } from '../../../shared/domain/hrEvents/attributeOverrides';
import { compileRule } from '../../../shared/domain/rules';

const NOW = DateTime.fromISO('2026-12-06T12:00:00Z', { zone: 'utc' });
const USER = 'u1';

const change = (eventId: string, occurredAt: string, attributes: AttributeChange['attributes'], effectiveAt?: string): AttributeChange => ({ eventId, occurredAt, attributes, ...(effectiveAt ? { effectiveAt } : {}) });
const apply = (current: AttributeOverrides | undefined, c: AttributeChange, now = NOW) => withChange(current, USER, c, now).next;

describe('attribute overrides (the newest event wins, attribute by attribute, for a bounded time)', () => {
  it('keeps the newer value of an attribute whatever order the events come in, and takes the older event’s other attributes', () => {
    const newer = change('b', '2026-12-06T11:00:00Z', { department: 'Research' });
    const older = change('a', '2026-12-06T10:00:00Z', { department: 'Sales', jobTitle: 'Analyst' });

    const oneWay = apply(apply(undefined, newer), older);
    const otherWay = apply(apply(undefined, older), newer);

    expect(Object.fromEntries(activeOverrides(oneWay, {}, NOW))).toEqual({ department: 'Research', jobtitle: 'Analyst' });
    expect(Object.fromEntries(activeOverrides(otherWay, {}, NOW))).toEqual(Object.fromEntries(activeOverrides(oneWay, {}, NOW)));
  });

  it('breaks a tie of occurredAt by eventId, so two events of one instant give one outcome in either order', () => {
    const x = change('x', '2026-12-06T11:00:00Z', { department: 'X' });
    const y = change('y', '2026-12-06T11:00:00Z', { department: 'Y' });

    expect(activeOverrides(apply(apply(undefined, x), y), {}, NOW).get('department')).toBe('Y');
    expect(activeOverrides(apply(apply(undefined, y), x), {}, NOW).get('department')).toBe('Y');
  });

  it('lasts seven days from when the event took effect (its effectiveAt when later), then no longer counts and is forgotten', () => {
    const stored = apply(undefined, change('a', '2026-12-01T00:00:00Z', { department: 'Research' }, '2026-12-02T00:00:00Z'));

    expect(activeOverrides(stored, {}, DateTime.fromISO('2026-12-08T23:59:00Z')).get('department')).toBe('Research');
    expect(activeOverrides(stored, {}, DateTime.fromISO('2026-12-09T00:00:01Z')).size).toBe(0);
    expect(withChange(stored, USER, change('b', '2026-12-08T00:00:00Z', {}), DateTime.fromISO('2026-12-09T00:00:01Z'))).toEqual({ next: undefined, changed: true });
  });

  it("lasts a leaver's departure (account, leave date) past the seven days until the directory shows it, or a newer event names the attribute", () => {
    const leaver: AttributeChange = { ...change('l', '2026-12-01T00:00:00Z', { accountEnabled: false, employeeLeaveDateTime: '2026-12-01T00:00:00.000Z', department: 'Sales' }), employment: 'leaver' };
    const stored = apply(undefined, leaver);
    const later = DateTime.fromISO('2026-12-20T00:00:00Z');

    // The event's other attributes (a snapshot) have the ordinary lifetime.
    expect(Object.fromEntries(activeOverrides(stored, {}, later))).toEqual({ accountenabled: false, employeeleavedatetime: '2026-12-01T00:00:00.000Z' });
    // Kept by a later write, too, while not settled.
    expect(withChange(stored, USER, change('m', '2026-12-19T00:00:00Z', { jobTitle: 'Lead' }), later).next?.attributes.accountenabled).toMatchObject({ value: false, lasting: true });
    // The directory shows the account disabled: settled, no longer counting, but kept to order later events.
    const settled = settledBy(stored!, { id: USER, accountEnabled: false, department: null }, later).next;
    expect(Object.fromEntries(activeOverrides(settled, {}, later))).toEqual({ employeeleavedatetime: '2026-12-01T00:00:00.000Z' });
    expect(settled?.attributes.accountenabled).toMatchObject({ settled: true });
    expect(withChange(settled, USER, change('n', '2026-12-19T00:00:00Z', { jobTitle: 'Lead' }), later).next?.attributes.accountenabled).toMatchObject({ settled: true });
    expect(withChange(settled, USER, change('o', '2026-11-30T00:00:00Z', { accountEnabled: true }), DateTime.fromISO('2026-12-06T00:00:00Z')).next?.attributes.accountenabled).toMatchObject({ eventId: 'l' });
    // A rehire's joiner, newer, names the attribute: its value counts, for its own seven days.
    const rehired = apply(stored, change('j', '2026-12-19T00:00:00Z', { accountEnabled: true }), later);
    expect(activeOverrides(rehired, {}, later).get('accountenabled')).toBe(true);
    expect(activeOverrides(rehired, {}, DateTime.fromISO('2026-12-27T00:00:00Z')).has('accountenabled')).toBe(false);
  });

  it("counts a leaver's departure for 90 days from when it took effect at most, then forgets it", () => {
    const stored = apply(undefined, { ...change('l', '2026-12-01T00:00:00Z', { accountEnabled: false }, '2026-12-02T00:00:00Z'), employment: 'leaver' });

    expect(activeOverrides(stored, {}, DateTime.fromISO('2027-03-01T23:59:00Z')).get('accountenabled')).toBe(false);
    expect(activeOverrides(stored, {}, DateTime.fromISO('2027-03-02T00:00:01Z')).size).toBe(0);
    expect(withChange(stored, USER, change('m', '2027-03-01T00:00:00Z', {}), DateTime.fromISO('2027-03-02T00:00:01Z'))).toEqual({ next: undefined, changed: true });
  });

  it("ends a leaver's departure once the directory shows a hire date, come, after the event took effect (a rehire made in the directory alone)", () => {
    const stored = apply(undefined, { ...change('l', '2026-12-01T00:00:00Z', { accountEnabled: false }), employment: 'leaver' });
    const later = DateTime.fromISO('2027-01-30T00:00:00Z');

    expect(activeOverrides(stored, { employeeHireDate: '2027-01-29T00:00:00Z' }, later).size).toBe(0);
    // A hire date from before the event, or one still ahead (someone who never started), does not end it.
    expect(activeOverrides(stored, { employeeHireDate: '2026-03-01T00:00:00Z' }, later).get('accountenabled')).toBe(false);
    expect(activeOverrides(stored, { employeeHireDate: '2027-02-01T00:00:00Z' }, later).get('accountenabled')).toBe(false);
    // A departure scheduled ahead (effectiveAt) ends only at a hire date after it took effect.
    const applied = DateTime.fromISO('2027-01-21T00:00:00Z');
    const scheduled = apply(undefined, { ...change('s', '2026-12-01T00:00:00Z', { accountEnabled: false }, '2027-01-15T00:00:00Z'), employment: 'leaver' }, applied);
    expect(activeOverrides(scheduled, { employeeHireDate: '2027-01-10T00:00:00Z' }, applied).get('accountenabled')).toBe(false);
    expect(activeOverrides(scheduled, { employeeHireDate: '2027-01-20T00:00:00Z' }, applied).size).toBe(0);
    // Other entries are not a departure: a mover's account after the rehire still counts.
    const moved = apply(stored, change('m', '2027-01-29T12:00:00Z', { accountEnabled: false }), later);
    expect(activeOverrides(moved, { employeeHireDate: '2027-01-29T00:00:00Z' }, later).get('accountenabled')).toBe(false);
  });

  it('records which of a joiner and a leaver is the newer apart from the attributes (no rule reads it), whatever a mover names since', () => {
    const leaver: AttributeChange = { ...change('l', '2026-12-06T08:00:00Z', { accountEnabled: false }), employment: 'leaver' };
    const joiner: AttributeChange = { ...change('j', '2026-12-06T09:00:00Z', { accountEnabled: true }), employment: 'joiner' };
    const stored = apply(apply(apply(undefined, joiner), change('m', '2026-12-06T10:00:00Z', { accountEnabled: true, jobTitle: 'Controller' })), leaver);

    expect(employmentChangedSince(stored, leaver)).toBe(true);
    expect(employmentChangedSince(stored, joiner)).toBe(false);
    expect(Object.fromEntries(activeOverrides(stored, {}, NOW))).toEqual({ accountenabled: true, jobtitle: 'Controller' });
    // Kept past the ordinary lifetime, so a leaver delivered that late is still told it is older than the rehire.
    expect(employmentChangedSince(withChange(stored, USER, change('x', '2026-12-10T00:00:00Z', {}), DateTime.fromISO('2026-12-20T00:00:00Z')).next, leaver)).toBe(true);
  });

  it('tells a leaver in a row written before employment was recorded by its lasting account entry', () => {
    const joiner = change('j', '2026-12-06T08:00:00Z', { accountEnabled: true });
    const before: AttributeOverrides = { userId: USER, attributes: { accountenabled: { value: false, occurredAt: '2026-12-06T09:00:00Z', eventId: 'l', expiresAt: '2026-12-13T09:00:00Z', lasting: true } } };

    expect(employmentChangedSince(before, joiner)).toBe(true);
    expect(employmentChangedSince({ ...before, attributes: { accountenabled: { ...before.attributes.accountenabled!, lasting: undefined } } }, joiner)).toBe(false);
  });

  it('never lets an event older than the lifetime override anything: its entry would be expired already', () => {
    expect(withChange(undefined, USER, change('a', '2026-11-01T00:00:00Z', { department: 'Old' }), NOW)).toEqual({ next: undefined, changed: false });
  });

  it('settles an attribute the directory shows (text without regard to case, dates as instants), keeping it to order late events', () => {
    const stored = apply(undefined, change('a', '2026-12-06T11:00:00Z', { department: 'Research', employeeHireDate: '2026-12-01T00:00:00.000Z', jobTitle: 'Lead' }))!;

    const { next, changed } = settledBy(stored, { id: USER, department: 'research', employeeHireDate: '2026-12-01T00:00:00Z', jobTitle: null }, NOW);

    expect(changed).toBe(true);
    expect(Object.fromEntries(activeOverrides(next, {}, NOW))).toEqual({ jobtitle: 'Lead' });
    expect(next?.attributes.department).toMatchObject({ value: 'Research', settled: true });
    expect(Object.fromEntries(activeOverrides(apply(next, change('z', '2026-12-06T10:00:00Z', { department: 'Sales' })), {}, NOW))).toEqual({ jobtitle: 'Lead' });
  });

  it('does not settle an override against a directory value that is null (a property the read left out)', () => {
    const stored = apply(undefined, change('a', '2026-12-06T11:00:00Z', { department: null }))!;

    expect(settledBy(stored, { id: USER, department: null }, NOW).changed).toBe(false);
  });

  it('is what a rule reads in place of the directory’s value, extension attributes and renamed properties included', () => {
    const rule = compileRule('(user.department -eq "Research") -and (user.extensionAttribute3 -eq "Remote") -and (user.physicalDeliveryOfficeName -eq "Oslo")');
    const stored = apply(undefined, change('a', '2026-12-06T11:00:00Z', { department: 'Research', extensionAttribute3: 'Remote', physicalDeliveryOfficeName: 'Oslo' }));
    const directoryUser = { id: USER, department: 'Sales', officeLocation: 'Paris', onPremisesExtensionAttributes: { extensionAttribute3: 'Office' } };

    expect(rule.matches(directoryUser, { now: NOW })).toBe(false);
    expect(rule.matches({ ...directoryUser, attributeOverrides: activeOverrides(stored, {}, NOW) }, { now: NOW })).toBe(true);
  });
});
