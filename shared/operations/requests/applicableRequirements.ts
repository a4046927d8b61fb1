import type { Caller } from '../../auth/caller';
import { policyRequirements } from '../../domain/requests/requestRequirements';
import { accessPackageNotFound, findAccessPackage } from '../entitlements/accessPackages';
import { listAssignmentPolicies } from '../entitlements/assignmentPolicies';
import { findCatalog } from '../entitlements/catalogs';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { catalogOpenTo, policiesAdmitting, requestorOf } from './requestors';

/**
 * POST accessPackages/{id}/getApplicablePolicyRequirements: the policies under which the caller may request the
 * package, with what each asks (questions, justification, approval, schedule); empty when none admits them, and for
 * a caller from outside the organization when the catalog is not enabled for external users.
 */
export async function applicableRequirements(deps: EntitlementDeps, caller: Caller, packageId: string): Promise<Array<Record<string, unknown>>> {
  const accessPackage = (await findAccessPackage(deps, packageId)).value;
  // Nobody requests from an unpublished catalog, so its policies are shown only to those who may read it; to anyone
  // else the package is as missing as one that does not exist.
  const catalog = (await findCatalog(deps, accessPackage.catalogId)).value;
  if (catalog.state !== 'published' && !(await deps.accessOf(caller).allows('read', catalog.id))) throw accessPackageNotFound(packageId);
  const requestor = await requestorOf(deps, caller);
  if (requestor.kind === 'external' && !catalogOpenTo(requestor, catalog)) return [];
  return (await policiesAdmitting(deps, requestor, await listAssignmentPolicies(deps, packageId))).map((policy) => ({ ...policyRequirements(policy) }));
}
