import type { Caller } from '../../shared/auth/caller';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { sweepAutoAssignments } from '../../shared/operations/autoAssignment/autoAssignmentSweep';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';

/**
 * A user deleted from the directory in a run that also evaluates their policy in full (an hourly re-evaluation of a
 * memberOf rule): the full evaluation finds the user gone from the listing, and the deleted users' own removals find
 * the same assignment. One change is made for it, at once, with or without a grace period; nothing fails. (Made twice,
 * the second write was refused on the assignment's ETag and the run failed the user.)
 */
const ADMIN: Caller = { objectId: '0ba75e63-2205-4ad7-bd66-c01f47376eb4', tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined };
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4';
const ZOE = '9713b936-62cb-4300-ba5f-9ccdad9a6f2d';
const LEGAL_GROUP = '993bb873-540b-442e-8a6e-83734bc9404e';

describe.each([
  ['with a grace period', 'P7D'],
  ['without a grace period', null],
])('a deleted user whose policy is evaluated in full in the same run, %s', (_, gracePeriodBeforeAccessRemoval) => {
  let world: InProcessOperations;
  let emulator: GraphEmulator;
  let deps: EntitlementDeps;
  let run = 0;

  beforeAll(async () => {
    world = await startInProcessOperations();
    ({ emulator, deps } = world);
  });
  afterAll(() => world.stop());

  async function graph(method: string, path: string, body?: object): Promise<void> {
    const response = await fetch(`${emulator.url}/v1.0${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    expect(response.ok).toBe(true);
  }
  const sweep = () => sweepAutoAssignments(deps, { holder: `test-${++run}`, budgetMs: 60_000 });

  test('loses what the policy gave them at once, and nothing fails', async () => {
    for (const user of [LIAM, ZOE]) await graph('POST', `/groups/${LEGAL_GROUP}/members/$ref`, { '@odata.id': `${emulator.url}/v1.0/directoryObjects/${user}` });
    const catalog = await createCatalog(deps, ADMIN, { displayName: 'Legal', state: 'published' });
    const accessPackage = await createAccessPackage(deps, ADMIN, { displayName: 'Legal', catalog: { id: catalog.id } });
    await createAssignmentPolicy(deps, ADMIN, {
      displayName: 'Legal',
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: `user.memberOf -any (group.objectId -in ['${LEGAL_GROUP}'])` }],
      automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true, gracePeriodBeforeAccessRemoval },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      expiration: { type: 'noExpiration' },
      accessPackage: { id: accessPackage.id },
    });
    const active = async () => (await deps.grants.assignmentsOfPackage(accessPackage.id)).filter((a) => a.value.state !== 'expired').map((a) => a.value.targetId).sort();
    expect(await active()).toEqual(expect.arrayContaining([LIAM, ZOE]));
    expect(await sweep()).toMatchObject({ mode: 'full', failed: 0 });

    // Zoe leaves the directory; an hour on, the memberOf rule is due in full again.
    await graph('DELETE', `/users/${ZOE}`);
    world.advance({ minutes: 61 });
    expect(await sweep()).toMatchObject({ mode: 'incremental', policiesEvaluatedInFull: 1, deletedUsers: 1, removed: 1, removalsPlanned: 0, failed: 0, errors: [] });
    expect(await active()).not.toContain(ZOE);
    expect(await active()).toContain(LIAM);
  });
});
