import { createHash, randomBytes } from 'node:crypto';
import type { DateTime } from 'luxon';
import { MAX_TRANSACTION_SIZE } from './transactionsOf';

/**
 * Ids made together, so that their locators share a partition: one index write per hundred ids instead of one per
 * id (a bulk write: assignInBulk.ts), or a request's and its assignment's in one transaction. They are UUIDs of RFC
 * 9562's version 8 (its custom version) whose first 8 hex digits are the group's; the version digit says so, so the
 * locator's partition follows from the id alone (locatorGroupOf) and finding one is still one point read. Every
 * other id (randomUUID, version 4) keeps its own.
 *
 * A group's first 6 hex digits are the hour it was made in (hours since 1970, UTC), the last 2 (256 groups an hour, so
 * the hour's locators do not all share one partition) random, or, for the ids of a request (and the assignment it
 * becomes), of its requestor (a hash of their id): the locator partitions then lie in time order, and the requests
 * made in a period are found in that period's run of them (GrantStore.requestPointersCreatedIn); and the requests
 * one requestor makes in an hour share one of them, where the list of the requests they made for others finds them
 * (GrantStore.requestsMadeForOthersBy) by one record of the group instead of a pointer per request.
 */
export function newIdGroup(at: DateTime, requestorId?: string): () => string {
  const group = `${hourDigits(at.toMillis())}${requestorId === undefined ? randomBytes(1).toString('hex') : requestorDigits(requestorId)}`;
  return () => {
    const hex = randomBytes(12).toString('hex');
    // Variant bits 10xx in the first digit of the fourth part, as in every RFC 9562 UUID.
    const variant = ((parseInt(hex[11]!, 16) & 0x3) | 0x8).toString(16);
    return `${group}-${hex.slice(0, 4)}-8${hex.slice(4, 7)}-${variant}${hex.slice(8, 11)}-${hex.slice(12, 24)}`;
  };
}

/** The group of an id made by newIdGroup (its first 8 hex digits); undefined for any other id. */
export function locatorGroupOf(id: string): string | undefined {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id) ? id.slice(0, 8) : undefined;
}

const HOUR_MS = 3_600_000;

/** Whether a group (locatorGroupOf) was made in an hour before the hour of `at`. */
export const groupMadeBeforeHourOf = (group: string, at: DateTime): boolean => parseInt(group.slice(0, 6), 16) < Math.floor(at.toMillis() / HOUR_MS);

/**
 * The groups that can hold the ids of things made in [from, to), as a run of group names: from `first` up to, not
 * including, `after`. An hour more on each side: a bulk write stamps its requests and makes a group once per hundred
 * ids a moment apart, so a request's group may be of the hour before or after its createdDateTime's.
 */
export function groupsMadeIn(from: DateTime, to: DateTime): { first: string; after: string } {
  const firstHour = Math.floor(from.toMillis() / HOUR_MS) - 1;
  const lastHour = Math.floor((to.toMillis() - 1) / HOUR_MS) + 1;
  return { first: `${hourDigits(firstHour * HOUR_MS)}00`, after: `${hourDigits((lastHour + 1) * HOUR_MS)}00` };
}

const hourDigits = (millis: number) => Math.max(0, Math.floor(millis / HOUR_MS)).toString(16).padStart(6, '0');

/** A requestor's last two digits of a group: the same for every spelling of their id (ids compare lower-cased). */
const requestorDigits = (requestorId: string) => createHash('sha256').update(requestorId.toLowerCase()).digest('hex').slice(0, 2);

/**
 * A request's id: one of a group, so that its locator lies with the others of its hour, where the requests report of
 * a period finds it (GrantStore.requestPointersCreatedIn); the group its requestor's of that hour, when known.
 */
export const newRequestId = (at: DateTime, requestorId?: string): string => newIdGroup(at, requestorId)();

/**
 * Ids for many writes made together (a batch of removals), a new group every hundred ids and with every new hour:
 * the locators of a hundred requests are one transaction, and every id's group is of the hour its request was made
 * in (`at`, its createdDateTime), however long the run (the requests report finds a request by its group's hour).
 */
export function idsInGroups(): (at: DateTime) => string {
  let next: (() => string) | undefined;
  let hour: number | undefined;
  let made = 0;
  return (at) => {
    const atHour = Math.floor(at.toMillis() / HOUR_MS);
    if (next === undefined || made === MAX_TRANSACTION_SIZE || atHour !== hour) [next, hour, made] = [newIdGroup(at), atHour, 0];
    made++;
    return next();
  };
}
