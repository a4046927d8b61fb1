import { randomUUID } from 'node:crypto';
import type { Caller } from '../../shared/auth/caller';
import type { Assignment } from '../../shared/domain/assignments/assignment';
import type { AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import { assignmentsOfCurrentUser } from '../../shared/operations/assignments/assignmentQueries';
import { listRequests, requestsOfCurrentUser } from '../../shared/operations/requests/requestQueries';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import { DocumentTable } from '../../shared/store/documentTable';
import { GrantStore, type GrantPointer } from '../../shared/store/grantStore';
import { locatorGroupOf, newIdGroup, newRequestId } from '../../shared/store/groupedIds';
import { tableKey } from '../../shared/store/tableKeys';
import { Tables } from '../../shared/store/tables';
import { demoTenantWithMembers } from '../support/demoTenantWithMembers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { selfServicePackage } from '../support/packageWorld';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * The requests one makes for others (on behalf of a report, here), as their lists find them: through their record of
 * each locator group of an hour they made such requests in, whose locators name their requestor
 * (GrantStore.requestsMadeForOthersBy), and through the pointers an earlier version wrote, one per request.
 */
const PRADEEP = 'eb7a7995-9588-432d-8242-aadbc8f429a4'; // manager of Alex and Johanna, no directory role
const ALEX = '83d8e92d-f2ad-4c0e-a683-acdf2060d7c4';
const JOHANNA = 'b039ee16-9646-4718-8f3d-9a4de6cf02bb';
// A manager whose id hashes as Pradeep's (groupedIds.ts): their requests of an hour share his locator group.
const NAMESAKE = '406f91ce-1c6c-4bdf-87b5-b26744fa7bb7';
const NAMESAKES_REPORT = 'faf9fb27-abb9-467a-942f-63de0bf8e71c';

const seed = demoTenantWithMembers([NAMESAKE, NAMESAKES_REPORT], 'Namesake');
seed.users = seed.users!.map((u) => (u.id === NAMESAKES_REPORT ? { ...u, manager: NAMESAKE } : u));

const caller = (objectId: string): Caller => ({ objectId, tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined });
const ids = (documents: ReadonlyArray<{ id: string }>) => documents.map((d) => d.id).sort();

let world: InProcessOperations;
inProcessOperationsForFile((started) => (world = started), seed);

let packageId: string;
beforeAll(async () => {
  ({ packageId } = await selfServicePackage(world.deps, 'For the team', {
    requestorSettings: { enableTargetsToSelfAddAccess: true, enableOnBehalfRequestorsToAddAccess: true, onBehalfRequestors: [{ '@odata.type': '#microsoft.graph.targetManager', managerLevel: 1 }] },
  }));
});

const requestFor = (requestorId: string, targetId: string) =>
  submitAssignmentRequest(world.deps, caller(requestorId), { requestType: 'userAdd', assignment: { targetId, accessPackageId: packageId } });

/** What each list of requests made by the requestor holds: requests (createdBy and all), and assignments (createdBy). */
async function listsOf(requestorId: string) {
  const [createdBy, all, assignments] = await Promise.all([
    requestsOfCurrentUser(world.deps, caller(requestorId), 'createdBy'),
    listRequests(world.deps, caller(requestorId)),
    assignmentsOfCurrentUser(world.deps, caller(requestorId), 'createdBy'),
  ]);
  return { createdBy: ids(createdBy), all: ids(all), assignments: ids(assignments) };
}

/** A user's requests and assignments, by key (not through the lists under test). */
async function madeFor(targetId: string): Promise<{ requests: AssignmentRequest[]; assignments: Assignment[] }> {
  const [requests, assignments] = await Promise.all([world.deps.grants.requestsOf(targetId), world.deps.grants.assignmentsOf(targetId)]);
  return { requests: requests.map((d) => d.value), assignments: assignments.map((d) => d.value) };
}

/** The grant index as any version reads and writes it: rows of one pointer each. */
const grantIndex = () => new DocumentTable<GrantPointer>(() => new Tables(testStorageConnectionString(), world.prefix).get('grantIndex'), 'grant index entry');

let earlier: AssignmentRequest;

it("lists the requests a manager made for their reports over two hours, with their assignments, and none of a namesake's of the same group", async () => {
  const forJohanna = await requestFor(PRADEEP, JOHANNA);
  const namesakes = await requestFor(NAMESAKE, NAMESAKES_REPORT);
  expect(locatorGroupOf(namesakes.id)).toBe(locatorGroupOf(forJohanna.id));
  world.advance({ hours: 1 });
  const forAlex = await requestFor(PRADEEP, ALEX);
  expect(locatorGroupOf(forAlex.id)).not.toBe(locatorGroupOf(forJohanna.id));

  const [johanna, alex, namesakesReport] = await Promise.all([madeFor(JOHANNA), madeFor(ALEX), madeFor(NAMESAKES_REPORT)]);
  expect(await listsOf(PRADEEP)).toEqual({ createdBy: ids([forJohanna, forAlex]), all: ids([forJohanna, forAlex]), assignments: ids([...johanna.assignments, ...alex.assignments]) });
  expect(await listsOf(NAMESAKE)).toEqual({ createdBy: [namesakes.id], all: [namesakes.id], assignments: ids(namesakesReport.assignments) });
  expect(johanna.assignments).toHaveLength(1);
  expect(alex.assignments).toHaveLength(1);
});

it("still lists a request an earlier version indexed, by a pointer in the requestor's partition", async () => {
  // Written as an earlier version wrote it: an id of a random group, its locator naming no requestor, a pointer.
  const model = (await madeFor(ALEX)).requests[0]!;
  earlier = { ...model, id: newRequestId(world.now()), targetId: JOHANNA, assignmentId: null, state: 'pendingApproval', status: 'PendingApproval' };
  const index = grantIndex();
  await index.insert(tableKey('locatorGroup', locatorGroupOf(earlier.id)!), tableKey(earlier.id), { id: earlier.id, targetId: JOHANNA, createdDateTime: earlier.createdDateTime });
  await index.insert(tableKey('requestor', PRADEEP), tableKey(earlier.id), { id: earlier.id, targetId: JOHANNA });
  await world.deps.grants.requests.insert(GrantStore.targetKey(JOHANNA), GrantStore.requestKey(earlier.id), earlier);

  const made = [...(await madeFor(JOHANNA)).requests, ...(await madeFor(ALEX)).requests];
  expect(made.map((r) => r.id)).toContain(earlier.id);
  const lists = await listsOf(PRADEEP);
  expect(lists.createdBy).toEqual(ids(made));
  expect(lists.all).toEqual(ids(made));
  expect((await listsOf(NAMESAKE)).createdBy).not.toContain(earlier.id);
});

it("leads an earlier version, listing the requestor's partition as pointers during an upgrade, to its own requests and nothing else", async () => {
  const rows = await grantIndex().list({ partitionKey: tableKey('requestor', PRADEEP) });
  expect(rows.length).toBeGreaterThan(1);
  const found = await Promise.all(rows.map((d) => world.deps.grants.requestOf(d.value.targetId, d.value.id)));
  expect(found.flatMap((r) => (r ? [r.value.id] : []))).toEqual([earlier.id]);
});

describe('in the store: requests refiled and written in bulk', () => {
  const requestor = randomUUID();
  const made = (targetId: string, id = newRequestId(world.now(), requestor)): AssignmentRequest => ({ ...earlier, id, targetId, requestorId: requestor });
  const write = (request: AssignmentRequest) => world.deps.grants.requests.insert(GrantStore.targetKey(request.targetId), GrantStore.requestKey(request.id), request);
  const listed = async () => (await world.deps.grants.requestsMadeForOthersBy(requestor)).map((d) => ({ id: d.value.id, targetId: d.value.targetId })).sort((a, b) => a.id.localeCompare(b.id));

  it('finds a refiled request once, where it was refiled, whether this version or an earlier one indexed it, the copy it left not yet deleted', async () => {
    const subjectId = randomUUID();
    const indexed = made(subjectId);
    await world.deps.grants.indexRequest(indexed);
    await write(indexed);
    // An earlier version's: a random group, a locator naming no requestor, a pointer to where it was filed.
    const older = made(subjectId, newRequestId(world.now()));
    const index = grantIndex();
    await index.insert(tableKey('locatorGroup', locatorGroupOf(older.id)!), tableKey(older.id), { id: older.id, targetId: subjectId, createdDateTime: older.createdDateTime });
    await index.insert(tableKey('requestor', requestor), tableKey(older.id), { id: older.id, targetId: subjectId });
    await write(older);

    for (const request of [indexed, older]) {
      const moved = { ...request, targetId: ALEX };
      await write(moved);
      await world.deps.grants.relocateRequest(moved);
    }
    expect(await listed()).toEqual([indexed, older].map((r) => ({ id: r.id, targetId: ALEX })).sort((a, b) => a.id.localeCompare(b.id)));
  });

  it('finds requests for others indexed in bulk, and none of those whose pointers were taken back', async () => {
    const before = await listed();
    const next = newIdGroup(world.now().plus({ hours: 1 }), requestor);
    const [kept, takenBack] = [made(JOHANNA, next()), made(ALEX, next())];
    await world.deps.grants.indexInBulk([kept, takenBack], []);
    await world.deps.grants.unindexInBulk([takenBack], []);
    await Promise.all([kept, takenBack].map(write));
    expect(await listed()).toEqual([...before, { id: kept.id, targetId: JOHANNA }].sort((a, b) => a.id.localeCompare(b.id)));
  });
});
