import type { AuditEntry, AuditEvent } from '../../store/auditLog';
import type { DocumentWrite, StoredDocument } from '../../store/documentTable';
import { GrantStore } from '../../store/grantStore';
import { ignoreMissing } from '../../store/storeErrors';
import type { TableKey } from '../../store/tableKeys';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

/**
 * "No change may exist without its event" (DESIGN §1), for the writes of a target's partition (requests,
 * assignments, claims): the change's events go into the same transaction, as outbox rows beside what changed, and
 * are appended to the audit log after it, then their rows deleted. A process that stops in between leaves the rows;
 * the repairs that run after every change of the request pipeline (the reconcile sweep's redelivery, request
 * recovery) flush them first (flushAuditOutbox). An event's id and time are fixed when it is written, so appending it
 * twice is harmless. Answers the written documents, in the order of `writes`.
 */
export async function writeAudited(deps: EntitlementDeps, writes: readonly DocumentWrite[], entries: readonly AuditEntry[]): Promise<Array<StoredDocument<object> | undefined>> {
  const [first] = writes;
  if (!first) return [];
  const events = entries.map((entry) => deps.audit.event(entry));
  const outbox = events.map((event) => deps.grants.auditOutbox.insertion(first.partitionKey, GrantStore.auditOutboxKey(event.id), event));
  const saved = await deps.grants.together([...writes, ...outbox]);
  await publish(deps, first.partitionKey, events);
  return saved.slice(0, writes.length);
}

/** Appends what a stopped process left in a target's outbox: one partition query, and nothing more when it is empty. */
export async function flushAuditOutbox(deps: EntitlementDeps, targetId: string): Promise<void> {
  const left = await deps.grants.auditOutboxOf(targetId);
  await publish(
    deps,
    GrantStore.targetKey(targetId),
    left.map((row) => row.value),
  );
}

/**
 * Appends the events in the order they were written, then deletes their outbox rows in one transaction. Another
 * flush of the same rows at the same time may delete them first: the transaction then fails as not found, and what
 * it left (if anything) is appended again, harmlessly, by the next flush.
 */
async function publish(deps: EntitlementDeps, partitionKey: TableKey, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  for (const event of events) await deps.audit.append(event);
  for (let from = 0; from < events.length; from += MAX_TRANSACTION_SIZE) {
    const deletions = events.slice(from, from + MAX_TRANSACTION_SIZE).map((event) => deps.grants.auditOutbox.deletion({ partitionKey, rowKey: GrantStore.auditOutboxKey(event.id) }));
    await deps.grants.together(deletions).catch(ignoreMissing);
  }
}

/** Table Storage's limit on the operations of one transaction. */
const MAX_TRANSACTION_SIZE = 100;
