import * as packages from '../../operations/entitlements/accessPackages';
import * as policies from '../../operations/entitlements/assignmentPolicies';
import * as resources from '../../operations/entitlements/catalogResources';
import * as catalogs from '../../operations/entitlements/catalogs';
import * as incompatibilities from '../../operations/entitlements/incompatibilities';
import * as roleScopes from '../../operations/entitlements/resourceRoleScopes';
import * as settings from '../../operations/entitlements/settings';
import * as requestable from '../../operations/requests/requestablePackages';
import { entityResponse, noContent } from '../graphResponses';
import { parseODataQuery } from '../odata';
import { functionArgument, pathId, requestBody, type ApiCall, type AreaRoute } from './areaRouter';
import * as can from './capabilities';
import { catalogInBody, catalogInPath, catalogOfEitherLinkedPackage, catalogOfPackageInBody, catalogOfPackageInPath, catalogOfPolicyInPath } from './routeCatalogs';
import { CONNECTED_ORGANIZATION_ROUTES } from './connectedOrganizationRoutes';
import { GRANT_ROUTES } from './grantRoutes';
import { readableBy } from './readable';
import { entityResult, listResponse } from './listing';
import { catalogView, packageView, plainGroup, plainPackage, policyView, resourcePartView, resourceRequestView, resourceView, roleScopeView } from './views';

const EM = 'identityGovernance/entitlementManagement';
const id = pathId;
const body = requestBody;

/** The Graph v1.0 entitlement management surface, each route with the action it needs. */
export const ENTITLEMENT_ROUTES: AreaRoute[] = [
  // Catalogs
  { method: 'GET', pattern: 'catalogs', action: 'list', handle: async (c) => listResponse(c, `${EM}/catalogs`, await readableBy(c.access, await catalogs.listCatalogs(c.deps), (catalog) => catalog.id), catalogView, can.CATALOGS) },
  { method: 'POST', pattern: 'catalogs', action: 'createCatalog', handle: async (c) => entityResult(c, `${EM}/catalogs`, async () => catalogs.createCatalog(c.deps, c.caller, await body(c)), catalogView, can.CATALOGS, 201) },
  { method: 'GET', pattern: 'catalogs/{id}', action: 'read', catalog: catalogInPath, handle: async (c) => entityResult(c, `${EM}/catalogs`, async () => (await catalogs.findCatalog(c.deps, id(c))).value, catalogView, can.CATALOGS) },
  { method: 'PATCH', pattern: 'catalogs/{id}', action: 'manageCatalog', catalog: catalogInPath, handle: async (c) => (await catalogs.updateCatalog(c.deps, c.caller, id(c), await body(c)), noContent()) },
  { method: 'DELETE', pattern: 'catalogs/{id}', action: 'manageCatalog', catalog: catalogInPath, handle: async (c) => (await catalogs.deleteCatalog(c.deps, c.caller, id(c)), noContent()) },
  { method: 'GET', pattern: 'catalogs/{id}/resources', action: 'read', catalog: catalogInPath, handle: async (c) => listResponse(c, `${EM}/catalogs('${id(c)}')/resources`, await resources.listCatalogResources(c.deps, id(c)), resourceView(id(c)), can.RESOURCES) },
  { method: 'GET', pattern: 'catalogs/{id}/resourceRoles', action: 'read', catalog: catalogInPath, handle: async (c) => listResponse(c, `${EM}/catalogs('${id(c)}')/resourceRoles`, await resources.listResourceRoles(c.deps, id(c)), resourcePartView(id(c)), can.RESOURCE_ROLES) },
  { method: 'GET', pattern: 'catalogs/{id}/resourceScopes', action: 'read', catalog: catalogInPath, handle: async (c) => listResponse(c, `${EM}/catalogs('${id(c)}')/resourceScopes`, await resources.listResourceScopes(c.deps, id(c)), resourcePartView(id(c)), can.RESOURCE_SCOPES) },
  { method: 'GET', pattern: 'catalogs/{id}/accessPackages', action: 'read', catalog: catalogInPath, handle: async (c) => listResponse(c, `${EM}/catalogs('${id(c)}')/accessPackages`, await packages.listAccessPackages(c.deps, id(c)), packageView, can.ACCESS_PACKAGES) },

  // Resource requests
  { method: 'GET', pattern: 'resourceRequests', action: 'list', handle: async (c) => listResponse(c, `${EM}/resourceRequests`, await readableBy(c.access, await resources.listResourceRequests(c.deps), (r) => r.catalogId), resourceRequestView, can.RESOURCE_REQUESTS) },
  { method: 'POST', pattern: 'resourceRequests', action: 'manageResources', catalog: catalogInBody, handle: async (c) => entityResult(c, `${EM}/resourceRequests`, async () => resources.requestResource(c.deps, c.caller, await body(c)), resourceRequestView, can.RESOURCE_REQUESTS, 201) },

  // Access packages
  { method: 'GET', pattern: 'accessPackages', action: 'list', handle: async (c) => listResponse(c, `${EM}/accessPackages`, await readableBy(c.access, await packages.listAccessPackages(c.deps), (p) => p.catalogId), packageView, can.ACCESS_PACKAGES) },
  { method: 'POST', pattern: 'accessPackages', action: 'managePackages', catalog: catalogInBody, handle: async (c) => entityResult(c, `${EM}/accessPackages`, async () => packages.createAccessPackage(c.deps, c.caller, await body(c)), packageView, can.ACCESS_PACKAGES, 201) },
  {
    method: 'GET',
    pattern: 'accessPackages/filterByCurrentUser()',
    action: 'selfServiceRead',
    handle: async (c) => {
      functionArgument(id(c), 'on', ['allowedRequestor'] as const);
      return listResponse(c, `${EM}/accessPackages`, await requestable.packagesRequestableBy(c.deps, c.caller), packageView, can.REQUESTABLE_PACKAGES);
    },
  },
  {
    method: 'GET',
    pattern: 'accessPackages/{id}',
    action: 'readToRequest',
    handle: async (c) => {
      const { accessPackage, asReader } = await requestable.packageToRequest(c.deps, c.caller, id(c));
      return entityResult(c, `${EM}/accessPackages`, async () => accessPackage, packageView, asReader ? can.ACCESS_PACKAGES : can.REQUESTABLE_PACKAGES);
    },
  },
  { method: 'PATCH', pattern: 'accessPackages/{id}', action: 'managePackages', catalog: catalogOfPackageInPath, handle: async (c) => (await packages.updateAccessPackage(c.deps, c.caller, id(c), await body(c)), noContent()) },
  { method: 'DELETE', pattern: 'accessPackages/{id}', action: 'managePackages', catalog: catalogOfPackageInPath, handle: async (c) => (await packages.deleteAccessPackage(c.deps, c.caller, id(c)), noContent()) },
  { method: 'GET', pattern: 'accessPackages/{id}/catalog', action: 'read', catalog: catalogOfPackageInPath, handle: async (c) => entityResult(c, `${EM}/catalogs`, async () => (await catalogs.findCatalog(c.deps, (await packages.findAccessPackage(c.deps, id(c))).value.catalogId)).value, catalogView, can.CATALOGS) },
  { method: 'GET', pattern: 'accessPackages/{id}/assignmentPolicies', action: 'read', catalog: catalogOfPackageInPath, handle: async (c) => listResponse(c, `${EM}/accessPackages('${id(c)}')/assignmentPolicies`, await policies.listAssignmentPolicies(c.deps, id(c)), policyView, can.ASSIGNMENT_POLICIES) },
  {
    method: 'GET',
    pattern: 'accessPackages/{id}/resourceRoleScopes',
    action: 'read',
    catalog: catalogOfPackageInPath,
    handle: async (c) =>
      listResponse(c, `${EM}/accessPackages('${id(c)}')/resourceRoleScopes`, await packagesRoleScopes(c), { filterView: (rs) => ({ ...rs }), render: async (_d, rs, expand) => roleScopeView(rs, expand) }, can.ROLE_SCOPES),
  },
  {
    method: 'POST',
    pattern: 'accessPackages/{id}/resourceRoleScopes',
    action: 'managePackages',
    catalog: catalogOfPackageInPath,
    handle: async (c) => {
      const created = await roleScopes.addResourceRoleScope(c.deps, c.caller, id(c), await body(c));
      return entityResponse(c.response, `${EM}/accessPackages('${id(c)}')/resourceRoleScopes`, roleScopeView(created, []), 201);
    },
  },
  { method: 'DELETE', pattern: 'accessPackages/{id}/resourceRoleScopes/{id}', action: 'managePackages', catalog: catalogOfPackageInPath, handle: async (c) => (await roleScopes.removeResourceRoleScope(c.deps, c.caller, id(c), id(c, 1)), noContent()) },
  { method: 'GET', pattern: 'accessPackages/{id}/incompatibleAccessPackages', action: 'read', catalog: catalogOfPackageInPath, handle: async (c) => listResponse(c, `${EM}/accessPackages('${id(c)}')/incompatibleAccessPackages`, await incompatibilities.listIncompatiblePackages(c.deps, id(c)), plainPackage, can.REFERENCED_PACKAGES) },
  { method: 'POST', pattern: 'accessPackages/{id}/incompatibleAccessPackages/$ref', action: 'managePackages', catalog: catalogOfPackageInPath, handle: async (c) => (await incompatibilities.addIncompatible(c.deps, c.caller, id(c), 'accessPackage', incompatibilities.referencedId(await body(c), 'accessPackage')), noContent()) },
  { method: 'DELETE', pattern: 'accessPackages/{id}/incompatibleAccessPackages/{id}/$ref', action: 'managePackages', catalog: catalogOfEitherLinkedPackage, handle: async (c) => (await incompatibilities.removeIncompatible(c.deps, c.caller, id(c), 'accessPackage', id(c, 1)), noContent()) },
  { method: 'GET', pattern: 'accessPackages/{id}/incompatibleGroups', action: 'read', catalog: catalogOfPackageInPath, handle: async (c) => listResponse(c, `${EM}/accessPackages('${id(c)}')/incompatibleGroups`, await incompatibilities.listIncompatibleGroups(c.deps, id(c)), plainGroup, can.REFERENCED_GROUPS) },
  { method: 'POST', pattern: 'accessPackages/{id}/incompatibleGroups/$ref', action: 'managePackages', catalog: catalogOfPackageInPath, handle: async (c) => (await incompatibilities.addIncompatible(c.deps, c.caller, id(c), 'group', incompatibilities.referencedId(await body(c), 'group')), noContent()) },
  { method: 'DELETE', pattern: 'accessPackages/{id}/incompatibleGroups/{id}/$ref', action: 'managePackages', catalog: catalogOfPackageInPath, handle: async (c) => (await incompatibilities.removeIncompatible(c.deps, c.caller, id(c), 'group', id(c, 1)), noContent()) },
  { method: 'GET', pattern: 'accessPackages/{id}/accessPackagesIncompatibleWith', action: 'read', catalog: catalogOfPackageInPath, handle: async (c) => listResponse(c, `${EM}/accessPackages('${id(c)}')/accessPackagesIncompatibleWith`, await incompatibilities.listPackagesIncompatibleWith(c.deps, id(c)), plainPackage, can.REFERENCED_PACKAGES) },

  // Assignment policies
  { method: 'GET', pattern: 'assignmentPolicies', action: 'list', handle: async (c) => listResponse(c, `${EM}/assignmentPolicies`, await readablePolicies(c), policyView, can.ASSIGNMENT_POLICIES) },
  { method: 'POST', pattern: 'assignmentPolicies', action: 'managePackages', catalog: catalogOfPackageInBody, handle: async (c) => entityResult(c, `${EM}/assignmentPolicies`, async () => policies.createAssignmentPolicy(c.deps, c.caller, await body(c)), policyView, can.ASSIGNMENT_POLICIES, 201) },
  { method: 'GET', pattern: 'assignmentPolicies/{id}', action: 'read', catalog: catalogOfPolicyInPath, handle: async (c) => entityResult(c, `${EM}/assignmentPolicies`, async () => (await policies.findAssignmentPolicy(c.deps, id(c))).value, policyView, can.ASSIGNMENT_POLICIES) },
  { method: 'PUT', pattern: 'assignmentPolicies/{id}', action: 'managePackages', catalog: catalogOfPolicyInPath, handle: async (c) => entityResult(c, `${EM}/assignmentPolicies`, async () => policies.replaceAssignmentPolicy(c.deps, c.caller, id(c), await body(c)), policyView, can.ASSIGNMENT_POLICIES) },
  { method: 'DELETE', pattern: 'assignmentPolicies/{id}', action: 'managePackages', catalog: catalogOfPolicyInPath, handle: async (c) => (await policies.deleteAssignmentPolicy(c.deps, c.caller, id(c)), noContent()) },

  // Settings
  {
    method: 'GET',
    pattern: 'settings',
    action: 'list',
    handle: async (c) => {
      parseODataQuery(c.query, {});
      return entityResponse(c.response, `${EM}/settings`, { id: 'singleton', ...(await settings.getSettings(c.deps)) });
    },
  },
  { method: 'PATCH', pattern: 'settings', action: 'manageTenant', handle: async (c) => (await settings.updateSettings(c.deps, c.caller, await body(c)), noContent()) },

  ...GRANT_ROUTES,
  ...CONNECTED_ORGANIZATION_ROUTES,
];

/** Policies carry their package, not their catalog: the packages say which catalog each is in, when that matters. */
async function readablePolicies(call: ApiCall) {
  const all = await policies.listAssignmentPolicies(call.deps);
  if (await call.access.readsEverything()) return all;
  const catalogOfPackage = new Map((await packages.listAccessPackages(call.deps)).map((p) => [p.id, p.catalogId]));
  return readableBy(call.access, all, (policy) => catalogOfPackage.get(policy.accessPackageId));
}

async function packagesRoleScopes(call: ApiCall) {
  await packages.findAccessPackage(call.deps, id(call));
  return roleScopes.listResourceRoleScopes(call.deps, id(call));
}
