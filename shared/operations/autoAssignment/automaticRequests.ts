import type { Assignment } from '../../domain/assignments/assignment';
import type { AssignmentRequest, RequestType } from '../../domain/requests/assignmentRequest';
import { assignmentSchedule } from '../../domain/requests/requestRequirements';
import { isDomainError } from '../../domain/errors';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { carryOut, systemRequest } from '../requests/systemRequests';
import { durationMillis } from '../../domain/policies/durations';
import type { DueItem, ExpirationKind } from '../../store/dueWork';
import type { OwnEnd } from '../requests/unfinishedEnd';
import type { AutomaticPolicy } from './automaticPolicies';

/** A policy's removal of a user who no longer matches its rule: how its request reads (unfinishedEnd.ts tells it by this). */
export const AUTOMATIC_REMOVAL: OwnEnd = { requestType: 'adminRemove', justification: 'The target no longer matches the policy’s membership rule.' };

/** The system-made request a policy's rule makes for `targetId`: an `adminAdd`, or an `adminRemove` of `assignment`. */
export function automaticRequest(deps: EntitlementDeps, auto: AutomaticPolicy, requestType: RequestType, targetId: string, assignment?: Assignment): AssignmentRequest {
  return systemRequest(deps, {
    requestType,
    justification: requestType === 'adminAdd' ? 'The target matches the policy’s membership rule.' : AUTOMATIC_REMOVAL.justification,
    schedule: assignment?.schedule ?? assignmentSchedule(auto.policy, null, deps.clock.now(), { byAdministrator: true }),
    accessPackageId: auto.policy.accessPackageId,
    assignmentPolicyId: auto.policy.id,
    catalogId: auto.catalogId,
    targetId,
    assignmentId: assignment?.id ?? null,
  });
}

/** The policy's grace period before a user who stopped matching loses its assignment, in milliseconds (0: none). */
export function gracePeriodMs(auto: AutomaticPolicy): number {
  const grace = auto.policy.automaticRequestSettings?.gracePeriodBeforeAccessRemoval;
  return grace ? durationMillis(grace) : 0;
}

/**
 * The due item of a grace period's removal: a user who stopped matching loses the assignment the policy gave them
 * once it is over, checked again then (graceRemovals.ts: who matches again keeps it). Planned in bulk by
 * makeChanges; without a grace period they lose it at once (removeInBulk.ts). Its target lets the sweep read the
 * assignment by key.
 */
export function graceRemovalItem(deps: EntitlementDeps, auto: AutomaticPolicy, assignment: Assignment): DueItem<ExpirationKind> {
  return graceRemovalDueAt(assignment, deps.clock.now().plus({ milliseconds: gracePeriodMs(auto) }).toUTC().toISO()!);
}

/** The grace removal of `assignment` due at `dueDateTime` (the one it records as planned: to take it back). */
export function graceRemovalDueAt(assignment: Assignment, dueDateTime: string): DueItem<ExpirationKind> {
  return { kind: 'graceRemoval', dueDateTime, entityId: assignment.id, detail: assignment.assignmentPolicyId, targetId: assignment.targetId, marked: true };
}

/** Ends an assignment through a system-made `adminRemove` request. */
export async function endAutomatically(deps: EntitlementDeps, auto: AutomaticPolicy, assignment: Assignment): Promise<void> {
  try {
    await carryOut(deps, automaticRequest(deps, auto, 'adminRemove', assignment.targetId, assignment));
  } catch (error) {
    // Ended meanwhile (by an administrator, or expiry): nothing left to do.
    if (isDomainError(error) && error.code === 'invalidRequest') return;
    throw error;
  }
}

/** Whether an assignment was made by this policy and still holds. */
export const heldUnder = (auto: AutomaticPolicy, assignment: Assignment | undefined): assignment is Assignment =>
  assignment !== undefined && assignment.assignmentPolicyId === auto.policy.id && assignment.state !== 'expired';

