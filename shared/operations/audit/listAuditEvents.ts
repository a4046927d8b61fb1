import type { AuditEvent, AuditPosition, AuditSelection } from '../../store/auditLog';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

export interface AuditPage {
  events: AuditEvent[];
  /** Where the next page starts; absent when the log has nothing more for this selection. */
  next?: AuditPosition;
}

/**
 * The most events one page reads past those it shows (a filter the table cannot apply, such as a display name, is
 * applied here): a page stops there and says where to go on, so its cost is bounded whatever the filter and the size
 * of the log; Graph clients follow `@odata.nextLink` until it is absent, short pages included.
 */
export const MAX_SCANNED_PER_PAGE = 2_000;

/**
 * The most storage queries one page makes in each shard. A filter the table applies but that matches little (a
 * catalog owner's catalogs, a correlation id) makes Table Storage answer page after page with few or no rows (it
 * stops at partition boundaries and after 5 seconds of scanning): a page stops at this many and carries each
 * shard's continuation in its link, so it costs at most AUDIT_SHARDS × this many round trips at any size of the log.
 */
export const MAX_QUERIES_PER_SHARD = 4;

/**
 * One page of events, newest first, from `position` on: at most `top` that `matches`, reading at most
 * MAX_SCANNED_PER_PAGE events with at most MAX_QUERIES_PER_SHARD queries a shard. A page cut short by either bound
 * may hold fewer than `top` events, even none, and still have a next.
 */
export async function listAuditEvents(
  deps: Pick<EntitlementDeps, 'audit'>,
  selection: AuditSelection,
  matches: (event: AuditEvent) => boolean,
  top: number,
  position?: AuditPosition,
): Promise<AuditPage> {
  const events: AuditEvent[] = [];
  let scanned = 0;
  let last = position;
  // One more than a page is read, so that a page that ends the log says so (no link to an empty page).
  const reader = deps.audit.newestFirst(selection, top + 1, MAX_QUERIES_PER_SHARD, position);
  try {
    for (;;) {
      const step = await reader.next();
      if (step.done) return step.value === undefined ? { events } : { events, next: step.value };
      if (events.length === top || scanned === MAX_SCANNED_PER_PAGE) return { events, next: last };
      scanned++;
      last = step.value.position;
      if (matches(step.value.event)) events.push(step.value.event);
    }
  } finally {
    await reader.return(undefined);
  }
}
