import type { Caller } from '../../auth/caller';
import { DomainError, isDomainError } from '../../domain/errors';
import { SYSTEM_ACTOR, type AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { currentStage, decideStage, newApproval, startStage } from '../../domain/requests/approvalStages';
import type { StoredDocument } from '../../store/documentTable';
import type { ApprovalStage } from '../../domain/policies';
import { findAssignmentPolicy } from '../entitlements/assignmentPolicies';
import { type EntitlementDeps } from '../entitlements/entitlementDeps';
import { fulfilRequest } from './fulfilRequest';
import { findRequest, takesPart } from './requestQueries';
import { closeRequest, inState, replaceRequest } from './requestWrites';
import { publishingOnceAfter } from './auditOutbox';
import type { AuditEntry } from '../../store/auditLog';
import { resolveApprovers } from './resolveApprovers';
import { approverContextOf } from './approverContext';
import { planRequestRecovery, planStage } from '../lifecycle/planDueWork';
import { approvalNeeded, requestDenied } from '../notifications/messages';
import { about, notify } from '../notifications/notify';

/** Starts the first approval stage of a request that needs approval. */
export async function beginApproval(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>): Promise<StoredDocument<AssignmentRequest>> {
  const settings = await approvalSettingsOf(deps, stored.value);
  const approval = { ...newApproval(settings, deps.newId), settings };
  return enterStage(deps, stored, { ...stored.value, approval }, 0, settings);
}

/** The stages a request is approved by: those it was submitted under (older requests: its policy's now). */
export async function approvalSettingsOf(deps: EntitlementDeps, request: AssignmentRequest): Promise<ApprovalStage[]> {
  return request.approval?.settings ?? (await findAssignmentPolicy(deps, request.assignmentPolicyId)).value.requestApprovalSettings.stages;
}

/**
 * Makes a stage current: its approvers are resolved now (a manager changed since the request counts), written to
 * their lists before the request names them, and the request waits for them. A stage nobody can decide — no
 * approver and no fallback resolves — denies the request at once rather than leaving it pending forever.
 * `decided` is the event of the decision that led here, if any, written with the stage's.
 */
async function enterStage(
  deps: EntitlementDeps,
  stored: StoredDocument<AssignmentRequest>,
  request: AssignmentRequest,
  index: number,
  settings: readonly ApprovalStage[],
  decided: (after: AssignmentRequest) => AuditEntry[] = () => [],
): Promise<StoredDocument<AssignmentRequest>> {
  const stage = settings[index];
  const approverIds = stage ? await resolveApprovers(deps.directory, stage, approverContextOf(deps, request), { escalation: false }) : [];
  if (approverIds.length === 0) {
    const denied = { ...inState(deps, request, 'denied'), status: 'NoApproverAvailable' };
    const saved = await closeRequest(
      deps,
      stored,
      denied,
      ...decided(denied),
      { actorId: SYSTEM_ACTOR, action: 'denyRequest.noApprover', entityType: 'assignmentRequest', entityId: request.id, before: stored.value, after: denied },
    );
    await notify(deps, about(request), (s) => requestDenied([request.requestorId], s, 'no approver could be found for it'));
    return saved;
  }
  await deps.grants.indexApprovers(request, approverIds);
  const approval = startStage(request.approval!, index, approverIds, deps.clock.now());
  const pending = { ...inState(deps, request, 'pendingApproval'), approval };
  // The stage's deadlines go into the due-time index before the request shows the stage.
  await planStage(deps, pending, approval.stages[index]!, stage!);
  const saved = await replaceRequest(deps, stored, pending, [
    ...decided(pending),
    { actorId: SYSTEM_ACTOR, action: 'startApprovalStage', entityType: 'assignmentRequest', entityId: request.id, before: stored.value, after: pending },
  ]);
  await notify(deps, about(request), (s) => approvalNeeded(approverIds, s, false));
  return saved;
}

/**
 * PATCH accessPackageAssignmentApprovals/{id}/stages/{id}: one approver's decision. The request is saved on the
 * ETag it was read with, so of two decisions at once one wins and the other gets 409. The decision and what it
 * carries out (an approval's delivery) are one pipeline: their events are appended together at its end (auditOutbox.ts).
 */
export function decideApprovalStage(deps: EntitlementDeps, caller: Caller, requestId: string, stageId: string, body: Record<string, unknown>): Promise<void> {
  return publishingOnceAfter(deps, () => decide(deps, caller, requestId, stageId, body));
}

async function decide(deps: EntitlementDeps, caller: Caller, requestId: string, stageId: string, body: Record<string, unknown>): Promise<void> {
  const stored = await findRequest(deps, requestId);
  // Someone with no part in the request learns nothing about its stages.
  if (!takesPart(stored.value, caller.objectId)) throw new DomainError('forbidden', `You are not an approver of assignment request '${requestId}'.`);
  const approver = await deps.directory.getUser(caller.objectId);
  const decision = decideStage(
    stored.value,
    { stageId, approver: { id: caller.objectId, displayName: approver?.displayName ?? null }, reviewResult: body.reviewResult, justification: body.justification },
    deps.clock.now(),
  );
  const decided: AssignmentRequest = { ...stored.value, approval: decision.approval };
  const stage = stored.value.approval?.stages.find((s) => s.id === stageId);
  const decisionEvent = (after: AssignmentRequest): AuditEntry => ({
    actorId: caller.objectId,
    action: `decideApprovalStage.${decision.outcome}`,
    entityType: 'assignmentRequest',
    entityId: requestId,
    before: stored.value,
    after,
  });
  // The approver's history points at the request before it shows their decision (GrantStore.requestsDecidedBy).
  await deps.grants.indexDecision(stored.value, caller.objectId);
  let saved: StoredDocument<AssignmentRequest>;
  try {
    if (decision.outcome === 'denied') {
      const denied = inState(deps, decided, 'denied');
      saved = await closeRequest(deps, stored, denied, decisionEvent(denied));
    } else if (decision.outcome === 'nextStage') {
      saved = await enterStage(deps, stored, decided, decision.nextStageIndex!, await approvalSettingsOf(deps, decided), (after) => [decisionEvent(after)]);
    } else {
      // Crash window: approved (delivering) but not yet carried out below; the recovery item re-drives it.
      await planRequestRecovery(deps, requestId);
      const delivering = inState(deps, decided, 'delivering');
      saved = await replaceRequest(deps, stored, delivering, [decisionEvent(delivering)]);
    }
  } catch (error) {
    if (isDomainError(error) && error.code === 'concurrencyConflict') {
      throw new DomainError('conflict', 'The request changed while this decision was made (another approver decided first, or it was canceled); the first change stands.');
    }
    throw error;
  }
  // The stage is decided: it leaves the lists of its approvers, except those who also decide the next stage.
  const next = saved.value.approval ? currentStage(saved.value.approval) : undefined;
  if (stage) await deps.grants.unindexApprovers(requestId, stage.approverIds.filter((id) => !next?.approverIds.includes(id)));
  if (decision.outcome === 'denied') await notify(deps, about(decided), (s) => requestDenied([decided.requestorId], s, 'an approver denied it'));
  if (decision.outcome === 'approved') await fulfilOrDeny(deps, saved);
}

/**
 * Carries out a request approved (or reaching its scheduled start) some time after it was checked. If it can no
 * longer be (its policy or assignment is gone, or the target now holds an incompatible package), it is denied with
 * the reason, rather than left delivering, or scheduled, for ever.
 */
export async function fulfilOrDeny(deps: EntitlementDeps, approved: StoredDocument<AssignmentRequest>): Promise<void> {
  try {
    await fulfilRequest(deps, approved);
  } catch (error) {
    if (!isDomainError(error) || !['invalidRequest', 'notFound', 'forbidden'].includes(error.code)) throw error;
    const current = (await deps.grants.requests.get(approved.partitionKey, approved.rowKey)) ?? approved;
    const denied = { ...inState(deps, current.value, 'denied'), status: 'FulfilmentRefused' };
    await closeRequest(deps, current, denied, { actorId: SYSTEM_ACTOR, action: 'denyRequest.unfulfillable', entityType: 'assignmentRequest', entityId: denied.id, before: current.value, after: { ...denied, reason: error.message } });
  }
}
