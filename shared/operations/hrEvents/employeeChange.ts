import type { AttributeValue } from '../../domain/hrEvents/attributeOverrides';

/**
 * An HR event as its effect needs it (DESIGN §2.6): validated by the webhook, attributes under the rule language's
 * property names, times in UTC. The webhook's own event type is one of these.
 */
export interface EmployeeChange {
  eventId: string;
  eventType: 'joiner' | 'mover' | 'leaver';
  occurredAt: string;
  effectiveAt?: string;
  employee: EmployeeKey & { attributes: Readonly<Record<string, AttributeValue>> };
}

/** Exactly one of these names the employee. */
export type EmployeeKey = { userId: string } | { userPrincipalName: string } | { employeeId: string };

/** What applying a change did; plain JSON, kept with the event and in its audit. */
export type EmployeeChangeOutcome =
  | { status: 'applied'; userId: string; assigned: number; removed: number; removalsPlanned: number }
  /** A joiner whose account does not exist yet: held, and retried through the due-time index. */
  | { status: 'held'; retryAt: string }
  | { status: 'failed'; reason: string };

/** Who HR changes are recorded against in the audit log: the signed webhook, not a signed-in principal. */
export const HR_ACTOR = 'hrWebhook';

export function describeKey(key: EmployeeKey): string {
  if ('userId' in key) return `userId '${key.userId}'`;
  if ('userPrincipalName' in key) return `userPrincipalName '${key.userPrincipalName}'`;
  return `employeeId '${key.employeeId}'`;
}
