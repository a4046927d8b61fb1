import { randomUUID } from 'node:crypto';
import { listCollection } from '../collections';
import { USER_TYPE } from '../entityTypes';
import { badRequest, requireObjectBody } from '../graphErrors';
import { graphDateTime } from '../ids';
import { readQueryOptions } from '../odataQuery';
import { renderUser, userItem } from '../representations';
import { created, noContent, odataContext, ok } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { parseUserPatch, userFromFixture } from '../userProperties';
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

/**
 * Creates a member user, as Graph does (what provisioning from HR does): `accountEnabled`, `displayName`,
 * `mailNickname`, `userPrincipalName` and `passwordProfile` are required; the other properties are those a PATCH
 * may set. The password and mail nickname are checked, not kept (no sign-in happens here).
 */
function createUser(context: RouteContext) {
  const { directory } = context;
  const { passwordProfile, mailNickname, ...properties } = requireObjectBody(context.body);
  const invalid = (name: string) => badRequest(`Invalid value specified for property '${name}' of resource 'User'.`);
  if (typeof properties.accountEnabled !== 'boolean') throw invalid('accountEnabled');
  if (typeof properties.displayName !== 'string') throw invalid('displayName');
  if (typeof mailNickname !== 'string' || !/^[^\s@]+$/.test(mailNickname)) throw invalid('mailNickname');
  if (typeof properties.userPrincipalName !== 'string') throw invalid('userPrincipalName');
  const password = (passwordProfile as { password?: unknown } | null | undefined)?.password;
  if (typeof password !== 'string' || password.length === 0) throw invalid('passwordProfile');
  const blank = { ...userFromFixture({ id: randomUUID(), displayName: '', userPrincipalName: '' }, graphDateTime(new Date())), proxyAddresses: [] };
  const changes = parseUserPatch(properties, blank, (name) => directory.user(name) !== undefined);
  const user = directory.addUser({ ...blank, ...changes, proxyAddresses: changes.mail ? [`SMTP:${changes.mail}`] : [] });
  return created({ '@odata.context': odataContext(context.origin, 'users', undefined, true), ...renderUser(directory, user, undefined, undefined) });
}

function deleteUser(context: RouteContext) {
  context.directory.deleteUser(requireUser(context.directory, context.params.id!));
  return noContent();
}

export const userRoutes: readonly Route[] = [
  route('GET', '/users', listUsers),
  route('POST', '/users', createUser),
  route('GET', '/users/{id}', getUser),
  route('PATCH', '/users/{id}', updateUser),
  route('DELETE', '/users/{id}', deleteUser),
];
