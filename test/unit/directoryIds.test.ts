import { invalidIdMessage, isObjectId, isSiteId, isUserKey } from '../../shared/directory/directoryIds';

const GUID = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';

describe('ids at the directory boundary', () => {
  it('takes GUIDs, in either case, as object ids and nothing else', () => {
    expect(isObjectId(GUID)).toBe(true);
    expect(isObjectId(GUID.toUpperCase())).toBe(true);
    for (const value of ['', 'me', `${GUID}/owners`, `${GUID}'`, `{${GUID}}`, `${GUID} `]) expect([value, isObjectId(value)]).toEqual([value, false]);
  });

  it("takes user principal names, a guest's #EXT# included, as user keys", () => {
    for (const value of [GUID, 'megan@contoso.com', 'pat_fabrikam.com#EXT#@contoso.onmicrosoft.com', "o'brien@contoso.com"]) {
      expect([value, isUserKey(value)]).toEqual([value, true]);
    }
  });

  it('refuses user keys that would leave their path segment', () => {
    for (const value of ['', '.', '..', 'a/b', 'a\\b', 'a?b', 'a#b', 'pat#EXT@x', 'a\nb']) expect([value, isUserKey(value)]).toEqual([value, false]);
  });

  it('takes hostname,GUID,GUID or a GUID as a site id', () => {
    expect(isSiteId(`contoso.sharepoint.com,${GUID},${GUID}`)).toBe(true);
    expect(isSiteId(GUID)).toBe(true);
    for (const value of ['contoso.sharepoint.com', `contoso.sharepoint.com,${GUID}`, `a/b,${GUID},${GUID}`, `contoso.sharepoint.com,x,${GUID}`, `,${GUID},${GUID}`]) {
      expect([value, isSiteId(value)]).toEqual([value, false]);
    }
  });

  it('names a refused id as JSON, so no control character reaches a log', () => {
    expect(invalidIdMessage('objectId', 'group id', 'a\nb')).toBe('The group id "a\\nb" is not an object id (a GUID).');
  });
});
