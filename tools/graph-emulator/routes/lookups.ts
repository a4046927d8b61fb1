import type { GroupRecord, ServicePrincipalRecord, SiteRecord, UserRecord } from '../directoryRecords';
import type { DirectoryState } from '../directoryState';
import { badRequest, GraphHttpError, resourceNotFound } from '../graphErrors';

export function requireUser(directory: DirectoryState, idOrUserPrincipalName: string): UserRecord {
  const user = directory.user(idOrUserPrincipalName);
  if (!user) throw resourceNotFound(idOrUserPrincipalName);
  return user;
}

export function requireGroup(directory: DirectoryState, id: string): GroupRecord {
  const group = directory.group(id);
  if (!group) throw resourceNotFound(id);
  return group;
}

export function requireServicePrincipal(directory: DirectoryState, id: string): ServicePrincipalRecord {
  const app = directory.servicePrincipal(id);
  if (!app) throw resourceNotFound(id);
  return app;
}

/** SharePoint answers for sites in its own terms: `itemNotFound`. */
export function requireSite(directory: DirectoryState, id: string): SiteRecord {
  const site = directory.site(id);
  if (!site) throw new GraphHttpError(404, 'itemNotFound', 'Requested site could not be found');
  return site;
}

/**
 * The object id a reference names: the last segment of an `@odata.id` or `@odata.bind` URL such as
 * `https://graph.microsoft.com/v1.0/directoryObjects/{id}`, on any origin.
 */
export function referencedId(value: unknown, property: string): string {
  const invalid = () => badRequest(`Invalid URL format specified in ${property}.`);
  if (typeof value !== 'string' || value.trim() === '') throw invalid();
  let last: string | undefined;
  try {
    last = new URL(value, 'https://graph.microsoft.com/v1.0/').pathname.split('/').filter(Boolean).pop();
    last = last === undefined ? undefined : decodeURIComponent(last);
  } catch {
    throw invalid();
  }
  if (!last || /^(v1\.0|beta|directoryObjects|users|groups|servicePrincipals)$/i.test(last)) throw invalid();
  return last;
}
