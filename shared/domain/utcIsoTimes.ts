import { DateTime } from 'luxon';

/**
 * A time as luxon writes a UTC one (`toISO()`), the form stored times are kept in: its minute, then seconds and
 * milliseconds that cannot carry it into another minute.
 */
const UTC_ISO = /^(\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):\d\d):([0-5]\d)\.(\d{3})Z$/;
/** Minutes remembered: a bulk write's times fall in a few; the bound only keeps a long-running process small. */
const MINUTES_KEPT = 1_000;

interface Minute {
  millis: number;
  key: string;
}

const minutes = new Map<string, Minute>();

/** A minute (`yyyy-MM-ddTHH:mm`, UTC) as luxon reads it, parsed once. */
function minuteOf(text: string): Minute {
  let minute = minutes.get(text);
  if (!minute) {
    if (minutes.size >= MINUTES_KEPT) minutes.clear();
    const at = DateTime.fromISO(`${text}Z`, { zone: 'utc' });
    minute = { millis: at.toMillis(), key: at.toFormat('yyyyMMddHHmm') };
    minutes.set(text, minute);
  }
  return minute;
}

/**
 * `DateTime.fromISO(iso, { zone: 'utc' }).toMillis()` (NaN when invalid), with a time in luxon's UTC form read
 * from its minute, parsed once: the keys of a bulk write's thousands of events and due items are made from their
 * times, and luxon's parsing of each was a large part of the write's CPU and garbage.
 */
export function utcMillisOf(iso: string): number {
  const parts = UTC_ISO.exec(iso);
  if (!parts) return DateTime.fromISO(iso, { zone: 'utc' }).toMillis();
  return minuteOf(parts[1]!).millis + Number(parts[2]) * 1000 + Number(parts[3]);
}

/** `DateTime.fromISO(iso, { zone: 'utc' }).toFormat('yyyyMMddHHmm')` ("Invalid DateTime" when invalid), likewise. */
export function utcMinuteKeyOf(iso: string): string {
  const parts = UTC_ISO.exec(iso);
  return parts ? minuteOf(parts[1]!).key : DateTime.fromISO(iso, { zone: 'utc' }).toFormat('yyyyMMddHHmm');
}
