import { randomUUID } from 'node:crypto';
import type { Assignment } from '../../shared/domain/assignments/assignment';
import { withThrottleDeferral, GraphThrottled } from '../../shared/directory/throttleDeferral';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { addResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { withSweepLease } from '../../shared/operations/lifecycle/sweepDueWork';
import { redeliveryPass } from '../../shared/operations/lifecycle/reconcileSweep';
import { carryOut, systemRemovalOf } from '../../shared/operations/requests/systemRequests';
import type { GraphEmulator } from '../../tools/graph-emulator/server';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, assign, groupMembers, groupPackage, hookedDirectory, setFaults } from '../support/packageWorld';

/**
 * An assignment's end that one run of the expiration sweep saved and did not finish, and what its item does when it
 * is looked at again: a deferred end (Graph said 429 to one of its removals after another had gone out) is
 * compensated as an end carried out at once is; an end that is not the sweep's own (an access review's removal in
 * flight) is left to its own request.
 */
const ENGINEERING = '509c2530-0367-4f48-a429-6461beddd096';
const IT_ADMINISTRATORS = 'b2256110-d660-413b-bd70-3b61aa80bb6c';
const SALES_TEAM = 'd3a71489-888c-4c0b-a3f7-b4ef51fb5227';
const PEOPLE = ['d703d5b0-62c4-4228-9e5d-4d25c8ec9feb', 'c8bd8770-d23a-42d9-bd31-09bf6bd33d83'] as const;
const ONE_HOUR = { type: 'afterDuration', duration: 'PT1H' };
const options = () => ({ holder: randomUUID(), budgetMs: 60_000 });

let world: InProcessOperations;
let emulator: GraphEmulator;
let deps: EntitlementDeps;

inProcessOperationsForFile((started) => ({ emulator, deps } = world = started));

const assignmentOf = async (targetId: string, id: string): Promise<Assignment> => (await deps.grants.assignmentOf(targetId, id))!.value;
const groupOf = (assignment: Assignment, index: number) => assignment.operations[index]!.role.resourceOriginId;

it('compensates a deferred end: a role it took before Graph said 429 that an assignment made meanwhile gives comes back', async () => {
  const [person] = PEOPLE;
  // Two groups, so that one removal goes out and the other is throttled.
  const ending = await groupPackage(deps, 'Ends with two groups', ENGINEERING, ONE_HOUR);
  await requestResource(deps, ADMIN, { requestType: 'adminAdd', resource: { originId: IT_ADMINISTRATORS, originSystem: 'AadGroup' }, catalog: { id: ending.catalogId } });
  await addResourceRoleScope(deps, ADMIN, ending.packageId, { role: { originId: `Member_${IT_ADMINISTRATORS}`, originSystem: 'AadGroup' } });
  const endingId = await assign(deps, person, ending);
  // The removals go out in the order of the assignment's operations: the first goes out, the second is throttled.
  const [taken, throttled] = [groupOf(await assignmentOf(person, endingId), 0), groupOf(await assignmentOf(person, endingId), 1)];
  expect([taken, throttled].sort()).toEqual([ENGINEERING, IT_ADMINISTRATORS].sort());
  const starting = await groupPackage(deps, 'Starts meanwhile', taken);
  world.advance({ hours: 2 });

  await setFaults(emulator, [{ pathPattern: `/groups/${throttled}/members/`, method: 'DELETE', status: 429, rate: 1, retryAfterSeconds: 5 }]);
  let startingId = '';
  const late = hookedDirectory(
    deps.directory,
    'removeGroupMembers',
    async () => {
      // Checked "no other assignment gives it" already; now one does, and its addition finds the person a member.
      startingId = await assign(deps, person, starting);
    },
    (groupId, userIds) => groupId === taken && userIds.includes(person),
  );
  // As a queue function runs the sweep's shard: Graph's 429 defers the invocation.
  const deferred = await withThrottleDeferral(() => sweepExpirations({ ...deps, directory: late.directory }, options()));
  expect(late.calls.map(([groupId]) => groupId)).toEqual([taken, throttled]);
  expect('error' in deferred.outcome && deferred.outcome.error).toBeInstanceOf(GraphThrottled);
  const saved = await assignmentOf(person, endingId);
  expect(saved.state).toBe('expired');
  expect(saved.operations.map((o) => o.state)).toEqual(['pending', 'pending']);
  // The compensation looked after the removal landed and put the role back onto the assignment that gives it; in
  // the throttled invocation Graph is not called again, so its addition waits for its retry.
  const compensated = await assignmentOf(person, startingId);
  expect(compensated.operations).toEqual([expect.objectContaining({ action: 'add', state: 'failed', attempts: 1 })]);

  // The shard's message comes back after the Retry-After: the end is finished (the taken role kept: given elsewhere).
  await setFaults(emulator, []);
  world.advance({ seconds: 10 });
  const resumed = await withThrottleDeferral(() => sweepExpirations(deps, options()));
  expect(resumed).toMatchObject({ outcome: { value: { processed: 1, failed: 0 } }, resumeAtMs: undefined });
  const ended = await assignmentOf(person, endingId);
  expect(ended.operations.map((o) => o.state)).toEqual(['done', 'done']);
  expect((await deps.grants.requestOf(person, ended.endedByRequestId!))?.value.state).toBe('delivered');
  expect(await groupMembers(emulator, throttled)).not.toContain(person);

  // The compensation's retry (the reconcile sweep's redelivery, not its drift repair) gives the role back.
  world.advance({ minutes: 2 });
  const redelivered = await withSweepLease(deps, 'reconcileSweep', options(), (checkpoint, deadline, lease) => redeliveryPass(deps, checkpoint, deadline, lease));
  expect(redelivered).toMatchObject({ processed: 1, failed: 0 });
  expect(await groupMembers(emulator, taken)).toContain(person);
  expect((await assignmentOf(person, startingId)).operations).toEqual([expect.objectContaining({ action: 'add', state: 'done' })]);
});

it("leaves an access review's removal in flight to its own request when the assignment's end comes due", async () => {
  const [, person] = PEOPLE;
  const pkg = await groupPackage(deps, 'Reviewed and ending', SALES_TEAM, ONE_HOUR);
  const assignmentId = await assign(deps, person, pkg);
  world.advance({ hours: 2 });
  // A review's denial ended the assignment; its process stopped before the removal reached the directory.
  const stopped = hookedDirectory(deps.directory, 'removeGroupMembers', async () => {
    throw new Error('The process stopped.');
  });
  const review = systemRemovalOf(deps, await assignmentOf(person, assignmentId), 'Access review 1 of assignment policy 2: denied.');
  await expect(carryOut({ ...deps, directory: stopped.directory }, review)).rejects.toThrow('The process stopped.');
  const inFlight = await assignmentOf(person, assignmentId);
  expect(inFlight).toMatchObject({ state: 'expired', endedByRequestId: review.id });
  expect(inFlight.operations).toEqual([expect.objectContaining({ action: 'remove', state: 'pending' })]);
  expect((await deps.grants.requestOf(person, review.id))?.value.state).toBe('delivering');

  // The end's own item comes due now: the end is not its to finish (the review's request and its redelivery are).
  const swept = await sweepExpirations(deps, options());
  expect(swept).toMatchObject({ failed: 0 });
  expect(await groupMembers(emulator, SALES_TEAM)).toContain(person);
  expect((await assignmentOf(person, assignmentId)).operations).toEqual([expect.objectContaining({ action: 'remove', state: 'pending' })]);
  expect((await deps.grants.requestOf(person, review.id))?.value.state).toBe('delivering');
  expect((await deps.due.dueBy(world.now(), undefined)).filter((item) => item.value.kind === 'assignmentEnd' && item.value.entityId === assignmentId)).toEqual([]);
});
