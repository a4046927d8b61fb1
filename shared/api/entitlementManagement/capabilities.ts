import type { QueryCapabilities } from '../odata';

/** What each collection answers to in `$filter`, `$select`, `$expand` and `$orderby` (reference §5). */
const ordered = { orderBy: ['displayName', 'createdDateTime'], count: true };

const packageExpand: QueryCapabilities['expand'] = {
  assignmentPolicies: {},
  resourceRoleScopes: { expand: { role: {}, scope: {} } },
  catalog: {},
  incompatibleAccessPackages: {},
  incompatibleGroups: {},
  accessPackagesIncompatibleWith: {},
};

export const CATALOGS: QueryCapabilities = {
  ...ordered,
  filter: { id: 'guid', displayName: 'string', description: 'string', state: 'string', catalogType: 'string', isExternallyVisible: 'boolean', createdDateTime: 'dateTime', modifiedDateTime: 'dateTime' },
  select: ['id', 'displayName', 'description', 'catalogType', 'state', 'isExternallyVisible', 'createdDateTime', 'modifiedDateTime'],
  // Graph documents catalogs?$expand=accessPackages alone; nesting further would multiply the reads per request.
  expand: { accessPackages: {} },
};

export const ACCESS_PACKAGES: QueryCapabilities = {
  ...ordered,
  filter: { id: 'guid', displayName: 'string', description: 'string', isHidden: 'boolean', 'catalog/id': 'guid', createdDateTime: 'dateTime', modifiedDateTime: 'dateTime' },
  select: ['id', 'displayName', 'description', 'isHidden', 'createdDateTime', 'modifiedDateTime'],
  expand: packageExpand,
};

/** Packages as a requestor sees them (My Access): the package itself, nothing of its catalog, policies or resources. */
export const REQUESTABLE_PACKAGES: QueryCapabilities = { ...ACCESS_PACKAGES, expand: {} };

export const RESOURCES: QueryCapabilities = {
  ...ordered,
  filter: { id: 'guid', displayName: 'string', description: 'string', originId: 'string', originSystem: 'string', createdDateTime: 'dateTime' },
  select: ['id', 'displayName', 'description', 'originId', 'originSystem', 'attributes', 'createdDateTime', 'modifiedDateTime'],
  expand: { roles: {}, scopes: {} },
};

const resourcePart = (extra: string[]): QueryCapabilities => ({
  orderBy: ['displayName'],
  count: true,
  filter: { id: 'guid', displayName: 'string', description: 'string', originId: 'string', originSystem: 'string', 'resource/id': 'guid' },
  select: ['id', 'displayName', 'description', 'originId', 'originSystem', ...extra],
  expand: { resource: {} },
});
export const RESOURCE_ROLES = resourcePart([]);
export const RESOURCE_SCOPES = resourcePart(['isRootScope']);

export const RESOURCE_REQUESTS: QueryCapabilities = {
  orderBy: ['createdDateTime'],
  count: true,
  filter: { id: 'guid', requestType: 'string', state: 'string', 'catalog/id': 'guid', 'resource/id': 'guid', createdDateTime: 'dateTime' },
  select: ['id', 'requestType', 'state', 'createdDateTime'],
  expand: { resource: {}, catalog: {} },
};

export const ASSIGNMENT_POLICIES: QueryCapabilities = {
  ...ordered,
  filter: { id: 'guid', displayName: 'string', description: 'string', allowedTargetScope: 'string', 'accessPackage/id': 'guid', createdDateTime: 'dateTime', modifiedDateTime: 'dateTime' },
  select: [
    'id', 'displayName', 'description', 'allowedTargetScope', 'specificAllowedTargets', 'automaticRequestSettings', 'requestorSettings',
    'requestApprovalSettings', 'reviewSettings', 'expiration', 'questions', 'createdDateTime', 'modifiedDateTime',
  ],
  expand: { accessPackage: {}, catalog: {} },
};

export const ROLE_SCOPES: QueryCapabilities = { count: true, select: ['id', 'createdDateTime'], expand: { role: {}, scope: {} } };
export const REFERENCED_PACKAGES: QueryCapabilities = { ...ordered, filter: { id: 'guid', displayName: 'string' }, select: ACCESS_PACKAGES.select };
export const REFERENCED_GROUPS: QueryCapabilities = { orderBy: ['displayName'], count: true, filter: { id: 'guid', displayName: 'string' }, select: ['id', 'displayName', 'description', 'mailEnabled', 'securityEnabled', 'groupTypes'] };

const assignmentNavigations: QueryCapabilities['expand'] = { target: {}, accessPackage: {}, assignmentPolicy: {} };

export const ASSIGNMENTS: QueryCapabilities = {
  orderBy: ['expiredDateTime', 'state'],
  count: true,
  filter: { id: 'guid', state: 'string', status: 'string', expiredDateTime: 'dateTime', 'accessPackage/id': 'guid', 'accessPackage/catalog/id': 'guid', 'assignmentPolicy/id': 'guid', 'target/objectId': 'guid' },
  select: ['id', 'state', 'status', 'expiredDateTime', 'schedule', 'customExtensionCalloutInstances'],
  expand: assignmentNavigations,
};

export const ASSIGNMENT_REQUESTS: QueryCapabilities = {
  orderBy: ['createdDateTime', 'completedDateTime', 'state'],
  count: true,
  filter: {
    id: 'guid', requestType: 'string', state: 'string', status: 'string', createdDateTime: 'dateTime', completedDateTime: 'dateTime',
    'accessPackage/id': 'guid', 'accessPackage/catalog/id': 'guid', 'requestor/objectId': 'guid', 'assignment/id': 'guid',
  },
  select: ['id', 'requestType', 'state', 'status', 'createdDateTime', 'completedDateTime', 'justification', 'answers', 'schedule', 'customExtensionCalloutInstances'],
  expand: { accessPackage: {}, requestor: {}, assignment: { expand: assignmentNavigations } },
};

export const APPROVALS: QueryCapabilities = { count: true, select: ['id', 'stages'] };
export const APPROVAL_STAGES: QueryCapabilities = {
  count: true,
  filter: { id: 'guid', reviewResult: 'string', status: 'string', assignedToMe: 'boolean' },
  select: ['id', 'displayName', 'reviewResult', 'status', 'assignedToMe', 'justification', 'reviewedBy', 'reviewedDateTime'],
};

export const CONNECTED_ORGANIZATIONS: QueryCapabilities = {
  ...ordered,
  filter: { id: 'guid', displayName: 'string', description: 'string', state: 'string', createdDateTime: 'dateTime', modifiedDateTime: 'dateTime' },
  filterLambdas: {
    identitySources: {
      properties: { tenantId: 'string', domainName: 'string', displayName: 'string', issuerUri: 'string' },
      castTypes: ['azureActiveDirectoryTenant', 'domainIdentitySource', 'externalDomainFederation'],
    },
  },
  select: ['id', 'displayName', 'description', 'identitySources', 'state', 'createdDateTime', 'modifiedDateTime'],
};
/** Sponsors are listed by reference ({@odata.type, id}), as Graph's example shows them. */
export const SPONSORS: QueryCapabilities = { count: true, filter: { id: 'guid' } };
