import { listCollection } from '../collections';
import { USER_TYPE } from '../entityTypes';
import { requireObjectBody } from '../graphErrors';
import { readQueryOptions } from '../odataQuery';
import { renderUser, userItem } from '../representations';
import { noContent, odataContext, ok } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { parseUserPatch } from '../userProperties';
import { requireUser } from './lookups';

function listUsers(context: RouteContext) {
  const { directory } = context;
  return listCollection(context, {
    entitySet: 'users',
    type: USER_TYPE,
    items: [...directory.users()].map(userItem),
    allowed: ['select', 'filter', 'top', 'count', 'skiptoken', 'expand'],
    managerType: USER_TYPE,
    render: (item, options) => renderUser(directory, requireUser(directory, String(item.entity.id)), options.select, options.expandManager),
  });
}

function getUser(context: RouteContext) {
  const user = requireUser(context.directory, context.params.id!);
  const options = readQueryOptions(context.query, { type: USER_TYPE, allowed: ['select', 'expand'], managerType: USER_TYPE });
  return ok({
    '@odata.context': odataContext(context.origin, 'users', options.select, true),
    ...renderUser(context.directory, user, options.select, options.expandManager),
  });
}

function updateUser(context: RouteContext) {
  const { directory } = context;
  const user = requireUser(directory, context.params.id!);
  const changes = parseUserPatch(requireObjectBody(context.body), user.properties, (name) => directory.user(name) !== undefined);
  directory.updateUser(user, changes);
  return noContent();
}

function deleteUser(context: RouteContext) {
  context.directory.deleteUser(requireUser(context.directory, context.params.id!));
  return noContent();
}

export const userRoutes: readonly Route[] = [
  route('GET', '/users', listUsers),
  route('GET', '/users/{id}', getUser),
  route('PATCH', '/users/{id}', updateUser),
  route('DELETE', '/users/{id}', deleteUser),
];
