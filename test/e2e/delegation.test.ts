import { randomBytes } from 'node:crypto';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/** Demo tenant (tools/graph-emulator/demo-tenant.json). */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const JOHANNA = 'b039ee16-9646-4718-8f3d-9a4de6cf02bb'; // made catalog creator
const MIRIAM = '88718c96-6f3d-48f7-b4b1-b64633be40f5'; // owns the Marketing group
const ADELE = 'e085b021-e0d4-4f2b-935a-b03d8de49eb1'; // access package manager
const LEE = '428474c1-5e9e-4ba7-a6a8-6bd5a7550d23'; // catalog reader
const NESTOR = '400cb70f-964e-43c0-b4a3-165de1ab3e01'; // access package assignment manager
const KENJI = 'a37f115c-6a44-43cc-8df2-d1aff1067dbd';
const MARKETING_GROUP = '787b1186-31fd-4a9d-851d-62b5bd703358';
const SALES_GROUP = 'd3a71489-888c-4c0b-a3f7-b4ef51fb5227';
const EXPENSES_APP = '0e30277e-50b7-484f-8fda-60dc99517a7e';
const INTRANET_APP = 'c43ae8dd-fba0-408f-baaa-d0810748850f';
const TRAVEL_APP = '5c9f2e71-4a8b-4d36-b1e0-93a7c6d2f845';
const EM = '/identityGovernance/entitlementManagement';
const RBAC = '/roleManagement/entitlementManagement';
const ROLES = {
  catalogCreator: 'ba92d953-d8e0-4e39-a797-0cbedb0a89e8',
  catalogOwner: 'ae79f266-94d4-4dab-b730-feca7e132178',
  catalogReader: '44272f93-9762-48e8-af59-1b5351b1d6b3',
  accessPackageManager: '7f480852-ebdc-47d4-87de-0d8498384a83',
  assignmentManager: 'e2182095-804a-4656-ae11-64734e9b7ae5',
};

let host: RunningHost;
let prefix: string;

const as = (objectId: string) => graphClientFor(host.url, clientPrincipal(objectId, TENANT));
const asApp = (objectId: string, permission?: string) =>
  graphClientFor(host.url, clientPrincipal(objectId, TENANT, [{ typ: 'idtyp', val: 'app' }, ...(permission ? [{ typ: 'roles', val: permission }] : [])]));

beforeAll(async () => {
  prefix = `d${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
});
afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

const grant = (client: Client, principalId: string, roleDefinitionId: string, appScopeId: string) =>
  client.api(`${RBAC}/roleAssignments`).post({ principalId, roleDefinitionId, appScopeId });

/** Refused with 403, and nothing stored changed. */
async function refused(call: () => Promise<unknown>): Promise<void> {
  const before = await storageSnapshot(prefix);
  await expect(call()).rejects.toMatchObject({ statusCode: 403 });
  expect(await storageSnapshot(prefix)).toBe(before);
}

describe('delegation, as Entra describes it, end to end', () => {
  const state: Record<string, string> = {};
  const scope = () => `/AccessPackageCatalog/${state.catalogId}`;

  it('lists the five role definitions with their Graph ids', async () => {
    const definitions = await as(LEE).api(`${RBAC}/roleDefinitions`).get();
    expect(definitions.value.map((d: { id: string }) => d.id).sort()).toEqual(Object.values(ROLES).sort());
  });

  it('an administrator makes a catalog creator; nobody else may', async () => {
    await refused(() => grant(as(JOHANNA), JOHANNA, ROLES.catalogCreator, '/'));
    const assignment = await grant(as(ADMIN), JOHANNA, ROLES.catalogCreator, '/');
    expect(assignment).toMatchObject({ principalId: JOHANNA, roleDefinitionId: ROLES.catalogCreator, appScopeId: '/' });
    await expect(grant(as(ADMIN), JOHANNA, ROLES.catalogCreator, '/')).rejects.toMatchObject({ statusCode: 409 });
  });

  it('the creator creates a catalog and is its owner', async () => {
    await refused(() => as(LEE).api(`${EM}/catalogs`).post({ displayName: 'Not allowed' }));
    state.catalogId = (await as(JOHANNA).api(`${EM}/catalogs`).post({ displayName: 'Marketing tools' })).id;
    const owners = await as(JOHANNA).api(`${RBAC}/roleAssignments`).filter(`appScopeId eq '${scope()}'`).expand('principal').get();
    expect(owners.value).toEqual([expect.objectContaining({ principalId: JOHANNA, roleDefinitionId: ROLES.catalogOwner, principal: expect.objectContaining({ userPrincipalName: 'johanna.lorenz@contoso.com' }) })]);
    expect((await as(JOHANNA).api(`${EM}/catalogs`).get()).value.map((c: { id: string }) => c.id)).toEqual([state.catalogId]);
  });

  it('the owner adds a co-owner, who adds a group they own and is refused one they do not', async () => {
    await grant(as(JOHANNA), MIRIAM, ROLES.catalogOwner, scope());
    const added = await as(MIRIAM).api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: MARKETING_GROUP, originSystem: 'AadGroup' }, catalog: { id: state.catalogId } });
    expect(added).toMatchObject({ state: 'delivered' });
    await refused(() => as(MIRIAM).api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: SALES_GROUP, originSystem: 'AadGroup' }, catalog: { id: state.catalogId } }));
  });

  it('the owner delegates an access package manager, a reader and an assignment manager', async () => {
    await grant(as(JOHANNA), ADELE, ROLES.accessPackageManager, scope());
    await grant(as(JOHANNA), LEE, ROLES.catalogReader, scope());
    await grant(as(JOHANNA), NESTOR, ROLES.assignmentManager, scope());
    // A role holder other than the owner cannot hand out roles.
    await refused(() => grant(as(ADELE), KENJI, ROLES.catalogReader, scope()));
    const holders = await as(LEE).api(`${RBAC}/roleAssignments`).filter(`appScopeId eq '${scope()}'`).get();
    expect(holders.value.map((a: { principalId: string }) => a.principalId).sort()).toEqual([ADELE, JOHANNA, LEE, MIRIAM, NESTOR].sort());
  });

  it('the manager builds a package and policy, and is refused resources and other catalogs', async () => {
    const manager = as(ADELE);
    state.packageId = (await manager.api(`${EM}/accessPackages`).post({ displayName: 'Campaign', catalog: { id: state.catalogId } })).id;
    await manager.api(`${EM}/accessPackages/${state.packageId}/resourceRoleScopes`).post({ role: { originId: `Member_${MARKETING_GROUP}`, originSystem: 'AadGroup' }, scope: { originId: MARKETING_GROUP, originSystem: 'AadGroup' } });
    state.policyId = (
      await manager.api(`${EM}/assignmentPolicies`).post({
        displayName: 'Assigned by managers',
        allowedTargetScope: 'notSpecified',
        expiration: { type: 'afterDuration', duration: 'P90D' },
        requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
        accessPackage: { id: state.packageId },
      })
    ).id;
    await refused(() => manager.api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: MARKETING_GROUP, originSystem: 'AadGroup' }, catalog: { id: state.catalogId } }));
    const general = (await as(ADMIN).api(`${EM}/catalogs`).filter("displayName eq 'General'").get()).value[0];
    await refused(() => manager.api(`${EM}/accessPackages`).post({ displayName: 'Elsewhere', catalog: { id: general.id } }));
    await refused(() => manager.api(`${EM}/catalogs/${state.catalogId}`).patch({ description: 'renamed' }));
  });

  it('the reader reads the catalog and its packages and changes nothing', async () => {
    const reader = as(LEE);
    expect((await reader.api(`${EM}/catalogs/${state.catalogId}/accessPackages`).get()).value.map((p: { id: string }) => p.id)).toEqual([state.packageId]);
    expect((await reader.api(`${EM}/accessPackages`).get()).value.map((p: { id: string }) => p.id)).toEqual([state.packageId]);
    await refused(() => reader.api(`${EM}/accessPackages/${state.packageId}`).patch({ description: 'changed' }));
  });

  it('the assignment manager assigns a user and is refused policy edits', async () => {
    const assignmentManager = as(NESTOR);
    const request = await assignmentManager.api(`${EM}/assignmentRequests`).post({ requestType: 'adminAdd', assignment: { targetId: KENJI, accessPackageId: state.packageId, assignmentPolicyId: state.policyId } });
    expect((await assignmentManager.api(`${EM}/assignmentRequests/${request.id}`).get()).state).toBe('delivered');
    expect((await assignmentManager.api(`${EM}/assignments`).filter(`accessPackage/id eq '${state.packageId}'`).get()).value).toHaveLength(1);
    const policy = await as(ADELE).api(`${EM}/assignmentPolicies/${state.policyId}`).get();
    await refused(() => assignmentManager.api(`${EM}/assignmentPolicies/${state.policyId}`).put({ ...policy, displayName: 'Renamed' }));
    // The reader holds no assignment rights.
    await refused(() => as(LEE).api(`${EM}/assignmentRequests`).post({ requestType: 'adminAdd', assignment: { targetId: LEE, accessPackageId: state.packageId, assignmentPolicyId: state.policyId } }));
  });

  it('applications: read-write administers but adds no resources; read-only reads; an app in the owner role owns that catalog only', async () => {
    const readWrite = asApp(EXPENSES_APP, 'EntitlementManagement.ReadWrite.All');
    await readWrite.api(`${EM}/accessPackages`).post({ displayName: 'By an application', catalog: { id: state.catalogId } });
    await refused(() => readWrite.api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: SALES_GROUP, originSystem: 'AadGroup' }, catalog: { id: state.catalogId } }));

    const readOnly = asApp(INTRANET_APP, 'EntitlementManagement.Read.All');
    expect((await readOnly.api(`${EM}/catalogs`).get()).value.length).toBeGreaterThanOrEqual(2);
    await refused(() => readOnly.api(`${EM}/accessPackages`).post({ displayName: 'Not allowed', catalog: { id: state.catalogId } }));

    await grant(as(JOHANNA), TRAVEL_APP, ROLES.catalogOwner, scope());
    const ownerApp = asApp(TRAVEL_APP);
    await ownerApp.api(`${EM}/accessPackages`).post({ displayName: 'By the owner application', catalog: { id: state.catalogId } });
    const general = (await as(ADMIN).api(`${EM}/catalogs`).filter("displayName eq 'General'").get()).value[0];
    await refused(() => ownerApp.api(`${EM}/accessPackages`).post({ displayName: 'Elsewhere', catalog: { id: general.id } }));
  });

  it('an administrator reading through a read-only delegated token reads, and writes nothing', async () => {
    const readOnlyAdmin = graphClientFor(host.url, clientPrincipal(ADMIN, TENANT, [{ typ: 'scp', val: 'EntitlementManagement.Read.All' }]));
    expect((await readOnlyAdmin.api(`${EM}/catalogs/${state.catalogId}`).get()).id).toBe(state.catalogId);
    await refused(() => readOnlyAdmin.api(`${EM}/catalogs`).post({ displayName: 'Not through this token' }));
  });

  it('removing a role takes its rights away, and the change is audited', async () => {
    const [assignment] = (await as(JOHANNA).api(`${RBAC}/roleAssignments`).filter(`principalId eq '${LEE}'`).get()).value;
    await as(JOHANNA).api(`${RBAC}/roleAssignments/${assignment.id}`).delete();
    await expect(as(LEE).api(`${EM}/catalogs/${state.catalogId}`).get()).rejects.toMatchObject({ statusCode: 403 });
    await expect(as(LEE).api(`${RBAC}/roleAssignments`).get()).rejects.toMatchObject({ statusCode: 400 });
    const audit = TableClient.fromConnectionString(testStorageConnectionString(), `${prefix}auditEvents`, { allowInsecureConnection: true });
    const changes: Array<{ action: string; actorId: string }> = [];
    for await (const row of audit.listEntities<{ action: string; part0: string }>()) {
      if (row.action.endsWith('RoleAssignment')) changes.push(JSON.parse(row.part0) as { action: string; actorId: string });
    }
    expect(changes).toEqual(expect.arrayContaining([
      expect.objectContaining({ action: 'createRoleAssignment', actorId: ADMIN }),
      expect.objectContaining({ action: 'deleteRoleAssignment', actorId: JOHANNA }),
    ]));
  });
});
