import { randomBytes } from 'node:crypto';
import { MAX_TRANSACTION_SIZE } from './transactionsOf';

/**
 * Ids made together for a bulk write (assignInBulk.ts), so that their locators share a partition: one index write
 * per hundred ids instead of one per id. They are UUIDs of RFC 9562's version 8 (its custom version) whose first
 * 8 hex digits are the group's; the version digit says so, so the locator's partition follows from the id alone
 * (locatorGroupOf) and finding one is still one point read. Every other id (randomUUID, version 4) keeps its own.
 */
export function newIdGroup(): () => string {
  const group = randomBytes(4).toString('hex');
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

/**
 * Ids for many writes made together (a batch of removals), a new group every hundred: the locators of a hundred
 * requests are one transaction.
 */
export function idsInGroups(): () => string {
  let next = newIdGroup();
  let made = 0;
  return () => {
    if (made > 0 && made % MAX_TRANSACTION_SIZE === 0) next = newIdGroup();
    made++;
    return next();
  };
}
