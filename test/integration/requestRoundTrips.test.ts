import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import type { CountingProxy } from '../../tools/bench/countingProxy';
import { countedOperationsForFile } from '../support/countedOperations';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, groupPackage, groupMembers, type TestPackage } from '../support/packageWorld';

/**
 * What one `adminAdd` without approval costs in Table Storage round trips (issue 19 item 1), counted by the
 * benchmark's proxy in front of Azurite, so that a change adding a read or a write to the pipeline fails here
 * instead of showing only in `npm run bench requests`. The same case as the benchmark's: a package granting a
 * group's membership under a policy whose assignments end (an end to plan), the caller an administrator, the mail on.
 */
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874';
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4';
const ADELE = 'e085b021-e0d4-4f2b-935a-b03d8de49eb1';

/**
 * The pipeline's round trips today (33 before issue 19 item 1, 23 after its first step, 16 after its second, 14
 * after its third, 13 after its fourth, 11 after its fifth and sixth, 10 after its seventh), by what they are for:
 * - reads (1): the package's configuration (the package, its policies, role scopes and incompatibilities kept as one
 *   row, packageConfiguration.ts), once, after the request is written: the submit decides from the configuration
 *   this instance read a moment ago (the first, uncounted request's; rememberedConfigurations.ts), and that read
 *   confirms the decision (the same content; else it is made again: carryOutAtOnce.ts), that its policy still
 *   stands (write-then-check), and the roles added, in place of the compensation's read after the directory changed
 *   (applyOperations.ts). The target's external-user subject (a pending removal to cancel) is not read: the
 *   directory said at the submit that the target is an enabled Member, who has none (guestLifecycle.ts cancelRemoval);
 * - writes (9): the locators of the request and of its assignment (one transaction: ids of one group, the
 *   requestor's of the hour, the request's locator naming its requestor: GrantStore.indexRequest), the assignee
 *   pointer, the assignment's end, the redelivery item, the request with its assignment and its claim (one
 *   transaction: carryOutAtOnce.ts), the grant ledger (the directory changed), the outcome with the assignment's
 *   outcomes, and the pipeline's audit events with their outbox clean-up (2).
 * That is 10. The requestor's record of their group of the hour (which finds their requests for others) is written
 * by the first request of the hour, uncounted here. The Graph write budget (graphWriteBudget) takes a chunk of tokens
 * in one more when its last one has expired, the audit events take one transaction more when the pipeline crosses a
 * minute (their partition's), and the requestor's record of the next hour's group one more when it crosses an hour:
 * so all the requests measured but one at most hold the bound, and their mean one more. Over HTTP an administrator's
 * authorization reads nothing more from Table Storage (callerAccess.ts). That is the 10; what stood between
 * 13 and 10 is in the notes of req10b.
 */
const ROUND_TRIPS_PER_REQUEST = 10;

let world: InProcessOperations;
inProcessOperationsForFile((started) => (world = started));

let proxy: CountingProxy;
let counted: EntitlementDeps;
countedOperationsForFile(() => world, (started) => ({ proxy, deps: counted } = started), { MAIL_SENDER: ADMIN.objectId });

const adminAdd = (deps: EntitlementDeps, targetId: string, pkg: TestPackage) =>
  submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });

it(`an adminAdd without approval takes ${ROUND_TRIPS_PER_REQUEST} Table round trips (all but one request at most; one more on average at most), from its arrival to its outcome and its audit events`, async () => {
  const pkg = await groupPackage(world.deps, 'Round trips', FALCON_GROUP, { type: 'afterDuration', duration: 'P30D' });
  // The first request of a fresh process creates its tables and records the role in the grant ledger: not counted.
  await adminAdd(counted, DEBRA, pkg);

  const measured: Array<{ roundTrips: number; byRoute: Record<string, number> }> = [];
  for (const target of [MEGAN, LIAM, ADELE]) {
    proxy.reset();
    const request = await adminAdd(counted, target, pkg);
    measured.push({ roundTrips: proxy.counts().roundTrips, byRoute: proxy.routes() });
    expect((await world.deps.grants.findRequest(request.id))?.value.state).toBe('delivered');
    expect(await world.deps.grants.auditOutboxOf(target)).toEqual([]);
  }
  const over = measured.filter((m) => m.roundTrips > ROUND_TRIPS_PER_REQUEST);
  const mean = measured.reduce((sum, m) => sum + m.roundTrips, 0) / measured.length;
  // Over the bound, the failure shows where the round trips went.
  expect(over.length <= 1 ? over.length : measured).toBeLessThanOrEqual(1);
  expect(mean <= ROUND_TRIPS_PER_REQUEST + 1 ? mean : measured).toBeLessThanOrEqual(ROUND_TRIPS_PER_REQUEST + 1);
  expect(await groupMembers(world.emulator, FALCON_GROUP)).toEqual(expect.arrayContaining([DEBRA, MEGAN, LIAM, ADELE]));
});
