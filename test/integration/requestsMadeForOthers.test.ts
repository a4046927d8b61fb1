import { randomUUID } from 'node:crypto';
import type { Caller } from '../../shared/auth/caller';
import type { Assignment } from '../../shared/domain/assignments/assignment';
import type { AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import { assignmentsOfCurrentUser } from '../../shared/operations/assignments/assignmentQueries';
import { listRequests, requestsOfCurrentUser } from '../../shared/operations/requests/requestQueries';
import { decideApprovalStage } from '../../shared/operations/requests/approvalFlow';
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
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7'; // approver; her own request is the model of those written here
// A manager whose id hashes as Pradeep's (groupedIds.ts): their requests of an hour share his locator group.
const NAMESAKE = '406f91ce-1c6c-4bdf-87b5-b26744fa7bb7';
const NAMESAKES_REPORT = 'faf9fb27-abb9-467a-942f-63de0bf8e71c';

const seed = demoTenantWithMembers([NAMESAKE, NAMESAKES_REPORT], 'Namesake');
seed.users = seed.users!.map((u) => (u.id === NAMESAKES_REPORT ? { ...u, manager: NAMESAKE } : u));

const caller = (objectId: string): Caller => ({ objectId, tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined });
const ids = (documents: ReadonlyArray<{ id: string }>) => documents.map((d) => d.id).sort();

let world: InProcessOperations;
inProcessOperationsForFile((started) => (world = started), seed);

const onBehalf = { enableTargetsToSelfAddAccess: true, enableOnBehalfRequestorsToAddAccess: true, allowCustomAssignmentSchedule: true, onBehalfRequestors: [{ '@odata.type': '#microsoft.graph.targetManager', managerLevel: 1 }] };
let packageId: string;
let approvalPackageId: string;
let laterPackageId: string;
/** A request as this version stores it, for the requests written directly here (earlier versions', in bulk). */
let model: AssignmentRequest;
beforeAll(async () => {
  ({ packageId } = await selfServicePackage(world.deps, 'For the team', { requestorSettings: onBehalf }));
  ({ packageId: approvalPackageId } = await selfServicePackage(world.deps, 'For the team, approved', {
    requestorSettings: onBehalf,
    requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ durationBeforeAutomaticDenial: 'P2D', primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }] },
  }));
  ({ packageId: laterPackageId } = await selfServicePackage(world.deps, 'For the team, later', { requestorSettings: onBehalf }));
  model = await requestFor(DEBRA, DEBRA);
});

const requestFor = (requestorId: string, targetId: string, accessPackageId = packageId, schedule?: object) =>
  submitAssignmentRequest(world.deps, caller(requestorId), { requestType: 'userAdd', assignment: { targetId, accessPackageId }, ...(schedule ? { schedule } : {}) } as Parameters<typeof submitAssignmentRequest>[2]);

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

/** A request for others, pending approval, its id of the requestor's group of the hour unless given (not yet written). */
const made = (requestorId: string, targetId: string, id = newRequestId(world.now(), requestorId)): AssignmentRequest => ({
  ...model,
  id,
  targetId,
  requestorId,
  assignmentId: null,
  state: 'pendingApproval',
  status: 'PendingApproval',
});
const write = (request: AssignmentRequest) => world.deps.grants.requests.insert(GrantStore.targetKey(request.targetId), GrantStore.requestKey(request.id), request);

/** Writes a request for others as an earlier version wrote it: an id of a random group, its locator naming no requestor, a pointer. */
async function writtenByEarlierVersion(requestorId: string, targetId: string): Promise<AssignmentRequest> {
  const earlier = made(requestorId, targetId, newRequestId(world.now()));
  const index = grantIndex();
  await index.insert(tableKey('locatorGroup', locatorGroupOf(earlier.id)!), tableKey(earlier.id), { id: earlier.id, targetId, createdDateTime: earlier.createdDateTime });
  await index.insert(tableKey('requestor', requestorId), tableKey(earlier.id), { id: earlier.id, targetId });
  await write(earlier);
  return earlier;
}

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
  const earlier = await writtenByEarlierVersion(PRADEEP, JOHANNA);

  const forTeam = [...(await madeFor(JOHANNA)).requests, ...(await madeFor(ALEX)).requests];
  expect(forTeam.map((r) => r.id)).toContain(earlier.id);
  const lists = await listsOf(PRADEEP);
  expect(lists.createdBy).toEqual(ids(forTeam));
  expect(lists.all).toEqual(ids(forTeam));
  expect((await listsOf(NAMESAKE)).createdBy).not.toContain(earlier.id);
});

it("leads an earlier version, listing the requestor's partition as pointers during an upgrade, to its own requests and nothing else", async () => {
  const requestor = randomUUID();
  const indexed = made(requestor, JOHANNA);
  await world.deps.grants.indexRequest(indexed);
  await write(indexed);
  const earlier = await writtenByEarlierVersion(requestor, ALEX);

  const rows = await grantIndex().list({ partitionKey: tableKey('requestor', requestor) });
  expect(rows).toHaveLength(2);
  const found = await Promise.all(rows.map((d) => world.deps.grants.requestOf(d.value.targetId, d.value.id)));
  expect(found.flatMap((r) => (r ? [r.value.id] : []))).toEqual([earlier.id]);
  expect(ids((await world.deps.grants.requestsMadeForOthersBy(requestor, world.now())).map((d) => d.value))).toEqual(ids([indexed, earlier]));
});

it('lists the requests a manager made for their reports that wait for an approval or for the start they asked for, and the assignment an approval makes', async () => {
  const before = await listsOf(PRADEEP);
  const { id: approval } = await requestFor(PRADEEP, ALEX, approvalPackageId);
  const { id: scheduled } = await requestFor(PRADEEP, JOHANNA, laterPackageId, { startDateTime: world.now().plus({ days: 2 }).toISO(), expiration: { type: 'noExpiration' } });
  const listed = await requestsOfCurrentUser(world.deps, caller(PRADEEP), 'createdBy');
  expect(Object.fromEntries(listed.flatMap((r) => ([approval, scheduled].includes(r.id) ? [[r.id, r.state]] : [])))).toEqual({ [approval]: 'pendingApproval', [scheduled]: 'scheduled' });
  const waiting = { createdBy: [...before.createdBy, approval, scheduled].sort(), all: [...before.all, approval, scheduled].sort(), assignments: before.assignments };
  expect(await listsOf(PRADEEP)).toEqual(waiting);

  const stage = (await world.deps.grants.findRequest(approval))!.value.approval!.stages[0]!;
  await decideApprovalStage(world.deps, caller(DEBRA), approval, stage.id, { reviewResult: 'Approve', justification: 'Needed for the launch' });
  const approved = (await world.deps.grants.findRequest(approval))!.value;
  expect(approved.assignmentId).not.toBeNull();
  expect(await listsOf(PRADEEP)).toEqual({ ...waiting, assignments: [...before.assignments, approved.assignmentId!].sort() });
});

describe('in the store: requests refiled and written in bulk', () => {
  const requestor = randomUUID();
  const listed = async () => (await world.deps.grants.requestsMadeForOthersBy(requestor, world.now())).map((d) => ({ id: d.value.id, targetId: d.value.targetId })).sort((a, b) => a.id.localeCompare(b.id));

  it('finds a refiled request once, where it was refiled, whether this version or an earlier one indexed it, the copy it left not yet deleted', async () => {
    const subjectId = randomUUID();
    const indexed = made(requestor, subjectId);
    await world.deps.grants.indexRequest(indexed);
    await write(indexed);
    const older = await writtenByEarlierVersion(requestor, subjectId);

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
    const [kept, takenBack] = [made(requestor, JOHANNA, next()), made(requestor, ALEX, next())];
    await world.deps.grants.indexInBulk([kept, takenBack], []);
    await world.deps.grants.unindexInBulk([takenBack], []);
    await Promise.all([kept, takenBack].map(write));
    expect(await listed()).toEqual([...before, { id: kept.id, targetId: JOHANNA }].sort((a, b) => a.id.localeCompare(b.id)));
  });
});
