import type { AuditCursor, AuditEvent, AuditSelection } from '../../store/auditLog';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

export interface AuditPage {
  events: AuditEvent[];
  /** Where the next page starts; absent when the log has nothing more for this selection. */
  next?: AuditCursor;
}

/**
 * The most events one page reads past those it shows (a filter the table cannot apply, such as a display name, is
 * applied here): a page stops there and says where to go on, so its cost is bounded whatever the filter and the size
 * of the log; Graph clients follow `@odata.nextLink` until it is absent, short pages included.
 */
export const MAX_SCANNED_PER_PAGE = 2_000;

/** One page of events, newest first, from `cursor` on: at most `top` that `matches`, reading at most MAX_SCANNED_PER_PAGE. */
export async function listAuditEvents(
  deps: Pick<EntitlementDeps, 'audit'>,
  selection: AuditSelection,
  matches: (event: AuditEvent) => boolean,
  top: number,
  cursor?: AuditCursor,
): Promise<AuditPage> {
  const events: AuditEvent[] = [];
  let scanned = 0;
  let last: AuditCursor | undefined;
  // One more than a page is read, so that a page that ends the log says so (no link to an empty page).
  for await (const found of deps.audit.newestFirst(selection, top + 1, cursor)) {
    if (events.length === top || scanned === MAX_SCANNED_PER_PAGE) return { events, next: last };
    scanned++;
    last = found.cursor;
    if (matches(found.event)) events.push(found.event);
  }
  return { events };
}
