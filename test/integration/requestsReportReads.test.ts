import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { mapConcurrently } from '../../shared/concurrently';
import type { AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import type { Report, ReportCursor } from '../../shared/operations/reports/report';
import { OLD_BUILDS_OVERLAP, requestsInPeriodReport } from '../../shared/operations/reports/requestsInPeriod';
import { GrantStore } from '../../shared/store/grantStore';
import { newRequestId } from '../../shared/store/groupedIds';
import type { CountingProxy } from '../../tools/bench/countingProxy';
import { countedOperationsForFile } from '../support/countedOperations';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN } from '../support/packageWorld';

/**
 * What the requests report of a period reads from Table Storage, counted by the benchmark's proxy: the locators of
 * the period's requests (request ids carry the hour they were made in, so their locators lie in time order) in one
 * query a page, and each of those requests by its key; the requests of other hours, and of the same hours outside
 * the period, are not read at all. A period starting before this build first wrote to the store (less its overlap
 * with an older one) is read the old way, so requests made by an older build are in it too.
 */
const PAGE = 10;

let world: InProcessOperations;
inProcessOperationsForFile((started) => (world = started));

let proxy: CountingProxy;
let counted: EntitlementDeps;
countedOperationsForFile(() => world, (started) => ({ proxy, deps: counted } = started));

const CATALOG = randomUUID();

/** A delivered adminAdd made at `at`, written as the pipeline leaves it (its locator, then the request). */
async function madeAt(at: DateTime, id = newRequestId(at)): Promise<AssignmentRequest> {
  const request: AssignmentRequest = {
    id, requestType: 'adminAdd', state: 'delivered', status: 'Delivered', createdDateTime: at.toUTC().toISO()!, completedDateTime: at.plus({ seconds: 5 }).toUTC().toISO()!,
    justification: null, answers: [], schedule: { startDateTime: at.toUTC().toISO()!, expiration: null } as AssignmentRequest['schedule'],
    accessPackageId: randomUUID(), assignmentPolicyId: randomUUID(), catalogId: CATALOG, targetId: randomUUID(), assignmentId: null, requestorId: ADMIN.objectId, approval: null,
  };
  await world.deps.grants.indexRequest(request);
  await world.deps.grants.requests.insert(GrantStore.targetKey(request.targetId), GrantStore.requestKey(request.id), request);
  return request;
}

/** Every page of the report from the first, counting the Table Storage reads each kind of row took. */
async function readAll(report: Report): Promise<{ ids: string[]; pages: number; grantQueries: number; grantPointReads: number; indexQueries: number }> {
  proxy.reset();
  const ids: string[] = [];
  let pages = 0;
  let cursor: ReportCursor | undefined;
  do {
    const page = await report.page(cursor, PAGE);
    ids.push(...page.rows.map((r) => r.requestId!));
    cursor = page.cursor;
    pages++;
  } while (cursor);
  const routes = Object.entries(proxy.routes());
  const sum = (pattern: RegExp) => routes.filter(([route]) => pattern.test(route)).reduce((total, [, n]) => total + n, 0);
  return { ids, pages, grantQueries: sum(/^GET \w*accessGrants\S* query/), grantPointReads: sum(/^GET \w*accessGrants\([^)]/), indexQueries: sum(/^GET \w*grantIndex\S* query/) };
}

const iso = (t: DateTime) => t.toUTC().toISO()!;

it("reads a period's requests through their locators, one query a page and one read per request, none of another hour or of its own hours outside the period", async () => {
  const hour = world.now().startOf('hour').plus({ days: 2 });
  const inPeriod = await mapConcurrently([...Array(25).keys()], (i) => madeAt(hour.plus({ minutes: 30, seconds: i })));
  // Outside the period: earlier in its first hour, the hours just before and after it (their groups are read), and a day later.
  await mapConcurrently([...Array(20).keys()], (i) => madeAt(hour.plus({ minutes: 10, seconds: i })));
  await mapConcurrently([...Array(10).keys()], (i) => madeAt(hour.minus({ minutes: 30 - i })));
  await mapConcurrently([...Array(10).keys()], (i) => madeAt(hour.plus({ hours: 1, minutes: i })));
  await mapConcurrently([...Array(40).keys()], (i) => madeAt(hour.plus({ days: 1, seconds: i })));
  // A locator whose request was never written (refused at its insert, or its process stopped): skipped.
  await world.deps.grants.indexRequest({ ...inPeriod[0]!, id: newRequestId(hour.plus({ minutes: 40 })), createdDateTime: iso(hour.plus({ minutes: 40 })), targetId: randomUUID() });

  const read = await readAll(await requestsInPeriodReport(counted, ADMIN, iso(hour.plus({ minutes: 30 })), iso(hour.plus({ hours: 1 }))));

  expect(read.ids.sort()).toEqual(inPeriod.map((r) => r.id).sort());
  // 26 locators in the period (the stale one too), 10 a page: 3 pages; the last one says there is no next.
  expect(read).toMatchObject({ pages: 3, indexQueries: 3, grantQueries: 0, grantPointReads: 26 });
}, 120_000);

it('reads a period that starts before this build first wrote to the store the old way, every request a page at a time, so requests an older build made are in it', async () => {
  // After the day ids began to carry their hour in code, but made by an older build: a random id, its locator its own
  // and without createdDateTime's place in time.
  const olderBuild = DateTime.fromISO('2026-12-07T01:00:00Z', { zone: 'utc' });
  const old = await madeAt(olderBuild, randomUUID());
  const recent = await madeAt(world.now());
  const since = (await world.deps.grants.requestsIndexedSince.read())!;
  expect(since > olderBuild).toBe(true);

  const read = await readAll(await requestsInPeriodReport(counted, ADMIN, iso(olderBuild.minus({ hours: 1 })), iso(world.now().plus({ hours: 2 }))));

  expect(read.ids).toEqual(expect.arrayContaining([old.id, recent.id]));
  expect(read.indexQueries).toBe(0);
  expect(read.grantQueries).toBeGreaterThanOrEqual(1);
  // The same period starting once this build alone makes requests is read by time; the older build's request is not in it.
  const later = await readAll(await requestsInPeriodReport(counted, ADMIN, iso(since.plus(OLD_BUILDS_OVERLAP)), iso(since.plus({ days: 3 }))));
  expect(later.grantQueries).toBe(0);
  expect(later.indexQueries).toBeGreaterThanOrEqual(1);
}, 120_000);

it('refuses a skip token of the earlier by-time reading, which could miss requests, asking to start again', async () => {
  const report = await requestsInPeriodReport(counted, ADMIN, iso(world.now()), iso(world.now().plus({ hours: 1 })));
  await expect(report.page({ created: 'x' }, PAGE)).rejects.toMatchObject({ code: 'invalidRequest', message: expect.stringContaining('start the report again') });
});
