import { mapConcurrently } from '../../shared/concurrently';
import type { Assignment } from '../../shared/domain/assignments/assignment';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { packageAssignmentsReport } from '../../shared/operations/reports/packageAssignments';
import type { Report, ReportCursor } from '../../shared/operations/reports/report';
import { GrantStore } from '../../shared/store/grantStore';
import type { CountingProxy } from '../../tools/bench/countingProxy';
import { countedOperationsForFile } from '../support/countedOperations';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, selfServicePackage } from '../support/packageWorld';

/**
 * What a page of the package assignments report reads from Table Storage, counted by the benchmark's proxy: a package
 * larger than a page is read one query a page from the assignments' own rows, with no point read per row (that bound
 * the 100,000-row report to the point-read rate); a package that fits in one page, by its assignee index and a point
 * read per assignee. Both give the same rows: the active assignments of the package, each once.
 */
const PAGE = 100;

let world: InProcessOperations;
inProcessOperationsForFile((started) => (world = started));

let proxy: CountingProxy;
let counted: EntitlementDeps;
countedOperationsForFile(() => world, (started) => ({ proxy, deps: counted } = started));

const idOf = (prefix: string, i: number) => `${prefix}-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** `count` assignments of the package, one per target, written as the pipeline leaves them (pointer, then assignment); every tenth target also holds an ended one. */
async function holders(pkg: { packageId: string; policyId: string; catalogId: string }, prefix: string, count: number): Promise<Assignment[]> {
  const grants = world.deps.grants;
  const assignment = (id: string, targetId: string, state: Assignment['state']): Assignment => ({
    id, state, status: state, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId, catalogId: pkg.catalogId, targetId,
    schedule: { startDateTime: '2026-01-01T00:00:00Z', expiration: null }, expiredDateTime: null, createdDateTime: '2026-01-01T00:00:00Z', requestId: 'r', createdById: targetId, operations: [],
  });
  const active = Array.from({ length: count }, (_, i) => assignment(idOf(`${prefix}a`, i), idOf(`${prefix}b`, i), 'delivered'));
  const ended = active.filter((_, i) => i % 10 === 0).map((a, i) => assignment(idOf(`${prefix}c`, i), a.targetId, 'expired'));
  await mapConcurrently(active, (a) => grants.indexAssignment(a));
  await mapConcurrently([...active, ...ended], (a) => grants.assignments.insert(GrantStore.targetKey(a.targetId), GrantStore.assignmentKey(a.id), a).then(() => undefined));
  return active;
}

/** Every page of the report from the first, counting the Table Storage reads each kind of row took. */
async function readAll(report: Report): Promise<{ targets: string[]; pages: number; grantQueries: number; grantPointReads: number; indexQueries: number }> {
  proxy.reset();
  const targets: string[] = [];
  let pages = 0;
  let cursor: ReportCursor | undefined;
  do {
    const page = await report.page(cursor, PAGE);
    targets.push(...page.rows.map((r) => r.targetObjectId!));
    cursor = page.cursor;
    pages++;
  } while (cursor);
  const routes = Object.entries(proxy.routes());
  const sum = (pattern: RegExp) => routes.filter(([route]) => pattern.test(route)).reduce((total, [, n]) => total + n, 0);
  return { targets, pages, grantQueries: sum(/^GET \w*accessGrants\S* query/), grantPointReads: sum(/^GET \w*accessGrants\([^)]/), indexQueries: sum(/^GET \w*grantIndex\S* query/) };
}

it('reads a package larger than a page one query a page from the assignments themselves, with no point read per row, each active holder once', async () => {
  const pkg = await selfServicePackage(world.deps, 'Report reads: large');
  const active = await holders(pkg, 'd1000000', 250);
  const read = await readAll(await packageAssignmentsReport(counted, ADMIN, pkg.packageId));
  expect(read.targets.sort()).toEqual(active.map((a) => a.targetId).sort());
  expect(read.pages).toBe(3);
  expect({ grantQueries: read.grantQueries, grantPointReads: read.grantPointReads, indexQueries: read.indexQueries }).toEqual({ grantQueries: 3, grantPointReads: 0, indexQueries: 1 });
}, 120_000);

it('reads a package that fits in a page by its assignee index and one point read per holder, the ended ones left out', async () => {
  const pkg = await selfServicePackage(world.deps, 'Report reads: small');
  const active = await holders(pkg, 'd2000000', 40);
  const read = await readAll(await packageAssignmentsReport(counted, ADMIN, pkg.packageId));
  expect(read.targets.sort()).toEqual(active.map((a) => a.targetId).sort());
  expect({ pages: read.pages, grantQueries: read.grantQueries, grantPointReads: read.grantPointReads, indexQueries: read.indexQueries }).toEqual({ pages: 1, grantQueries: 0, grantPointReads: 40, indexQueries: 1 });
}, 120_000);
