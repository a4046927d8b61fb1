import { z } from 'zod';
import { EXPIRATION_PATTERN_TYPES, type ExpirationPattern } from './assignmentPolicy';
import { isoDuration } from './durations';
import { dateTimeOffset, enumIgnoringCase, graphObject } from './graphValues';

/**
 * expirationPattern. Graph: "if duration is specified, endDateTime should not be present and type should be
 * afterDuration". When type is left out it follows from the field given; with neither field, nothing expires.
 */
export const expirationPattern: z.ZodType<ExpirationPattern, unknown> = graphObject('expirationPattern', {
  type: enumIgnoringCase(EXPIRATION_PATTERN_TYPES).optional(),
  duration: isoDuration().nullish(),
  endDateTime: dateTimeOffset().nullish(),
}).transform(({ type, duration, endDateTime }, ctx): ExpirationPattern => {
  if (duration && endDateTime) {
    ctx.addIssue({ code: 'custom', message: 'give duration or endDateTime, not both' });
    return z.NEVER;
  }
  const given = duration ? 'duration' : endDateTime ? 'endDateTime' : undefined;
  const effectiveType = type ?? (given === 'duration' ? 'afterDuration' : given === 'endDateTime' ? 'afterDateTime' : 'noExpiration');
  const wanted = effectiveType === 'afterDuration' ? 'duration' : effectiveType === 'afterDateTime' ? 'endDateTime' : undefined;
  if (wanted && given !== wanted) {
    ctx.addIssue({ code: 'custom', path: [wanted], message: `is required when type is ${effectiveType}` });
    return z.NEVER;
  }
  if (!wanted && given) {
    ctx.addIssue({ code: 'custom', path: [given], message: `must be left out when type is ${effectiveType}` });
    return z.NEVER;
  }
  return { type: effectiveType, duration: duration ?? null, endDateTime: endDateTime ?? null };
});
