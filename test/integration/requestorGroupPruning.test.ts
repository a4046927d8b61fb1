import type { Caller } from '../../shared/auth/caller';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import { DocumentTable } from '../../shared/store/documentTable';
import type { GrantPointer } from '../../shared/store/grantStore';
import { locatorGroupOf } from '../../shared/store/groupedIds';
import { tableKey } from '../../shared/store/tableKeys';
import { Tables } from '../../shared/store/tables';
import type { CountingProxy } from '../../tools/bench/countingProxy';
import { countedOperationsForFile } from '../support/countedOperations';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { selfServicePackage } from '../support/packageWorld';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * A requestor's records of the locator groups they made requests for others in (GrantStore.requestsMadeForOthersBy)
 * leave with the requests: a list that finds a group holding none of theirs deletes its record, once the group is
 * older than the hour before the list's, so that what a list costs follows the requests kept (retention deletes the
 * others), not every hour the requestor ever made such requests in. Never a record of the hour or the one before: a
 * process that wrote it remembers it and makes its next requests of the group without writing it again.
 */
const PRADEEP = 'eb7a7995-9588-432d-8242-aadbc8f429a4'; // manager of Alex and Johanna
const ALEX = '83d8e92d-f2ad-4c0e-a683-acdf2060d7c4';
const JOHANNA = 'b039ee16-9646-4718-8f3d-9a4de6cf02bb';
const caller = (objectId: string): Caller => ({ objectId, tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined });

let world: InProcessOperations;
inProcessOperationsForFile((started) => (world = started));

let proxy: CountingProxy;
let counted: EntitlementDeps;
countedOperationsForFile(() => world, (started) => ({ proxy, deps: counted } = started));

const onBehalf = { enableTargetsToSelfAddAccess: true, enableOnBehalfRequestorsToAddAccess: true, onBehalfRequestors: [{ '@odata.type': '#microsoft.graph.targetManager', managerLevel: 1 }] };
let packages: string[];
beforeAll(async () => {
  packages = await Promise.all(['Team tools', 'Team files'].map(async (name) => (await selfServicePackage(world.deps, name, { requestorSettings: onBehalf })).packageId));
});

const requestFor = async (targetId: string, accessPackageId: string) =>
  (await submitAssignmentRequest(world.deps, caller(PRADEEP), { requestType: 'userAdd', assignment: { targetId, accessPackageId } })).id;

/** Deletes a request as retention does (auditRetention.ts removeRequest): the request, then its pointers. */
async function deleteAsRetention(id: string): Promise<void> {
  const stored = (await world.deps.grants.findRequest(id))!;
  await world.deps.grants.requests.delete(stored);
  await world.deps.grants.unindexRequest(stored.value);
}

const index = () => new DocumentTable<GrantPointer>(() => new Tables(testStorageConnectionString(), world.prefix).get('grantIndex'), 'grant index entry');
const recordOf = (requestId: string) => index().get(tableKey('requestor', PRADEEP), tableKey('locatorGroup', locatorGroupOf(requestId)!));

/** Pradeep's list of requests made for others (through the counted process), and its Table round trips. */
async function listed(): Promise<{ ids: string[]; roundTrips: number }> {
  proxy.reset();
  const ids = (await counted.grants.requestsMadeForOthersBy(PRADEEP, world.now())).map((d) => d.value.id).sort();
  return { ids, roundTrips: proxy.counts().roundTrips };
}

it("deletes the record of a group whose requests retention deleted, two hours on, and keeps those of the hour and the hour before, whose group goes on being used", async () => {
  await listed(); // The counted process's first use of the index records when it began (RequestsIndexedSince).
  const kept = await requestFor(JOHANNA, packages[1]!);
  world.advance({ hours: 1 });

  const deleted = await requestFor(JOHANNA, packages[0]!);
  expect(locatorGroupOf(deleted)).not.toBe(locatorGroupOf(kept));
  await deleteAsRetention(deleted);
  expect((await listed()).ids).toEqual([kept]);
  expect(await recordOf(deleted)).toBeDefined();
  // This process remembers the record of the hour's group and does not write it again: the request is found by it.
  const sameHour = await requestFor(ALEX, packages[0]!);
  expect(locatorGroupOf(sameHour)).toBe(locatorGroupOf(deleted));
  expect((await listed()).ids).toEqual([kept, sameHour].sort());
  await deleteAsRetention(sameHour);

  world.advance({ hours: 1 });
  expect((await listed()).ids).toEqual([kept]);
  expect(await recordOf(deleted)).toBeDefined();

  world.advance({ hours: 1 });
  // The partition, both groups' queries, the kept request's read and the empty group's record deleted.
  expect(await listed()).toEqual({ ids: [kept], roundTrips: 5 });
  expect(await recordOf(deleted)).toBeUndefined();
  expect(await recordOf(kept)).toBeDefined();
  // The partition, the kept group's query, its request's read.
  expect(await listed()).toEqual({ ids: [kept], roundTrips: 3 });

  const later = await requestFor(ALEX, packages[1]!);
  expect((await listed()).ids).toEqual([kept, later].sort());
});
