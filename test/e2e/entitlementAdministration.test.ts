import { randomBytes } from 'node:crypto';
import { TableServiceClient, TableClient } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/** Demo tenant identities and objects (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const EMPLOYEE = '94a2de50-ff54-4939-a9d6-bd800bc49874';
const MARKETING_GROUP = '787b1186-31fd-4a9d-851d-62b5bd703358';
const EM = '/identityGovernance/entitlementManagement';

let host: RunningHost;
let graph: Client;
let prefix: string;

beforeAll(async () => {
  prefix = `e${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  graph = graphClientFor(host.url, clientPrincipal(ADMIN, TENANT));
});
afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

describe("Graph's tutorial, administrator steps, through the Graph SDK", () => {
  const state: Record<string, string> = {};

  it('1.1 finds the built-in General catalog', async () => {
    const catalogs = await graph.api(`${EM}/catalogs`).filter("(displayName eq 'General')").get();
    expect(catalogs.value).toEqual([expect.objectContaining({ displayName: 'General', catalogType: 'serviceDefault', state: 'published' })]);
    expect(catalogs['@odata.context']).toContain('$metadata#identityGovernance/entitlementManagement/catalogs');
    state.catalogId = catalogs.value[0].id;
  });

  it('1.2 adds the Marketing group to the catalog', async () => {
    const request = await graph.api(`${EM}/resourceRequests`).post({
      requestType: 'adminAdd',
      resource: { originId: MARKETING_GROUP, originSystem: 'AadGroup' },
      catalog: { id: state.catalogId },
    });
    expect(request).toMatchObject({ requestType: 'adminAdd', state: 'delivered' });
  });

  it("1.3 finds the group's resource in the catalog", async () => {
    const resources = await graph.api(`${EM}/catalogs/${state.catalogId}/resources`).filter(`originId eq '${MARKETING_GROUP}'`).get();
    expect(resources.value).toEqual([expect.objectContaining({ originId: MARKETING_GROUP, originSystem: 'AadGroup', displayName: 'Marketing' })]);
    state.resourceId = resources.value[0].id;
  });

  it("1.4 finds the resource's Member role", async () => {
    const roles = await graph
      .api(`${EM}/catalogs/${state.catalogId}/resourceRoles`)
      .filter(`(originSystem eq 'AadGroup' and displayName eq 'Member' and resource/id eq '${state.resourceId}')`)
      .expand('resource')
      .get();
    expect(roles.value).toEqual([expect.objectContaining({ displayName: 'Member', originId: `Member_${MARKETING_GROUP}`, resource: expect.objectContaining({ id: state.resourceId }) })]);
    state.roleId = roles.value[0].id;
  });

  it('1.5 creates an access package', async () => {
    const created = await graph.api(`${EM}/accessPackages`).post({ displayName: 'Marketing Campaign', description: 'Access to resources for the campaign', catalog: { id: state.catalogId } });
    expect(created).toMatchObject({ displayName: 'Marketing Campaign', isHidden: false });
    state.packageId = created.id;
  });

  it("1.6 adds the group's Member role to the package", async () => {
    const roleScope = await graph.api(`${EM}/accessPackages/${state.packageId}/resourceRoleScopes`).post({
      role: { originId: `Member_${MARKETING_GROUP}`, displayName: 'Member', originSystem: 'AadGroup', resource: { id: state.resourceId, originId: MARKETING_GROUP, originSystem: 'AadGroup' } },
      scope: { originId: MARKETING_GROUP, originSystem: 'AadGroup' },
    });
    expect(roleScope.id).toMatch(new RegExp(`^${state.roleId}_`));
  });

  it('1.7 creates a policy for a specific user (v1.0 shape)', async () => {
    const policy = await graph.api(`${EM}/assignmentPolicies`).post({
      displayName: 'Specific users',
      description: 'Specific users can request assignment',
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: EMPLOYEE }],
      expiration: { type: 'afterDuration', duration: 'P30D' },
      requestorSettings: { enableTargetsToSelfAddAccess: true },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      accessPackage: { id: state.packageId },
    });
    expect(policy).toMatchObject({ displayName: 'Specific users', allowedTargetScope: 'specificDirectoryUsers', expiration: expect.objectContaining({ duration: 'P30D' }) });
    state.policyId = policy.id;
  });

  it('reads the package back with its role scopes and policies expanded', async () => {
    const accessPackage = await graph.api(`${EM}/accessPackages/${state.packageId}`).expand(['resourceRoleScopes($expand=role,scope)', 'assignmentPolicies']).get();
    expect(accessPackage.resourceRoleScopes).toEqual([expect.objectContaining({ role: expect.objectContaining({ displayName: 'Member' }), scope: expect.objectContaining({ isRootScope: true }) })]);
    expect(accessPackage.assignmentPolicies).toEqual([expect.objectContaining({ id: state.policyId })]);
  });

  it('takes the beta bodies of the tutorial too, answering in v1.0 shapes', async () => {
    const created = await graph.api(`${EM}/accessPackages`).post({ catalogId: state.catalogId, displayName: 'Beta-shaped', description: 'From the tutorial' });
    expect(created).toMatchObject({ displayName: 'Beta-shaped' });
    expect(created).not.toHaveProperty('catalogId');
    await graph.api(`${EM}/accessPackages/${created.id}`).delete();
  });

  it('recorded every change in the audit table, with the administrator as actor', async () => {
    const audit = TableClient.fromConnectionString(testStorageConnectionString(), `${prefix}auditEvents`, { allowInsecureConnection: true });
    const actions: string[] = [];
    for await (const row of audit.listEntities<{ action: string; entityId: string }>()) actions.push(row.action);
    expect(actions).toEqual(
      expect.arrayContaining(['resourceRequest.adminAdd', 'createAccessPackage', 'addResourceRoleScope', 'createAssignmentPolicy', 'deleteAccessPackage']),
    );
    const created = [];
    for await (const row of audit.listEntities<{ action: string; part0: string }>()) if (row.action === 'createAssignmentPolicy') created.push(JSON.parse(row.part0));
    expect(created).toEqual([expect.objectContaining({ actorId: ADMIN, entityId: state.policyId, before: null, after: expect.objectContaining({ displayName: 'Specific users' }) })]);
  });

  it('cleans up in the order Graph requires: policy, then package', async () => {
    await graph.api(`${EM}/assignmentPolicies/${state.policyId}`).delete();
    await graph.api(`${EM}/accessPackages/${state.packageId}`).delete();
    await expect(graph.api(`${EM}/accessPackages/${state.packageId}`).get()).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('administration beyond the tutorial', () => {
  const EXPENSES_APP = '0e30277e-50b7-484f-8fda-60dc99517a7e';
  const TRAVEL_APP = '5c9f2e71-4a8b-4d36-b1e0-93a7c6d2f845';
  const FINANCE_GROUP = '1e036ff5-150f-47fd-9da7-e515e33a2538';
  let catalogId: string;

  const addResource = (originSystem: string, originId: string, requestType = 'adminAdd') =>
    graph.api(`${EM}/resourceRequests`).post({ requestType, resource: { originId, originSystem }, catalog: { id: catalogId } });
  const rolesOf = async (resourceId: string) =>
    (await graph.api(`${EM}/catalogs/${catalogId}/resourceRoles`).filter(`resource/id eq '${resourceId}'`).orderby('displayName').get()).value as Array<{ id: string; displayName: string; originId: string }>;

  beforeAll(async () => {
    catalogId = (await graph.api(`${EM}/catalogs`).post({ displayName: 'Finance', description: 'Finance tools', state: 'Published' })).id;
  });

  it("adds an application with its app roles, one without roles as Default Access, and a site with SharePoint's groups", async () => {
    const expenses = (await addResource('AadApplication', EXPENSES_APP)).resource ?? (await graph.api(`${EM}/catalogs/${catalogId}/resources`).filter(`originId eq '${EXPENSES_APP}'`).get()).value[0];
    expect((await rolesOf(expenses.id)).map((r) => r.displayName)).toEqual(['Approver', 'Auditor', 'Submitter']);
    await addResource('AadApplication', TRAVEL_APP);
    await addResource('SharePointOnline', 'https://contoso.sharepoint.com/sites/SalesHub');
    const resources = (await graph.api(`${EM}/catalogs/${catalogId}/resources`).expand('roles,scopes').get()).value as Array<{ originId: string; roles: Array<{ displayName: string }>; scopes: Array<{ originId: string; isRootScope: boolean }> }>;
    const travel = resources.find((r) => r.originId === TRAVEL_APP)!;
    expect(travel.roles.map((r) => r.displayName)).toEqual(['Default Access']);
    const site = resources.find((r) => r.originId === 'https://contoso.sharepoint.com/sites/SalesHub')!;
    expect(site.roles.map((r) => r.displayName).sort()).toEqual(['Members', 'Owners', 'Visitors']);
    expect(site.scopes).toEqual([expect.objectContaining({ originId: 'https://contoso.sharepoint.com/sites/SalesHub', isRootScope: true })]);
  });

  it("refuses a site role named only by its origin id when two sites' groups share it, and takes it with its resource", async () => {
    await addResource('SharePointOnline', 'https://contoso.sharepoint.com/sites/EngineeringWiki');
    const accessPackage = await graph.api(`${EM}/accessPackages`).post({ displayName: 'Wiki readers', catalog: { id: catalogId } });
    const ambiguous = graph.api(`${EM}/accessPackages/${accessPackage.id}/resourceRoleScopes`).post({ role: { originId: '4', originSystem: 'SharePointOnline' } });
    await expect(ambiguous).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('ambiguous') });
    const [wiki] = (await graph.api(`${EM}/catalogs/${catalogId}/resources`).filter(`originId eq 'https://contoso.sharepoint.com/sites/EngineeringWiki'`).get()).value;
    const roleScope = await graph.api(`${EM}/accessPackages/${accessPackage.id}/resourceRoleScopes`).post({ role: { originId: '4', originSystem: 'SharePointOnline', resource: { id: wiki.id } } });
    const granted = (await graph.api(`${EM}/accessPackages/${accessPackage.id}/resourceRoleScopes`).expand('role').get()).value;
    expect(granted).toEqual([expect.objectContaining({ id: roleScope.id, role: expect.objectContaining({ displayName: 'Visitors' }) })]);
    await graph.api(`${EM}/accessPackages/${accessPackage.id}/resourceRoleScopes/${roleScope.id}`).delete();
    await graph.api(`${EM}/accessPackages/${accessPackage.id}`).delete();
  });

  it('refuses to add the same resource twice (409), also when the requests arrive at once', async () => {
    await expect(addResource('AadApplication', EXPENSES_APP)).rejects.toMatchObject({ statusCode: 409 });
    const SALESFORCE = '63c7fe35-2f6d-4f84-9d1d-95e1ad61682b';
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => addResource('AadApplication', SALESFORCE)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.statusCode)).toEqual([409, 409, 409]);
    const resources = (await graph.api(`${EM}/catalogs/${catalogId}/resources`).filter(`originId eq '${SALESFORCE}'`).get()).value;
    expect(resources).toHaveLength(1);
    expect(await rolesOf(resources[0].id)).toHaveLength(3);
  });

  it('refreshes a resource from the directory after it changed there', async () => {
    await addResource('AadGroup', FINANCE_GROUP);
    await fetch(`${host.emulatorUrl!}/v1.0/groups/${FINANCE_GROUP}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ displayName: 'Finance Approvers (EMEA)' }),
    });
    const refreshed = await addResource('AadGroup', FINANCE_GROUP, 'adminUpdate');
    expect(refreshed).toMatchObject({ requestType: 'adminUpdate', state: 'delivered' });
    const [resource] = (await graph.api(`${EM}/catalogs/${catalogId}/resources`).filter(`originId eq '${FINANCE_GROUP}'`).get()).value;
    expect(resource.displayName).toBe('Finance Approvers (EMEA)');
  });

  it('refuses to remove a resource a package still grants, then removes it once the package lets go', async () => {
    const [resource] = (await graph.api(`${EM}/catalogs/${catalogId}/resources`).filter(`originId eq '${FINANCE_GROUP}'`).get()).value;
    const member = (await rolesOf(resource.id)).find((r) => r.displayName === 'Member')!;
    const accessPackage = await graph.api(`${EM}/accessPackages`).post({ displayName: 'Approvers', catalog: { id: catalogId } });
    const roleScope = await graph.api(`${EM}/accessPackages/${accessPackage.id}/resourceRoleScopes`).post({ role: { id: member.id }, scope: { originId: FINANCE_GROUP } });
    await expect(addResource('AadGroup', FINANCE_GROUP, 'adminRemove')).rejects.toMatchObject({ statusCode: 409 });
    await graph.api(`${EM}/accessPackages/${accessPackage.id}/resourceRoleScopes/${roleScope.id}`).delete();
    await addResource('AadGroup', FINANCE_GROUP, 'adminRemove');
    expect((await graph.api(`${EM}/catalogs/${catalogId}/resources`).filter(`originId eq '${FINANCE_GROUP}'`).get()).value).toEqual([]);
    expect(await rolesOf(resource.id)).toEqual([]);
    await graph.api(`${EM}/accessPackages/${accessPackage.id}`).delete();
  });

  it('marks packages and groups incompatible, both ways, and unmarks them', async () => {
    const first = await graph.api(`${EM}/accessPackages`).post({ displayName: 'Requester', catalog: { id: catalogId } });
    const second = await graph.api(`${EM}/accessPackages`).post({ displayName: 'Payer', catalog: { id: catalogId } });
    await graph.api(`${EM}/accessPackages/${first.id}/incompatibleAccessPackages/$ref`).post({ '@odata.id': `https://graph.microsoft.com/v1.0${EM}/accessPackages/${second.id}` });
    await graph.api(`${EM}/accessPackages/${first.id}/incompatibleGroups/$ref`).post({ '@odata.id': `https://graph.microsoft.com/v1.0/groups/${FINANCE_GROUP}` });
    expect((await graph.api(`${EM}/accessPackages/${first.id}/incompatibleAccessPackages`).get()).value).toEqual([expect.objectContaining({ id: second.id })]);
    expect((await graph.api(`${EM}/accessPackages/${first.id}/incompatibleGroups`).get()).value).toEqual([expect.objectContaining({ id: FINANCE_GROUP, '@odata.type': '#microsoft.graph.group' })]);
    expect((await graph.api(`${EM}/accessPackages/${second.id}/accessPackagesIncompatibleWith`).get()).value).toEqual([expect.objectContaining({ id: first.id })]);
    const third = await graph.api(`${EM}/accessPackages`).post({ displayName: 'Auditor', catalog: { id: catalogId } });
    await graph.api(`${EM}/accessPackages/${third.id}/incompatibleAccessPackages/$ref`).post({ '@odata.id': `https://graph.microsoft.com/v1.0${EM}/accessPackages/${second.id}` });
    await graph.api(`${EM}/accessPackages/${third.id}`).delete();
    expect((await graph.api(`${EM}/accessPackages/${second.id}/accessPackagesIncompatibleWith`).get()).value.map((p: { id: string }) => p.id)).toEqual([first.id]);
    await graph.api(`${EM}/accessPackages/${first.id}/incompatibleAccessPackages/${second.id}/$ref`).delete();
    await graph.api(`${EM}/accessPackages/${first.id}/incompatibleGroups/${FINANCE_GROUP}/$ref`).delete();
    expect((await graph.api(`${EM}/accessPackages/${second.id}/accessPackagesIncompatibleWith`).get()).value).toEqual([]);
    expect((await graph.api(`${EM}/accessPackages/${first.id}/incompatibleGroups`).get()).value).toEqual([]);
    await expect(graph.api(`${EM}/accessPackages/${first.id}/incompatibleAccessPackages/$ref`).post({ '@odata.id': `x/accessPackages/${first.id}` })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('replaces a policy with PUT, answering 200 with it, and refuses to delete its package until it is gone', async () => {
    const accessPackage = await graph.api(`${EM}/accessPackages`).post({ displayName: 'Expenses', catalog: { id: catalogId } });
    const body = { displayName: 'All employees', allowedTargetScope: 'allMemberUsers', requestorSettings: { enableTargetsToSelfAddAccess: true }, accessPackage: { id: accessPackage.id } };
    const policy = await graph.api(`${EM}/assignmentPolicies`).post(body);
    const replaced = await graph.api(`${EM}/assignmentPolicies/${policy.id}`).put({ ...body, id: policy.id, displayName: 'All employees, 90 days', expiration: { type: 'afterDuration', duration: 'P90D' } });
    expect(replaced).toMatchObject({ id: policy.id, displayName: 'All employees, 90 days', expiration: { type: 'afterDuration', duration: 'P90D' } });
    expect((await graph.api(`${EM}/assignmentPolicies/${policy.id}`).expand('accessPackage').get()).accessPackage).toMatchObject({ id: accessPackage.id });
    await expect(graph.api(`${EM}/accessPackages/${accessPackage.id}`).delete()).rejects.toMatchObject({ statusCode: 409 });
    await graph.api(`${EM}/assignmentPolicies/${policy.id}`).delete();
    await graph.api(`${EM}/accessPackages/${accessPackage.id}`).delete();
  });

  it('updates and deletes a catalog, expands its packages, and keeps General', async () => {
    const catalog = await graph.api(`${EM}/catalogs`).post({ displayName: 'Temporary' });
    const IT_GROUP = 'b2256110-d660-413b-bd70-3b61aa80bb6c';
    for (const requestType of ['adminAdd', 'adminRemove']) {
      await graph.api(`${EM}/resourceRequests`).post({ requestType, resource: { originId: IT_GROUP, originSystem: 'AadGroup' }, catalog: { id: catalog.id } });
    }
    await graph.api(`${EM}/catalogs/${catalog.id}`).patch({ description: 'Short-lived', isExternallyVisible: false });
    await graph.api(`${EM}/accessPackages`).post({ displayName: 'Inside', catalog: { id: catalog.id } });
    const read = await graph.api(`${EM}/catalogs/${catalog.id}`).expand('accessPackages').get();
    expect(read).toMatchObject({ description: 'Short-lived', isExternallyVisible: false, accessPackages: [expect.objectContaining({ displayName: 'Inside' })] });
    await expect(graph.api(`${EM}/catalogs/${catalog.id}`).delete()).rejects.toMatchObject({ statusCode: 409 });
    await graph.api(`${EM}/accessPackages/${read.accessPackages[0].id}`).delete();
    await graph.api(`${EM}/catalogs/${catalog.id}`).delete();
    await expect(graph.api(`${EM}/catalogs/${catalog.id}`).get()).rejects.toMatchObject({ statusCode: 404 });
    // The deleted catalog's resource requests stay in the record; their catalog now shows as null.
    const requests = (await graph.api(`${EM}/resourceRequests`).expand('catalog').get()).value as Array<{ catalog: unknown }>;
    expect(requests.filter((r) => r.catalog === null)).toHaveLength(2);
    const [general] = (await graph.api(`${EM}/catalogs`).filter("displayName eq 'General'").get()).value;
    await expect(graph.api(`${EM}/catalogs/${general.id}`).delete()).rejects.toMatchObject({ statusCode: 409 });
  });

  it('reads and changes the settings', async () => {
    expect(await graph.api(`${EM}/settings`).get()).toMatchObject({ externalUserLifecycleAction: 'blockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'P30D' });
    await graph.api(`${EM}/settings`).patch({ externalUserLifecycleAction: 'blockSignIn', durationUntilExternalUserDeletedAfterBlocked: 'P4D' });
    expect(await graph.api(`${EM}/settings`).get()).toMatchObject({ externalUserLifecycleAction: 'blockSignIn', durationUntilExternalUserDeletedAfterBlocked: 'P4D' });
  });

  it('pages with @odata.nextLink, counts, selects and orders', async () => {
    for (const name of ['Alpha', 'Bravo', 'Charlie']) await graph.api(`${EM}/accessPackages`).post({ displayName: `Paged ${name}`, catalog: { id: catalogId } });
    const query = `$filter=startswith(displayName,'Paged ')&$orderby=displayName desc&$top=2&$count=true&$select=displayName`;
    const first = (await (await fetch(`${host.url}/v1.0${EM}/accessPackages?${query}`, { headers: { 'x-ms-client-principal': clientPrincipal(ADMIN, TENANT) } })).json()) as { value: unknown[]; '@odata.count': number; '@odata.nextLink': string };
    expect(first['@odata.count']).toBe(3);
    expect(first.value).toEqual([{ id: expect.any(String), displayName: 'Paged Charlie' }, { id: expect.any(String), displayName: 'Paged Bravo' }]);
    // The Graph SDK takes only https:// links as absolute, so over the local host's plain http the link is fetched as it is.
    const second = (await (await fetch(first['@odata.nextLink'], { headers: { 'x-ms-client-principal': clientPrincipal(ADMIN, TENANT) } })).json()) as { value: Array<{ displayName: string }>; '@odata.nextLink'?: string };
    expect(second.value.map((p) => p.displayName)).toEqual(['Paged Alpha']);
    expect(second['@odata.nextLink']).toBeUndefined();
  });

  it('answers with request-id and echoes client-request-id', async () => {
    const response = await fetch(`${host.url}/v1.0${EM}/catalogs/${catalogId}`, { headers: { 'x-ms-client-principal': clientPrincipal(ADMIN, TENANT), 'client-request-id': 'trace-42' } });
    expect(response.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('client-request-id')).toBe('trace-42');
  });
});

describe('bad input and unauthorized callers change nothing', () => {
  let catalogId: string;
  let packageId: string;
  const admin = () => clientPrincipal(ADMIN, TENANT);

  beforeAll(async () => {
    catalogId = (await graph.api(`${EM}/catalogs`).post({ displayName: 'Fixtures' })).id;
    packageId = (await graph.api(`${EM}/accessPackages`).post({ displayName: 'Fixture package', catalog: { id: catalogId } })).id;
  });

  const policy = (extra: Record<string, unknown>) =>
    JSON.stringify({ displayName: 'p', allowedTargetScope: 'allMemberUsers', requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] }, accessPackage: { id: packageId }, ...extra });
  const stage = { durationBeforeAutomaticDenial: 'P7D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }] };

  const cases: Array<[string, string, string, string | undefined, number, string]> = [
    ['malformed JSON', 'POST', '/catalogs', '{"displayName":', 400, ''],
    ['an array body', 'POST', '/catalogs', '[]', 400, ''],
    ['an empty body', 'POST', '/catalogs', '', 400, ''],
    ['a number for a name', 'POST', '/catalogs', '{"displayName":42}', 400, ''],
    ['an empty name', 'POST', '/catalogs', '{"displayName":""}', 400, ''],
    ['an oversized name', 'POST', '/catalogs', JSON.stringify({ displayName: 'x'.repeat(300) }), 400, ''],
    ['an unknown catalog state', 'POST', '/catalogs', '{"displayName":"c","state":"bogus"}', 400, ''],
    ['a string for a boolean', 'POST', '/catalogs', '{"displayName":"c","isExternallyVisible":"yes"}', 400, ''],
    ['an oversized body', 'POST', '/catalogs', JSON.stringify({ displayName: 'c', description: 'x'.repeat(2 * 1024 * 1024) }), 413, 'larger than'],
    ['an unknown property on update', 'PATCH', '/catalogs/{catalog}', '{"colour":"blue"}', 400, ''],
    ['a malformed $filter', 'GET', "/catalogs?$filter=displayName eq", undefined, 400, ''],
    ['a $filter on an unknown property', 'GET', "/catalogs?$filter=colour eq 'blue'", undefined, 400, ''],
    ['$top of zero', 'GET', '/catalogs?$top=0', undefined, 400, ''],
    ['$top that is no number', 'GET', '/catalogs?$top=ten', undefined, 400, ''],
    ['an unknown $expand', 'GET', '/catalogs?$expand=owners', undefined, 400, ''],
    ['an unsupported $orderby', 'GET', '/catalogs?$orderby=description', undefined, 400, ''],
    ['an unsupported $search', 'GET', '/catalogs?$search=x', undefined, 400, ''],
    ['an unknown entity set', 'GET', '/unknownThings', undefined, 400, ''],
    ["a hostile id with '", 'GET', "/catalogs/a'b", undefined, 404, ''],
    ['a hostile id with an encoded /', 'GET', '/catalogs/a%2Fb', undefined, 404, ''],
    ['a hostile id with an encoded #', 'GET', '/catalogs/a%23b', undefined, 404, ''],
    ['a hostile id with an encoded ?', 'DELETE', '/accessPackages/a%3Fb', undefined, 404, ''],
    ['an unknown resource request type', 'POST', '/resourceRequests', '{"requestType":"adminSteal","resource":{"originId":"x","originSystem":"AadGroup"},"catalog":{"id":"{catalog}"}}', 400, ''],
    ['a resource request without a catalog', 'POST', '/resourceRequests', `{"requestType":"adminAdd","resource":{"originId":"${MARKETING_GROUP}","originSystem":"AadGroup"}}`, 400, ''],
    ['a group that does not exist', 'POST', '/resourceRequests', '{"requestType":"adminAdd","resource":{"originId":"ffffffff-ffff-4fff-8fff-ffffffffffff","originSystem":"AadGroup"},"catalog":{"id":"{catalog}"}}', 404, ''],
    ['an unknown origin system', 'POST', '/resourceRequests', '{"requestType":"adminAdd","resource":{"originId":"x","originSystem":"Mainframe"},"catalog":{"id":"{catalog}"}}', 400, ''],
    ['a package without a catalog', 'POST', '/accessPackages', '{"displayName":"p"}', 400, ''],
    ['a package in a catalog that does not exist', 'POST', '/accessPackages', '{"displayName":"p","catalog":{"id":"nope"}}', 404, ''],
    ['a role that is not in the catalog', 'POST', '/accessPackages/{package}/resourceRoleScopes', '{"role":{"originId":"Member_x","originSystem":"AadGroup"}}', 400, ''],
    ['more than 3 approval stages', 'POST', '/assignmentPolicies', policy({ requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [stage, stage, stage, stage] } }), 400, 'stages'],
    ['a duration with an end date', 'POST', '/assignmentPolicies', policy({ expiration: { duration: 'P30D', endDateTime: '2030-01-01T00:00:00Z' } }), 400, 'expiration'],
    ['an invalid duration', 'POST', '/assignmentPolicies', policy({ expiration: { type: 'afterDuration', duration: 'P-1D' } }), 400, 'duration'],
    ['an unknown target scope', 'POST', '/assignmentPolicies', policy({ allowedTargetScope: 'everyoneOnEarth' }), 400, 'allowedTargetScope'],
    ['a single user without a user id', 'POST', '/assignmentPolicies', policy({ allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser' }] }), 400, 'userId'],
    ['an unknown @odata.type', 'POST', '/assignmentPolicies', policy({ allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.everyone' }] }), 400, '@odata.type'],
    ['an answer pattern that needs backtracking', 'POST', '/assignmentPolicies', policy({ questions: [{ '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', text: 'Code?', regexPattern: '(?=a)a' }] }), 400, 'questions[0].regexPattern: is not a valid regular expression: lookahead'],
    ['a policy for a package that does not exist', 'POST', '/assignmentPolicies', policy({ accessPackage: { id: 'nope' } }), 400, 'accessPackage'],
    ['a $ref that names no package', 'POST', '/accessPackages/{package}/incompatibleAccessPackages/$ref', '{"@odata.id":"https://graph.microsoft.com/v1.0/groups/x"}', 400, ''],
    ['an unknown external user action', 'PATCH', '/settings', '{"externalUserLifecycleAction":"banish"}', 400, ''],
    ['a wrong method on a collection', 'DELETE', '/catalogs', undefined, 405, ''],
    ['a create with an unknown $expand', 'POST', '/catalogs?$expand=bogus', '{"displayName":"c"}', 400, '$expand'],
    ['a query option on the settings', 'GET', '/settings?$select=colour', undefined, 400, '$select'],
    ['an expansion nested deeper than Graph documents', 'GET', '/catalogs?$expand=accessPackages($expand=assignmentPolicies)', undefined, 400, '$expand'],
    ['a create with an unknown $select', 'POST', '/accessPackages?$select=nope', '{"displayName":"p","catalog":{"id":"{catalog}"}}', 400, '$select'],
    ['a resource request with a bad $top', 'POST', `/resourceRequests?$top=abc`, `{"requestType":"adminAdd","resource":{"originId":"${MARKETING_GROUP}","originSystem":"AadGroup"},"catalog":{"id":"{catalog}"}}`, 400, '$top'],
    ['a reference that is not validly encoded', 'POST', '/accessPackages/{package}/incompatibleAccessPackages/$ref', '{"@odata.id":"https://graph.microsoft.com/v1.0/accessPackages/%E0%A4%A"}', 400, 'encoded'],
    ['a hostile id in a reference', 'POST', '/accessPackages/{package}/incompatibleAccessPackages/$ref', `{"@odata.id":"https://graph.microsoft.com/v1.0/accessPackages/a'%23%3F%2F"}`, 404, ''],
  ];

  it.each(cases)('answers %s with a Graph error and writes nothing', async (_situation, method, path, body, status, mentions) => {
    const before = await storageSnapshot(prefix);
    const response = await fetch(`${host.url}/v1.0${EM}${path.replace('{catalog}', catalogId).replace('{package}', packageId)}`, {
      method,
      headers: { 'x-ms-client-principal': admin(), 'content-type': 'application/json' },
      body,
    });
    expect(response.status).toBe(status);
    const error = (await response.json()) as { error: { code: string; message: string; innerError: { 'request-id': string } } };
    expect(error.error).toEqual({ code: expect.any(String), message: expect.any(String), innerError: expect.objectContaining({ 'request-id': expect.any(String) }) });
    expect(error.error.message).toContain(mentions);
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('answers a caller with no principal with 401, whatever the path, and writes nothing', async () => {
    const before = await storageSnapshot(prefix);
    for (const path of ['/unknownThings', '/catalogs/x/nothing']) {
      const response = await fetch(`${host.url}/v1.0${EM}${path}`, { method: 'DELETE' });
      expect(response.status).toBe(401);
    }
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('answers a directory outage with 503, echoes client-request-id on errors, and writes nothing', async () => {
    const emulator = host.emulatorUrl;
    await fetch(`${emulator}/_emulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [{ pathPattern: '^/v1.0/groups', status: 503, rate: 1, retryAfterSeconds: 0 }] }) });
    try {
      const before = await storageSnapshot(prefix);
      const response = await fetch(`${host.url}/v1.0${EM}/resourceRequests`, {
        method: 'POST',
        headers: { 'x-ms-client-principal': admin(), 'content-type': 'application/json', 'client-request-id': 'trace-503' },
        body: JSON.stringify({ requestType: 'adminAdd', resource: { originId: MARKETING_GROUP, originSystem: 'AadGroup' }, catalog: { id: catalogId } }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('client-request-id')).toBe('trace-503');
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('serviceNotAvailable');
      expect(await storageSnapshot(prefix)).toBe(before);
    } finally {
      await fetch(`${emulator}/_emulator/faults`, { method: 'DELETE' });
    }
  });

  it('answers a caller with no principal with 401 and writes nothing', async () => {
    const before = await storageSnapshot(prefix);
    const response = await fetch(`${host.url}/v1.0${EM}/catalogs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"displayName":"sneaky"}' });
    expect(response.status).toBe(401);
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('answers a malformed principal with 401 and writes nothing', async () => {
    const before = await storageSnapshot(prefix);
    const response = await fetch(`${host.url}/v1.0${EM}/catalogs`, { method: 'POST', headers: { 'x-ms-client-principal': 'not base64 json', 'content-type': 'application/json' }, body: '{"displayName":"sneaky"}' });
    expect(response.status).toBe(401);
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('answers an employee who is no administrator with 403 and writes nothing', async () => {
    const before = await storageSnapshot(prefix);
    const employee = graphClientFor(host.url, clientPrincipal(EMPLOYEE, TENANT));
    await expect(employee.api(`${EM}/catalogs`).post({ displayName: 'sneaky' })).rejects.toMatchObject({ statusCode: 403 });
    await expect(employee.api(`${EM}/catalogs/${catalogId}`).delete()).rejects.toMatchObject({ statusCode: 403 });
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('shows an employee without a role no catalogs, and refuses them one (403)', async () => {
    const employee = graphClientFor(host.url, clientPrincipal(EMPLOYEE, TENANT));
    expect((await employee.api(`${EM}/catalogs`).get()).value).toEqual([]);
    await expect(employee.api(`${EM}/catalogs/${catalogId}`).get()).rejects.toMatchObject({ statusCode: 403 });
  });
});
