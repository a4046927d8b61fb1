import { DateTime } from 'luxon';
import type { Caller } from '../../shared/auth/caller';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { MAX_ITEM_ATTEMPTS } from '../../shared/operations/lifecycle/sweepDueWork';
import { sweepAccessReviews } from '../../shared/operations/reviews/accessReviewSweep';
import { stopReview } from '../../shared/operations/reviews/manageReview';
import { batchRecordDecisions, recordDecision } from '../../shared/operations/reviews/recordDecisions';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { stopAtWrite } from '../support/stopAtWrite';
import { ADMIN, assign, assignmentState, groupMembers, groupPackage, hooked, sweepEnds, type TestPackage } from '../support/packageWorld';

/**
 * A review's decisions applied for sure: a denial ends the assignment also when a storage call fails while its
 * removal is made (the sweep tries it again), when the process stops while a stopped review applies (an item due
 * minutes later carries it), and when the denial is recorded while the review ends (refused, or applied). A stop
 * cut off before it closes the review leaves it open, and a stop near the planned end applies the review once.
 */
jest.setTimeout(120_000);

const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d';
const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb';
const GRACE = '616273cd-d6a1-4e4f-8ca4-c608ef605abf';
const MATEO = 'fd39265b-b32e-4ea1-9439-f75f10c01d5d';
const SOFIA = '3f0279a1-abe7-420e-89e0-b9583a589e65';
const CHLOE = 'c10c2788-a8e1-4980-86f6-d2e1c91d6da3';
const LUCAS = '5043796d-4061-4823-9b39-320448410fe3';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7'; // the reviewer
const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';

const FILE_STARTED = DateTime.utc();

const person = (objectId: string): Caller => ({ objectId, tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined });

let world: InProcessOperations;
let deps: EntitlementDeps;
let runs = 0;
inProcessOperationsForFile((started) => ({ deps } = world = started));

const reviewSweep = (using = deps) => sweepAccessReviews(using, { holder: `apply-rev-${++runs}`, budgetMs: 60_000 });
const sweepAll = async () => {
  await reviewSweep();
  await sweepEnds(deps);
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
const stateOf = (targetId: string, assignmentId: string) => assignmentState(deps, targetId, assignmentId);
const instanceOf = async (pkg: TestPackage, id: string) => (await deps.reviews.instance(pkg.policyId, id))!.value;
const deny = async (pkg: TestPackage, instanceId: string, principalId: string) =>
  recordDecision(deps, person(DEBRA), pkg.policyId, instanceId, (await itemOf(instanceId, principalId)).id, { decision: 'Deny', justification: 'left the project' });

/** The audit events of `entityId`: from the file's start, as the audit log stamps them by the system clock, not the test's. */
const eventsOf = async (entityId: string) => {
  const events: Array<{ action: string; actorId: string }> = [];
  for await (const e of deps.audit.between(FILE_STARTED, world.now().plus({ days: 1 }))) if (e.entityId === entityId) events.push(e);
  return events;
};

/** The grants store with every read of `targetId`'s claims failing, as Table Storage answering 503 would. */
const claimsFailingFor = (targetId: string): EntitlementDeps['grants'] =>
  new Proxy(deps.grants, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function') return value;
      if (property !== 'claimOf') return value.bind(target);
      return (id: string, ...rest: unknown[]) => (id.toLowerCase() === targetId ? Promise.reject(new Error('Table Storage answered 503')) : (value as (...a: unknown[]) => unknown).apply(target, [id, ...rest]));
    },
  });

describe("an access review's denial", () => {
  it('(control) ends the denied assignment when the review ends', async () => {
    const pkg = await reviewedPackage('Control', [OWEN, HANNAH]);
    const instance = await openInstance(pkg);
    await deny(pkg, instance.id, HANNAH);
    world.advance({ days: 1, minutes: 1 });
    await reviewSweep();
    expect(await stateOf(HANNAH, pkg.assignments[HANNAH]!)).toBe('expired');
    expect(await stateOf(OWEN, pkg.assignments[OWEN]!)).toBe('delivered');
    expect(await instanceOf(pkg, instance.id)).toMatchObject({ status: 'Applied' });
    world.advance({ days: 6 });
    await reviewSweep(); // leave no due item of this review for the later tests' sweeps
  });

  it('is applied when one storage read fails while its removal is made: the sweep tries it again', async () => {
    const pkg = await reviewedPackage('Flaky', [GRACE]);
    const instance = await openInstance(pkg);
    await deny(pkg, instance.id, GRACE);
    world.advance({ days: 1, minutes: 1 });
    // The end's sweep: one storage read of the removal fails (a transient Table error), once.
    const flaky = hooked(deps.grants, 'claimOf', () => Promise.reject(new Error('Table Storage answered 503 (transient)')), (targetId) => targetId.toLowerCase() === GRACE).part;
    expect(await reviewSweep({ ...deps, grants: flaky })).toMatchObject({ failed: 1 });
    expect(await itemOf(instance.id, GRACE)).toMatchObject({ decision: 'Deny', applyResult: 'AppliedWithUnknownFailure' });
    // Not applied yet: its end's item is kept for the next run.
    expect(await instanceOf(pkg, instance.id)).toMatchObject({ status: 'Completed' });
    // Storage is back; the sweeps run.
    for (const minutes of [6, 60, 60 * 24, 60 * 24 * 6]) {
      world.advance({ minutes });
      await sweepAll();
    }
    expect(await stateOf(GRACE, pkg.assignments[GRACE]!)).toBe('expired');
    expect(await groupMembers(world.emulator, MARKETING)).not.toContain(GRACE);
    expect(await itemOf(instance.id, GRACE)).toMatchObject({ decision: 'Deny', applyResult: 'AppliedSuccessfully' });
    expect(await instanceOf(pkg, instance.id)).toMatchObject({ status: 'Applied' });
  });

  it('whose removal keeps failing is tried on every run, then parked for an operator (parkedWork, which the health check counts)', async () => {
    const pkg = await reviewedPackage('Broken', [CHLOE]);
    const instance = await openInstance(pkg);
    await deny(pkg, instance.id, CHLOE);
    world.advance({ days: 1, minutes: 1 });
    const broken = { ...deps, grants: claimsFailingFor(CHLOE) };
    const parkedItems = async () => (await deps.reviewDue.parked()).filter((p) => p.entityId === instance.id);
    for (let run = 1; run <= MAX_ITEM_ATTEMPTS; run++) {
      expect(await reviewSweep(broken)).toMatchObject(run < MAX_ITEM_ATTEMPTS ? { failed: 1, parked: 0 } : { failed: 0, parked: 1 });
      world.advance({ hours: run === MAX_ITEM_ATTEMPTS - 1 ? 24 : 1 });
    }
    expect(await parkedItems()).toEqual([expect.objectContaining({ kind: 'reviewEnd', attempts: MAX_ITEM_ATTEMPTS, lastError: expect.stringContaining('could not be applied') })]);
    expect(await instanceOf(pkg, instance.id)).toMatchObject({ status: 'Completed' });
    expect(await stateOf(CHLOE, pkg.assignments[CHLOE]!)).toBe('delivered');
  });

  it('recorded while the review ends is refused (409), never kept as a denial with access kept', async () => {
    const pkg = await reviewedPackage('Racing', [MATEO]);
    const instance = await openInstance(pkg);
    const item = await itemOf(instance.id, MATEO);
    world.advance({ days: 1, minutes: 1 });
    // Debra's PATCH passes the open-review check; the review's end (the sweep) runs before her item is read and written.
    const racing = hooked(deps.reviews, 'decision', () => reviewSweep(), (_instanceId, decisionId) => decisionId === item.id).part;
    const answer = await recordDecision({ ...deps, reviews: racing }, person(DEBRA), pkg.policyId, instance.id, item.id, { decision: 'Deny', justification: 'left the project' }).then(
      () => 'recorded',
      (error: { code?: string }) => error.code,
    );
    await sweepAll();
    const after = await itemOf(instance.id, MATEO);
    expect(await instanceOf(pkg, instance.id)).toMatchObject({ status: 'Applied' });
    // Refused (409, the review is over): the item shows what was applied.
    expect({ answer, decision: after.decision, applyResult: after.applyResult, state: await stateOf(MATEO, pkg.assignments[MATEO]!) }).toEqual({
      answer: 'conflict',
      decision: 'NotReviewed',
      applyResult: 'AppliedSuccessfully',
      state: 'delivered',
    });
  });

  it('recorded in a batch while the review ends is refused as a whole: no item of the batch changes', async () => {
    const pkg = await reviewedPackage('Racing batch', [LUCAS, HANNAH]);
    const instance = await openInstance(pkg);
    world.advance({ days: 1, minutes: 1 });
    // The batch passes the open-review check; the review's end runs before Debra's items are read.
    const racing = hooked(deps.reviews, 'decision', () => reviewSweep()).part;
    await expect(batchRecordDecisions({ ...deps, reviews: racing }, person(DEBRA), pkg.policyId, instance.id, { decision: 'Deny', justification: 'project over' })).rejects.toMatchObject({ code: 'conflict' });
    for (const principal of [LUCAS, HANNAH]) expect(await itemOf(instance.id, principal)).toMatchObject({ decision: 'NotReviewed', applyResult: 'AppliedSuccessfully' });
  });

  it('is applied by the sweep within minutes when an administrator stops the review and its removal fails; the stop still answers', async () => {
    const pkg = await reviewedPackage('Stopped flaky', [LUCAS], 14);
    const instance = await openInstance(pkg);
    await deny(pkg, instance.id, LUCAS);
    world.advance({ days: 1 });
    const flaky = hooked(deps.grants, 'claimOf', () => Promise.reject(new Error('Table Storage answered 503 (transient)')), (targetId) => targetId.toLowerCase() === LUCAS).part;
    await stopReview({ ...deps, grants: flaky }, ADMIN, pkg.policyId, instance.id);
    expect(await instanceOf(pkg, instance.id)).toMatchObject({ status: 'Completed', stoppedById: ADMIN.objectId });
    expect(await itemOf(instance.id, LUCAS)).toMatchObject({ decision: 'Deny', applyResult: 'AppliedWithUnknownFailure' });
    // Not at once (the stop's own call may still be applying), but once that call is over.
    world.advance({ minutes: 5 });
    expect(await reviewSweep()).toMatchObject({ processed: 0, failed: 0 });
    world.advance({ minutes: 6 });
    await reviewSweep();
    expect(await stateOf(LUCAS, pkg.assignments[LUCAS]!)).toBe('expired');
    expect(await instanceOf(pkg, instance.id)).toMatchObject({ status: 'Applied' });
    world.advance({ days: 14 });
    await reviewSweep(); // its planned end finds it applied
  });

  it('is applied within minutes when an administrator stops the review and the process stops while applying it', async () => {
    const pkg = await reviewedPackage('Stopped', [SOFIA], 14);
    const instance = await openInstance(pkg);
    await deny(pkg, instance.id, SOFIA);
    // The administrator stops it on day 1; the process stops at the removal's first write of the grants table.
    world.advance({ days: 1 });
    stopAtWrite('accessGrants', () => true, 'before');
    await expect(stopReview(deps, ADMIN, pkg.policyId, instance.id)).rejects.toThrow();
    jest.restoreAllMocks();
    expect(await instanceOf(pkg, instance.id)).toMatchObject({ status: 'Completed' });
    expect(await itemOf(instance.id, SOFIA)).toMatchObject({ decision: 'Deny', applyResult: 'New' });
    // A new process; the review sweep runs on its timer: the stop's end is due 10 minutes after it.
    world.advance({ minutes: 11 });
    await reviewSweep();
    expect(await stateOf(SOFIA, pkg.assignments[SOFIA]!)).toBe('expired');
    expect(await groupMembers(world.emulator, MARKETING)).not.toContain(SOFIA);
    expect(await instanceOf(pkg, instance.id)).toMatchObject({ status: 'Applied' });
    // Its planned end, on day 14, finds it applied.
    world.advance({ days: 14 });
    expect(await reviewSweep()).toMatchObject({ processed: 0, failed: 0 });
  });
});

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
