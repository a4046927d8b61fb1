import { randomBytes } from 'node:crypto';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isGuid = (value: string): boolean => GUID.test(value);

/** Graph's "default access" app role, assignable on an application that defines no app roles. */
export const DEFAULT_ACCESS_APP_ROLE_ID = '00000000-0000-0000-0000-000000000000';

/** An id in the style of Graph's appRoleAssignment and SharePoint permission ids: opaque, URL-safe, not a GUID. */
export const opaqueId = (): string => randomBytes(32).toString('base64url');

/** Graph's id for a directory role assignment: the role definition and the principal, encoded, then `-1`. */
export function roleAssignmentId(roleDefinitionId: string, principalId: string): string {
  const encode = (guid: string) => Buffer.from(guid.replace(/-/g, ''), 'hex').toString('base64url');
  return `${encode(roleDefinitionId)}${encode(principalId)}-1`;
}

/** Graph writes times in UTC to the second: `2024-05-01T09:30:00Z`. */
export const graphDateTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A date (`2021-03-01`) or a date and time, as Graph's DateTimeOffset; `undefined` when it is neither. */
export function toGraphDateTime(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) return undefined;
  const time = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(time) ? undefined : graphDateTime(new Date(time));
}
