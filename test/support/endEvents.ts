import { DateTime } from 'luxon';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import type { AuditEvent } from '../../shared/store/auditLog';

const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g;

/**
 * The events of an assignment's end (the assignment ended, its removal request's), in the order they were made,
 * with what tells one end from another put as names: the target, the assignment, the request that made it, the one
 * that ended it, and every time. Two ends made the same way, of assignments made the same way, answer the same.
 * `now`: the test's clock, the events being looked for from a day before it.
 */
export async function endEventsOf(deps: EntitlementDeps, now: DateTime, assignmentId: string): Promise<unknown[]> {
  const assignment = (await deps.grants.findAssignment(assignmentId))!.value;
  const endedBy = assignment.endedByRequestId!;
  const events: AuditEvent[] = [];
  for await (const event of deps.audit.between(now.minus({ days: 1 }), DateTime.utc().plus({ days: 2 }))) {
    if (event.entityId === endedBy || (event.entityId === assignment.id && event.action === 'endAssignment')) events.push(event);
  }
  events.sort((a, b) => a.sequence!.number - b.sequence!.number);
  const names: Array<[string, string]> = [
    [assignment.targetId, 'TARGET'],
    [assignment.id, 'ASSIGNMENT'],
    [assignment.requestId, 'GRANT_REQUEST'],
    [endedBy, 'END_REQUEST'],
  ];
  return events.map(({ actorId, action, entityType, entityId, before, after, result, catalogId }) => {
    let text = JSON.stringify({ actorId, action, entityType, entityId, before, after, result, catalogId });
    for (const [id, name] of names) text = text.split(id).join(name);
    return JSON.parse(text.replace(ISO_TIME, 'TIME')) as unknown;
  });
}
