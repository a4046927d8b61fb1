import { z } from 'zod';

/** An enum that takes its values in any letter case (beta and documented examples send `Published`), giving v1.0's. */
export function enumIgnoringCase<const T extends readonly [string, ...string[]]>(values: T) {
  const byLowerCase = new Map(values.map((v) => [v.toLowerCase(), v]));
  return z
    .string({ message: `must be one of ${values.join(', ')}` })
    .transform((value, ctx) => {
      const known = byLowerCase.get(value.toLowerCase());
      if (known === undefined) {
        ctx.addIssue({ code: 'custom', message: `'${value}' is not one of ${values.join(', ')}` });
        return z.NEVER;
      }
      return known as T[number];
    });
}
