import { randomUUID } from 'node:crypto';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { processAutoAssignmentShard } from '../../shared/operations/autoAssignment/autoAssignmentFanOut';
import { sweepAutoAssignments } from '../../shared/operations/autoAssignment/autoAssignmentSweep';
import type { CountingProxy } from '../../tools/bench/countingProxy';
import { countedOperationsForFile } from '../support/countedOperations';
import { testQueue } from '../support/fanOutWorkers';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { autoGroupPackage } from '../support/packageWorld';

/**
 * What one shard of the auto-assignment sweep's fanned-out full evaluation costs in Table round trips when it has
 * nothing to change (issue 19 item 3: 147 such shards made most of a 100,000-user run's round trips), counted by the
 * benchmark's proxy in front of Azurite. Two policies, one giving everyone a group's membership, so each shard's
 * users hold assignments: what they hold must not cost a read each. By what they are for:
 * - the shard's lease: taken (its state read, then inserted), let go, and its state read and removed (5);
 * - the shard and its users (2);
 * - the policies (1) and, two of them, each one's package by its locator (4; past 16 policies, one listing of the
 *   packages instead); the users' attribute overrides (1);
 * - the range's claims with their assignments, one query (1);
 * - the shard marked done with its users dropped, one transaction (1).
 */
const ROUND_TRIPS_PER_SHARD = 15;
/** The directory's 55 users in three shards (19, 19, 17), each past the overrides' point reads (16 users; a listing past them). */
const USERS_PER_SHARD = 19;
const SALES_TEAM = 'd3a71489-888c-4c0b-a3f7-b4ef51fb5227';
const ALL_COMPANY = '509c2530-0367-4f48-a429-6461beddd096';

let world: InProcessOperations;
inProcessOperationsForFile((started) => (world = started));

let proxy: CountingProxy;
let counted: EntitlementDeps;
countedOperationsForFile(() => world, (started) => ({ proxy, deps: counted } = started));

it(`a shard of a full evaluation with nothing to change takes at most ${ROUND_TRIPS_PER_SHARD} Table round trips, whatever its users hold`, async () => {
  // Each policy is evaluated at its creation: its assignments are made, and the full evaluation finds nothing to change.
  await autoGroupPackage(world.deps, 'Shard cost sales', SALES_TEAM, '(user.department -eq "Sales")');
  await autoGroupPackage(world.deps, 'Shard cost everyone', ALL_COMPANY, '(user.department -ne "Nowhere")');
  const queue = testQueue('shardcost');
  const sent = await sweepAutoAssignments(world.deps, { holder: randomUUID(), budgetMs: 60_000 }, { queue, usersPerShard: USERS_PER_SHARD });
  expect(sent?.shards?.sent).toBe(3);

  const shards = await world.deps.autoAssignmentShards.all();
  const measured: Array<{ roundTrips: number; held: number; byRoute: Record<string, number> }> = [];
  for (const { value: shard } of shards) {
    const held = (await world.deps.grants.claimsOfTargetsIn(shard)).filter((c) => c.claim.value.assignmentId !== null).length;
    proxy.reset();
    const counts = await processAutoAssignmentShard(counted, { run: shard.run, shard: shard.index }, { holder: randomUUID(), budgetMs: 60_000 });
    // A fresh process creates the tables it first uses: not the shard's cost.
    const byRoute = proxy.routes();
    measured.push({ roundTrips: proxy.counts().roundTrips - (byRoute['POST Tables'] ?? 0), held, byRoute });
    expect(counts).toMatchObject({ assigned: 0, removed: 0, removalsPlanned: 0, failed: 0, remaining: 0 });
    expect(counts!.usersEvaluated).toBeGreaterThan(0);
  }
  // Every shard's users hold assignments (everyone's, at least): a read each would exceed the bound.
  expect(Math.min(...measured.map((m) => m.held))).toBeGreaterThanOrEqual(USERS_PER_SHARD / 2);
  const over = measured.filter((m) => m.roundTrips > ROUND_TRIPS_PER_SHARD);
  // Over the bound, the failure shows where the round trips went.
  expect(over).toEqual([]);
}, 120_000);
