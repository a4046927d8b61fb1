import { DateTime } from 'luxon';
import { z } from 'zod';

/**
 * Schemas for JSON values as Graph's OData reader takes them: enums in any letter case, booleans and integers also
 * as strings (documented examples send `"true"` and `"1"`), `null` for "not set", annotations (`@odata.*`) ignored,
 * and properties the type does not declare rejected, because Graph's types here are not open types.
 */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `'${value.length > 80 ? `${value.slice(0, 80)}…` : value}'`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** The error of a schema that received the wrong kind of value, or nothing where something is required. */
export function expected(what: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : `expected ${what}, got ${describeJson(issue.input)}`;
}

/** `#microsoft.graph.singleUser`, `microsoft.graph.singleUser` and `singleUser` all name the same type. */
export function odataTypeName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value.replace(/^#/, '').replace(/^microsoft\.graph\./i, '');
}

function withoutAnnotations(value: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.includes('@')));
}

/** A value of a declared complex type; an `@odata.type` may be given but must name that type. */
export function graphObject<Shape extends z.core.$ZodLooseShape>(typeName: string, shape: Shape) {
  const object = z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown propert${issue.keys.length === 1 ? 'y' : 'ies'} ${issue.keys.map((key) => `'${key}'`).join(', ')} (not in ${typeName})`
        : expected(`an object (${typeName})`)(issue),
  });
  return z.preprocess((value, ctx) => {
    if (!isJsonObject(value)) return value;
    const declared = value['@odata.type'];
    if (declared !== undefined && odataTypeName(declared)?.toLowerCase() !== typeName.toLowerCase()) {
      ctx.addIssue({
        code: 'custom',
        path: ['@odata.type'],
        message: `expected '#microsoft.graph.${typeName}', got ${describeJson(declared)}`,
      });
    }
    return withoutAnnotations(value);
  }, object);
}

/** A value that may be absent or null; absent is null. */
export function orNull<T, I>(schema: z.ZodType<T, I>) {
  return schema.nullish().transform((value) => value ?? null);
}

export function flag(defaultValue: boolean) {
  return z.preprocess(
    (value) => {
      if (value === null || value === undefined) return defaultValue;
      if (value === 'true') return true;
      if (value === 'false') return false;
      return value;
    },
    z.boolean({ error: expected('true or false') }),
  );
}

/** An Int32 property; without a default it is required. */
export function wholeNumber(least: number, most: number, defaultValue?: number) {
  const range = `a whole number from ${least} to ${most}`;
  return z.preprocess(
    (value) => {
      if (value === null || value === undefined) return defaultValue;
      if (typeof value === 'string' && /^[+-]?\d{1,10}$/.test(value)) return Number(value);
      return value;
    },
    z
      .number({ error: expected(range) })
      .refine((n) => Number.isInteger(n) && n >= least && n <= most, { error: (issue) => `expected ${range}, got ${String(issue.input)}` }),
  );
}

export function enumIgnoringCase<const T extends readonly [string, ...string[]]>(values: T, defaultValue?: T[number]) {
  const byLowerCase = new Map<string, T[number]>(values.map((value) => [value.toLowerCase(), value]));
  const oneOf = `one of ${values.join(', ')}`;
  return z.preprocess(
    (value) => (value === null || value === undefined ? defaultValue : value),
    z.string({ error: expected(oneOf) }).transform((value, ctx): T[number] => {
      const known = byLowerCase.get(value.toLowerCase());
      if (known !== undefined) return known;
      ctx.addIssue({ code: 'custom', message: `${describeJson(value)} is not ${oneOf}` });
      return z.NEVER;
    }),
  );
}

/** A string of at most `maxLength` characters that is not blank. */
export function text(maxLength: number) {
  return z
    .string({ error: expected('a string') })
    .refine((value) => value.trim() !== '', { error: 'must not be empty' })
    .refine((value) => value.length <= maxLength, {
      error: (issue) => `must be at most ${maxLength} characters (got ${String((issue.input as string).length)})`,
    });
}

/** A string that may be empty, absent or null; absent is null. */
export function optionalText(maxLength: number) {
  return z
    .string({ error: expected('a string') })
    .refine((value) => value.length <= maxLength, {
      error: (issue) => `must be at most ${maxLength} characters (got ${String((issue.input as string).length)})`,
    })
    .nullish()
    .transform((value) => value ?? null);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A directory object id; ids compare as lower case everywhere, so they are stored that way. */
export function guid() {
  return z
    .string({ error: expected('a GUID') })
    .refine((value) => GUID.test(value), { error: (issue) => `${describeJson(issue.input)} is not a GUID` })
    .transform((value) => value.toLowerCase());
}

const EXPLICIT_OFFSET = /T.*(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** Edm.DateTimeOffset: a date and time with its offset, stored in UTC. */
export function dateTimeOffset() {
  return z.string({ error: expected('an ISO 8601 date-time') }).transform((value, ctx) => {
    const parsed = value.length <= 64 && EXPLICIT_OFFSET.test(value) ? DateTime.fromISO(value, { setZone: true }) : undefined;
    if (parsed?.isValid) return parsed.toUTC().toISO({ suppressMilliseconds: true }) as string;
    ctx.addIssue({ code: 'custom', message: `${describeJson(value)} is not an ISO 8601 date-time with an offset, such as 2024-01-31T00:00:00Z` });
    return z.NEVER;
  });
}

/** Edm.Date: YYYY-MM-DD. */
export function calendarDate() {
  return z
    .string({ error: expected('a date') })
    .refine((value) => /^\d{4}-\d{2}-\d{2}$/.test(value) && DateTime.fromISO(value).isValid, {
      error: (issue) => `${describeJson(issue.input)} is not a date such as 2024-01-31`,
    });
}

/** A collection; absent or null is empty. */
export function list<T>(item: z.ZodType<T>, maxItems: number, what: string) {
  return z.preprocess(
    (value) => value ?? [],
    z.array(item, { error: expected('an array') }).max(maxItems, {
      error: (issue) => `at most ${maxItems} ${what} are allowed (got ${String((issue.input as unknown[]).length)})`,
    }),
  );
}

/** Parses a value with a schema chosen at run time, reporting its problems where the value sits. */
export function parseWithin<T>(schema: z.ZodType<T>, value: unknown, ctx: z.core.$RefinementCtx): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return undefined;
}
