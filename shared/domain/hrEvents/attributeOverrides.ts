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
  /**
   * OVERRIDE_LIFETIME after its event took effect: past this, the override no longer counts and is forgotten (a
   * `lasting` one only LASTING_LIFETIME after its event took effect).
   */
  expiresAt: string;
  /**
   * A leaver's departure (the account, the leave date) and a joiner's or leaver's EMPLOYMENT entry: counted and kept
   * for LASTING_LIFETIME rather than OVERRIDE_LIFETIME, so that a grace period longer than the lifetime ends with the
   * leaver's access, not with the directory's enabled account read again, and an older event delivered later still
   * loses to the departure or the rehire. It stops counting earlier when the directory shows it (settled), when a newer
   * event names the attribute, or when the directory shows a hire date since (a rehire made in the directory alone).
   */
  lasting?: true;
  /**
   * The directory has shown this value since: the override no longer counts, but is kept until it expires so an
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
  /** A joiner's or leaver's change: recorded under EMPLOYMENT too; a leaver's departure is `lasting`. */
  employment?: 'joiner' | 'leaver';
}

/**
 * How long an override counts when the directory never comes to show it, from when its event took effect. Counted
 * from the event (not from its arrival), so an event older than this can never override anything: its entry would
 * have expired already, which keeps the ordering safe after old entries are forgotten.
 */
export const OVERRIDE_LIFETIME = Duration.fromObject({ days: 7 });
/**
 * How long a `lasting` entry counts and is kept at most, from when its event took effect: room for the grace periods
 * a leaver's access is commonly given, yet bounded, so that no departure the directory never shows counts for good.
 */
export const LASTING_LIFETIME = Duration.fromObject({ days: 90 });

/**
 * The entry of a joiner's or leaver's employment: which of them is the newest (`namedSince` tells), whatever else
 * newer events named since. No rule or workflow reads it: it is left out of `activeOverrides`.
 */
const EMPLOYMENT = 'employment';
/** A leaver's attributes that are `lasting` (by lower-case name): the departure itself. */
const DEPARTURE: ReadonlySet<string> = new Set(['accountenabled', 'employeeleavedatetime']);

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
    const named = Object.entries(change.attributes).map(([name, value]) => [name.toLowerCase(), value] as const);
    for (const [key, value] of change.employment ? [...named, [EMPLOYMENT, change.employment] as const] : named) {
      const lasting = key === EMPLOYMENT || (change.employment === 'leaver' && DEPARTURE.has(key));
      const entry: OverriddenAttribute = { value, occurredAt: change.occurredAt, eventId: change.eventId, expiresAt, ...(lasting ? { lasting: true as const } : {}) };
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

/**
 * Whether a joiner or leaver newer than `change` is recorded: a rehire after a leaver, a leaver after a joiner. A row
 * written before EMPLOYMENT was recorded tells a leaver by its lasting account entry (only a leaver's lasts).
 */
export function employmentChangedSince(overrides: AttributeOverrides | undefined, change: Pick<AttributeChange, 'eventId' | 'occurredAt'>): boolean {
  const account = overrides?.attributes['accountenabled'];
  return namedSince(overrides, change, EMPLOYMENT) || (account?.lasting === true && newer(account, change));
}

/**
 * The overrides that count now, for the rules: not settled, not expired, and not a departure the directory's user
 * (`directoryUser`, as read) shows a rehire since.
 */
export function activeOverrides(overrides: AttributeOverrides | undefined, directoryUser: Pick<RuleSubject, 'employeeHireDate'>, now: DateTime): Map<string, AttributeValue> {
  const active = new Map<string, AttributeValue>();
  for (const [name, entry] of Object.entries(overrides?.attributes ?? {})) {
    if (name === EMPLOYMENT || entry.settled || endsAt(entry) <= now.toMillis()) continue;
    if (entry.lasting && rehiredSince(entry, directoryUser, now)) continue;
    active.set(name, entry.value);
  }
  return active;
}

/**
 * Whether the directory shows a hire date after the entry's event took effect, and that date has come: a rehire made
 * in the directory alone (an account never disabled, a new department) ends a leaver's departure. A hire date still
 * ahead does not: a leaver event for someone not started yet (their hire date after the event) counts until then.
 */
function rehiredSince(entry: OverriddenAttribute, directoryUser: Pick<RuleSubject, 'employeeHireDate'>, now: DateTime): boolean {
  const hired = directoryUser.employeeHireDate ? DateTime.fromISO(directoryUser.employeeHireDate, { zone: 'utc' }) : undefined;
  return hired !== undefined && hired.isValid && hired.toMillis() > tookEffectAt(entry) && hired <= now;
}

/** When the entry's event took effect: `expiresAt` is OVERRIDE_LIFETIME after it. */
function tookEffectAt(entry: OverriddenAttribute): number {
  return millis(entry.expiresAt) - OVERRIDE_LIFETIME.toMillis();
}

/** When the entry no longer counts and is forgotten: a lasting one LASTING_LIFETIME (not OVERRIDE_LIFETIME) after its event took effect. */
function endsAt(entry: OverriddenAttribute): number {
  return tookEffectAt(entry) + (entry.lasting ? LASTING_LIFETIME : OVERRIDE_LIFETIME).toMillis();
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
 * The entries kept: not expired (a lasting one, settled too, for LASTING_LIFETIME), so that an older event delivered
 * past the ordinary lifetime is still told to be older than the departure or the rehire.
 */
function live(attributes: Record<string, OverriddenAttribute>, now: DateTime): Record<string, OverriddenAttribute> {
  return Object.fromEntries(Object.entries(attributes).filter(([, entry]) => endsAt(entry) > now.toMillis()));
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
