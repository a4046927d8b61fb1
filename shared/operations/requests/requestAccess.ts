import { authorize } from '../../auth/authorize';
import type { Caller } from '../../auth/caller';
import { isDomainError } from '../../domain/errors';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * Whether the caller may read every request and assignment, as `authorize` (the one decision point) decides it;
 * everyone else sees what they take part in.
 */
export async function isAdministrativeReader(deps: EntitlementDeps, caller: Caller): Promise<boolean> {
  try {
    await authorize(caller, 'administrativeRead', deps.administrators);
    return true;
  } catch (error) {
    if (isDomainError(error) && error.code === 'forbidden') return false;
    throw error;
  }
}
