import { listCollection } from '../collections';
import { PERMISSION_TYPE, project, SITE_TYPE, type Entity } from '../entityTypes';
import { GraphHttpError, requireObjectBody } from '../graphErrors';
import { readQueryOptions } from '../odataQuery';
import { sitePermissionEntity } from '../representations';
import { created, noContent, odataContext, ok } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { requireSite } from './lookups';

const SITE_ROLES: readonly string[] = ['read', 'write', 'owner'];

/** SharePoint's own error code for a request it cannot take. */
const invalidRequest = (message: string) => new GraphHttpError(400, 'invalidRequest', message);

function getSite(context: RouteContext) {
  const site = requireSite(context.directory, context.params.id!);
  const options = readQueryOptions(context.query, { type: SITE_TYPE, allowed: ['select'] });
  return ok({
    '@odata.context': odataContext(context.origin, 'sites', options.select, true),
    ...project(site.properties as unknown as Entity, SITE_TYPE, options.select),
  });
}

function listPermissions(context: RouteContext) {
  const { directory } = context;
  const site = requireSite(directory, context.params.id!);
  const items = [...site.permissions.values()].map((permission) => ({
    seq: permission.seq,
    entity: sitePermissionEntity(directory, permission),
    type: PERMISSION_TYPE,
  }));
  return listCollection(context, { entitySet: `sites('${site.properties.id}')/permissions`, type: PERMISSION_TYPE, items, allowed: ['select', 'top', 'skiptoken'] });
}

function getPermission(context: RouteContext) {
  const site = requireSite(context.directory, context.params.id!);
  const permission = site.permissions.get(context.params.permissionId!);
  if (!permission) throw new GraphHttpError(404, 'itemNotFound', 'The requested permission could not be found.');
  return ok({
    '@odata.context': odataContext(context.origin, `sites('${site.properties.id}')/permissions`, undefined, true),
    ...sitePermissionEntity(context.directory, permission),
  });
}

/**
 * Grants one user a role on the site. Graph only lets applications be granted site permissions; the emulator
 * grants users, one per permission, and answers an identical grant with the permission that exists.
 */
function grant(context: RouteContext) {
  const { directory } = context;
  const site = requireSite(directory, context.params.id!);
  const body = requireObjectBody(context.body);
  const roles = body.roles;
  if (!Array.isArray(roles) || roles.length === 0 || roles.some((role) => typeof role !== 'string' || !SITE_ROLES.includes(role))) {
    throw invalidRequest(`Invalid roles: give one or more of ${SITE_ROLES.join(', ')}.`);
  }
  const grantees = body.grantedToIdentitiesV2 ?? body.grantedToIdentities;
  const userId = Array.isArray(grantees) && grantees.length === 1 ? (grantees[0] as { user?: { id?: unknown } } | null)?.user?.id : undefined;
  if (typeof userId !== 'string') throw invalidRequest('Give exactly one grantee, as grantedToIdentitiesV2: [{ "user": { "id": "…" } }].');
  const user = directory.user(userId);
  if (!user) throw new GraphHttpError(404, 'itemNotFound', `The user '${userId}' could not be found.`);
  const wanted = [...new Set(roles as string[])].sort();
  const existing = [...site.permissions.values()].find(
    (permission) => permission.userId === user.properties.id && [...permission.roles].sort().join() === wanted.join(),
  );
  const permission = existing ?? directory.addSitePermission(site, wanted, user.properties.id);
  return created({
    '@odata.context': odataContext(context.origin, `sites('${site.properties.id}')/permissions`, undefined, true),
    ...sitePermissionEntity(directory, permission),
  });
}

function revoke(context: RouteContext) {
  const site = requireSite(context.directory, context.params.id!);
  if (!context.directory.removeSitePermission(site, context.params.permissionId!)) {
    throw new GraphHttpError(404, 'itemNotFound', 'The requested permission could not be found.');
  }
  return noContent();
}

export const siteRoutes: readonly Route[] = [
  route('GET', '/sites/{id}', getSite),
  route('GET', '/sites/{id}/permissions', listPermissions),
  route('POST', '/sites/{id}/permissions', grant),
  route('GET', '/sites/{id}/permissions/{permissionId}', getPermission),
  route('DELETE', '/sites/{id}/permissions/{permissionId}', revoke),
];

/**
 * Graph also addresses a site by its URL, `/sites/{hostname}:/{server-relative-path}`; those segments become the
 * site's id here, so every site route serves both forms. A URL that names no site becomes an id no site has, so it
 * gets the site routes' own 404, as in Graph.
 */
export function siteSegmentsByPath(directory: RouteContext['directory'], segments: readonly string[]): readonly string[] {
  if (segments[0]?.toLowerCase() !== 'sites' || !segments[1]?.endsWith(':')) return segments;
  const host = segments[1].slice(0, -1).toLowerCase();
  const end = segments.findIndex((segment, index) => index > 1 && segment.endsWith(':'));
  const pathSegments = segments.slice(2, end === -1 ? undefined : end + 1).map((segment, index, all) => (index === all.length - 1 && end !== -1 ? segment.slice(0, -1) : segment));
  const webUrl = `https://${host}/${pathSegments.join('/')}`.toLowerCase().replace(/\/+$/, '');
  const site = [...directory.sites()].find((s) => s.properties.webUrl.toLowerCase().replace(/\/+$/, '') === webUrl);
  return ['sites', site?.properties.id ?? webUrl, ...(end === -1 ? [] : segments.slice(end + 1))];
}
