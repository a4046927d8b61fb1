import type { DirectoryPort, DirectoryUser } from '../../directory/directoryPort';
import { withChange, takesEffectAt, type AttributeValue } from '../../domain/hrEvents/attributeOverrides';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { audited } from '../audit/auditedChange';
import { automaticPolicies } from '../autoAssignment/automaticPolicies';
import { makeChanges, planChanges } from '../autoAssignment/evaluateAutoAssignments';
import { HR_ACTOR, type EmployeeChange, type EmployeeChangeOutcome, type EmployeeKey } from './employeeChange';

/** How long one event's changes may take before the rest is left to a retry. */
const CHANGE_BUDGET_MS = 20_000;

/** The user an event names, by object id, user principal name or employee id; undefined when there is none. */
export function findEmployee(directory: Pick<DirectoryPort, 'getUser' | 'findUserByEmployeeId'>, key: EmployeeKey): Promise<DirectoryUser | undefined> {
  if ('userId' in key) return directory.getUser(key.userId);
  if ('userPrincipalName' in key) return directory.getUser(key.userPrincipalName);
  return directory.findUserByEmployeeId(key.employeeId);
}

/**
 * The attributes an event overrides. A leaver is marked as leaving, whatever else the event says: their account
 * counts as disabled, and their leave date is when the event takes effect unless it gives one.
 */
export function overriddenAttributes(event: EmployeeChange, user: Pick<DirectoryUser, 'accountEnabled'>): Record<string, AttributeValue> {
  const { attributes } = event.employee;
  // A joiner (a rehire) is employed again: an older leaver's disabled account and leave date no longer stand unless
  // it says so (the leave date as the directory shows it again once this override lapses).
  if (event.eventType === 'joiner') return { ...(typeof user.accountEnabled === 'boolean' ? { accountEnabled: user.accountEnabled } : {}), employeeLeaveDateTime: null, ...attributes };
  if (event.eventType !== 'leaver') return { ...attributes };
  return { ...attributes, accountEnabled: false, employeeLeaveDateTime: attributes.employeeLeaveDateTime ?? takesEffectAt(event).toUTC().toISO()! };
}

/**
 * The effect of an event on an existing user: its attributes recorded as overrides (the newer event winning,
 * attribute by attribute), then the user evaluated against every auto-assignment policy through the incremental
 * path, so access that now matches is requested and delivered, and access that no longer matches starts its grace
 * period. Running it twice is harmless. Throws when a change could not be made, for the caller to retry.
 */
export async function applyToUser(deps: EntitlementDeps, event: EmployeeChange, user: DirectoryUser): Promise<EmployeeChangeOutcome> {
  const userId = user.id.toLowerCase();
  const change = { eventId: event.eventId, occurredAt: event.occurredAt, effectiveAt: event.effectiveAt, attributes: overriddenAttributes(event, user), ...(event.eventType === 'mover' ? {} : { employment: event.eventType }) };
  await deps.overrides.change(
    userId,
    (current) => withChange(current, userId, change, deps.clock.now()),
    undefined,
    (written, probe, write) => audited(deps, { actorId: HR_ACTOR, action: 'overrideUserAttributes', entityType: 'user', entityId: userId, before: written.before ?? null, after: { ...written.after, eventId: event.eventId } }, probe, write),
  );
  const policies = await automaticPolicies(deps);
  const plan = await planChanges(deps, policies, [user], 'these');
  const { counts } = await makeChanges(deps, plan, Date.now() + CHANGE_BUDGET_MS);
  if (counts.failed > 0 || counts.remaining > 0) {
    throw new Error(`Access of user ${userId} after HR event '${event.eventId}' is not all changed yet (${counts.failed} failed, ${counts.remaining} left): ${counts.errors.join('; ')}`);
  }
  return { status: 'applied', userId, assigned: counts.assigned, removed: counts.removed, removalsPlanned: counts.removalsPlanned };
}
