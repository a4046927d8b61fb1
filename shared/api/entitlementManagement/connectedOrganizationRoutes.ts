import { organizationView, type SponsorKind, type StoredConnectedOrganization } from '../../domain/connectedOrganizations/connectedOrganization';
import * as organizations from '../../operations/externalUsers/connectedOrganizations';
import * as sponsors from '../../operations/externalUsers/organizationSponsors';
import { noContent } from '../graphResponses';
import { pathId, requestBody, type AreaRoute } from './areaRouter';
import * as can from './capabilities';
import { entityResult, listResponse } from './listing';
import type { EntityView } from './views';

const EM = 'identityGovernance/entitlementManagement';
const ORGANIZATIONS = `${EM}/connectedOrganizations`;
const id = pathId;
const body = requestBody;

const organizationEntityView: EntityView<StoredConnectedOrganization> = {
  filterView: (organization) => ({ ...organizationView(organization) }),
  render: async (_deps, organization) => ({ ...organizationView(organization) }),
};

const sponsorView: EntityView<{ '@odata.type': string; id: string }> = { filterView: (s) => ({ ...s }), render: async (_deps, s) => ({ ...s }) };

/** `internalSponsors` and `externalSponsors`: list, and `$ref` add and remove. */
function sponsorRoutes(kind: SponsorKind): AreaRoute[] {
  const navigation = `${kind}Sponsors`;
  return [
    { method: 'GET', pattern: `connectedOrganizations/{id}/${navigation}`, action: 'read', handle: async (c) => listResponse(c, 'directoryObjects', await sponsors.listSponsors(c.deps, id(c), kind), sponsorView, can.SPONSORS) },
    { method: 'POST', pattern: `connectedOrganizations/{id}/${navigation}/$ref`, action: 'manageTenant', handle: async (c) => (await sponsors.addSponsor(c.deps, c.caller, id(c), kind, await body(c)), noContent()) },
    { method: 'DELETE', pattern: `connectedOrganizations/{id}/${navigation}/{id}/$ref`, action: 'manageTenant', handle: async (c) => (await sponsors.removeSponsor(c.deps, c.caller, id(c), kind, id(c, 1)), noContent()) },
  ];
}

/**
 * Connected organizations (reference/graph-wave2.md §1.3): administrators (and applications with the read-write
 * permission) change them; administrators and applications with a permission read them.
 */
export const CONNECTED_ORGANIZATION_ROUTES: AreaRoute[] = [
  { method: 'GET', pattern: 'connectedOrganizations', action: 'read', handle: async (c) => listResponse(c, ORGANIZATIONS, await organizations.listConnectedOrganizations(c.deps), organizationEntityView, can.CONNECTED_ORGANIZATIONS) },
  { method: 'POST', pattern: 'connectedOrganizations', action: 'manageTenant', handle: async (c) => entityResult(c, ORGANIZATIONS, async () => organizations.createConnectedOrganization(c.deps, c.caller, await body(c)), organizationEntityView, can.CONNECTED_ORGANIZATIONS, 201) },
  { method: 'GET', pattern: 'connectedOrganizations/{id}', action: 'read', handle: async (c) => entityResult(c, ORGANIZATIONS, async () => (await organizations.findConnectedOrganization(c.deps, id(c))).value, organizationEntityView, can.CONNECTED_ORGANIZATIONS) },
  // Graph documents 202 Accepted with the entity for this PATCH, unlike most.
  { method: 'PATCH', pattern: 'connectedOrganizations/{id}', action: 'manageTenant', handle: async (c) => entityResult(c, ORGANIZATIONS, async () => organizations.updateConnectedOrganization(c.deps, c.caller, id(c), await body(c)), organizationEntityView, can.CONNECTED_ORGANIZATIONS, 202) },
  { method: 'DELETE', pattern: 'connectedOrganizations/{id}', action: 'manageTenant', handle: async (c) => (await organizations.deleteConnectedOrganization(c.deps, c.caller, id(c)), noContent()) },
  ...sponsorRoutes('internal'),
  ...sponsorRoutes('external'),
];
