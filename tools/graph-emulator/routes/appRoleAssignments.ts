import { listCollection } from '../collections';
import type { DirectoryObject, ServicePrincipalRecord } from '../directoryRecords';
import { APP_ROLE_ASSIGNMENT_TYPE } from '../entityTypes';
import { badRequest, requireObjectBody, resourceNotFound } from '../graphErrors';
import { DEFAULT_ACCESS_APP_ROLE_ID, isGuid } from '../ids';
import { appRoleAssignmentEntity, appRoleAssignmentItem } from '../representations';
import { created, noContent, odataContext } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { requireServicePrincipal, requireUser } from './lookups';

const PRINCIPAL_TYPES = { user: 'User', group: 'Group', servicePrincipal: 'ServicePrincipal' } as const;

function listAssignedTo(context: RouteContext) {
  const { directory } = context;
  const app = requireServicePrincipal(directory, context.params.id!);
  const items = [...directory.appRoleAssignments()]
    .filter((assignment) => assignment.resourceId === app.properties.id)
    .map((assignment) => appRoleAssignmentItem(directory, assignment));
  return listCollection(context, { entitySet: `servicePrincipals('${app.properties.id}')/appRoleAssignedTo`, type: APP_ROLE_ASSIGNMENT_TYPE, items });
}

function listUserAssignments(context: RouteContext) {
  const { directory } = context;
  const user = requireUser(directory, context.params.id!);
  const items = [...directory.appRoleAssignments()]
    .filter((assignment) => assignment.principalId === user.properties.id)
    .map((assignment) => appRoleAssignmentItem(directory, assignment));
  return listCollection(context, { entitySet: `users('${user.properties.id}')/appRoleAssignments`, type: APP_ROLE_ASSIGNMENT_TYPE, items });
}

/** The app roles a service principal holds (as a managed identity holds Microsoft Graph's application permissions). */
function listServicePrincipalAssignments(context: RouteContext) {
  const { directory } = context;
  const holder = requireServicePrincipal(directory, context.params.id!);
  const items = [...directory.appRoleAssignments()]
    .filter((assignment) => assignment.principalId === holder.properties.id)
    .map((assignment) => appRoleAssignmentItem(directory, assignment));
  return listCollection(context, { entitySet: `servicePrincipals('${holder.properties.id}')/appRoleAssignments`, type: APP_ROLE_ASSIGNMENT_TYPE, items });
}

/** Assigns an app role of this application; an identical assignment that exists already is a 400, as in Graph. */
function assign(context: RouteContext) {
  const { directory } = context;
  const app = requireServicePrincipal(directory, context.params.id!);
  const body = requireObjectBody(context.body);
  const guidProperty = (name: string): string => {
    const value = body[name];
    if (typeof value !== 'string' || !isGuid(value)) throw badRequest(`Invalid value specified for property '${name}' of resource 'AppRoleAssignment'.`);
    return value.toLowerCase();
  };
  const [principalId, resourceId, appRoleId] = [guidProperty('principalId'), guidProperty('resourceId'), guidProperty('appRoleId')];
  if (resourceId !== app.properties.id) {
    throw badRequest(`The resourceId '${resourceId}' is not the service principal '${app.properties.id}' the request is addressed to.`);
  }
  const principal = directory.directoryObject(principalId);
  if (!principal) throw resourceNotFound(principalId);
  if (!isAssignable(app, principal, appRoleId)) {
    throw badRequest(`Permission being assigned was not found on application '${app.properties.appId}'.`);
  }
  if (directory.findAppRoleAssignment(principalId, resourceId, appRoleId)) {
    throw badRequest('Permission being assigned already exists on the object.');
  }
  const assignment = directory.addAppRoleAssignment({ principalId, principalType: PRINCIPAL_TYPES[principal.type], resourceId, appRoleId });
  return created({
    '@odata.context': odataContext(context.origin, `servicePrincipals('${app.properties.id}')/appRoleAssignedTo`, undefined, true),
    ...appRoleAssignmentEntity(directory, assignment),
  });
}

/** An enabled app role open to the principal's kind, or default access on an application that defines no roles. */
function isAssignable(app: ServicePrincipalRecord, principal: DirectoryObject, appRoleId: string): boolean {
  const { appRoles } = app.properties;
  if (appRoles.length === 0) return appRoleId === DEFAULT_ACCESS_APP_ROLE_ID;
  const memberType = principal.type === 'servicePrincipal' ? 'Application' : 'User';
  return appRoles.some((role) => role.id === appRoleId && role.isEnabled && role.allowedMemberTypes.includes(memberType));
}

function unassign(context: RouteContext) {
  const { directory } = context;
  const app = requireServicePrincipal(directory, context.params.id!);
  const assignmentId = context.params.assignmentId!;
  const assignment = directory.appRoleAssignment(assignmentId);
  if (!assignment || assignment.resourceId !== app.properties.id) throw resourceNotFound(assignmentId);
  directory.removeAppRoleAssignment(assignment);
  return noContent();
}

export const appRoleAssignmentRoutes: readonly Route[] = [
  route('GET', '/servicePrincipals/{id}/appRoleAssignedTo', listAssignedTo),
  route('POST', '/servicePrincipals/{id}/appRoleAssignedTo', assign),
  route('DELETE', '/servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}', unassign),
  route('GET', '/users/{id}/appRoleAssignments', listUserAssignments),
  route('GET', '/servicePrincipals/{id}/appRoleAssignments', listServicePrincipalAssignments),
];
