import { DateTime } from 'luxon';
import type { AuditEvent } from '../../shared/store/auditLog';
import { processExpirationShard, sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { cutIntoShards } from '../../shared/operations/lifecycle/fanOutDueWork';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { demoTenantWithMembers } from '../support/demoTenantWithMembers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { assign, groupMembers, groupPackage, selfServicePackage, setFaults } from '../support/packageWorld';
import { locatorGroupOf } from '../../shared/store/groupedIds';
import { expireAssignment } from '../../shared/operations/lifecycle/expireAssignments';
import { endEventsOf } from '../support/endEvents';
import { writeAheadRows } from '../support/writeAheadRows';

/**
 * The expiration sweep ends assignments in batches (expireAssignments.ts, systemRemovals.ts): the removals of a
 * shard go to the directory as bulk calls, 20 to a `$batch`, and one user the directory refuses leaves the others
 * done and is retried by the reconcile sweep, as delivery retries.
 */
const SHARD_GROUP = '509c2530-0367-4f48-a429-6461beddd096';
const FAILING_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const SHARD_USERS = Array.from({ length: 45 }, (_, n) => `b0000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
const FAILING_USERS = Array.from({ length: 6 }, (_, n) => `b1000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
const REFUSED = FAILING_USERS[2]!;
const ROLELESS_USERS = Array.from({ length: 5 }, (_, n) => `b2000000-0000-4000-8000-${String(n).padStart(12, '0')}`);

const seed = () => demoTenantWithMembers([...SHARD_USERS, ...FAILING_USERS, ...ROLELESS_USERS], 'Batch');

let world: InProcessOperations;
inProcessOperationsForFile((started) => (world = started), seed());

const resetEmulatorRequests = () => fetch(`${world.emulator.url}/_emulator/requests`, { method: 'DELETE' });
const emulatorRequests = async () => (await fetch(`${world.emulator.url}/_emulator/requests`)).json() as Promise<{ roundTrips: number; batchedRequests: number; byRoute: Record<string, number> }>;

async function auditEventsSince(from: DateTime): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for await (const event of world.deps.audit.between(from, DateTime.utc().plus({ minutes: 1 }))) events.push(event);
  return events;
}

describe('the expiration sweep ends assignments in batches', () => {
  it('removes the 45 due targets of one shard from their group in 3 Graph round trips, each end recorded as a systemRemove with its events', async () => {
    const { deps } = world;
    const startedAt = DateTime.utc().minus({ seconds: 5 });
    const pkg = await groupPackage(deps, 'Batched ends', SHARD_GROUP, { type: 'afterDuration', duration: 'PT1H' });
    const assignmentIds: string[] = [];
    for (const userId of SHARD_USERS) assignmentIds.push(await assign(deps, userId, pkg));
    world.advance({ hours: 2 });
    const ends = (await deps.due.dueBy(world.now(), undefined)).filter((item) => item.value.kind === 'assignmentEnd');
    const [shard, ...others] = cutIntoShards(ends);
    expect(others).toEqual([]);

    await resetEmulatorRequests();
    const result = await processExpirationShard(deps, shard!, { holder: 'batch-shard', budgetMs: 60_000 });
    const counted = await emulatorRequests();

    expect(result).toMatchObject({ processed: 45, stale: 0, failed: 0, remaining: 0 });
    // 45 removals, 20 to a $batch: nothing else went to Graph.
    expect(counted.roundTrips).toBe(3);
    expect(counted.byRoute['DELETE /v1.0/groups/{id}/members/{id}/$ref']).toBe(45);
    const members = await groupMembers(world.emulator, SHARD_GROUP);
    for (const userId of SHARD_USERS) expect(members).not.toContain(userId);

    const assignments = await Promise.all(assignmentIds.map((id) => deps.grants.findAssignment(id)));
    for (const stored of assignments) {
      expect(stored!.value).toMatchObject({ state: 'expired', operations: [{ action: 'remove', state: 'done', attempts: 1 }] });
      const request = await deps.grants.findRequest(stored!.value.endedByRequestId!);
      expect(request!.value).toMatchObject({ requestType: 'systemRemove', requestorId: 'system', state: 'delivered', assignmentId: stored!.value.id });
      // Its claim on the package went with it: the target may ask again.
      expect(await deps.grants.claimOf(stored!.value.targetId, pkg.packageId)).toBeUndefined();
    }
    expect(await deps.grants.assigneePointers(pkg.packageId)).toEqual([]);
    // The shard's requests share one id group: their locators were written in one transaction, not 45.
    const idGroups = new Set(assignments.map((stored) => locatorGroupOf(stored!.value.endedByRequestId!)));
    expect([...idGroups]).toEqual([expect.any(String)]);

    const events = await auditEventsSince(startedAt);
    for (const stored of assignments) {
      const requestId = stored!.value.endedByRequestId!;
      expect(events.filter((e) => e.entityId === stored!.value.id).map((e) => e.action)).toContain('endAssignment');
      expect(events.filter((e) => e.entityId === requestId).map((e) => e.action).sort()).toEqual(['deliverRequest', 'startDelivery', 'submitRequest']);
    }
    // Nothing written ahead is left for the sweep, and no redelivery is planned for what is done.
    const later = world.now().plus({ hours: 1 });
    expect((await deps.due.dueBy(later, undefined)).filter((item) => ['auditEvent', 'auditEvents', 'assignmentEnd'].includes(item.value.kind))).toEqual([]);
    // (The additions' own redelivery items, from when they were made, wait for the reconcile sweep.)
    const sweptAt = world.now().toUTC().toISO()!;
    expect((await deps.redeliveries.dueBy(later, undefined)).filter((item) => assignmentIds.includes(item.value.entityId) && item.value.dueDateTime >= sweptAt)).toEqual([]);
  }, 120_000);

  it('leaves the others of a batch done when the directory refuses one user, and the reconcile sweep retries that one', async () => {
    const { deps } = world;
    const pkg = await groupPackage(deps, 'One refused', FAILING_GROUP, { type: 'afterDuration', duration: 'PT1H' });
    const assignmentIds: string[] = [];
    for (const userId of FAILING_USERS) assignmentIds.push(await assign(deps, userId, pkg));
    world.advance({ hours: 2 });
    await setFaults(world.emulator, [{ pathPattern: `^/v1.0/groups/${FAILING_GROUP}/members/${REFUSED}/\\$ref`, method: 'DELETE', status: 503, rate: 1, retryAfterSeconds: 0 }]);
    try {
      expect(await sweepExpirations(deps, { holder: 'batch-refused', budgetMs: 60_000 })).toMatchObject({ failed: 0, remaining: 0 });
    } finally {
      await setFaults(world.emulator, []);
    }
    const refusedAt = FAILING_USERS.indexOf(REFUSED);
    const members = await groupMembers(world.emulator, FAILING_GROUP);
    for (const userId of FAILING_USERS) (userId === REFUSED ? expect(members) : expect(members).not).toContain(userId);
    const refused = (await deps.grants.findAssignment(assignmentIds[refusedAt]!))!;
    expect(refused.value).toMatchObject({ state: 'expired', operations: [{ action: 'remove', state: 'failed', attempts: 1 }] });
    expect((await deps.grants.findRequest(refused.value.endedByRequestId!))!.value.state).toBe('deliveryFailed');
    for (const [n, id] of assignmentIds.entries()) {
      if (n === refusedAt) continue;
      const done = (await deps.grants.findAssignment(id))!;
      expect(done.value.operations).toMatchObject([{ state: 'done' }]);
      expect((await deps.grants.findRequest(done.value.endedByRequestId!))!.value.state).toBe('delivered');
    }
    expect((await deps.redeliveries.dueBy(world.now().plus({ hours: 1 }), undefined)).map((item) => item.value.entityId)).toContain(refused.value.id);

    // The retry, a minute later, as delivery plans it.
    world.advance({ minutes: 2 });
    await reconcile(deps, { holder: 'batch-retry', budgetMs: 60_000 });
    expect(await groupMembers(world.emulator, FAILING_GROUP)).not.toContain(REFUSED);
    const retried = (await deps.grants.findAssignment(refused.value.id))!;
    expect(retried.value.operations).toMatchObject([{ state: 'done', attempts: 2 }]);
    expect((await deps.grants.findRequest(refused.value.endedByRequestId!))!.value.state).toBe('delivered');
  }, 120_000);

  it("ends a package's assignments that gave no role each in one write, delivered, with the events the pipeline writes", async () => {
    const { deps } = world;
    const pkg = await selfServicePackage(deps, 'Batched ends without roles', { expiration: { type: 'afterDuration', duration: 'PT1H' } });
    const assignmentIds: string[] = [];
    for (const userId of ROLELESS_USERS) assignmentIds.push(await assign(deps, userId, pkg));
    world.advance({ hours: 2 });
    const [byPipeline, ...batched] = assignmentIds;
    const ends = (await deps.due.dueBy(world.now(), undefined)).filter((item) => item.value.kind === 'assignmentEnd' && assignmentIds.includes(item.value.entityId));
    // One ended through the request pipeline, as the sweep ends a governed guest's; the others in one batch.
    await expireAssignment(deps, ends.find((item) => item.value.entityId === byPipeline)!.value);
    const [shard, ...others] = cutIntoShards(ends.filter((item) => batched.includes(item.value.entityId)));
    expect(others).toEqual([]);

    const rows = writeAheadRows();
    try {
      expect(await processExpirationShard(deps, shard!, { holder: 'batch-roleless', budgetMs: 60_000 })).toMatchObject({ processed: batched.length, failed: 0, remaining: 0 });
    } finally {
      jest.restoreAllMocks();
    }
    // Each end's events written ahead together, as one due item: nothing left for an outcome of its own.
    expect(rows).toEqual({ written: batched.length, deleted: batched.length });

    const pipeline = await endEventsOf(deps, world.now(), byPipeline!);
    expect(pipeline.map((e) => (e as { action: string }).action)).toEqual(['submitRequest', 'endAssignment', 'startDelivery', 'deliverRequest']);
    for (const id of batched) {
      expect(await endEventsOf(deps, world.now(), id)).toEqual(pipeline);
      const ended = (await deps.grants.findAssignment(id))!.value;
      expect(ended).toMatchObject({ state: 'expired', operations: [] });
      expect((await deps.grants.findRequest(ended.endedByRequestId!))!.value).toMatchObject({ requestType: 'systemRemove', state: 'delivered' });
      expect(await deps.grants.claimOf(ended.targetId, pkg.packageId)).toBeUndefined();
    }
    const sweptAt = world.now().toUTC().toISO()!;
    expect((await deps.redeliveries.dueBy(world.now().plus({ hours: 1 }), undefined)).filter((item) => batched.includes(item.value.entityId) && item.value.dueDateTime >= sweptAt)).toEqual([]);
  }, 120_000);
});
