import type { Caller } from '../../auth/caller';
import { DomainError, isDomainError } from '../../domain/errors';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { decideStage, newApproval, startStage } from '../../domain/requests/approvalStages';
import type { StoredDocument } from '../../store/documentTable';
import type { StoredPolicy } from '../../store/entitlementStore';
import { findAssignmentPolicy } from '../entitlements/assignmentPolicies';
import { type EntitlementDeps } from '../entitlements/entitlementDeps';
import { fulfilRequest } from './fulfilRequest';
import { findRequest } from './requestQueries';
import { closeRequest, inState } from './requestWrites';
import { resolveApprovers } from './resolveApprovers';

/** Starts the first approval stage of a request that needs approval. */
export async function beginApproval(deps: EntitlementDeps, stored: StoredDocument<AssignmentRequest>): Promise<StoredDocument<AssignmentRequest>> {
  const policy = await findAssignmentPolicy(deps, stored.value.assignmentPolicyId);
  const approval = newApproval(policy.value.requestApprovalSettings.stages, deps.newId);
  return enterStage(deps, stored, { ...stored.value, approval }, 0, policy.value);
}

/**
 * Makes a stage current: its approvers are resolved now (a manager changed since the request counts), written to
 * their lists before the request names them, and the request waits for them. A stage nobody can decide — no
 * approver and no fallback resolves — denies the request at once rather than leaving it pending forever.
 */
async function enterStage(
  deps: EntitlementDeps,
  stored: StoredDocument<AssignmentRequest>,
  request: AssignmentRequest,
  index: number,
  policy: StoredPolicy,
): Promise<StoredDocument<AssignmentRequest>> {
  const stage = policy.requestApprovalSettings.stages[index];
  const approverIds = stage ? await resolveApprovers(deps.directory, stage, { requestorId: request.requestorId, targetId: request.targetId }, { escalation: false }) : [];
  if (approverIds.length === 0) {
    const denied = { ...inState(deps, request, 'denied'), status: 'NoApproverAvailable' };
    const saved = await closeRequest(deps, stored, denied);
    await deps.audit.record({ actorId: 'system', action: 'denyRequest.noApprover', entityType: 'assignmentRequest', entityId: request.id, before: stored.value, after: denied });
    return saved;
  }
  await deps.grants.indexApprovers(request, approverIds);
  const pending = { ...inState(deps, request, 'pendingApproval'), approval: startStage(request.approval!, index, approverIds, deps.clock.now()) };
  const saved = await deps.grants.requests.replace(stored, pending);
  await deps.audit.record({ actorId: 'system', action: 'startApprovalStage', entityType: 'assignmentRequest', entityId: request.id, before: stored.value, after: pending });
  return saved;
}

/**
 * PATCH accessPackageAssignmentApprovals/{id}/stages/{id}: one approver's decision. The request is saved on the
 * ETag it was read with, so of two decisions at once one wins and the other gets 409.
 */
export async function decideApprovalStage(deps: EntitlementDeps, caller: Caller, requestId: string, stageId: string, body: Record<string, unknown>): Promise<void> {
  const stored = await findRequest(deps, requestId);
  const approver = await deps.directory.getUser(caller.objectId);
  const decision = decideStage(
    stored.value,
    { stageId, approver: { id: caller.objectId, displayName: approver?.displayName ?? null }, reviewResult: body.reviewResult, justification: body.justification },
    deps.clock.now(),
  );
  const decided: AssignmentRequest = { ...stored.value, approval: decision.approval };
  const stage = stored.value.approval?.stages.find((s) => s.id === stageId);
  try {
    if (decision.outcome === 'denied') {
      await closeRequest(deps, stored, inState(deps, decided, 'denied'));
    } else if (decision.outcome === 'nextStage') {
      const policy = await findAssignmentPolicy(deps, decided.assignmentPolicyId);
      await enterStage(deps, stored, decided, decision.nextStageIndex!, policy.value);
    } else {
      const approved = await deps.grants.requests.replace(stored, inState(deps, decided, 'delivering'));
      await fulfilRequest(deps, approved);
    }
  } catch (error) {
    if (isDomainError(error) && error.code === 'concurrencyConflict') {
      throw new DomainError('conflict', 'Another approver decided this stage at the same time; the first decision stands.');
    }
    throw error;
  }
  // The stage is decided: it leaves its approvers' lists (the winner of a race does this for both).
  if (stage) await deps.grants.unindexApprovers(requestId, stage.approverIds);
  await deps.audit.record({ actorId: caller.objectId, action: `decideApprovalStage.${decision.outcome}`, entityType: 'assignmentRequest', entityId: requestId, before: stored.value, after: decided });
}
