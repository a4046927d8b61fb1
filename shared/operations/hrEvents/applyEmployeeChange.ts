import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { describeKey, type EmployeeChange, type EmployeeChangeOutcome } from './employeeChange';
import { applyToUser, findEmployee } from './employeeChangeEffect';
import { holdEmployeeChange } from './heldEmployeeChanges';

export type { EmployeeChange, EmployeeChangeOutcome } from './employeeChange';

/**
 * What an HR event does to access, at once (DESIGN §2.6): the employee is found by the key the event names; their
 * attributes from the event override the directory's for rule evaluation; they are evaluated against every
 * auto-assignment policy, so matching access is requested and delivered, and access that no longer matches starts
 * its grace period. A joiner whose account does not exist yet is held and retried; a mover or leaver nobody is
 * fails. Safe to run twice for one event; throws when a change could not be made, for the caller to retry.
 */
export async function applyEmployeeChange(deps: EntitlementDeps, event: EmployeeChange): Promise<EmployeeChangeOutcome> {
  const user = await findEmployee(deps.directory, event.employee);
  if (user) return applyToUser(deps, event, user);
  if (event.eventType === 'joiner') return holdEmployeeChange(deps, event);
  return { status: 'failed', reason: `No user has ${describeKey(event.employee)}.` };
}
