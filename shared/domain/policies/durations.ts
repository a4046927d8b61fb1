import { Duration } from 'luxon';
import { z } from 'zod';
import { describeJson, expected } from './graphValues';

/** Past this a duration is a mistake or an attack on the expiry maths; `noExpiration` says "forever". */
const LONGEST = Duration.fromObject({ years: 100 });

/**
 * An ISO 8601 duration (Edm.Duration) such as `P30D`, `PT4H` or `PT30S`, stored in luxon's canonical spelling.
 * Zero is allowed only where it means something: `durationBeforeEscalation` (Graph writes `PT0S` there when
 * escalation is off) and `gracePeriodBeforeAccessRemoval` (no grace: access goes as soon as the target stops matching).
 */
export function isoDuration(options: { allowZero: boolean } = { allowZero: false }) {
  const kind = options.allowZero ? 'an ISO 8601 duration of zero or more' : 'a positive ISO 8601 duration';
  return z.string({ error: expected(kind) }).transform((value, ctx) => {
    const duration = value.length <= 64 ? Duration.fromISO(value.toUpperCase()) : undefined;
    const parts = duration?.isValid ? Object.values(duration.toObject()) : [];
    const wellFormed = parts.length > 0 && parts.every((part) => part >= 0);
    const length = duration?.toMillis() ?? 0;
    if (!duration || !wellFormed || (length === 0 && !options.allowZero)) {
      ctx.addIssue({ code: 'custom', message: `${describeJson(value)} is not ${kind}, such as P30D or PT4H` });
      return z.NEVER;
    }
    if (length > LONGEST.toMillis()) {
      ctx.addIssue({ code: 'custom', message: `${describeJson(value)} is longer than 100 years` });
      return z.NEVER;
    }
    return length === 0 ? 'PT0S' : (duration.toISO() as string);
  });
}

export function durationMillis(isoDurationText: string): number {
  return Duration.fromISO(isoDurationText).toMillis();
}
