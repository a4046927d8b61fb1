/**
 * The ids GraphDirectory puts into Graph paths and filters. Each is checked before it is used, so a value from a
 * request or a stored record can never change which resource a call addresses.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;
/** Characters that would end or escape a path segment; `#` is allowed only as part of a guest's `#EXT#`. */
const OUTSIDE_A_SEGMENT = /[/\\?#\u0000-\u001f\u007f]/;

export type IdKind = 'objectId' | 'userKey' | 'siteId';

export const isObjectId = (value: string): boolean => GUID.test(value);

/** An object id, or a user principal name (a guest's `name_domain#EXT#@tenant` included). */
export function isUserKey(value: string): boolean {
  if (isObjectId(value)) return true;
  if (value === '' || value === '.' || value === '..') return false;
  return !OUTSIDE_A_SEGMENT.test(value.replace(/#EXT#/g, ''));
}

/** A SharePoint site id: `hostname,siteCollectionId,webId`, or a GUID alone. */
export function isSiteId(value: string): boolean {
  const parts = value.split(',');
  if (parts.length === 1) return isObjectId(value);
  const [host = '', siteCollectionId = '', webId = ''] = parts;
  return parts.length === 3 && HOST_NAME.test(host) && isObjectId(siteCollectionId) && isObjectId(webId);
}

const ID_KINDS: Record<IdKind, { isValid: (value: string) => boolean; expected: string }> = {
  objectId: { isValid: isObjectId, expected: 'an object id (a GUID)' },
  userKey: { isValid: isUserKey, expected: 'an object id or a user principal name' },
  siteId: { isValid: isSiteId, expected: 'a site id (a GUID, or hostname,GUID,GUID)' },
};

export const isValidId = (kind: IdKind, value: string): boolean => ID_KINDS[kind].isValid(value);

/** Why an id was refused; the value is written as JSON so that no control character reaches a log. */
export const invalidIdMessage = (kind: IdKind, what: string, value: string): string =>
  `The ${what} ${JSON.stringify(value)} is not ${ID_KINDS[kind].expected}.`;
