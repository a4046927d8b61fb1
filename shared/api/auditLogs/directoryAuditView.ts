import { DateTime } from 'luxon';
import type { AuditEvent } from '../../store/auditLog';
import { recordsFailure } from '../../domain/audit/failureEvents';
import { activityOf } from './activities';

/**
 * An event's Graph id: its own id and its time in milliseconds, so `/{id}` is one point read (the time fixes its
 * partition) rather than a search of the log.
 */
export const graphIdOf = (event: Pick<AuditEvent, 'id' | 'occurredDateTime'>) => `${event.id}_${DateTime.fromISO(event.occurredDateTime, { zone: 'utc' }).toMillis()}`;

/** The event id and time a Graph id names; undefined for anything this service did not issue. */
export function parseGraphId(id: string): { id: string; at: DateTime } | undefined {
  const match = /^([0-9a-f-]{36})_(\d{1,15})$/i.exec(id);
  if (!match) return undefined;
  const at = DateTime.fromMillis(Number(match[2]), { zone: 'utc' });
  return at.isValid ? { id: match[1]!.toLowerCase(), at } : undefined;
}

/** Graph's `directoryAudit` of one event (reference graph-wave2 §4.1). */
export function directoryAuditOf(event: AuditEvent) {
  const activity = activityOf(event);
  const initiator = event.initiator ?? { kind: 'user', id: event.actorId };
  // Stored with the event since failures were recorded as such; asked again for events stored before (all `success`).
  const result = recordsFailure(event) ? 'failure' : (event.result ?? 'success');
  return {
    id: graphIdOf(event),
    category: activity.category,
    correlationId: event.correlationId,
    result,
    resultReason: result === 'failure' ? reasonOf(event.after) : '',
    activityDisplayName: activity.displayName,
    activityDateTime: event.occurredDateTime,
    loggedByService: activity.service,
    operationType: activity.operationType,
    initiatedBy:
      initiator.kind === 'app'
        ? { user: null, app: { appId: null, displayName: initiator.displayName ?? null, servicePrincipalId: initiator.id, servicePrincipalName: initiator.displayName ?? null } }
        : { user: { id: initiator.id, displayName: initiator.displayName ?? null, userPrincipalName: null, ipAddress: null }, app: null },
    targetResources: [
      {
        id: event.entityId,
        displayName: displayNameOf(event.after) ?? displayNameOf(event.before) ?? null,
        type: event.entityType,
        userPrincipalName: null,
        groupType: null,
        modifiedProperties: modifiedProperties(event.before, event.after),
      },
    ],
    additionalDetails: [
      { key: 'action', value: event.action },
      ...(event.catalogId ? [{ key: 'catalogId', value: event.catalogId }] : []),
    ],
  };
}

/**
 * The top-level fields that differ between before and after, each value as a JSON string as Entra writes them
 * (`"\"False\""`); a created entity lists every field with no old value, a deleted one every field with no new.
 */
function modifiedProperties(before: unknown, after: unknown) {
  const old = asRecord(before);
  const now = asRecord(after);
  const names = [...new Set([...Object.keys(old), ...Object.keys(now)])];
  return names
    .filter((name) => !NOT_SHOWN.has(name) && JSON.stringify(old[name]) !== JSON.stringify(now[name]))
    .map((name) => ({ displayName: name, oldValue: jsonOrNull(old[name]), newValue: jsonOrNull(now[name]) }));
}

/** Fields Portcullis keeps for its own checks, which describe no change anybody made (assignmentRequest.ts, decidedFrom). */
const NOT_SHOWN: ReadonlySet<string> = new Set(['decidedFrom']);
const asRecord = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
const jsonOrNull = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
const displayNameOf = (value: unknown) => {
  const name = asRecord(value).displayName;
  return typeof name === 'string' ? name : undefined;
};
const reasonOf = (value: unknown) => {
  const record = asRecord(value);
  // Where each failing kind keeps it: its own field, a failed request's, or an HR event's outcome.
  const reason = record.reason ?? record.error ?? record.lastError ?? record.failureReason ?? asRecord(record.outcome).reason;
  return typeof reason === 'string' ? reason.slice(0, 1000) : '';
};
