import type { Caller } from '../../auth/caller';
import { policyRequirements } from '../../domain/requests/requestRequirements';
import { findAccessPackage } from '../entitlements/accessPackages';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { applicablePolicies } from './choosePolicy';

/**
 * POST accessPackages/{id}/getApplicablePolicyRequirements: the policies under which the caller may request the
 * package, with what each asks (questions, justification, approval, schedule); empty when none admits them.
 */
export async function applicableRequirements(deps: EntitlementDeps, caller: Caller, packageId: string): Promise<Array<Record<string, unknown>>> {
  await findAccessPackage(deps, packageId);
  const user = await deps.directory.getUser(caller.objectId);
  if (!user) return [];
  return (await applicablePolicies(deps, packageId, user)).map((policy) => ({ ...policyRequirements(policy) }));
}
