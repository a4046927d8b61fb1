import { DateTime } from 'luxon';
import { groupMadeBeforeHourOf, groupsMadeIn, locatorGroupOf, newIdGroup, newRequestId } from '../../shared/store/groupedIds';

const at = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' });

describe('ids made together, their group the hour they were made in', () => {
  it('gives the ids of one group one locator group whose first six hex digits are the hour, and ids of other groups other ones', () => {
    const made = newIdGroup(at('2026-12-07T10:59:59.999Z'));
    const [a, b] = [made(), made()];
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(locatorGroupOf(a)).toBe(locatorGroupOf(b));
    const hour = Math.floor(at('2026-12-07T10:00:00Z').toMillis() / 3_600_000);
    expect(locatorGroupOf(a)!.slice(0, 6)).toBe(hour.toString(16).padStart(6, '0'));
    expect(locatorGroupOf(newRequestId(at('2026-12-07T11:00:00Z')))!.slice(0, 6)).toBe((hour + 1).toString(16).padStart(6, '0'));
    expect(locatorGroupOf('3f2504e0-4f89-41d3-9a0c-0305e82c3301')).toBeUndefined();
  });

  it("gives the requests one requestor makes in an hour one group, whatever the case of their id, and the next hour's another", () => {
    const requestor = 'EB7A7995-9588-432D-8242-AADBC8F429A4';
    const groupAt = (iso: string, requestorId: string) => locatorGroupOf(newRequestId(at(iso), requestorId))!;
    const hour = Math.floor(at('2026-12-07T10:00:00Z').toMillis() / 3_600_000).toString(16).padStart(6, '0');
    expect(groupAt('2026-12-07T10:00:00Z', requestor)).toBe(groupAt('2026-12-07T10:59:59.999Z', requestor.toLowerCase()));
    expect(groupAt('2026-12-07T10:00:00Z', requestor).slice(0, 6)).toBe(hour);
    expect(groupAt('2026-12-07T11:00:00Z', requestor).slice(0, 6)).not.toBe(hour);
    expect(groupAt('2026-12-07T11:00:00Z', requestor).slice(6)).toBe(groupAt('2026-12-07T10:00:00Z', requestor).slice(6));
    expect(locatorGroupOf(newIdGroup(at('2026-12-07T10:00:00Z'), requestor)())).toBe(groupAt('2026-12-07T10:30:00Z', requestor));
  });

  it('bounds the groups of a period from the hour before its start to the hour after its end, so every group made in it is inside and later or earlier ones are not', () => {
    const { first, after } = groupsMadeIn(at('2026-12-07T10:30:00Z'), at('2026-12-07T12:00:00Z'));
    const groupAt = (iso: string) => locatorGroupOf(newRequestId(at(iso)))!;
    const inside = (group: string) => group >= first && group < after;
    for (const iso of ['2026-12-07T09:00:00Z', '2026-12-07T10:30:00Z', '2026-12-07T11:59:59.999Z', '2026-12-07T12:59:59.999Z']) expect(inside(groupAt(iso))).toBe(true);
    for (const iso of ['2026-12-07T08:59:59.999Z', '2026-12-07T13:00:00Z', '2026-12-08T10:30:00Z']) expect(inside(groupAt(iso))).toBe(false);
  });

  it('tells a group made in an earlier hour from one made in the same hour or later', () => {
    const group = locatorGroupOf(newRequestId(at('2026-12-07T10:59:59.999Z'), 'eb7a7995-9588-432d-8242-aadbc8f429a4'))!;
    expect(groupMadeBeforeHourOf(group, at('2026-12-07T11:00:00Z'))).toBe(true);
    expect(groupMadeBeforeHourOf(group, at('2026-12-07T10:59:59.999Z'))).toBe(false);
    expect(groupMadeBeforeHourOf(group, at('2026-12-07T10:00:00Z'))).toBe(false);
    expect(groupMadeBeforeHourOf(group, at('2026-12-07T09:59:59.999Z'))).toBe(false);
  });
});
