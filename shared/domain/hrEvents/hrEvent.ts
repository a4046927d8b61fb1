import { DateTime } from 'luxon';
import { z } from 'zod';
import { userAttribute, type AttributeType } from '../rules/attributes';

/**
 * An HR event (DESIGN §2.6) as validated: one employee key, attributes under the rule language's own names
 * (`department`, `physicalDeliveryOfficeName`, `extensionAttribute3`, as `user.<name>` spells them), times in UTC.
 */
export interface HrEvent {
  eventId: string;
  eventType: HrEventType;
  /** When HR says it happened (UTC ISO 8601): orders events about one employee, the newest winning. */
  occurredAt: string;
  /** When it takes effect (UTC ISO 8601); absent: at once. */
  effectiveAt?: string;
  employee: EmployeeKey & { attributes: HrAttributes };
}

export type HrEventType = 'joiner' | 'mover' | 'leaver';

/** Exactly one of these names the employee. */
export type EmployeeKey = { userId: string } | { userPrincipalName: string } | { employeeId: string };

/** Attribute values by rule property name: text, a flag, a date and time, a list of text, or null (cleared). */
export type HrAttributes = Record<string, string | boolean | string[] | null>;

/** At most this many events in one call (DESIGN §2.6). */
export const MAX_EVENTS_PER_CALL = 500;
/** Bounds on one event, so that a call of 500 stays small to store and quick to check. */
const MAX_ATTRIBUTES = 50;
const MAX_VALUE_LENGTH = 1024;
const MAX_COLLECTION_ITEMS = 100;
/** How far ahead an event may be dated: a clock a little ahead is tolerated, a date in the future is refused. */
const OCCURRED_AT_SLACK_MINUTES = 5;
/** Future-dated hires come weeks or months ahead; more than a year is a mistake, and would sit in the index. */
const MAX_EFFECTIVE_AHEAD_DAYS = 366;

/**
 * Properties an event may not set: the user's identity (`objectId`) and what the directory alone knows (group
 * membership, licences); rules read those from the directory.
 */
const NOT_SETTABLE: ReadonlySet<AttributeType> = new Set(['memberOf', 'planCollection']);
const NOT_SETTABLE_NAMES: ReadonlySet<string> = new Set(['user.objectId']);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** ISO 8601 with a time and an explicit zone (`Z` or an offset): a time without one means different moments to different readers. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

const dateTime = z
  .string()
  .regex(ISO_DATE_TIME, 'must be an ISO 8601 date and time with a zone, for example 2026-12-06T09:00:00Z')
  .refine((value) => DateTime.fromISO(value, { setZone: true }).isValid, 'must be a real date and time');

const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).regex(PRINTABLE, 'must not hold control characters');

const eventSchema = z.strictObject({
  eventId: text(256),
  eventType: z.enum(['joiner', 'mover', 'leaver'], { message: "must be 'joiner', 'mover' or 'leaver'" }),
  occurredAt: dateTime,
  effectiveAt: dateTime.optional(),
  employee: z.strictObject({
    userId: z.string().regex(GUID, 'must be a GUID').optional(),
    userPrincipalName: text(1024).optional(),
    employeeId: text(256).optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** An event that cannot be taken: which one (its place in the body, its eventId when it has one) and why. */
export class MalformedHrEvent extends Error {
  constructor(
    readonly index: number,
    readonly eventId: string | undefined,
    readonly problems: readonly string[],
  ) {
    super(`Event ${index}${eventId === undefined ? '' : ` (eventId '${eventId}')`} is malformed: ${problems.join('; ')}.`);
    this.name = 'MalformedHrEvent';
  }
}

/**
 * The events of a call's body (one event, or an array of 1 to MAX_EVENTS_PER_CALL), every one checked before any is
 * used: the first malformed one is thrown as MalformedHrEvent, so a call is taken whole or not at all.
 */
export function parseHrEvents(body: unknown, now: DateTime): HrEvent[] {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) throw new MalformedHrEvent(0, undefined, ['the body is an empty array; send one event or an array of events']);
  if (items.length > MAX_EVENTS_PER_CALL) {
    throw new MalformedHrEvent(MAX_EVENTS_PER_CALL, undefined, [`a call carries at most ${MAX_EVENTS_PER_CALL} events (this one ${items.length})`]);
  }
  return items.map((item, index) => parseHrEvent(item, index, now));
}

function parseHrEvent(item: unknown, index: number, now: DateTime): HrEvent {
  const claimedId = typeof item === 'object' && item !== null && typeof (item as { eventId?: unknown }).eventId === 'string' ? (item as { eventId: string }).eventId.slice(0, 256) : undefined;
  const fail = (problems: string[]) => new MalformedHrEvent(index, claimedId, problems);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw fail(['an event must be a JSON object']);
  const parsed = eventSchema.safeParse(item);
  if (!parsed.success) throw fail(parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`));
  const { eventId, eventType, occurredAt, effectiveAt, employee } = parsed.data;
  const problems: string[] = [];
  const keys = (['userId', 'userPrincipalName', 'employeeId'] as const).filter((name) => employee[name] !== undefined);
  if (keys.length !== 1) problems.push(`employee: must name the employee by exactly one of userId, userPrincipalName and employeeId (it names ${keys.length})`);
  const occurred = utc(occurredAt);
  if (DateTime.fromISO(occurred) > now.plus({ minutes: OCCURRED_AT_SLACK_MINUTES })) problems.push('occurredAt: must not be in the future');
  const effective = effectiveAt === undefined ? undefined : utc(effectiveAt);
  if (effective !== undefined && DateTime.fromISO(effective) > now.plus({ days: MAX_EFFECTIVE_AHEAD_DAYS })) {
    problems.push(`effectiveAt: must be at most ${MAX_EFFECTIVE_AHEAD_DAYS} days ahead`);
  }
  const attributes = parseAttributes(employee.attributes ?? {}, problems);
  if (problems.length > 0) throw fail(problems);
  const key = keys[0]!;
  return {
    eventId,
    eventType,
    occurredAt: occurred,
    ...(effective === undefined ? {} : { effectiveAt: effective }),
    employee: { ...({ [key]: employee[key]! } as EmployeeKey), attributes },
  };
}

/** The attributes under their rule names, each value checked against what the rule language reads it as. */
function parseAttributes(given: Record<string, unknown>, problems: string[]): HrAttributes {
  const entries = Object.entries(given);
  if (entries.length > MAX_ATTRIBUTES) {
    problems.push(`employee.attributes: at most ${MAX_ATTRIBUTES} attributes`);
    return {};
  }
  const attributes: HrAttributes = {};
  for (const [name, value] of entries) {
    const where = `employee.attributes.${name}`;
    const attribute = userAttribute(name);
    if (!attribute || NOT_SETTABLE.has(attribute.type) || NOT_SETTABLE_NAMES.has(attribute.name)) {
      problems.push(`${where}: not a user property the rule language reads, or one an event may not set`);
      continue;
    }
    const problem = valueProblem(attribute.type, value);
    if (problem) problems.push(`${where}: ${problem}`);
    else attributes[attribute.name.slice('user.'.length)] = attribute.type === 'dateTime' && typeof value === 'string' ? utc(value) : (value as HrAttributes[string]);
  }
  return attributes;
}

function valueProblem(type: AttributeType, value: unknown): string | undefined {
  if (value === null) return undefined;
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true, false or null';
    case 'dateTime':
      return dateTime.safeParse(value).success ? undefined : 'must be an ISO 8601 date and time with a zone, or null';
    case 'stringCollection':
      return Array.isArray(value) && value.length <= MAX_COLLECTION_ITEMS && value.every((item) => typeof item === 'string' && item.length <= MAX_VALUE_LENGTH)
        ? undefined
        : `must be an array of at most ${MAX_COLLECTION_ITEMS} strings, or null`;
    default:
      return typeof value === 'string' && value.length <= MAX_VALUE_LENGTH ? undefined : `must be a string of at most ${MAX_VALUE_LENGTH} characters, or null`;
  }
}

const utc = (iso: string) => DateTime.fromISO(iso, { setZone: true }).toUTC().toISO()!;

/** The employee key an event names, as `name:value`, so events about one employee can be kept in order. */
export function employeeKeyOf(event: HrEvent): string {
  const { employee } = event;
  if ('userId' in employee) return `userId:${employee.userId.toLowerCase()}`;
  if ('userPrincipalName' in employee) return `userPrincipalName:${employee.userPrincipalName.toLowerCase()}`;
  return `employeeId:${employee.employeeId}`;
}
