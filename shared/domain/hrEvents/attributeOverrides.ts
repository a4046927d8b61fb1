import { DateTime, Duration } from 'luxon';
import { userAttribute } from '../rules/attributes';
import type { RuleSubject } from '../rules/ruleSubject';

/** A value an HR event gives an attribute: text, a flag, a date and time (UTC ISO 8601), a list of text, or null. */
export type AttributeValue = string | boolean | string[] | null;

/** One attribute's value from the newest event that named it. */
export interface OverriddenAttribute {
  value: AttributeValue;
  /** The event's occurredAt: what orders events (an older one never overrides a newer). */
  occurredAt: string;
  /** Breaks a tie between two events of the same occurredAt, so the outcome does not depend on arrival order. */
  eventId: string;
  /** Past this, the override no longer counts and is forgotten (unless `lasting`). */
  expiresAt: string;
  /**
   * A leaver's: it counts past `expiresAt`, until the directory shows it (settled) or a newer event names the
   * attribute (a rehire's joiner records the account as the directory shows it), so that a grace period longer than
   * the lifetime ends with the leaver's access, not with the directory's enabled account read again; and it is kept
   * until replaced, settled too, so that an older event delivered later still loses to the departure.
   */
  lasting?: true;
  /**
   * The directory has shown this value since: the override no longer counts, but is kept until `expiresAt` so an
   * older event arriving late still loses to it.
   */
  settled?: boolean;
}

/** One user's overrides, by the rule's property name in lower case. */
export interface AttributeOverrides {
  userId: string;
  attributes: Record<string, OverriddenAttribute>;
}

/** What an event says about a user's attributes. */
export interface AttributeChange {
  eventId: string;
  occurredAt: string;
  effectiveAt?: string;
  attributes: Readonly<Record<string, AttributeValue>>;
  /** A leaver's change: its entries are `lasting`. */
  lasting?: boolean;
}

/**
 * How long an override counts when the directory never comes to show it, from when its event took effect. Counted
 * from the event (not from its arrival), so an event older than this can never override anything: its entry would
 * have expired already, which keeps the ordering safe after old entries are forgotten.
 */
export const OVERRIDE_LIFETIME = Duration.fromObject({ days: 7 });

const millis = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' }).toMillis();

/** When an event takes effect: its effectiveAt, or when it occurred (whichever is later). */
export function takesEffectAt(change: Pick<AttributeChange, 'occurredAt' | 'effectiveAt'>): DateTime {
  const occurred = DateTime.fromISO(change.occurredAt, { zone: 'utc' });
  const effective = change.effectiveAt === undefined ? occurred : DateTime.fromISO(change.effectiveAt, { zone: 'utc' });
  return effective > occurred ? effective : occurred;
}

/** Whether `a` is newer than `b`: by occurredAt, then by eventId. */
function newer(a: Pick<OverriddenAttribute, 'occurredAt' | 'eventId'>, b: Pick<OverriddenAttribute, 'occurredAt' | 'eventId'>): boolean {
  const difference = millis(a.occurredAt) - millis(b.occurredAt);
  return difference !== 0 ? difference > 0 : a.eventId > b.eventId;
}

/**
 * The overrides after an event, attribute by attribute: an attribute takes the event's value unless a newer event
 * already set it. Expired entries are dropped. Undefined when nothing is left (no row to keep); `changed` says
 * whether anything differs from `current`.
 */
export function withChange(current: AttributeOverrides | undefined, userId: string, change: AttributeChange, now: DateTime): { next: AttributeOverrides | undefined; changed: boolean } {
  const expiresAt = takesEffectAt(change).plus(OVERRIDE_LIFETIME).toUTC().toISO()!;
  const attributes = live(current?.attributes ?? {}, now);
  let changed = Object.keys(attributes).length !== Object.keys(current?.attributes ?? {}).length;
  if (millis(expiresAt) > now.toMillis()) {
    for (const [name, value] of Object.entries(change.attributes)) {
      const key = name.toLowerCase();
      const entry: OverriddenAttribute = { value, occurredAt: change.occurredAt, eventId: change.eventId, expiresAt, ...(change.lasting ? { lasting: true as const } : {}) };
      const existing = attributes[key];
      if (existing && !newer(entry, existing)) continue;
      attributes[key] = entry;
      changed = true;
    }
  }
  return { next: Object.keys(attributes).length === 0 ? undefined : { userId, attributes }, changed };
}

/**
 * An event's own attributes that no newer recorded event has named: a settled entry counts too (it is kept to order
 * late events), so an older event arriving late does not bring back what a newer one set and the directory now shows.
 */
export function unsupersededAttributes(overrides: AttributeOverrides | undefined, change: Pick<AttributeChange, 'eventId' | 'occurredAt' | 'attributes'>): Map<string, AttributeValue> {
  const own = new Map<string, AttributeValue>();
  for (const [name, value] of Object.entries(change.attributes)) {
    if (!namedSince(overrides, change, name)) own.set(name.toLowerCase(), value);
  }
  return own;
}

/** Whether an event newer than `change` is recorded (settled or not) as naming the attribute. */
export function namedSince(overrides: AttributeOverrides | undefined, change: Pick<AttributeChange, 'eventId' | 'occurredAt'>, name: string): boolean {
  const existing = overrides?.attributes[name.toLowerCase()];
  return existing !== undefined && newer(existing, change);
}

/** The overrides that count now, for the rules: not settled, and not expired unless lasting. */
export function activeOverrides(overrides: AttributeOverrides | undefined, now: DateTime): Map<string, AttributeValue> {
  const active = new Map<string, AttributeValue>();
  for (const [name, entry] of Object.entries(overrides?.attributes ?? {})) {
    if (!entry.settled && (entry.lasting || millis(entry.expiresAt) > now.toMillis())) active.set(name, entry.value);
  }
  return active;
}

/**
 * The overrides once the directory's user is taken into account: an attribute the directory now shows with the
 * same value is settled (it stops counting), expired ones go. Undefined `next` when nothing is left; `changed`
 * false when there is nothing to write. Only a non-null directory value settles an override: a property the
 * directory read left out (a delta tracking other properties) is null there, and must not pass for agreement.
 */
export function settledBy(overrides: AttributeOverrides, directoryUser: RuleSubject, now: DateTime): { next: AttributeOverrides | undefined; changed: boolean } {
  const attributes = live(overrides.attributes, now);
  let changed = Object.keys(attributes).length !== Object.keys(overrides.attributes).length;
  for (const [name, entry] of Object.entries(attributes)) {
    if (entry.settled) continue;
    const shown = userAttribute(name)?.read({ ...directoryUser, attributeOverrides: undefined });
    if (shown === null || shown === undefined || !sameValue(shown, entry.value)) continue;
    attributes[name] = { ...entry, settled: true };
    changed = true;
  }
  return { next: Object.keys(attributes).length === 0 ? undefined : { ...overrides, attributes }, changed };
}

/**
 * The entries kept: not expired, and a leaver's for good (settled too, until a newer event names the attribute), so
 * that an older event delivered past the lifetime is still told to be older than the departure.
 */
function live(attributes: Record<string, OverriddenAttribute>, now: DateTime): Record<string, OverriddenAttribute> {
  return Object.fromEntries(Object.entries(attributes).filter(([, entry]) => entry.lasting || millis(entry.expiresAt) > now.toMillis()));
}

/** Text compares without regard to case (as rules do), dates as instants, lists as sets. */
function sameValue(shown: unknown, value: AttributeValue): boolean {
  if (Array.isArray(value)) {
    if (!Array.isArray(shown)) return false;
    const wanted = new Set(value.map((v) => v.toLowerCase()));
    const has = new Set(shown.map((v) => String(v).toLowerCase()));
    return wanted.size === has.size && [...wanted].every((v) => has.has(v));
  }
  if (typeof value === 'boolean' || value === null) return shown === value;
  if (typeof shown !== 'string') return false;
  const asDate = [DateTime.fromISO(value, { zone: 'utc' }), DateTime.fromISO(shown, { zone: 'utc' })];
  if (/^\d{4}-\d{2}-\d{2}T/.test(value) && asDate.every((d) => d.isValid)) return asDate[0]!.toMillis() === asDate[1]!.toMillis();
  return shown.toLowerCase() === value.toLowerCase();
}
