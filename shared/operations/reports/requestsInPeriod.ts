import { DateTime } from 'luxon';
import type { Caller } from '../../auth/caller';
import { sees } from '../../auth/callerAccess';
import { DomainError } from '../../domain/errors';
import { rowKeysUnder } from '../../store/odataFilter';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import type { Cell, Report } from './report';
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
 * `GET /api/reports/requests?from=&to=`: the requests created in [from, to), in storage order. No index of requests by
 * time is kept, so the report pages through the requests of every target (one query a page, each bounded by the
 * page size) and keeps those of the period: a page costs the same whatever the table holds, though a narrow period
 * of a large table may take many pages, some empty.
 */
export async function requestsInPeriodReport(deps: EntitlementDeps, caller: Caller, from: string | null, to: string | null): Promise<Report<RequestColumn>> {
  const visibility = await reportScope(deps, caller);
  const period = readPeriod(from, to);
  return {
    columns: REQUEST_COLUMNS,
    async page(cursor, size) {
      const page = await deps.grants.requests.page({ filter: rowKeysUnder('request'), pageSize: size, continuationToken: cursor?.requests });
      const rows = page.items
        .map((d) => d.value)
        .filter((r) => sees(visibility, r.catalogId) && within(period, r.createdDateTime))
        .map(
          (r): Record<RequestColumn, Cell> => ({
            requestId: r.id,
            requestType: r.requestType,
            state: r.state,
            status: r.status,
            accessPackageId: r.accessPackageId,
            targetObjectId: r.targetId,
            requestorId: r.requestorId,
            createdDateTime: r.createdDateTime,
            completedDateTime: r.completedDateTime,
          }),
        );
      return { rows, ...(page.continuationToken ? { cursor: { requests: page.continuationToken } } : {}) };
    },
  };
}

function within({ from, to }: Period, createdDateTime: string): boolean {
  const created = DateTime.fromISO(createdDateTime, { zone: 'utc' });
  return created >= from && created < to;
}
