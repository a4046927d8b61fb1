import type { QueryCapabilities } from '../../shared/api/odata';

/** Shaped like an access package list. */
export const accessPackageCapabilities: QueryCapabilities = {
  filter: {
    id: 'guid',
    displayName: 'string',
    description: 'string',
    state: 'string',
    originSystem: 'string',
    'resource/id': 'guid',
    'catalog/id': 'guid',
    createdDateTime: 'dateTime',
    isHidden: 'boolean',
    memberCount: 'number',
  },
  select: ['id', 'displayName', 'description', 'isHidden', 'createdDateTime'],
  expand: {
    accessPackages: {},
    resourceRoleScopes: { expand: { role: {}, scope: {} } },
    assignmentPolicies: {},
    resource: { select: ['id', 'displayName'], filter: { displayName: 'string' } },
  },
  orderBy: ['displayName', 'createdDateTime', 'memberCount', 'resource/displayName'],
  count: true,
};
