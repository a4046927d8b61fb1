import { DateTime } from 'luxon';
import type { Assignment } from '../../shared/domain/assignments/assignment';
import { SYSTEM_ACTOR } from '../../shared/domain/requests/assignmentRequest';
import type { AutomaticPolicy } from '../../shared/operations/autoAssignment/automaticPolicies';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import type { StoredDocument } from '../../shared/store/documentTable';

/**
 * An automatic assignment ended through a delivered system `adminRemove`, with the pipeline's events once each (in
 * any order: a stopped process's are appended by the sweep after the ones made since) and its claim gone. `now`: the
 * test's clock, the events being looked for from a day before it. `marks`: the assignment's other events, those of its
 * grace periods' marks (planned, taken back). `operations`: what the assignment's end left on it (by default its one
 * role removed; none for a package without roles).
 */
export async function expectEndedBySystemRemoval(
  deps: EntitlementDeps,
  now: DateTime,
  auto: AutomaticPolicy,
  ended: StoredDocument<Assignment>,
  marks: readonly string[] = [],
  operations: readonly object[] = [{ action: 'remove', state: 'done' }],
): Promise<void> {
  const assignment = (await deps.grants.findAssignment(ended.value.id))!.value;
  expect(assignment).toMatchObject({ state: 'expired', operations });
  const request = (await deps.grants.findRequest(assignment.endedByRequestId!))!.value;
  expect(request).toMatchObject({ requestType: 'adminRemove', requestorId: SYSTEM_ACTOR, state: 'delivered', assignmentId: assignment.id, assignmentPolicyId: auto.policy.id });
  expect(await deps.grants.claimOf(assignment.targetId, auto.policy.accessPackageId)).toBeUndefined();
  const actions = new Map<string, string[]>();
  for await (const event of deps.audit.between(now.minus({ days: 1 }), DateTime.utc().plus({ days: 2 }))) actions.set(event.entityId, [...(actions.get(event.entityId) ?? []), event.action]);
  expect((actions.get(request.id) ?? []).sort()).toEqual(['deliverRequest', 'startDelivery', 'submitRequest']);
  expect((actions.get(assignment.id) ?? []).sort()).toEqual(['createAssignment', 'endAssignment', ...marks].sort());
}
