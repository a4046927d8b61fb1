import { randomUUID } from 'node:crypto';
import { QueueServiceClient } from '@azure/storage-queue';
import type { DateTime } from 'luxon';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { dispatchAccessReviews } from '../../shared/operations/reviews/accessReviewSweep';
import { OPENING_CHECK_MINUTES, openReviewShard, REVIEW_SHARD_SIZE, reviewOpeningMessage } from '../../shared/operations/reviews/openReviewInShards';
import { findInstance } from '../../shared/operations/reviews/reviewQueries';
import type { WorkQueue } from '../../shared/queues/workQueue';
import { demoTenantPath, loadTenantFixture } from '../../tools/graph-emulator/fixture';
import { demoTenantWithMembers } from '../support/demoTenantWithMembers';
import { drainWithWorkers, normalizedRows, testQueue } from '../support/fanOutWorkers';
import { startInProcessOperations, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, assign, groupPackage, type TestPackage } from '../support/packageWorld';
import { testStorageConnectionString } from '../support/testStorage';

/**
 * A weekly access review of 21 assignees opened fanned out, ten to a shard (the sweep's `shardSize`; 100 unless
 * set): the sweep cuts its package's assignee index into three shards (10, 10, 1) on a queue, and the instance stays
 * `Initializing` (not found by Graph clients) until the last shard's items are written. The shards are taken by one
 * worker, or by three at once (each with deps of its own, as instances have): both leave the same storage. A shard
 * handled again changes nothing; a shard lost leaves the opening to the sweep's next look, which sends it again.
 */
const ASSIGNEES = 21;
const SHARD_SIZE = 10;
const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const EXTRA_USERS = Array.from({ length: ASSIGNEES }, (_, n) => `e1000000-0000-4000-8000-${String(n).padStart(12, '0')}`);

const seed = () => demoTenantWithMembers(EXTRA_USERS, 'Reviewed');

interface World {
  world: InProcessOperations;
  queue: WorkQueue;
  pkg: TestPackage;
  startedAt: DateTime;
  firstRun: unknown;
  statusWhileOpening: string | undefined;
  byWorker: number[];
  checkRun: unknown;
}

const worlds: InProcessOperations[] = [];
afterAll(async () => {
  for (const world of worlds) await world.stop();
});

const options = () => ({ holder: randomUUID(), budgetMs: 60_000, shardSize: SHARD_SIZE });
const handleShard = (deps: Parameters<typeof openReviewShard>[0], payload: unknown, holder: string) => openReviewShard(deps, reviewOpeningMessage.parse(payload), { holder, budgetMs: 60_000 });

async function openWith(workers: number, startAt?: DateTime): Promise<World> {
  const world = await startInProcessOperations(seed());
  worlds.push(world);
  if (startAt) world.advance({ milliseconds: startAt.toMillis() - world.now().toMillis() });
  const startedAt = world.now();
  const group = await groupPackage(world.deps, 'Reviewed fan-out', MARKETING);
  const policy = await createAssignmentPolicy(world.deps, ADMIN, {
    displayName: 'Reviewed fan-out weekly',
    allowedTargetScope: 'notSpecified',
    expiration: { type: 'noExpiration' },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    accessPackage: { id: group.packageId },
    reviewSettings: {
      isEnabled: true,
      expirationBehavior: 'keepAccess',
      isRecommendationEnabled: true,
      isReviewerJustificationRequired: false,
      primaryReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }],
      schedule: { startDateTime: world.now().plus({ minutes: 1 }).toISO(), expiration: { type: 'afterDuration', duration: 'P1D' }, recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd' } } },
    },
  });
  const pkg = { ...group, policyId: policy.id };
  // One after another: the same order of writes in both worlds.
  for (const userId of EXTRA_USERS) await assign(world.deps, userId, pkg);
  world.advance({ minutes: 2 });

  const queue = testQueue('rev');
  const firstRun = await dispatchAccessReviews(world.deps, queue, options());
  const [opening] = (await world.deps.reviews.instancesOf(pkg.policyId)).map((d) => d.value);
  const statusWhileOpening = opening?.status;
  await expect(findInstance(world.deps, pkg.policyId, opening!.id)).rejects.toMatchObject({ code: 'notFound' });
  const byWorker = await drainWithWorkers(world, queue, workers, handleShard);
  world.advance({ minutes: OPENING_CHECK_MINUTES + 1 });
  const checkRun = await dispatchAccessReviews(world.deps, queue, options());
  return { world, queue, pkg, startedAt, firstRun, statusWhileOpening, byWorker, checkRun };
}

let one: World;
let three: World;

beforeAll(async () => {
  one = await openWith(1);
  three = await openWith(3, one.startedAt);
}, 300_000);

const instancesOf = async ({ world, pkg }: World) => (await world.deps.reviews.instancesOf(pkg.policyId)).map((d) => d.value).sort((a, b) => a.startDateTime.localeCompare(b.startDateTime));

describe('an access review opening fanned out over a queue', () => {
  it('is cut into shards of the assignee index, and shows Initializing (not found) until every shard is written', async () => {
    expect(REVIEW_SHARD_SIZE).toBe(100);
    for (const outcome of [one, three]) {
      expect(outcome.firstRun).toMatchObject({ processed: 1, failed: 0 });
      expect(outcome.statusWhileOpening).toBe('Initializing');
      const plan = (await outcome.world.deps.reviews.openingPlan((await instancesOf(outcome))[0]!.id)).map((s) => [s.value.done, s.value.itemCount]);
      expect(plan).toEqual([[true, SHARD_SIZE], [true, SHARD_SIZE], [true, 1]]);
    }
    expect(three.byWorker.reduce((a, b) => a + b)).toBe(3);
    expect(three.byWorker.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('opens the instance once every shard is written: InProgress with an item per assignee, reviewed by the reviewer', async () => {
    for (const outcome of [one, three]) {
      const [instance] = await instancesOf(outcome);
      expect(instance).toMatchObject({ status: 'InProgress', itemCount: ASSIGNEES });
      const items = (await outcome.world.deps.reviews.decisionsOf(instance!.id)).map((d) => d.value);
      expect(new Set(items.map((i) => i.principalId))).toEqual(new Set(EXTRA_USERS));
      expect(items.every((i) => i.reviewerIds.length === 1 && i.reviewerIds[0] === DEBRA && i.decision === 'NotReviewed')).toBe(true);
      // The sweep's later look finds it opened: nothing left to do.
      expect(outcome.checkRun).toMatchObject({ processed: 0, stale: 1, failed: 0 });
    }
  });

  it('leaves the same rows in every table with three workers as with one (ids made at run time aside)', async () => {
    const known = new Set([...(loadTenantFixture(demoTenantPath()).users ?? []).map((u) => u.id), ...EXTRA_USERS, MARKETING]);
    const [a, b] = await Promise.all([normalizedRows(one.world.prefix, known), normalizedRows(three.world.prefix, known)]);
    expect(a.length).toBeGreaterThan(ASSIGNEES * 3);
    expect(b).toEqual(a);
    // The shards' and the opening's leases were removed once done: only the sweep's own state is left.
    expect(a.filter((row) => row.startsWith('sweepStates')).length).toBe(1);
  });

  it('changes nothing when a shard is handled again after the opening', async () => {
    const known = new Set<string>();
    const before = await normalizedRows(three.world.prefix, known);
    const policy = (await three.world.deps.store.policies.find(three.pkg.policyId))!.value;
    const [instance] = await instancesOf(three);
    const detail = `0|${instance!.startDateTime}`;
    expect(policy.id).toBe(instance!.policyId);
    expect(await openReviewShard(three.world.deps, { policyId: policy.id, detail, shard: 1 }, options())).toEqual({ items: 0, opened: false });
    expect(await normalizedRows(three.world.prefix, known)).toEqual(before);
  });

  it('takes up a lost shard at the sweep\'s next look: the opening is only delayed', async () => {
    const { world, queue } = one;
    // The next weekly occurrence: its three shards sent, one of them lost before any worker took it.
    world.advance({ days: 7 });
    expect(await dispatchAccessReviews(world.deps, queue, options())).toMatchObject({ failed: 0 });
    const client = QueueServiceClient.fromConnectionString(testStorageConnectionString()).getQueueClient(queue.name);
    const [lost] = (await client.receiveMessages({ numberOfMessages: 1 })).receivedMessageItems;
    await client.deleteMessage(lost!.messageId, lost!.popReceipt);
    await drainWithWorkers(world, queue, 1, handleShard);
    const waiting = (await instancesOf(one))[1]!;
    expect(waiting.status).toBe('Initializing');
    expect((await world.deps.reviews.openingPlan(waiting.id)).filter((s) => !s.value.done)).toHaveLength(1);

    world.advance({ minutes: OPENING_CHECK_MINUTES + 1 });
    expect(await dispatchAccessReviews(world.deps, queue, options())).toMatchObject({ processed: 1, failed: 0 });
    expect(await queue.depth()).toBe(1);
    await drainWithWorkers(world, queue, 1, handleShard);
    expect((await instancesOf(one))[1]).toMatchObject({ status: 'InProgress', itemCount: ASSIGNEES });
  });
});
