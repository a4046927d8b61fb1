import type { Caller } from '../../shared/auth/caller';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { reconcile } from '../../shared/operations/lifecycle/reconcileSweep';
import { sweepAccessReviews } from '../../shared/operations/reviews/accessReviewSweep';
import { stopReview } from '../../shared/operations/reviews/manageReview';
import { recordDecision } from '../../shared/operations/reviews/recordDecisions';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { stopAtWrite } from '../support/stopAtWrite';
import { ADMIN, assign, groupPackage, hooked, type TestPackage } from '../support/packageWorld';

/**
 * A review's decisions applied for sure: a denial ends the assignment also when a storage call fails while its
 * removal is made (the sweep tries it again), when the process stops while a stopped review applies (an item due
 * minutes later carries it), and when the denial is recorded while the review ends (refused, or applied).
 */
jest.setTimeout(120_000);

const GRACE = '616273cd-d6a1-4e4f-8ca4-c608ef605abf';
const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7'; // the reviewer
const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';

const person = (objectId: string): Caller => ({ objectId, tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined });

let world: InProcessOperations;
let deps: EntitlementDeps;
let runs = 0;
inProcessOperationsForFile((started) => ({ deps } = world = started));

const reviewSweep = (using = deps) => sweepAccessReviews(using, { holder: `apply-rev-${++runs}`, budgetMs: 60_000 });
const sweepAll = async () => {
  await reviewSweep();
  await sweepExpirations(deps, { holder: `apply-exp-${++runs}`, budgetMs: 60_000 });
  await reconcile(deps, { holder: `apply-rec-${runs}`, budgetMs: 60_000 });
};

/** A package granting Marketing membership, with a policy reviewed by Debra for `days` from now, and its assignees. */
async function reviewedPackage(name: string, assignees: string[], days = 1): Promise<TestPackage & { assignments: Record<string, string> }> {
  const pkg = await groupPackage(deps, name, MARKETING);
  const policy = await createAssignmentPolicy(deps, ADMIN, {
    displayName: `${name} reviewed`,
    allowedTargetScope: 'notSpecified',
    expiration: { type: 'noExpiration' },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    accessPackage: { id: pkg.packageId },
    reviewSettings: {
      isEnabled: true,
      expirationBehavior: 'keepAccess',
      isRecommendationEnabled: false,
      isReviewerJustificationRequired: false,
      primaryReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }],
      schedule: { startDateTime: world.now().toISO(), expiration: { type: 'afterDuration', duration: `P${days}D` } },
    },
  });
  const reviewed = { ...pkg, policyId: policy.id };
  const assignments: Record<string, string> = {};
  for (const targetId of assignees) assignments[targetId] = await assign(deps, targetId, reviewed);
  return { ...reviewed, assignments };
}

const openInstance = async (pkg: TestPackage) => {
  await reviewSweep();
  const [instance] = (await deps.reviews.instancesOf(pkg.policyId)).map((d) => d.value);
  expect(instance).toMatchObject({ status: 'InProgress' });
  return instance!;
};
const itemOf = async (instanceId: string, principalId: string) => (await deps.reviews.decisionsOf(instanceId)).map((d) => d.value).find((i) => i.principalId === principalId)!;
const stateOf = async (targetId: string, assignmentId: string) => (await deps.grants.assignmentOf(targetId, assignmentId))?.value.state;
const instanceOf = async (pkg: TestPackage, id: string) => (await deps.reviews.instance(pkg.policyId, id))!.value;
const deny = async (pkg: TestPackage, instanceId: string, principalId: string) =>
  recordDecision(deps, person(DEBRA), pkg.policyId, instanceId, (await itemOf(instanceId, principalId)).id, { decision: 'Deny', justification: 'left the project' });


const eventsOf = async (entityId: string) => {
  const events: Array<{ action: string; actorId: string }> = [];
  for await (const e of deps.audit.between(world.now().minus({ days: 30 }), world.now().plus({ days: 1 }))) if (e.entityId === entityId) events.push(e);
  return events;
};

describe('an access review stopped, and its end', () => {
  it('a stop cut off before it closes the review is not turned into a system end 10 minutes later', async () => {
    const pkg = await reviewedPackage('Stop cut early', [SOFIA], 14);
    const instance = await openInstance(pkg);
    world.advance({ days: 1 });
    // The process stops at the stop's first write of the instance (its `Completed`): its end's item is planned already.
    stopAtWrite('accessReviews', (row) => row.status === 'Completed', 'before');
    await expect(stopReview(deps, ADMIN, pkg.policyId, instance.id)).rejects.toThrow();
    jest.restoreAllMocks();
    expect(await instanceOf(pkg, instance.id)).toMatchObject({ status: 'InProgress' });
    world.advance({ minutes: 11 });
    await reviewSweep();
    world.advance({ minutes: 16 });
    await sweepAll();
    const after = await instanceOf(pkg, instance.id);
    const ends = (await eventsOf(instance.id)).filter((e) => e.action === 'endAccessReview');
    // Either still open (the stop never took effect), or ended as the administrator's stop, with one event.
    const stillOpen = after.status === 'InProgress' && ends.length === 0;
    const endedAsStopped = after.stoppedById === ADMIN.objectId && ends.length === 1;
    expect({ status: after.status, stoppedById: after.stoppedById, completed: after.completedDateTime, ends: ends.map((e) => e.actorId), ok: stillOpen || endedAsStopped }).toMatchObject({ ok: true });
  });
  it('a stop 5 minutes before the planned end whose removal failed: the two end items are applied once, not side by side', async () => {
    const pkg = await reviewedPackage('Stop near end', [GRACE], 1);
    const instance = await openInstance(pkg);
    await deny(pkg, instance.id, GRACE);
    world.advance({ hours: 23, minutes: 55 });
    const flaky = hooked(deps.grants, 'claimOf', () => Promise.reject(new Error('Table Storage answered 503 (transient)')), (targetId) => targetId.toLowerCase() === GRACE).part;
    await stopReview({ ...deps, grants: flaky }, ADMIN, pkg.policyId, instance.id);
    expect(await itemOf(instance.id, GRACE)).toMatchObject({ applyResult: 'AppliedWithUnknownFailure' });
    // The sweep was away a few minutes (a deployment): its planned end (24:00) and the stop's (24:05) are both due.
    world.advance({ minutes: 11 });
    const run = await reviewSweep();
    const item = await itemOf(instance.id, GRACE);
    const failures = (await eventsOf(item.id)).filter((e) => e.action === 'applyReviewDecision.failed');
    expect({ run: { failed: run?.failed, errors: run?.errors }, applyResult: item.applyResult, failedEvents: failures.length, state: await stateOf(GRACE, pkg.assignments[GRACE]!) }).toEqual({
      run: { failed: 0, errors: [] },
      applyResult: 'AppliedSuccessfully',
      failedEvents: 1,
      state: 'expired',
    });
  });
  it('a decision written between the application reading the items and writing their results is applied', async () => {
    const pkg = await reviewedPackage('Racing write', [SOFIA], 1);
    const instance = await openInstance(pkg);
    const item = await itemOf(instance.id, SOFIA);
    world.advance({ days: 1, minutes: 1 });
    let reached!: () => void;
    let release!: () => void;
    const atPointers = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    // The end's application pauses after reading the items (at its read of the assignee index) until the decision is written.
    const pausing = hooked(deps.grants, 'assigneePointers', async () => {
      reached();
      await released;
    }).part;
    let sweep!: ReturnType<typeof reviewSweep>;
    // Debra's PATCH passes the open check; the end starts before her item is read, and has read the items when she reads hers.
    const racing = hooked(deps.reviews, 'decision', async () => {
      sweep = reviewSweep({ ...deps, grants: pausing });
      await atPointers;
    }, (_i, decisionId) => decisionId === item.id).part;
    const answer = await recordDecision({ ...deps, reviews: racing }, person(DEBRA), pkg.policyId, instance.id, item.id, { decision: 'Deny', justification: 'left' }).then(() => 'recorded', (e: { code?: string }) => e.code);
    release();
    const first = await sweep;
    world.advance({ minutes: 6 });
    await sweepAll();
    const after = await itemOf(instance.id, SOFIA);
    expect({ answer, first: first?.failed, decision: after.decision, applyResult: after.applyResult, state: await stateOf(SOFIA, pkg.assignments[SOFIA]!), status: (await instanceOf(pkg, instance.id)).status }).toEqual({
      answer: 'recorded',
      first: 1,
      decision: 'Deny',
      applyResult: 'AppliedSuccessfully',
      state: 'expired',
      status: 'Applied',
    });
  });
});
