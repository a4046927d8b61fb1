import { DateTime } from 'luxon';
import type { Deps } from '../../shared/composition';
import type { DeliveryOperation } from '../../shared/domain/assignments/assignment';
import { directoryRoleOf } from '../../shared/operations/assignments/directoryRoles';
import { requestResource } from '../../shared/operations/entitlements/catalogResources';
import { createCatalog } from '../../shared/operations/entitlements/catalogs';
import { createAccessPackage } from '../../shared/operations/entitlements/accessPackages';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { addResourceRoleScope } from '../../shared/operations/entitlements/resourceRoleScopes';
import { loadavg } from 'node:os';
import { dispatchAccessReviews } from '../../shared/operations/reviews/accessReviewSweep';
import { openReviewShard, reviewOpeningMessage } from '../../shared/operations/reviews/openReviewInShards';
import { WorkQueue } from '../../shared/queues/workQueue';
import { stopReview } from '../../shared/operations/reviews/manageReview';
import { writeDocumentsTogether, DocumentTable, type DocumentWrite } from '../../shared/store/documentTable';
import { GrantStore, type GrantPointer, type PackageClaim } from '../../shared/store/grantStore';
import { tableKey } from '../../shared/store/tableKeys';
import { startGraphEmulator } from '../graph-emulator/server';
import { ADMIN_CALLER, assignmentDoc, benchDeps, benchTenant, chunks, countedRun, drain, guid, memberIds, progress, range, round, runQueueUntilEmpty, tableWrites, withBenchStorage, type BenchStorage, type PackageRef } from './benchKit';
import { writeRate } from './expirationScenario';

export interface ReviewsBenchRow {
  case: string;
  /** Queue workers taking the opening's shards (in-process runners of the local dispatcher, one Node process). */
  workers: number;
  assignments: number;
  denials: number;
  seedSeconds: number;
  /**
   * accessReviewSweep opening the review as its timer does (dispatchAccessReviews): shards sent to the
   * review-opening-shards queue, then every shard's items, reviewers (a group), recommendations (sign-ins), mail,
   * until the instance is InProgress.
   */
  openSeconds: number;
  /** Opening throughput over the first case's (its worker count's), same machine, same run. */
  openSpeedUp: number;
  /** The machine's 1-minute load average when the opening started (2 cores shared: timings are noisy). */
  loadAverage1m: number;
  openItemsPerSecond: number;
  openTableRoundTripsPerItem: number;
  openTableWritesPerItem: number;
  openGraphRoundTripsPerItem: number;
  /** stop: completion and application; the denied assignments removed through system removal requests. */
  applySeconds: number;
  applyTableRoundTripsPerDenial: number;
  applyTableWritesPerDenial: number;
  applyGraphRoundTripsPerDenial: number;
  /** Single-entity inserts of ~1 KB straight to Azurite, 8 at a time, in the same run. */
  azuriteWritesPerSecondConcurrent8: number;
  /** Items and recommendations as expected; the denied out of the group, the others in. */
  correct: boolean;
  problems: string;
}

const TENANT = 'be000000-0000-4000-8000-0000000000f1';
const GROUP = 'b0000000-0000-4000-8000-0000000000f1';
const REVIEWER_GROUP = 'b0000000-0000-4000-8000-0000000000f2';
const TARGET = 'a2000000';
const REVIEWER = 'a3000000';
const ASSIGNMENT = 'e2000000';
const REQUEST = 'f2000000';
const REVIEWERS = 3;
const SEED_CONCURRENCY = 16;
const TRANSACTION_LIMIT = 100;

/**
 * Sizes: REVIEWS_BENCH_ASSIGNMENTS (default 10,000), REVIEWS_BENCH_DENIALS (default 1,000), and
 * REVIEWS_BENCH_WORKERS, the worker counts to open with, one case each (default `1,2`).
 */
function sizes(): { assignments: number; denials: number; workers: number[] } {
  const assignments = Number(process.env.REVIEWS_BENCH_ASSIGNMENTS ?? 10_000);
  const denials = Number(process.env.REVIEWS_BENCH_DENIALS ?? 1_000);
  const workers = (process.env.REVIEWS_BENCH_WORKERS ?? '1,2').split(',').map(Number);
  if (!Number.isInteger(assignments) || !Number.isInteger(denials) || assignments < 1 || denials < 0 || denials > assignments) {
    throw new Error('REVIEWS_BENCH_ASSIGNMENTS and REVIEWS_BENCH_DENIALS must be whole numbers, denials at most assignments.');
  }
  if (workers.length === 0 || workers.some((n) => !Number.isInteger(n) || n < 1 || n > 16)) throw new Error('REVIEWS_BENCH_WORKERS must list whole numbers from 1 to 16, separated by commas.');
  return { assignments, denials, workers };
}

/**
 * Opening an access review over many assignments, then applying many denials (issue 16): a policy reviewed by a
 * group of 3, half its assignees signed in lately. Assignments are written straight through the stores; the review
 * opens through accessReviewSweep and ends through stop, both counted (Table requests by the proxy, Graph requests
 * by the emulator), beside Azurite's own write rate measured in the same run.
 */
export async function reviewsScenario(): Promise<ReviewsBenchRow[]> {
  const { assignments, denials, workers } = sizes();
  return withBenchStorage(async (storage) => {
    const rows: ReviewsBenchRow[] = [];
    for (const count of workers) rows.push(await runCase(storage, assignments, denials, count, rows[0]));
    return rows;
  });
}

async function runCase(storage: BenchStorage, n: number, denials: number, workers: number, first?: ReviewsBenchRow): Promise<ReviewsBenchRow> {
  const label = `review of ${n.toLocaleString('en-US')}, ${denials.toLocaleString('en-US')} denied, ${workers} worker${workers === 1 ? '' : 's'}`;
  const targets = range(n).map((i) => guid(TARGET, i));
  const reviewers = range(REVIEWERS).map((i) => guid(REVIEWER, i));
  const recent = DateTime.utc().minus({ days: 3 }).toISO()!;
  const tenant = benchTenant(TENANT, [...targets.map((id, i): [string, string] => [id, `t${i}`]), ...reviewers.map((id, i): [string, string] => [id, `reviewer${i}`])], [
    { id: GROUP, displayName: 'Bench reviewed group', mailEnabled: false, securityEnabled: true, groupTypes: [], members: targets, owners: [] },
    { id: REVIEWER_GROUP, displayName: 'Bench reviewers', mailEnabled: false, securityEnabled: true, groupTypes: [], members: reviewers, owners: [] },
  ]);
  // Even targets signed in three days ago; odd ones have no sign-in recorded.
  for (const user of tenant.users ?? []) if (targets.indexOf(user.id) % 2 === 0) user.signInActivity = { lastSignInDateTime: recent };
  const emulator = await startGraphEmulator({ seed: tenant, port: 0 });
  try {
    const { direct, counted } = benchDeps(storage, emulator.url, `rev${n}w${workers}t`, TENANT);
    const problems: string[] = [];
    progress(`${label}: seeding`);
    const seedStarted = performance.now();
    const ref = await seed(direct, targets);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    progress(`${label}: seeded in ${seedSeconds.toFixed(1)} s; measuring Azurite, then opening`);
    const azuriteRate = await writeRate(storage.azurite.connectionString, `rev${n}scratch`, 8);

    const loadAverage1m = round(loadavg()[0]!, 1);
    const open = await countedRun(storage, counted, emulator.url, () => openFannedOut(storage, counted, `rev${n}w${workers}`, workers), problems);
    const [instance] = (await direct.entitlements.reviews.instancesOf(ref.policyId)).map((d) => d.value);
    const items = instance ? await direct.entitlements.reviews.decisionsOf(instance.id) : [];
    const recommended = items.filter((d) => d.value.recommendation === (targets.indexOf(d.value.principalId) % 2 === 0 ? 'Approve' : 'NoInfoAvailable')).length;
    if (!instance || instance.status !== 'InProgress' || items.length !== n || recommended !== n) problems.push(`opened ${instance?.status ?? 'nothing'} with ${items.length} items, ${recommended} recommended as expected`);
    progress(`${label}: opened in ${(open.ms / 1000).toFixed(1)} s; denying ${denials} and stopping`);

    // The denials, written as a reviewer's batch would leave them (setup, not measured).
    const denied = items.slice(0, denials);
    for (const chunk of chunks(denied, TRANSACTION_LIMIT)) {
      await direct.entitlements.reviews.decisions.together(chunk.map((d) => direct.entitlements.reviews.decisions.replacement(d, { ...d.value, decision: 'Deny', justification: 'bench', reviewedById: reviewers[0]!, reviewedDateTime: DateTime.utc().toISO() })));
    }
    const apply = await countedRun(storage, counted, emulator.url, () => stopReview(counted.entitlements, ADMIN_CALLER(TENANT), ref.policyId, instance?.id ?? ''), problems);

    const members = new Set(await memberIds(direct, GROUP));
    const deniedTargets = new Set(denied.map((d) => d.value.principalId));
    const wrong = targets.filter((t) => members.has(t) === deniedTargets.has(t)).length;
    if (wrong > 0) problems.push(`${wrong} targets are in the group when denied or out of it when kept`);
    const applied = (await direct.entitlements.reviews.decisionsOf(instance?.id ?? '')).filter((d) => d.value.applyResult === 'AppliedSuccessfully').length;
    if (applied !== n) problems.push(`${applied} of ${n} items AppliedSuccessfully`);

    const per = (count: number, of: number) => round(count / Math.max(1, of), 2);
    return {
      case: label,
      assignments: n,
      denials,
      seedSeconds: round(seedSeconds),
      workers,
      openSeconds: round(open.ms / 1000),
      openSpeedUp: first ? round(first.openSeconds / (open.ms / 1000), 2) : 1,
      loadAverage1m,
      openItemsPerSecond: round(n / (open.ms / 1000), 0),
      openTableRoundTripsPerItem: per(open.tableRoundTrips, n),
      openTableWritesPerItem: per(tableWrites(open.tableKinds), n),
      openGraphRoundTripsPerItem: per(open.graph.roundTrips, n),
      applySeconds: round(apply.ms / 1000),
      applyTableRoundTripsPerDenial: per(apply.tableRoundTrips, denials),
      applyTableWritesPerDenial: per(tableWrites(apply.tableKinds), denials),
      applyGraphRoundTripsPerDenial: per(apply.graph.roundTrips, denials),
      azuriteWritesPerSecondConcurrent8: azuriteRate,
      correct: problems.length === 0,
      problems: problems.join('; '),
    };
  } finally {
    await emulator.stop();
  }
}

/**
 * The catalog, package, role and reviewed policy through the operations (the policy plans its first review, due
 * now); the assignments as GrantStore writes them, in bulk: each with its claim in one transaction, its locator,
 * and the package's assignee pointers 100 to a transaction; the grant ledger as delivery leaves it.
 */
async function seed(deps: Deps, targets: string[]): Promise<PackageRef> {
  const em = deps.entitlements;
  const admin = ADMIN_CALLER(TENANT);
  const catalog = await createCatalog(em, admin, { displayName: 'Bench reviews', state: 'published' });
  await requestResource(em, admin, { requestType: 'adminAdd', resource: { originId: GROUP, originSystem: 'AadGroup' }, catalog: { id: catalog.id } });
  const { id: packageId } = await createAccessPackage(em, admin, { displayName: 'Bench reviewed access', catalog: { id: catalog.id } });
  const roleScope = await addResourceRoleScope(em, admin, packageId, { role: { originId: `Member_${GROUP}`, originSystem: 'AadGroup' }, scope: { originId: GROUP, originSystem: 'AadGroup' } });
  const { id: policyId } = await createAssignmentPolicy(em, admin, {
    displayName: 'Bench reviewed policy',
    allowedTargetScope: 'notSpecified',
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    expiration: { type: 'noExpiration' },
    accessPackage: { id: packageId },
    reviewSettings: {
      isEnabled: true,
      expirationBehavior: 'keepAccess',
      isRecommendationEnabled: true,
      isReviewerJustificationRequired: true,
      primaryReviewers: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: REVIEWER_GROUP }],
      schedule: { startDateTime: DateTime.utc().toISO(), expiration: { type: 'afterDuration', duration: 'P14D' } },
    },
  });
  const ref = { packageId, policyId };
  const held: DeliveryOperation[] = [{ action: 'add', role: directoryRoleOf(roleScope), state: 'done', attempts: 1, lastError: null }];
  const start = DateTime.utc().minus({ days: 60 }).toISO()!;
  const docs = targets.map((targetId, i) => assignmentDoc({ id: guid(ASSIGNMENT, i), targetId, ref, catalogId: catalog.id, requestId: guid(REQUEST, i), start, end: null, operations: held }));
  const pointers = new DocumentTable<GrantPointer>(() => deps.tables.get('grantIndex'), 'grant index entry');
  await drain(
    (function* () {
      for (const a of docs) {
        const target = GrantStore.targetKey(a.targetId);
        const claim: PackageClaim = { packageId, requestId: a.requestId, assignmentId: a.id };
        yield async () => {
          await pointers.insert(tableKey('locator', a.id), tableKey(a.id), { id: a.id, targetId: a.targetId });
          await em.grants.together([em.grants.assignments.insertion(target, GrantStore.assignmentKey(a.id), a), em.grants.claims.insertion(target, GrantStore.claimKey(packageId), claim)]);
        };
      }
      for (const chunk of chunks(docs, TRANSACTION_LIMIT)) {
        const writes: DocumentWrite[] = chunk.map((a) => pointers.insertion(tableKey('packageAssignee', packageId), tableKey(a.id), { id: a.id, targetId: a.targetId }));
        yield async () => void (await writeDocumentsTogether(writes, 'grant index entry'));
      }
    })(),
    SEED_CONCURRENCY,
  );
  await em.ledger.record(held[0]!.role, targets);
  return ref;
}

/**
 * The sweep's timer run (shards sent), then `workers` queue runners taking the shards until the queue is empty
 * (the last shard opens the instance). In one process: the workers share its event loop, as the local host's
 * WORKERS do not.
 */
async function openFannedOut(storage: BenchStorage, deps: Deps, queueName: string, workers: number): Promise<void> {
  const queue = new WorkQueue(storage.azurite.connectionString, queueName);
  await dispatchAccessReviews(deps.entitlements, queue, { holder: 'bench', budgetMs: 60 * 60_000 });
  await runQueueUntilEmpty(storage, queue, 'reviewOpeningShard', workers, async (payload, context) => {
    await openReviewShard(deps.entitlements, reviewOpeningMessage.parse(payload), { holder: context.invocationId, budgetMs: 60 * 60_000 });
  });
}
