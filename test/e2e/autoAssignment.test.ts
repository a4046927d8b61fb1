import { randomBytes } from 'node:crypto';
import { TableServiceClient } from '@azure/data-tables';
import type { Client } from '@microsoft/microsoft-graph-client';
import { clientPrincipal, graphClientFor } from '../support/graphCaller';
import { startHost, TIMERS_DISABLED, type RunningHost, runTimerNow } from '../support/localHostProcess';
import { storageSnapshot } from '../support/storageSnapshot';
import { testStorageConnectionString } from '../support/testStorage';

/** Demo tenant (tools/graph-emulator/demo-tenant.json): eleven people in Sales, none an intern until made one here. */
const TENANT = 'ed61ef1f-aa94-4fa4-9c3e-ae2243986acd';
const ADMIN = '0ba75e63-2205-4ad7-bd66-c01f47376eb4';
const CAMILLE = 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83'; // Sales, made an intern below
const ADELE = 'e085b021-e0d4-4f2b-935a-b03d8de49eb1'; // Sales, moves to Marketing
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4'; // Marketing, moves to Sales
const LEGAL_GROUP = '993bb873-540b-442e-8a6e-83734bc9404e';
const EM = '/identityGovernance/entitlementManagement';
const SALES_NOT_INTERNS = '(user.department -eq "Sales") -and (user.jobTitle -notContains "Intern")';

let host: RunningHost;
let admin: Client;
let prefix: string;
let emulator: string;
let packageId: string;
let policyId: string;
let salesIds: string[];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  prefix = `a${randomBytes(4).toString('hex')}`;
  host = await startHost({ ...TIMERS_DISABLED, AzureWebJobsStorage: testStorageConnectionString(), TABLE_PREFIX: prefix });
  admin = graphClientFor(host.url, clientPrincipal(ADMIN, TENANT));
  emulator = host.emulatorUrl!;
  await patchUser(CAMILLE, { jobTitle: 'Sales Intern' });
  const sales = (await (await fetch(`${emulator}/v1.0/users?$filter=department eq 'Sales'&$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
  salesIds = sales.value.map((u) => u.id);
  const catalogId = (await admin.api(`${EM}/catalogs`).post({ displayName: 'Auto' })).id;
  await admin.api(`${EM}/resourceRequests`).post({ requestType: 'adminAdd', resource: { originId: LEGAL_GROUP, originSystem: 'AadGroup' }, catalog: { id: catalogId } });
  packageId = (await admin.api(`${EM}/accessPackages`).post({ displayName: 'Sales tools', catalog: { id: catalogId } })).id;
  await admin.api(`${EM}/accessPackages/${packageId}/resourceRoleScopes`).post({ role: { originId: `Member_${LEGAL_GROUP}`, originSystem: 'AadGroup' }, scope: { originId: LEGAL_GROUP, originSystem: 'AadGroup' } });
});
afterAll(async () => {
  await host.stop();
  const service = TableServiceClient.fromConnectionString(testStorageConnectionString(), { allowInsecureConnection: true });
  for await (const table of service.listTables()) if (table.name?.startsWith(prefix)) await service.deleteTable(table.name);
});

async function patchUser(id: string, changes: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${emulator}/v1.0/users/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(changes) });
  expect(response.status).toBe(204);
}

const runSweep = (name: string) => runTimerNow(host, name);

async function members(): Promise<string[]> {
  const answer = (await (await fetch(`${emulator}/v1.0/groups/${LEGAL_GROUP}/members?$select=id&$top=999`)).json()) as { value: Array<{ id: string }> };
  return answer.value.map((m) => m.id);
}

const policyBody = (membershipRule: string) => ({
  displayName: 'Sales, not interns',
  allowedTargetScope: 'specificDirectoryUsers',
  specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule, description: 'Sales' }],
  automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true, gracePeriodBeforeAccessRemoval: 'PT3S' },
  requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
  expiration: { type: 'noExpiration' },
  accessPackage: { id: packageId },
});

describe('auto-assignment by a membership rule', () => {
  it('refuses an invalid rule with 400 and the position of the problem, and access reviews of the rule, storing nothing', async () => {
    const before = await storageSnapshot(prefix);
    await expect(admin.api(`${EM}/assignmentPolicies`).post(policyBody('(user.department -eq "Sales"'))).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/membershipRule.*at character/) });
    await expect(admin.api(`${EM}/assignmentPolicies`).post(policyBody('user.favouriteColour -eq "blue"'))).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('Attribute not supported') });
    // The rule decides who holds the package: a reviewer's denial would last until the rule assigned the user again.
    const reviewSettings = {
      isEnabled: true,
      primaryReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: ADMIN }],
      schedule: { startDateTime: '2030-01-01T00:00:00Z', expiration: { type: 'afterDuration', duration: 'P14D' } },
    };
    await expect(admin.api(`${EM}/assignmentPolicies`).post({ ...policyBody('user.department -eq "Sales"'), reviewSettings })).rejects.toMatchObject({
      statusCode: 400,
      code: 'invalidRequest',
      message: expect.stringContaining('reviewSettings.isEnabled: must be false on an auto-assignment policy'),
    });
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('previews who a rule would add, changing nothing', async () => {
    const before = await storageSnapshot(prefix);
    const response = await fetch(`${host.url}/api/policies/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ms-client-principal': clientPrincipal(ADMIN, TENANT) },
      body: JSON.stringify({ membershipRule: SALES_NOT_INTERNS }),
    });
    expect(response.status).toBe(200);
    const preview = (await response.json()) as { matching: number; wouldAdd: { count: number; first: Array<{ id: string }> } };
    expect(preview.matching).toBe(salesIds.length - 1);
    expect(preview.wouldAdd.count).toBe(salesIds.length - 1);
    expect(preview.wouldAdd.first.map((u) => u.id)).not.toContain(CAMILLE);
    expect(await storageSnapshot(prefix)).toBe(before);
  });

  it('gives the package to the Sales users but not the intern', async () => {
    policyId = (await admin.api(`${EM}/assignmentPolicies`).post(policyBody(SALES_NOT_INTERNS))).id;
    await runSweep('autoAssignmentSweep');
    const holders = await members();
    for (const id of salesIds.filter((id) => id !== CAMILLE)) expect(holders).toContain(id);
    expect(holders).not.toContain(CAMILLE);
    const assignments = (await admin.api(`${EM}/assignments`).filter(`assignmentPolicy/id eq '${policyId}'`).get()).value;
    expect(assignments).toHaveLength(salesIds.length - 1);
    await expect(admin.api(`${EM}/assignmentPolicies`).post({ ...policyBody('user.department -eq "Legal"'), displayName: 'Second rule' })).rejects.toMatchObject({ statusCode: 409 });
  });

  it('takes it from a user moved out of Sales after the grace period, and gives it to one moved in', async () => {
    await patchUser(ADELE, { department: 'Marketing' });
    await patchUser(LIAM, { department: 'Sales' });
    await runSweep('autoAssignmentSweep');
    expect(await members()).toContain(LIAM);
    expect(await members()).toContain(ADELE); // within the grace period
    // The assignment's grace mark is internal: not in Graph's assignment, only in its event's modifiedProperties.
    const assignments = await admin.api(`${EM}/assignments`).filter(`assignmentPolicy/id eq '${policyId}'`).expand('target').get();
    expect(assignments.value.length).toBeGreaterThan(0);
    expect(JSON.stringify(assignments.value)).not.toContain('graceRemovalDueDateTime');
    const updates = await admin.api('/auditLogs/directoryAudits').filter("activityDisplayName eq 'Update access package assignment request'").get();
    const planned = updates.value.filter((e: { additionalDetails: Array<{ key: string; value: string }> }) => e.additionalDetails.some((d) => d.key === 'action' && d.value === 'autoAssignment.planGraceRemoval'));
    expect(planned).toHaveLength(1);
    expect(planned[0]).toMatchObject({ initiatedBy: { app: expect.anything() }, operationType: 'Update', result: 'success' });
    expect(planned[0].targetResources).toEqual([
      expect.objectContaining({ type: 'assignment', modifiedProperties: [{ displayName: 'graceRemovalDueDateTime', oldValue: null, newValue: expect.stringMatching(/^"\d{4}-.*Z"$/) }] }),
    ]);
    await sleep(4_000);
    await runSweep('expirationSweep');
    expect(await members()).not.toContain(ADELE);
    expect(host.output()).toMatch(/autoAssignmentSweep: \{[^\n]*"mode":"incremental"/);
  });
});
