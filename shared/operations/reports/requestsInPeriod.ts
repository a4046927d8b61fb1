import { DateTime } from 'luxon';
import type { Caller } from '../../auth/caller';
import { sees } from '../../auth/callerAccess';
import { mapConcurrently } from '../../concurrently';
import { DomainError } from '../../domain/errors';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { rowKeysUnder } from '../../store/odataFilter';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import type { Cell, Report, ReportPage } from './report';
import { reportScope } from './reportScope';

export const REQUEST_COLUMNS = ['requestId', 'requestType', 'state', 'status', 'accessPackageId', 'targetObjectId', 'requestorId', 'createdDateTime', 'completedDateTime'] as const;
export type RequestColumn = (typeof REQUEST_COLUMNS)[number];

/** The longest period one report covers: a year (a leap year's), so one call cannot ask for the whole history. */
export const MAX_PERIOD_DAYS = 366;

export interface Period {
  from: DateTime;
  to: DateTime;
}

/** `from` and `to`: both ISO 8601 date-times (or dates), `from` before `to`, at most MAX_PERIOD_DAYS apart. */
export function readPeriod(from: string | null, to: string | null): Period {
  const start = instant('from', from);
  const end = instant('to', to);
  if (start >= end) throw new DomainError('invalidRequest', `'from' (${start.toISO()}) must be before 'to' (${end.toISO()}).`);
  if (end.diff(start, 'days').days > MAX_PERIOD_DAYS) throw new DomainError('invalidRequest', `The period is longer than ${MAX_PERIOD_DAYS} days; ask for it in parts.`);
  return { from: start, to: end };
}

function instant(name: string, text: string | null): DateTime {
  if (text === null || text === '') throw new DomainError('invalidRequest', `'${name}' is required: an ISO 8601 date-time such as 2026-01-01T00:00:00Z.`);
  const parsed = text.length <= 40 ? DateTime.fromISO(text, { zone: 'utc' }) : DateTime.invalid('too long');
  if (!parsed.isValid) throw new DomainError('invalidRequest', `'${name}' is not an ISO 8601 date-time: '${text.slice(0, 40)}'.`);
  return parsed.toUTC();
}

/**
 * How long a build that made requests the old way (ids not carrying their hour, locators without createdDateTime)
 * may still make them after this one first wrote to the grant index: a deployment's overlap, old instances finishing
 * their executions (at most functionTimeout, 10 minutes, host.json) while new ones start. An hour, well above it.
 */
export const OLD_BUILDS_OVERLAP = { hours: 1 };

/**
 * `GET /api/reports/requests?from=&to=`: the requests created in [from, to). A period starting once every request is
 * made by this build (the store's RequestsIndexedSince, plus OLD_BUILDS_OVERLAP) is read by time: a page reads the
 * locators of the period's requests (GrantStore.requestPointersCreatedIn: one query over that period's locator
 * partitions) and each request by its key, so its cost follows the requests of the period, not all requests kept. A
 * locator whose request is not there (written before a request that was then refused, or left by a stopped process)
 * is skipped. Any other period, or a store no process of this build has written to yet, is read the old way, every
 * target's requests: complete whichever build made them. The first page reads the start once; the next pages follow
 * their cursor's way.
 */
export async function requestsInPeriodReport(deps: EntitlementDeps, caller: Caller, from: string | null, to: string | null): Promise<Report<RequestColumn>> {
  const visibility = await reportScope(deps, caller);
  const period = readPeriod(from, to);
  const shown = (r: AssignmentRequest) => sees(visibility, r.catalogId) && within(period, r.createdDateTime);
  const byTime = async (size: number, continuationToken?: string): Promise<ReportPage<RequestColumn>> => {
    const page = await deps.grants.requestPointersCreatedIn(period.from, period.to, size, continuationToken);
    const found = await mapConcurrently(page.pointers, (p) => deps.grants.requestOf(p.targetId, p.id));
    const rows = found.flatMap((d) => (d && shown(d.value) ? [rowOf(d.value)] : []));
    return { rows, ...(page.continuationToken ? { cursor: { byTime: page.continuationToken } } : {}) };
  };
  // Every target's requests, one query a page, those of the period kept: a page costs the same whatever the table
  // holds, though a narrow period of a large table may take many pages, some empty.
  const everyRequest = async (size: number, continuationToken?: string): Promise<ReportPage<RequestColumn>> => {
    const page = await deps.grants.requests.page({ filter: rowKeysUnder('request'), pageSize: size, continuationToken });
    const rows = page.items.flatMap((d) => (shown(d.value) ? [rowOf(d.value)] : []));
    return { rows, ...(page.continuationToken ? { cursor: { requests: page.continuationToken } } : {}) };
  };
  return {
    columns: REQUEST_COLUMNS,
    async page(cursor, size) {
      if (cursor?.byTime !== undefined) return byTime(size, cursor.byTime);
      if (cursor?.requests !== undefined) return everyRequest(size, cursor.requests);
      // A `created` cursor: the earlier version's by-time reading, chosen by a date alone, which could miss requests.
      if (cursor !== undefined) throw new DomainError('invalidRequest', 'This $skiptoken was made by an earlier version of the report: start the report again.');
      const since = await deps.grants.requestsIndexedSince.read();
      return since !== undefined && period.from >= since.plus(OLD_BUILDS_OVERLAP) ? byTime(size) : everyRequest(size);
    },
  };
}

const rowOf = (r: AssignmentRequest): Record<RequestColumn, Cell> => ({
  requestId: r.id,
  requestType: r.requestType,
  state: r.state,
  status: r.status,
  accessPackageId: r.accessPackageId,
  targetObjectId: r.targetId,
  requestorId: r.requestorId,
  createdDateTime: r.createdDateTime,
  completedDateTime: r.completedDateTime,
});

function within({ from, to }: Period, createdDateTime: string): boolean {
  const created = DateTime.fromISO(createdDateTime, { zone: 'utc' });
  return created >= from && created < to;
}
