import { DateTime } from 'luxon';
import { addEscalationApprovers, currentStage, expireStage } from '../../domain/requests/approvalStages';
import { SYSTEM_ACTOR, type AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { assignmentEnd, isScheduledStart } from '../../domain/requests/requestRequirements';
import type { DueItem, DueRange, ExpirationKind } from '../../store/dueWork';
import { fanOutDueWork, processShard, type FanOutResult, type ShardQueue } from './fanOutDueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { accessEndingSoon, approvalNeeded, requestDenied } from '../notifications/messages';
import { expirationBatch, expireAssignment } from './expireAssignments';
import { about, notify } from '../notifications/notify';
import { closeRequest, inState, replaceRequest } from '../requests/requestWrites';
import { resolveApprovers } from '../requests/resolveApprovers';
import { approverContextOf } from '../requests/approverContext';
import { recoverRequest } from '../requests/recoverRequest';
import { flushAuditOutbox } from '../requests/auditOutbox';
import type { StoredDocument } from '../../store/documentTable';
import { approvalSettingsOf, fulfilOrDeny } from '../requests/approvalFlow';
import { graceRemovalBatch } from '../autoAssignment/graceRemovals';
import { batchesByKind } from './batchesByKind';
import { applyDueHrEvent } from '../hrEvents/applyHrEvent';
import { retryHeldEmployeeChange } from '../hrEvents/heldEmployeeChanges';
import { runDueTrigger } from '../workflows/runDueTrigger';
import { runWorkflowPlan } from '../workflows/workflowPlan';
import { completeAuditEvent } from '../audit/auditedChange';
import { processDueItems, withSweepLease, type BatchHandler, type DueWorkResult, type ItemOutcome, type SweepOptions } from './sweepDueWork';

/**
 * `expirationSweep`: everything due by time (DESIGN §2.7): assignments that reach their end, scheduled requests
 * that reach their start, approval stages that time out or escalate, reminders before an assignment ends,
 * removals after an auto-assignment's grace period, requests a stopped process left behind (requestRecovery),
 * HR events whose effectiveAt has come (or whose application at once did not finish), joiner HR events held until
 * the account exists (heldEmployeeChange), HR webhook deliveries past the signature tolerance, lifecycle workflows'
 * triggers (workflowTrigger) and their planning for every user (workflowPlan).
 * Undefined when another instance is running it.
 */
export async function sweepExpirations(deps: EntitlementDeps, options: SweepOptions): Promise<DueWorkResult | undefined> {
  return withSweepLease(deps, 'expirationSweep', options, (checkpoint, deadline, lease) =>
    processDueItems(deps, deps.due, (item) => HANDLERS[item.kind](deps, item), { from: checkpoint, now: deps.clock.now(), deadline, lease }, removalBatches(deps, options.batchSize)),
  );
}

/** The expiration sweep fanned out (fanOutDueWork.ts): its timer sends shards of what is due to `queue`. */
export function dispatchExpirations(deps: EntitlementDeps, queue: ShardQueue, options: SweepOptions): Promise<FanOutResult | undefined> {
  return fanOutDueWork(deps, 'expirationSweep', deps.due, queue, (item) => HANDLERS[item.kind](deps, item), options, removalBatches(deps, options.batchSize));
}

/** One shard of the expiration sweep, in its queue function: the same handlers on the items of one run of the index. */
export function processExpirationShard(deps: EntitlementDeps, shard: DueRange, options: SweepOptions): Promise<DueWorkResult | undefined> {
  return processShard(deps, 'expirationSweep', deps.due, shard, (item) => HANDLERS[item.kind](deps, item), options, removalBatches(deps, options.batchSize));
}

/**
 * What the sweep removes many at once, so that the directory's removals go out in bulk calls: assignments whose end
 * has come (expirationBatch) and auto-assignments whose grace period is over (graceRemovalBatch), both through
 * carryOutRemovals (systemRemovals.ts).
 */
function removalBatches(deps: EntitlementDeps, size: number | undefined): BatchHandler<ExpirationKind> {
  return batchesByKind([expirationBatch(deps, size), graceRemovalBatch(deps, size)]);
}

type Handler = (deps: EntitlementDeps, item: DueItem<ExpirationKind>) => Promise<ItemOutcome>;

const HANDLERS: Record<ExpirationKind, Handler> = {
  assignmentEnd: expireAssignment,
  scheduledStart: startScheduledRequest,
  stageTimeout: timeOutStage,
  stageEscalation: escalateStage,
  expiryReminder: remindOfEnd,
  // Handled in batches (removalBatches); one alone is a batch of one.
  graceRemoval: async (deps, item) => unwrap((await graceRemovalBatch(deps).handle([item], async () => undefined))[0]!),
  requestRecovery: async (deps, item) => ((await recoverRequest(deps, item.entityId)) ? 'processed' : 'stale'),
  hrEvent: (deps, item) => applyDueHrEvent(deps, item.entityId),
  hrDeliveryExpiry: async (deps, item) => ((await deps.hrEvents.forgetDeliveries(item.entityId)) > 0 ? 'processed' : 'stale'),
  heldEmployeeChange: retryHeldEmployeeChange,
  workflowTrigger: runDueTrigger,
  workflowPlan: runWorkflowPlan,
  auditEvent: completeAuditEvent,
  auditEvents: completeAuditEvent,
};

/** A batch's answer for one item as a handler's: its error thrown. */
function unwrap(answer: ItemOutcome | Error): ItemOutcome {
  if (answer instanceof Error) throw answer;
  return answer;
}

/** Delivers a request whose start has come. */
async function startScheduledRequest(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<ItemOutcome> {
  const stored = await requestOfItem(deps, item);
  if (!stored || stored.value.state !== 'scheduled' || isScheduledStart(stored.value.schedule, deps.clock.now())) return 'stale';
  await fulfilOrDeny(deps, stored);
  return 'processed';
}

/** Denies a request whose stage nobody decided in time (its `durationBeforeAutomaticDenial`). */
async function timeOutStage(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<ItemOutcome> {
  const stored = await requestOfItem(deps, item);
  const stage = stored?.value.state === 'pendingApproval' && stored.value.approval ? currentStage(stored.value.approval) : undefined;
  if (!stored || !stage || stage.id !== item.detail) return 'stale';
  const request = stored.value;
  const denied: AssignmentRequest = { ...inState(deps, request, 'denied'), status: 'ApprovalTimedOut', approval: expireStage(request.approval!, stage.index, deps.clock.now()) };
  await closeRequest(deps, stored, denied, { actorId: SYSTEM_ACTOR, action: 'denyRequest.timedOut', entityType: 'assignmentRequest', entityId: request.id, before: request, after: { ...denied, reason: `Stage ${stage.index + 1} was not decided in time.` } });
  await deps.grants.unindexApprovers(request.id, stage.approverIds);
  await notify(deps, about(request), (s) => requestDenied([request.requestorId], s, 'no approver decided it in time'));
  return 'processed';
}

/** Hands a stage to its escalation approvers (or the fallback ones) after `durationBeforeEscalation`. */
async function escalateStage(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<ItemOutcome> {
  const stored = await requestOfItem(deps, item);
  const stage = stored?.value.state === 'pendingApproval' && stored.value.approval ? currentStage(stored.value.approval) : undefined;
  if (!stored || !stage || stage.id !== item.detail || stage.escalated) return 'stale';
  const request = stored.value;
  const settings = (await approvalSettingsOf(deps, request))[stage.index];
  const escalationApprovers = settings ? await resolveApprovers(deps.directory, settings, approverContextOf(deps, request), { escalation: true }) : [];
  // The first approvers may still decide; the escalation approvers join them.
  const { approval, added } = addEscalationApprovers(request.approval!, stage.index, escalationApprovers);
  await deps.grants.indexApprovers(request, added);
  const escalated: AssignmentRequest = { ...request, approval };
  await replaceRequest(deps, stored, escalated, [{ actorId: SYSTEM_ACTOR, action: 'escalateApprovalStage', entityType: 'assignmentRequest', entityId: request.id, before: request, after: escalated }]);
  await notify(deps, about(request), (s) => approvalNeeded(added, s, true));
  return 'processed';
}

/**
 * The request an item moves on, after appending the events its target's outbox still holds (auditOutbox.ts): a
 * request waiting (submitted, pending approval, scheduled) always has such an item due, so the event of a change
 * made to it meanwhile (a decision, a cancel) whose process stopped before appending it is appended by this at
 * the latest.
 */
async function requestOfItem(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<StoredDocument<AssignmentRequest> | undefined> {
  const stored = await deps.grants.findRequest(item.entityId);
  if (stored) await flushAuditOutbox(deps, stored.value.targetId);
  return stored;
}

/** Tells the target their assignment ends soon, if it still ends then. */
async function remindOfEnd(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<ItemOutcome> {
  const [days, endIso] = item.detail.split('|');
  const assignment = await deps.grants.findAssignment(item.entityId);
  const end = assignment && assignmentEnd(assignment.value.schedule);
  if (!assignment || assignment.value.state === 'expired' || !end || !endIso || end.toMillis() !== DateTime.fromISO(endIso).toMillis()) return 'stale';
  const a = assignment.value;
  if (days === '1') await deps.grants.assignments.replace(assignment, { ...a, status: 'NearExpiry1DayNotificationTriggered' });
  await notify(deps, about(a), (s) => accessEndingSoon([a.targetId], s, endIso));
  return 'processed';
}
