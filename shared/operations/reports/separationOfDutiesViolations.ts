import type { Caller } from '../../auth/caller';
import { sees, type Visibility } from '../../auth/callerAccess';
import { CALLS_AT_ONCE, mapConcurrently } from '../../concurrently';
import type { StoredDocument } from '../../store/documentTable';
import type { IncompatibilityLink } from '../../store/entitlementStore';
import { filter } from '../../store/odataFilter';
import { tableKey, type TableKey } from '../../store/tableKeys';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { READS_AT_ONCE } from './packageAssignments';
import { packagesById } from './packagesById';
import type { Cell, Report, ReportCursor, ReportPage } from './report';
import { reportScope } from './reportScope';
import { namesOf } from './userNames';

export const VIOLATION_COLUMNS = ['userId', 'userDisplayName', 'accessPackageId', 'conflictingType', 'conflictingId'] as const;
export type ViolationColumn = (typeof VIOLATION_COLUMNS)[number];
type Violation = Record<ViolationColumn, Cell>;

/** Links or holder pages one report page walks past at most while finding no violation, so a page's work stays bounded. */
const STEPS_PER_PAGE = 8;

/**
 * `GET /api/reports/separationOfDutiesViolations`: people who hold a package and also what it is incompatible with,
 * however that came about (most often: incompatibility declared after they got access; the check at request time
 * stops new ones). Walks each declared link (incompatibilities.ts) and the holders of its package, a page of the
 * package's assignee index at a time: a holder's claims tell which packages they hold (as the request-time check
 * reads them), and the directory which incompatible groups they are in, nested ones included. A package pair gives a
 * row from each side, so each catalog's readers see the violations of their own packages.
 */
export async function separationOfDutiesReport(deps: EntitlementDeps, caller: Caller): Promise<Report<ViolationColumn>> {
  const visibility = await reportScope(deps, caller);
  return {
    columns: VIOLATION_COLUMNS,
    async page(cursor, size) {
      const rows: Violation[] = [];
      let at: ReportCursor | undefined = cursor ?? {};
      for (let step = 0; at && step < STEPS_PER_PAGE && rows.length === 0; step++) {
        const walked: ReportPage<ViolationColumn> = await walk(deps, visibility, at, size);
        rows.push(...walked.rows);
        at = walked.cursor;
      }
      return { rows, ...(at ? { cursor: at } : {}) };
    },
  };
}

/** One step: a page of holders of the link the cursor is at (or the first link at or after it). */
async function walk(deps: EntitlementDeps, visibility: Visibility, cursor: ReportCursor, size: number): Promise<ReportPage<ViolationColumn>> {
  const [link, next] = await forwardLinks(deps, cursor.linkPartition, cursor.linkRow);
  if (!link) return { rows: [] };
  const { packageId, kind, otherId } = link.value;
  const holders = await deps.grants.assigneePointerPage(packageId, size, cursor.holders);
  const targetIds = [...new Set(holders.pointers.map((p) => p.targetId))];
  const violators = kind === 'group' ? await groupViolators(deps, targetIds, packageId, otherId) : await packageViolators(deps, targetIds, packageId, otherId);
  const rows = await violationRows(deps, visibility, link.value, violators);
  const here = { linkPartition: link.partitionKey, linkRow: link.rowKey };
  if (holders.continuationToken) return { rows, cursor: { ...here, holders: holders.continuationToken } };
  return { rows, ...(next ? { cursor: { linkPartition: next.partitionKey, linkRow: next.rowKey } } : {}) };
}

/**
 * The first two links a package declares, at or after the given keys. Each package pair is stored twice (under the
 * package that declared it, and under `incompatibleWith|<other>` so either side can list it); only the first counts.
 */
async function forwardLinks(deps: EntitlementDeps, partitionKey?: string, rowKey?: string): Promise<Array<StoredDocument<IncompatibilityLink>>> {
  const from = partitionKey !== undefined && rowKey !== undefined ? filter`PartitionKey gt ${partitionKey} or (PartitionKey eq ${partitionKey} and RowKey ge ${rowKey})` : undefined;
  const links: Array<StoredDocument<IncompatibilityLink>> = [];
  for await (const link of deps.store.incompatibilities.iterate({ filter: from })) {
    if (link.partitionKey !== tableKey(link.value.packageId)) continue;
    links.push(link);
    if (links.length === 2) break;
  }
  return links;
}

/** Holders of the package with an active assignment of the other one too; a holder whose assignment has just ended is not one. */
async function packageViolators(deps: EntitlementDeps, targetIds: readonly string[], packageId: string, otherId: string): Promise<string[]> {
  const held = await mapConcurrently(targetIds, async (targetId) => {
    const packages = new Set((await deps.grants.claimsOf(targetId)).filter((c) => c.value.assignmentId).map((c) => c.value.packageId.toLowerCase()));
    return packages.has(packageId.toLowerCase()) && packages.has(otherId.toLowerCase());
  }, READS_AT_ONCE);
  return targetIds.filter((_, i) => held[i]);
}

/** Holders of the package who are in the group, directly or through nested groups (the directory decides). */
async function groupViolators(deps: EntitlementDeps, targetIds: readonly string[], packageId: string, groupId: string): Promise<string[]> {
  const holding = await mapConcurrently(targetIds, async (targetId) => Boolean((await deps.grants.claimOf(targetId, packageId))?.value.assignmentId), READS_AT_ONCE);
  const holders = targetIds.filter((_, i) => holding[i]);
  const inGroup = await mapConcurrently(holders, async (targetId) => (await deps.directory.memberGroupsOf(targetId, [groupId])).length > 0, CALLS_AT_ONCE);
  return holders.filter((_, i) => inGroup[i]);
}

async function violationRows(deps: EntitlementDeps, visibility: Visibility, link: IncompatibilityLink, violators: readonly string[]): Promise<Violation[]> {
  if (violators.length === 0) return [];
  const { packageId, kind, otherId } = link;
  const sides: Array<{ packageId: string; conflictingId: string }> = [{ packageId, conflictingId: otherId }];
  // The other package's side, unless it declares this one itself (its own link gives that row).
  if (kind === 'accessPackage' && !(await deps.store.incompatibilities.get(tableKey(otherId), tableKey('accessPackage', packageId) as TableKey))) {
    sides.push({ packageId: otherId, conflictingId: packageId });
  }
  const catalogs = await packagesById(deps, sides.map((s) => s.packageId));
  const shown = sides.filter((s) => sees(visibility, catalogs.get(s.packageId)?.catalogId));
  if (shown.length === 0) return [];
  const nameOf = await namesOf(deps, violators);
  return violators.flatMap((userId) =>
    shown.map((s) => ({ userId, userDisplayName: nameOf(userId).displayName, accessPackageId: s.packageId, conflictingType: kind, conflictingId: s.conflictingId })),
  );
}
