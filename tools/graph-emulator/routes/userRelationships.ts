import { listCollection, type CollectionItem } from '../collections';
import { DIRECTORY_OBJECT_TYPE, project, USER_TYPE } from '../entityTypes';
import { badRequest, requireObjectBody, resourceNotFound } from '../graphErrors';
import { readQueryOptions } from '../odataQuery';
import { directoryObjectItem, USER_ODATA_TYPE } from '../representations';
import { noContent, odataContext, ok } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { referencedId, requireUser } from './lookups';

function getManager(context: RouteContext) {
  const user = requireUser(context.directory, context.params.id!);
  const options = readQueryOptions(context.query, { type: USER_TYPE, allowed: ['select'] });
  const manager = user.managerId ? context.directory.user(user.managerId) : undefined;
  if (!manager) throw resourceNotFound('manager');
  return ok({
    '@odata.context': odataContext(context.origin, 'directoryObjects', options.select, true),
    '@odata.type': USER_ODATA_TYPE,
    ...project(manager.properties as unknown as Record<string, unknown>, USER_TYPE, options.select),
  });
}

function setManager(context: RouteContext) {
  const { directory } = context;
  const user = requireUser(directory, context.params.id!);
  const managerId = referencedId(requireObjectBody(context.body)['@odata.id'], '@odata.id');
  const manager = directory.user(managerId);
  if (!manager) throw resourceNotFound(managerId);
  if (manager === user) throw badRequest('Invalid reference: a user cannot be their own manager.');
  directory.setManager(user, manager.properties.id);
  return noContent();
}

function removeManager(context: RouteContext) {
  const user = requireUser(context.directory, context.params.id!);
  if (!user.managerId) throw resourceNotFound('manager');
  context.directory.setManager(user, null);
  return noContent();
}

function listSponsors(context: RouteContext) {
  const user = requireUser(context.directory, context.params.id!);
  const items = user.sponsorIds.flatMap((id, index): CollectionItem[] => {
    const sponsor = context.directory.directoryObject(id);
    return sponsor ? [directoryObjectItem(sponsor, index + 1)] : [];
  });
  return listCollection(context, { entitySet: 'directoryObjects', type: DIRECTORY_OBJECT_TYPE, items });
}

/** The users whose manager the user is, as Graph's `directReports` (directory objects, users here). */
function listDirectReports(context: RouteContext) {
  const user = requireUser(context.directory, context.params.id!);
  const items = [...context.directory.users()].flatMap((other): CollectionItem[] => {
    const report = other.managerId === user.properties.id.toLowerCase() ? context.directory.directoryObject(other.properties.id) : undefined;
    return report ? [directoryObjectItem(report, other.seq)] : [];
  });
  return listCollection(context, { entitySet: 'directoryObjects', type: DIRECTORY_OBJECT_TYPE, items });
}

/** Graph takes at most 20 group ids in one checkMemberGroups call. */
const CHECK_MEMBER_GROUPS_LIMIT = 20;

/** Which of the given groups the user belongs to, directly or through nested groups, as Graph's action answers. */
function checkMemberGroups(context: RouteContext) {
  const user = requireUser(context.directory, context.params.id!);
  const groupIds = requireObjectBody(context.body).groupIds;
  if (!Array.isArray(groupIds) || groupIds.some((id) => typeof id !== 'string')) throw badRequest('groupIds must be an array of group ids.');
  if (groupIds.length > CHECK_MEMBER_GROUPS_LIMIT) throw badRequest(`At most ${CHECK_MEMBER_GROUPS_LIMIT} group ids may be checked at once.`);
  const containing = context.directory.groupsContaining(user.properties.id);
  return ok({ '@odata.context': `${context.origin}/v1.0/$metadata#Collection(Edm.String)`, value: (groupIds as string[]).filter((id) => containing.has(id.toLowerCase())) });
}

export const userRelationshipRoutes: readonly Route[] = [
  route('GET', '/users/{id}/manager', getManager),
  route('PUT', '/users/{id}/manager/$ref', setManager),
  route('DELETE', '/users/{id}/manager/$ref', removeManager),
  route('GET', '/users/{id}/sponsors', listSponsors),
  route('GET', '/users/{id}/directReports', listDirectReports),
  route('POST', '/users/{id}/checkMemberGroups', checkMemberGroups),
];
