import type { ApprovalStage, SubjectSet } from '../../shared/domain/policies';
import { MAX_APPROVER_ENTRIES_PER_STAGE } from '../../shared/domain/policies/approvalSettings';
import { MAX_DESCRIPTION_LENGTH } from '../../shared/domain/policies/subjectSets';
import { approvalUnder } from '../../shared/domain/requests/approvalStages';
import type { ApprovalStageRecord, AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';
import {
  MAX_APPROVER_IDS_PER_STAGE,
  MAX_DIRECTORY_ID_LENGTH,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_REQUEST_TEXT_LENGTH,
  MAX_STORED_ANSWERS_LENGTH,
  MAX_STORED_TEXT_LENGTH,
  storedLength,
} from '../../shared/domain/requests/requestSize';
import type { AuditEvent } from '../../shared/store/auditLog';
import { MAX_DOCUMENT_LENGTH } from '../../shared/store/documentTable';

/**
 * The proof that a request fits one row: the largest request the bounds allow, every part at its bound and every
 * free text at its worst as stored, is audited (before and after, in one row) within MAX_DOCUMENT_LENGTH.
 */
const id = (n: number) => `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`.slice(0, MAX_DIRECTORY_ID_LENGTH);
/** Quotes: each stored as two characters, so this text is at both its length and its stored bound. */
const worstText = '"'.repeat(MAX_STORED_TEXT_LENGTH / 2);
/** Every string Portcullis writes itself (dates, durations, states) is shorter than this. */
const field = 'x'.repeat(64);

function worstAnswers(): AssignmentRequest['answers'] {
  const answer = (value: string) => ({ '@odata.type': '#microsoft.graph.accessPackageAnswerString' as const, value, displayValue: value, answeredQuestion: { id: 'q'.repeat(128) } });
  const overhead = storedLength([answer('')]);
  return [answer('x'.repeat(Math.floor((MAX_STORED_ANSWERS_LENGTH - overhead) / 2)))];
}

function worstStage(index: number): ApprovalStageRecord {
  return {
    id: id(index),
    index,
    status: 'Completed',
    approverIds: Array.from({ length: MAX_APPROVER_IDS_PER_STAGE }, (_, i) => id(i)),
    escalated: true,
    isApproverJustificationRequired: true,
    reviewResult: 'Approved',
    justification: worstText,
    // Control characters: stored as six characters each.
    reviewedBy: { id: id(0), displayName: '\u0001'.repeat(MAX_DISPLAY_NAME_LENGTH) },
    reviewedDateTime: field,
    startedDateTime: field,
  };
}

/** A stage of a policy whose four approver lists hold that many people each, each with the description given. */
function policyStage(perList: readonly [number, number, number, number], description: string): ApprovalStage {
  const approvers = (list: 0 | 1 | 2 | 3): SubjectSet[] =>
    Array.from({ length: perList[list] }, (_, i) => ({ '@odata.type': '#microsoft.graph.singleUser', userId: id(list * 10_000 + i), description }));
  return {
    durationBeforeAutomaticDenial: field,
    durationBeforeEscalation: field,
    isApproverJustificationRequired: true,
    isEscalationEnabled: true,
    approverInformationVisibility: 'visible',
    primaryApprovers: approvers(0),
    fallbackPrimaryApprovers: approvers(1),
    escalationApprovers: approvers(2),
    fallbackEscalationApprovers: approvers(3),
  };
}

/**
 * The largest stages a policy may hold: three, each naming its most approvers, each described at the longest and
 * worst as stored (control characters); and, saved before the cap on approvers, lists of a hundred people each.
 */
const WORST_POLICIES: Record<string, ApprovalStage[]> = {
  'at the bounds of policy validation': [0, 1, 2].map(() => policyStage([MAX_APPROVER_ENTRIES_PER_STAGE, 0, 0, 0], '\u0001'.repeat(MAX_DESCRIPTION_LENGTH))),
  'saved before the cap on approvers': [0, 1, 2].map(() => policyStage([100, 100, 100, 100], '')),
};

const worstRequest: AssignmentRequest = {
  id: id(1),
  requestType: 'userUpdate',
  state: 'partiallyDelivered',
  status: field,
  createdDateTime: field,
  completedDateTime: field,
  justification: worstText,
  answers: worstAnswers(),
  schedule: { startDateTime: field, expiration: { type: 'afterDateTime', endDateTime: field, duration: field } },
  accessPackageId: id(2),
  assignmentPolicyId: id(3),
  catalogId: id(4),
  targetId: id(5),
  assignmentId: id(6),
  requestorId: id(7),
  approval: { stages: [0, 1, 2].map(worstStage) },
};

describe('the largest request the bounds allow', () => {
  it('is built at its bounds', () => {
    expect(storedLength(worstRequest.answers)).toBeLessThanOrEqual(MAX_STORED_ANSWERS_LENGTH);
    expect(storedLength(worstRequest.answers)).toBeGreaterThan(MAX_STORED_ANSWERS_LENGTH - 4);
    expect(worstText.length).toBe(MAX_REQUEST_TEXT_LENGTH);
    expect(storedLength(worstText)).toBe(MAX_STORED_TEXT_LENGTH);
  });

  it.each(Object.entries(WORST_POLICIES))('fits one row twice over, as its audit event holds it before and after, under a policy %s', (_, stages) => {
    const request: AssignmentRequest = { ...worstRequest, approval: { ...approvalUnder(stages), stages: worstRequest.approval!.stages } };
    const event: AuditEvent = {
      id: id(8),
      occurredDateTime: field,
      actorId: id(9),
      action: 'denyRequest.unfulfillable',
      entityType: 'assignmentRequest',
      entityId: id(1),
      before: request,
      // A denial's reason is an error message; 10,000 characters is far more than any says.
      after: { ...request, reason: 'x'.repeat(10_000) },
      correlationId: id(10),
      initiator: { kind: 'user', id: id(9), displayName: field },
      result: 'success',
      catalogId: id(11),
    };
    expect(JSON.stringify(event).length).toBeLessThanOrEqual(MAX_DOCUMENT_LENGTH);
  });
});
