import { DateTime } from 'luxon';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createAssignmentPolicy, replaceAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { openReview } from '../../shared/operations/reviews/openReview';
import { sweepAccessReviews } from '../../shared/operations/reviews/accessReviewSweep';
import { acceptRecommendations, recordDecision } from '../../shared/operations/reviews/recordDecisions';
import { decisionsOfReviewer } from '../../shared/operations/reviews/reviewQueries';
import { occurrenceDetail } from '../../shared/operations/reviews/planReviews';
import { occurrenceAt } from '../../shared/domain/reviews/reviewSchedule';
import type { Caller } from '../../shared/auth/caller';
import { demoTenantPath, loadTenantFixture } from '../../tools/graph-emulator/fixture';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, assign, groupMembers, groupPackage, type TestPackage } from '../support/packageWorld';

jest.setTimeout(120_000);

/** Demo tenant: Owen's manager is Lee Gu; Ben Walters has no manager; Debra is a fallback reviewer. */
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d';
const LEE = '428474c1-5e9e-4ba7-a6a8-6bd5a7550d23';
const BEN = '5d4a47ec-58ca-418c-a7e5-67e387ed23b1';
const HANNAH = 'd703d5b0-62c4-4228-9e5d-4d25c8ec9feb';
const DEBRA = '5b08acc2-13a5-4f07-9a1b-195060c40eb7';
const MEGAN = '94a2de50-ff54-4939-a9d6-bd800bc49874';
const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';

const person = (objectId: string): Caller => ({ objectId, tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined });

let world: InProcessOperations;
let deps: EntitlementDeps;

/** Owen signed in yesterday (as the clock starts); Hannah half a year ago; nobody else has a recorded sign-in. */
const seed = loadTenantFixture(demoTenantPath());
for (const user of seed.users ?? []) {
  if (user.id === OWEN) user.signInActivity = { lastSignInDateTime: DateTime.utc().minus({ days: 1 }).toISO() };
  if (user.id === HANNAH) user.signInActivity = { lastSignInDateTime: DateTime.utc().minus({ days: 180 }).toISO() };
}
inProcessOperationsForFile((started) => ({ deps } = world = started), seed);

const sweep = () => sweepAccessReviews(deps, { holder: 'test', budgetMs: 60_000 });

function reviewSettings(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    isEnabled: true,
    expirationBehavior: 'keepAccess',
    isRecommendationEnabled: true,
    isReviewerJustificationRequired: false,
    schedule: { startDateTime: world.now().toISO(), expiration: { type: 'afterDuration', duration: 'P1D' }, recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd' } } },
    ...overrides,
  };
}

/** A package granting Marketing membership, with a reviewed policy, and its assignees. */
async function reviewedPackage(name: string, review: Record<string, unknown>, assignees: string[]): Promise<TestPackage> {
  const pkg = await groupPackage(deps, name, MARKETING);
  const policy = await createAssignmentPolicy(deps, ADMIN, {
    displayName: `${name} reviewed`,
    allowedTargetScope: 'notSpecified',
    expiration: { type: 'noExpiration' },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    accessPackage: { id: pkg.packageId },
    reviewSettings: review,
  });
  const reviewed = { ...pkg, policyId: policy.id };
  for (const targetId of assignees) await assign(deps, targetId, reviewed);
  return reviewed;
}

const instancesOf = async (pkg: TestPackage) => (await deps.reviews.instancesOf(pkg.policyId)).map((d) => d.value).sort((a, b) => a.startDateTime.localeCompare(b.startDateTime));
const itemsOf = async (instanceId: string) => (await deps.reviews.decisionsOf(instanceId)).map((d) => d.value);

describe('accessReviewSweep over time', () => {
  it('opens, reminds at the midpoint, ends and applies on time, then opens the next weekly occurrence; a policy change affects only later ones', async () => {
    const pkg = await reviewedPackage('Weekly', reviewSettings({ primaryReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }], expirationBehavior: 'acceptAccessRecommendation' }), [OWEN, HANNAH]);
    await sweep();
    const [first] = await instancesOf(pkg);
    expect(first).toMatchObject({ status: 'InProgress', itemCount: 2 });
    const items = await itemsOf(first!.id);
    expect(Object.fromEntries(items.map((i) => [i.principalId, [i.recommendation, i.reviewerIds]]))).toEqual({ [OWEN]: ['Approve', [DEBRA]], [HANNAH]: ['Deny', [DEBRA]] });

    // Changed while open: the open review keeps its settings; the next uses the new ones.
    const { accessPackageId: _packageId, createdDateTime: _created, modifiedDateTime: _modified, ...policy } = (await deps.store.policies.find(pkg.policyId))!.value;
    await replaceAssignmentPolicy(deps, ADMIN, pkg.policyId, { ...policy, accessPackage: { id: pkg.packageId }, reviewSettings: { ...policy.reviewSettings, expirationBehavior: 'keepAccess' } });

    world.advance({ hours: 13 });
    // The midpoint reminder (mail is off in-process: MAIL_SENDER unset; the e2e checks the opening mail).
    expect(await sweep()).toMatchObject({ processed: 1, failed: 0 });
    expect((await instancesOf(pkg))[0]!.status).toBe('InProgress');

    world.advance({ hours: 12 });
    await sweep();
    const [ended] = await instancesOf(pkg);
    expect(ended).toMatchObject({ status: 'Applied' });
    // Nobody decided: the open review's own behaviour (take the recommendation) removed Hannah.
    expect(Object.fromEntries((await itemsOf(first!.id)).map((i) => [i.principalId, i.applyResult]))).toEqual({ [OWEN]: 'AppliedSuccessfully', [HANNAH]: 'AppliedSuccessfully' });
    const members = await groupMembers(world.emulator, MARKETING);
    expect(members).toContain(OWEN);
    expect(members).not.toContain(HANNAH);

    world.advance({ days: 6 });
    await sweep();
    const instances = await instancesOf(pkg);
    expect(instances).toHaveLength(2);
    expect(instances[1]).toMatchObject({ status: 'InProgress', itemCount: 1, startDateTime: DateTime.fromISO(first!.startDateTime).plus({ weeks: 1 }).toUTC().toISO() });
    expect(instances[1]!.settings.expirationBehavior).toBe('keepAccess');

    const today = await deps.audit.ofDay(DateTime.utc().toFormat('yyyy-MM-dd'));
    const actions = today.filter((e) => e.entityId === first!.id || items.some((i) => i.id === e.entityId)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['startAccessReview', 'endAccessReview', 'applyReviewDecision', 'applyAccessReview']));
  });

  it('opens an occurrence exactly once, also when two runs open it at once', async () => {
    const pkg = await reviewedPackage('Once', reviewSettings({ primaryReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }), [OWEN]);
    const policy = (await deps.store.policies.find(pkg.policyId))!.value;
    const detail = occurrenceDetail(occurrenceAt(policy.reviewSettings!, 0)!);
    const outcomes = await Promise.allSettled([openReview(deps, pkg.policyId, detail), openReview(deps, pkg.policyId, detail)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value === 'processed')).toHaveLength(1);
    expect(await openReview(deps, pkg.policyId, detail)).toBe('stale');
    const instances = await instancesOf(pkg);
    expect(instances).toHaveLength(1);
    expect(await itemsOf(instances[0]!.id)).toHaveLength(1);
  });
});

describe('reviewers', () => {
  it('self-review: each assignee reviews their own assignment', async () => {
    const pkg = await reviewedPackage('Self', reviewSettings({ isSelfReview: true, primaryReviewers: [] }), [OWEN, HANNAH]);
    await sweep();
    const [instance] = await instancesOf(pkg);
    const owensItem = (await decisionsOfReviewer(deps, OWEN, { definitionId: pkg.policyId, instanceId: instance!.id }))[0]!;
    expect(owensItem).toMatchObject({ principalId: OWEN, reviewerIds: [OWEN] });
    await recordDecision(deps, person(OWEN), pkg.policyId, instance!.id, owensItem.id, { decision: 'Approve' });
    const hannahsItem = (await itemsOf(instance!.id)).find((i) => i.principalId === HANNAH)!;
    await expect(recordDecision(deps, person(OWEN), pkg.policyId, instance!.id, hannahsItem.id, { decision: 'Deny' })).rejects.toMatchObject({ code: 'forbidden' });
    expect((await itemsOf(instance!.id)).find((i) => i.principalId === OWEN)).toMatchObject({ decision: 'Approve', reviewedById: OWEN });
  });

  it("manager review: the assignee's manager, and the fallback reviewer for an assignee who has none", async () => {
    const pkg = await reviewedPackage(
      'Managers',
      reviewSettings({ primaryReviewers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }], fallbackReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }),
      [OWEN, BEN],
    );
    await sweep();
    const [instance] = await instancesOf(pkg);
    expect(Object.fromEntries((await itemsOf(instance!.id)).map((i) => [i.principalId, i.reviewerIds]))).toEqual({ [OWEN]: [LEE], [BEN]: [DEBRA] });
    expect(await decisionsOfReviewer(deps, MEGAN)).toEqual([]);
  });

  it("acceptRecommendations: the reviewer's undecided items take their recommendation; no information leaves an item undecided", async () => {
    const pkg = await reviewedPackage('Recommended', reviewSettings({ primaryReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: DEBRA }] }), [OWEN, HANNAH, BEN]);
    await sweep();
    const [instance] = await instancesOf(pkg);
    await acceptRecommendations(deps, person(DEBRA), pkg.policyId, instance!.id);
    expect(Object.fromEntries((await itemsOf(instance!.id)).map((i) => [i.principalId, i.decision]))).toEqual({ [OWEN]: 'Approve', [HANNAH]: 'Deny', [BEN]: 'NotReviewed' });
    await expect(acceptRecommendations(deps, person(MEGAN), pkg.policyId, instance!.id)).rejects.toMatchObject({ code: 'forbidden' });
  });
});
