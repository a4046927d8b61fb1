import { DateTime } from 'luxon';
import { utcMillisOf, utcMinuteKeyOf } from '../../shared/domain/utcIsoTimes';
import { seededRandom } from '../../tools/graph-emulator/seededRandom';

/** What the helpers stand for: luxon's reading of the text, every time. */
const luxonMillis = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' }).toMillis();
const luxonMinute = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' }).toFormat('yyyyMMddHHmm');

function expectAsLuxon(iso: string): void {
  expect([iso, utcMillisOf(iso)]).toEqual([iso, luxonMillis(iso)]);
  expect([iso, utcMinuteKeyOf(iso)]).toEqual([iso, luxonMinute(iso)]);
}

describe('UTC ISO times read as luxon reads them', () => {
  it('reads luxon UTC times, their minute parsed once, exactly as luxon', () => {
    const random = seededRandom(19);
    const base = DateTime.fromISO('2026-12-07T17:50:39.123Z', { zone: 'utc' });
    for (let i = 0; i < 2_000; i++) {
      // Neighbours in one minute (the minute remembered), and times years apart.
      const at = base.plus({ milliseconds: Math.floor(random() * (i % 2 === 0 ? 60_000 : 10 * 365 * 86_400_000)) });
      expectAsLuxon(at.toISO()!);
    }
  });

  it('agrees with luxon at edges and on invalid times of the same form', () => {
    for (const iso of [
      '2026-12-07T23:59:59.999Z',
      '2026-12-07T24:00:00.000Z',
      '2026-12-07T24:00:30.000Z',
      '2026-12-07T24:00:00.001Z',
      '2024-02-29T12:00:00.000Z',
      '2026-02-29T12:00:00.000Z',
      '2026-02-30T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-12-07T25:00:00.000Z',
      '2026-12-07T17:60:00.000Z',
      '0000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ]) {
      expectAsLuxon(iso);
    }
  });

  it('leaves other forms to luxon', () => {
    for (const iso of [
      '2026-12-07T17:50:60.000Z',
      '2026-12-07T17:50:39Z',
      '2026-12-07T17:50:39.1234Z',
      '2026-12-07T17:50:39.123+01:00',
      '2026-12-07T17:50:39.123',
      '2026-12-07',
      '2026-12-07T17:50Z',
      '',
      'not a time',
    ]) {
      expectAsLuxon(iso);
    }
  });
});
