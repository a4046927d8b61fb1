import { DateTime } from 'luxon';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createAssignmentPolicy, findAssignmentPolicy, replaceAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { MAX_POLICY_BYTES } from '../../shared/domain/policies/policyInput';
import { inProcessOperationsForFile } from '../support/inProcessOperations';
import { ADMIN } from '../support/packageWorld';

/**
 * A policy at its size bound is stored, replaced by another at the bound, and both are audited: the replacement's
 * audit event holds the policy twice (before and after) and must still fit one row. On Azurite.
 */
let deps: EntitlementDeps;

inProcessOperationsForFile((started) => ({ deps } = started));

/** A policy for specific users, described at length, as near its size bound as whole entries allow. */
function policyNearTheBound(packageId: string, displayName: string): Record<string, unknown> {
  const body: Record<string, unknown> & { specificAllowedTargets: object[] } = {
    displayName,
    allowedTargetScope: 'specificDirectoryUsers',
    specificAllowedTargets: [],
    expiration: { type: 'noExpiration' },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    accessPackage: { id: packageId },
  };
  const target = (n: number) => ({ '@odata.type': '#microsoft.graph.singleUser', userId: `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`, description: 'd'.repeat(1024) });
  // Room for the defaults parsing fills in.
  while (JSON.stringify(body).length + JSON.stringify(target(0)).length < MAX_POLICY_BYTES - 8192) body.specificAllowedTargets.push(target(body.specificAllowedTargets.length));
  return body;
}

it('stores, replaces and audits a policy at its size bound', async () => {
  const catalog = await createCatalog(deps, ADMIN, { displayName: 'Large policies' });
  const accessPackage = await createAccessPackage(deps, ADMIN, { displayName: 'Large policies', catalog: { id: catalog.id } });
  const created = await createAssignmentPolicy(deps, ADMIN, policyNearTheBound(accessPackage.id, 'Large'));

  const replaced = await replaceAssignmentPolicy(deps, ADMIN, created.id, policyNearTheBound(accessPackage.id, 'Large, replaced'));

  expect(replaced.displayName).toBe('Large, replaced');
  expect((await findAssignmentPolicy(deps, created.id)).value.displayName).toBe('Large, replaced');
  const today = DateTime.utc().toFormat('yyyy-MM-dd');
  const events = (await deps.audit.ofDay(today)).filter((e) => e.entityId === created.id);
  expect(events.map((e) => e.action).sort()).toEqual(['createAssignmentPolicy', 'replaceAssignmentPolicy']);
});
