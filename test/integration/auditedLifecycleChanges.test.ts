import { DateTime } from 'luxon';
import { AUDIT_SETTLE_MINUTES } from '../../shared/operations/audit/auditedChange';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { updateSettings } from '../../shared/operations/entitlements/settings';
import { applyStoredHrEvent } from '../../shared/operations/hrEvents/applyHrEvent';
import { receiveHrEvents } from '../../shared/operations/hrEvents/receiveHrEvents';
import type { HrEvent } from '../../shared/domain/hrEvents/hrEvent';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';
import { runWorkflow } from '../../shared/operations/workflows/runWorkflow';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, assign, groupPackage, unassign } from '../support/packageWorld';
import { createAssignmentPolicy } from '../../shared/operations/entitlements/assignmentPolicies';
import { sweepAccessReviews } from '../../shared/operations/reviews/accessReviewSweep';
import { recordDecision } from '../../shared/operations/reviews/recordDecisions';
import { completeReview } from '../../shared/operations/reviews/applyReview';
import { PROCESS_STOPPED, stopAtWrite, type Row } from '../support/stopAtWrite';
import { GLOBAL_ADMIN } from '../support/workflowDefinitions';

/**
 * "No change may exist without its event" for the lifecycle changes (HR events, guests, workflow runs): a process
 * stopped between the change and its event leaves the event written ahead, which the expiration sweep appends once
 * the change shows; a change that never happened leaves none. In-process on Azurite and the Graph emulator; the stop
 * is injected at one Table Storage write.
 */
jest.setTimeout(60_000);
const LIAM = '2e3d6a63-40ed-467e-8564-f1dc632417c4';
const OWEN = 'bb9d2ebe-f476-492f-80fc-275e69b5220d';
const VPN_GROUP = 'e644c315-c2cb-4187-b62e-7330ba45cd54';
const MARKETING = '787b1186-31fd-4a9d-851d-62b5bd703358';
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const NS = '#microsoft.graph.identityGovernance.';

let world: InProcessOperations;
let deps: EntitlementDeps;
inProcessOperationsForFile((started) => ({ deps } = world = started));
afterEach(() => jest.restoreAllMocks());

const eventRow = (action: string) => (row: Row) => row.action === action;
const sweep = () => sweepExpirations(deps, { holder: 'test', budgetMs: 60_000 });

/** The actions recorded about an entity (the log keeps the real time, the sweep the test's: both are in range). */
async function eventsOf(entityId: string, action?: string): Promise<string[]> {
  const [a, b] = [world.now(), DateTime.utc()].sort((x, y) => x.toMillis() - y.toMillis()) as [DateTime, DateTime];
  const from = a.minus({ days: 1 });
  const to = b.plus({ days: 1 });
  const events = [];
  for await (const event of deps.audit.between(from, to)) events.push(event);
  return events.filter((e) => e.entityId === entityId && (action === undefined || e.action === action)).map((e) => e.action);
}

async function settledSweep(): Promise<void> {
  world.advance({ minutes: AUDIT_SETTLE_MINUTES + 1 });
  await sweep();
}

let hrSequence = 0;
async function storedHrEvent() {
  const event = { eventId: `audited-${Date.now()}-${++hrSequence}`, eventType: 'mover', occurredAt: world.now().toUTC().toISO()!, employee: { userId: LIAM, attributes: { officeLocation: `Room ${hrSequence}` } } } as HrEvent;
  return (await deps.hrEvents.claim({ event, deliveryId: 'delivery', receivedDateTime: world.now().toUTC().toISO()!, state: 'pending' }))!;
}

describe('lifecycle changes and their audit events, across a stopped process', () => {
  it('an HR event marked applied just before the process stopped gets its applyHrEvent event from the sweep', async () => {
    const stored = await storedHrEvent();
    stopAtWrite('auditEvents', eventRow('applyHrEvent'), 'before');
    await expect(applyStoredHrEvent(deps, stored)).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    expect((await deps.hrEvents.find(stored.value.event.eventId))!.value.state).toBe('applied');
    expect(await eventsOf(stored.value.event.eventId)).toEqual([]);

    await settledSweep();

    expect(await eventsOf(stored.value.event.eventId)).toEqual(['applyHrEvent']);
  });

  it('an HR event scheduled just before the process stopped gets its scheduleHrEvent event from the sweep', async () => {
    const eventId = `scheduled-${Date.now()}`;
    const effectiveAt = world.now().plus({ days: 2 }).toUTC().toISO()!;
    const event = { eventId, eventType: 'mover', occurredAt: world.now().toUTC().toISO()!, effectiveAt, employee: { userId: LIAM, attributes: { officeLocation: 'Room 9' } } } as HrEvent;
    stopAtWrite('auditEvents', eventRow('scheduleHrEvent'), 'before');
    await expect(receiveHrEvents(deps, [event], 'delivery-scheduled')).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    expect((await deps.hrEvents.find(eventId))!.value.state).toBe('scheduled');
    expect(await eventsOf(eventId, 'scheduleHrEvent')).toEqual([]);

    await settledSweep();

    expect(await eventsOf(eventId, 'scheduleHrEvent')).toEqual(['scheduleHrEvent']);
  });

  it('an HR event whose mark the process never wrote leaves no applyHrEvent event', async () => {
    const stored = await storedHrEvent();
    const eventId = stored.value.event.eventId;
    stopAtWrite('hrEvents', (row) => row.state === 'applied', 'before');
    await expect(applyStoredHrEvent(deps, stored)).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    expect((await deps.hrEvents.find(eventId))!.value.state).toBe('pending');

    await settledSweep();

    expect(await eventsOf(eventId, 'applyHrEvent')).toEqual([]);
  });

  it('a guest blocked just before the process stopped gets its blockExternalUser event from the sweep', async () => {
    const pkg = await groupPackage(deps, `Partners ${Date.now()}`, FALCON_GROUP);
    await updateSettings(deps, ADMIN, { externalUserLifecycleAction: 'blockSignIn', durationUntilExternalUserDeletedAfterBlocked: 'PT0S' });
    const email = `audited.${Date.now()}@partner.example`;
    const made = await submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { target: { email }, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });
    const request = (await deps.grants.findRequest(made.id))!.value;
    stopAtWrite('auditEvents', eventRow('blockExternalUser'), 'before');
    // The block at once swallows its own failure; what runs after it in the stopped process fails.
    await unassign(deps, request.assignmentId!).catch(() => undefined);
    jest.restoreAllMocks();
    const subject = (await deps.subjects.byEmail(email))!.value;
    expect(subject.removal?.blockedDateTime).toBeTruthy();
    expect(await eventsOf(subject.id, 'blockExternalUser')).toEqual([]);

    await settledSweep();

    expect(await eventsOf(subject.id, 'blockExternalUser')).toEqual(['blockExternalUser']);
  });

  it('a workflow run finished just before the process stopped gets its runWorkflow event from the sweep', async () => {
    const workflow = await createWorkflow(deps, GLOBAL_ADMIN, {
      category: 'joiner',
      displayName: `Audited run ${Date.now()}`,
      isEnabled: true,
      isSchedulingEnabled: false,
      executionConditions: {
        '@odata.type': `${NS}triggerAndScopeBasedConditions`,
        scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: "department eq 'Sales'" },
        trigger: { '@odata.type': `${NS}timeBasedAttributeTrigger`, timeBasedAttribute: 'employeeHireDate', offsetInDays: 0 },
      },
      tasks: [{ displayName: 'VPN', taskDefinitionId: '22085229-5809-45e8-97fd-270d28d66910', arguments: [{ name: 'groupID', value: VPN_GROUP }] }],
    });
    const user = (await deps.directory.getUser(OWEN))!;
    stopAtWrite('auditEvents', eventRow('runWorkflow.onDemand'), 'before');
    await expect(runWorkflow(deps, workflow, [{ user }], { type: 'onDemand', reason: 'test', actorId: GLOBAL_ADMIN.objectId })).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    expect(await deps.workflows.runsOf(workflow.id)).toEqual([expect.objectContaining({ processingStatus: 'completed' })]);
    expect(await eventsOf(workflow.id, 'runWorkflow.onDemand')).toEqual([]);

    await settledSweep();

    expect(await eventsOf(workflow.id, 'runWorkflow.onDemand')).toEqual(['runWorkflow.onDemand']);
  });

  it('a review decision applied just before the process stopped gets its applyReviewDecision event from the sweep', async () => {
    const pkg = await groupPackage(deps, `Reviewed ${Date.now()}`, MARKETING);
    const policy = await createAssignmentPolicy(deps, ADMIN, {
      displayName: 'Self-reviewed',
      allowedTargetScope: 'notSpecified',
      expiration: { type: 'noExpiration' },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
      accessPackage: { id: pkg.packageId },
      reviewSettings: {
        isEnabled: true,
        expirationBehavior: 'keepAccess',
        isRecommendationEnabled: false,
        isReviewerJustificationRequired: false,
        isSelfReview: true,
        primaryReviewers: [],
        schedule: { startDateTime: world.now().toISO(), expiration: { type: 'afterDuration', duration: 'P1D' }, recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'noEnd' } } },
      },
    });
    await assign(deps, OWEN, { ...pkg, policyId: policy.id });
    await sweepAccessReviews(deps, { holder: 'test', budgetMs: 60_000 });
    const [instance] = await deps.reviews.instancesOf(policy.id);
    const [item] = (await deps.reviews.decisionsOf(instance!.value.id)).map((d) => d.value);
    const person = { ...GLOBAL_ADMIN, objectId: OWEN };
    await recordDecision(deps, person, policy.id, instance!.value.id, item!.id, { decision: 'Deny' });
    stopAtWrite('auditEvents', eventRow('applyReviewDecision'), 'before');
    await expect(completeReview(deps, (await deps.reviews.instancesOf(policy.id))[0]!, ADMIN.objectId)).rejects.toThrow(PROCESS_STOPPED);
    jest.restoreAllMocks();
    expect((await deps.reviews.decisionsOf(instance!.value.id))[0]!.value.applyResult).toBe('AppliedSuccessfully');
    expect(await eventsOf(item!.id, 'applyReviewDecision')).toEqual([]);

    await settledSweep();

    expect(await eventsOf(item!.id, 'applyReviewDecision')).toEqual(['applyReviewDecision']);
  });
});
