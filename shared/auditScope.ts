import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** Who started what an audit event records: a signed-in user, or an application (Portcullis's own timers included). */
export interface Initiator {
  kind: 'user' | 'app';
  id: string;
  displayName?: string;
}

/**
 * One HTTP request's or one timer invocation's audit context: the correlation id all its events share, and the
 * caller once authenticated. Carried by AsyncLocalStorage rather than through every `deps` and operation signature:
 * it is set at the edge (the function registry) and read only where events are made (AuditLog.event), so no layer
 * between needs to know of it.
 */
export interface AuditScope {
  correlationId: string;
  initiator?: Initiator;
}

const scopes = new AsyncLocalStorage<AuditScope>();

/** Runs `work` with its own correlation id (a GUID, as Graph's correlationId is). */
export function withAuditScope<R>(correlationId: string, work: () => R): R {
  return scopes.run({ correlationId: GUID.test(correlationId) ? correlationId.toLowerCase() : randomUUID() }, work);
}

/** The current scope; outside any (a test calling an operation directly), undefined: each event then stands alone. */
export function currentAuditScope(): AuditScope | undefined {
  return scopes.getStore();
}

/** Records who is calling, once the edge has authenticated them. */
export function noteInitiator(initiator: Initiator): void {
  const scope = scopes.getStore();
  if (scope) scope.initiator = initiator;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
