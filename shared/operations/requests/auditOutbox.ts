import { AsyncLocalStorage } from 'node:async_hooks';
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
  const pending = deferred.getStore();
  // The events of one pipeline share an audit partition, so that they are appended in one transaction.
  const events: AuditEvent[] = [];
  for (const entry of entries) events.push(deps.audit.event(entry, pending ? (pending.events[0]?.event ?? events[0]) : undefined));
  const outbox = events.map((event) => deps.grants.auditOutbox.insertion(first.partitionKey, GrantStore.auditOutboxKey(event.id), event));
  const saved = await deps.grants.together([...writes, ...outbox]);
  if (pending) pending.events.push(...events.map((event) => ({ partitionKey: first.partitionKey, event, appended: false })));
  else await publish(deps, first.partitionKey, events);
  return saved.slice(0, writes.length);
}

/** Events written to the outbox inside `publishingOnceAfter`, in the order written; `appended` once in the log. */
interface PendingEvents {
  events: Array<{ partitionKey: TableKey; event: AuditEvent; appended: boolean }>;
  /** The append under way, if any, so that the next waits for it and the order holds. */
  appending: Promise<void>;
}
const deferred = new AsyncLocalStorage<PendingEvents>();

/**
 * How late an event may be appended after its change while its pipeline goes on (a throttled directory call can hold
 * it for minutes): far under the archive's settle time (ARCHIVE_SETTLE_SECONDS, 120 s by default), after which an
 * event appended late could miss its archive run.
 */
const APPEND_WITHIN_MS = 10_000;

/**
 * Runs one pipeline (a request from its arrival to its outcome) with the events of its writes appended together, at
 * its end, instead of after each write: one audit transaction and one outbox clean-up for the whole pipeline rather
 * than an append and a clean-up per write. What the outbox guarantees is unchanged: each event is in the transaction
 * of its change, so a process stopped before the end leaves its rows for the repairs to flush (flushAuditOutbox).
 * The events become readable a moment after their changes, never missing; a pipeline that runs long appends what it
 * has every APPEND_WITHIN_MS (or `deps.auditAppendWithinMs`). A failed pipeline's events are appended too (their
 * changes were made); should that fail, its rows wait for the repairs, and the pipeline's own error is what the
 * caller sees. Inside another such run, its events join the outer one's.
 */
export async function publishingOnceAfter<R>(deps: EntitlementDeps, work: () => Promise<R>): Promise<R> {
  if (deferred.getStore()) return work();
  const pending: PendingEvents = { events: [], appending: Promise.resolve() };
  const timer = setInterval(() => void appendNew(deps, pending).catch(() => undefined), deps.auditAppendWithinMs ?? APPEND_WITHIN_MS);
  timer.unref();
  let result: R;
  try {
    result = await deferred.run(pending, work);
  } catch (error) {
    clearInterval(timer);
    await publishPending(deps, pending).catch(() => undefined);
    throw error;
  }
  clearInterval(timer);
  await publishPending(deps, pending);
  return result;
}

/** Appends the events not yet appended, after any append under way (one transaction per audit partition, normally one). */
function appendNew(deps: EntitlementDeps, pending: PendingEvents): Promise<void> {
  pending.appending = pending.appending
    .catch(() => undefined)
    .then(async () => {
      const batch = pending.events.filter((p) => !p.appended);
      if (batch.length === 0) return;
      await deps.audit.appendAll(batch.map((p) => p.event));
      for (const p of batch) p.appended = true;
    });
  return pending.appending;
}

/** Appends what is left, then deletes every row of the pipeline's events, one transaction per target (normally one). */
async function publishPending(deps: EntitlementDeps, pending: PendingEvents): Promise<void> {
  if (pending.events.length === 0) return;
  await appendNew(deps, pending);
  const byTarget = new Map<TableKey, AuditEvent[]>();
  for (const { partitionKey, event } of pending.events) byTarget.set(partitionKey, [...(byTarget.get(partitionKey) ?? []), event]);
  for (const [partitionKey, events] of byTarget) await deleteOutboxRows(deps, partitionKey, events);
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
  await deleteOutboxRows(deps, partitionKey, events);
}

async function deleteOutboxRows(deps: EntitlementDeps, partitionKey: TableKey, events: readonly AuditEvent[]): Promise<void> {
  for (let from = 0; from < events.length; from += MAX_TRANSACTION_SIZE) {
    const deletions = events.slice(from, from + MAX_TRANSACTION_SIZE).map((event) => deps.grants.auditOutbox.deletion({ partitionKey, rowKey: GrantStore.auditOutboxKey(event.id) }));
    await deps.grants.together(deletions).catch(ignoreMissing);
  }
}

/** Table Storage's limit on the operations of one transaction. */
const MAX_TRANSACTION_SIZE = 100;
