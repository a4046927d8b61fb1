import type { DateTime } from 'luxon';
import { DomainError } from '../errors';
import type { ApprovalStage, SubjectSet } from '../policies';
import { APPROVER_LISTS, approverEntries } from '../policies/approvalSettings';
import { describeJson } from '../policies/graphValues';
import { durationMillis } from '../policies/durations';
import type { Approval, ApprovalStageRecord, AssignmentRequest, ReviewResult } from './assignmentRequest';
import { MAX_APPROVER_IDS_PER_STAGE, MAX_DISPLAY_NAME_LENGTH, MAX_REQUEST_TEXT_LENGTH, MAX_STORED_TEXT_LENGTH, storedLength } from './requestSize';

/**
 * The approval of a request as a pure state machine: stages run in policy order, one at a time; one approver
 * decides a stage; Approve moves to the next stage (or approves the request after the last), Deny ends it.
 */

/** A decision as Graph's PATCH of an approvalStage sends it, plus who is deciding. */
export interface StageDecision {
  stageId: string;
  approver: { id: string; displayName: string | null };
  reviewResult: unknown;
  justification: unknown;
}

export interface DecisionOutcome {
  approval: Approval;
  outcome: 'nextStage' | 'approved' | 'denied';
  /** With `nextStage`: the stage the caller resolves approvers for and starts. */
  nextStageIndex?: number;
}

/** Graph's approvalStage as a caller reads it (a type, not an interface, so it passes as a plain JSON record). */
export type ApprovalStageView = {
  id: string;
  displayName: null;
  reviewResult: ReviewResult;
  status: ApprovalStageRecord['status'];
  assignedToMe: boolean;
  justification: string;
  reviewedBy: { id: string; displayName: string | null } | null;
  reviewedDateTime: string | null;
};

/**
 * The approval a request needs, with the policy's stages as they are now: a policy changed while the request waits
 * does not change how it is approved (issue 21), as in Entra, where a request keeps the policy version it was made under.
 * Each approver list is kept as approval resolves it (approverEntries) and without descriptions, which nothing
 * reads: the copy stays small whatever the policy holds, and the request within its row (requestSize.ts).
 */
export function approvalUnder(stages: readonly ApprovalStage[]): Approval {
  const kept = (subjects: readonly SubjectSet[]) => approverEntries(subjects).map((s): SubjectSet => ('description' in s ? { ...s, description: null } : s));
  return { stages: [], settings: stages.map((stage) => ({ ...stage, ...Object.fromEntries(APPROVER_LISTS.map((list) => [list, kept(stage[list])])) })) };
}

export function newApproval(stages: readonly ApprovalStage[], newId: () => string): Approval {
  return {
    stages: stages.map((stage, index) => ({
      id: newId(),
      index,
      status: 'NotStarted',
      approverIds: [],
      escalated: false,
      isApproverJustificationRequired: stage.isApproverJustificationRequired,
      reviewResult: 'NotReviewed',
      justification: null,
      reviewedBy: null,
      reviewedDateTime: null,
      startedDateTime: null,
    })),
  };
}

export function currentStage(approval: Approval): ApprovalStageRecord | undefined {
  return approval.stages.find((stage) => stage.status === 'InProgress');
}

/** Makes a stage current with the approvers resolved for it now. Only a stage not started yet can start. */
export function startStage(approval: Approval, index: number, approverIds: string[], now: DateTime): Approval {
  const stage = stageAt(approval, index);
  if (stage.status !== 'NotStarted') throw new DomainError('conflict', `Approval stage ${index + 1} has already started (${stage.status}).`);
  return withStage(approval, { ...stage, status: 'InProgress', approverIds: [...approverIds], startedDateTime: iso(now) });
}

/**
 * Lets a stage's escalation approvers decide beside its first ones. Those already approvers are not added again,
 * and a stage holds at most MAX_APPROVER_IDS_PER_STAGE approvers (requestSize.ts), so later ones are left out.
 */
export function addEscalationApprovers(approval: Approval, index: number, escalationApproverIds: readonly string[]): { approval: Approval; added: string[] } {
  const stage = stageAt(approval, index);
  const room = Math.max(0, MAX_APPROVER_IDS_PER_STAGE - stage.approverIds.length);
  const added = [...new Set(escalationApproverIds)].filter((id) => !stage.approverIds.includes(id)).slice(0, room);
  return { approval: withStage(approval, { ...stage, approverIds: [...stage.approverIds, ...added], escalated: true }), added };
}

/** Closes a stage nobody decided in time. One already decided stays as it is: the decision won the race. */
export function expireStage(approval: Approval, index: number, now: DateTime): Approval {
  const stage = stageAt(approval, index);
  if (stage.status !== 'InProgress') throw new DomainError('conflict', `Approval stage ${index + 1} is ${stage.status}, not in progress, so it cannot expire.`);
  // reviewedDateTime records when the stage closed; reviewedBy stays null because nobody reviewed it.
  return withStage(approval, { ...stage, status: 'Expired', reviewedDateTime: iso(now) });
}

/**
 * One approver's decision on one stage. The checks run from "does it exist" through "may you" to "is it still
 * open" and "is the body right", so a caller who is not an approver learns nothing about how the stage went.
 */
export function decideStage(request: AssignmentRequest, decision: StageDecision, now: DateTime): DecisionOutcome {
  const approval = request.approval;
  const stage = approval?.stages.find((s) => s.id === decision.stageId);
  if (!approval || !stage) throw new DomainError('notFound', `Approval stage '${decision.stageId}' was not found in the approval of request '${request.id}'.`);
  if (stage.status === 'NotStarted') {
    const current = currentStage(approval);
    const which = current ? `stage ${current.index + 1} is in progress` : 'no stage is in progress';
    throw new DomainError('conflict', `Approval stage ${stage.index + 1} has not started yet; ${which}.`);
  }
  const approverId = decision.approver.id;
  if (!stage.approverIds.includes(approverId)) throw new DomainError('forbidden', `You are not an approver of approval stage ${stage.index + 1}.`);
  if (isOwnRequest(request, approverId)) throw new DomainError('forbidden', 'The requestor or the target of a request cannot approve it.');
  if (stage.status === 'Completed') {
    const by = stage.reviewedBy?.id === approverId ? 'you' : 'another approver';
    throw new DomainError('conflict', `Approval stage ${stage.index + 1} was already decided (${stage.reviewResult}) by ${by}.`);
  }
  if (stage.status === 'Expired') throw new DomainError('conflict', `Approval stage ${stage.index + 1} expired before anyone decided it.`);
  if (request.state !== 'pendingApproval') {
    throw new DomainError('conflict', `Assignment request '${request.id}' is no longer pending approval (it is ${request.state}).`);
  }
  const reviewResult = parseReviewResult(decision.reviewResult);
  const justification = parseJustification(decision.justification, stage.isApproverJustificationRequired);
  const decided = withStage(approval, {
    ...stage,
    status: 'Completed',
    reviewResult,
    justification,
    reviewedBy: { id: decision.approver.id, displayName: decision.approver.displayName?.slice(0, MAX_DISPLAY_NAME_LENGTH) ?? null },
    reviewedDateTime: iso(now),
  });
  if (reviewResult === 'Denied') return { approval: decided, outcome: 'denied' };
  const nextStageIndex = stage.index + 1;
  if (decided.stages.some((s) => s.index === nextStageIndex)) return { approval: decided, outcome: 'nextStage', nextStageIndex };
  return { approval: decided, outcome: 'approved' };
}

/** Whether the request waits for this user's decision now. */
export function isPendingFor(request: AssignmentRequest, userId: string): boolean {
  if (request.state !== 'pendingApproval' || !request.approval || isOwnRequest(request, userId)) return false;
  return currentStage(request.approval)?.approverIds.includes(userId) ?? false;
}

export function stageView(stage: ApprovalStageRecord, callerId: string): ApprovalStageView {
  return {
    id: stage.id,
    displayName: null,
    reviewResult: stage.reviewResult,
    status: stage.status,
    assignedToMe: stage.approverIds.includes(callerId),
    justification: stage.justification ?? '',
    reviewedBy: stage.reviewedBy && { ...stage.reviewedBy },
    reviewedDateTime: stage.reviewedDateTime,
  };
}

/** Graph's approval: its id is the request's; stages not started yet are not shown, as in Entra. */
export function approvalView(requestId: string, approval: Approval, callerId: string): { id: string; stages: ApprovalStageView[] } {
  return { id: requestId, stages: approval.stages.filter((s) => s.status !== 'NotStarted').map((s) => ({ ...stageView(s, callerId), ...stageDueTimes(s, approval) })) };
}

/** The instance annotations (OData JSON format §20) that say when an open stage is due; see stageDueTimes. */
export const DUE_ANNOTATIONS = { expiration: '@portcullis.expirationDateTime', escalation: '@portcullis.escalationDateTime' } as const;

/**
 * When a stage in progress is due, which Graph's approvalStage has no property for (My Access shows it as
 * "expires"): its automatic denial, and its escalation while escalation is on and has not happened yet. Sent as
 * instance annotations, which Graph clients pass over. Computed from the stage's start and the stages the request
 * was submitted under, as the expiration sweep's due times are (planStage); a request stored before those were kept
 * with it has none.
 */
export function stageDueTimes(stage: ApprovalStageRecord, approval: Approval): Record<string, string> {
  const settings = approval.settings?.[stage.index];
  if (stage.status !== 'InProgress' || !settings || !stage.startedDateTime) return {};
  const started = Date.parse(stage.startedDateTime);
  const at = (duration: string) => new Date(started + durationMillis(duration)).toISOString();
  return {
    [DUE_ANNOTATIONS.expiration]: at(settings.durationBeforeAutomaticDenial),
    ...(settings.isEscalationEnabled && !stage.escalated ? { [DUE_ANNOTATIONS.escalation]: at(settings.durationBeforeEscalation) } : {}),
  };
}

/** Nobody decides on their own access, even when a policy lists them (resolution already leaves them out). */
function isOwnRequest(request: AssignmentRequest, userId: string): boolean {
  return userId === request.requestorId || userId === request.targetId;
}

/** Graph documents `Approve` and `Deny`; the stored values `Approved` and `Denied` are taken too, in any case. */
const REVIEW_RESULTS: ReadonlyMap<string, Exclude<ReviewResult, 'NotReviewed'>> = new Map([
  ['approve', 'Approved'],
  ['approved', 'Approved'],
  ['deny', 'Denied'],
  ['denied', 'Denied'],
]);

function parseReviewResult(value: unknown): Exclude<ReviewResult, 'NotReviewed'> {
  const result = typeof value === 'string' ? REVIEW_RESULTS.get(value.toLowerCase()) : undefined;
  if (!result) {
    const got = value === undefined ? 'nothing' : describeJson(value);
    throw new DomainError('invalidRequest', `reviewResult must be Approve or Deny (got ${got}).`);
  }
  return result;
}

function parseJustification(value: unknown, required: boolean): string | null {
  if (value !== undefined && value !== null && typeof value !== 'string') {
    throw new DomainError('invalidRequest', `justification must be a string (got ${describeJson(value)}).`);
  }
  const justification = value ?? null;
  if (justification !== null && justification.length > MAX_REQUEST_TEXT_LENGTH) {
    throw new DomainError('invalidRequest', `justification must be at most ${MAX_REQUEST_TEXT_LENGTH} characters (got ${justification.length}).`);
  }
  if (justification !== null && storedLength(justification) > MAX_STORED_TEXT_LENGTH) {
    throw new DomainError('invalidRequest', `justification takes ${storedLength(justification)} characters as stored, more than ${MAX_STORED_TEXT_LENGTH}: it has too many quotes, line breaks or control characters.`);
  }
  if (required && (justification === null || justification.trim() === '')) {
    throw new DomainError('invalidRequest', 'justification is required: this approval stage asks approvers to justify their decision.');
  }
  return justification;
}

function stageAt(approval: Approval, index: number): ApprovalStageRecord {
  const stage = approval.stages.find((s) => s.index === index);
  if (!stage) throw new Error(`The approval has no stage ${index}; it has ${approval.stages.length}.`);
  return stage;
}

function withStage(approval: Approval, changed: ApprovalStageRecord): Approval {
  return { ...approval, stages: approval.stages.map((s) => (s.id === changed.id ? changed : s)) };
}

function iso(now: DateTime): string {
  return now.toUTC().toISO() ?? '';
}
