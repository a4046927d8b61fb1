import { DateTime } from 'luxon';
import type { ApprovalStage } from '../../shared/domain/policies';
import { MAX_APPROVER_IDS_PER_STAGE, MAX_REQUEST_TEXT_LENGTH } from '../../shared/domain/requests/requestSize';
import {
  addEscalationApprovers,
  approvalView,
  currentStage,
  decideStage,
  DUE_ANNOTATIONS,
  expireStage,
  isPendingFor,
  newApproval,
  type StageDecision,
  startStage,
  stageDueTimes,
  stageView,
} from '../../shared/domain/requests/approvalStages';
import type { Approval, AssignmentRequest } from '../../shared/domain/requests/assignmentRequest';

const REQUESTOR = 'requestor';
const TARGET = 'target';
const START = DateTime.fromISO('2026-03-01T09:00:00Z', { zone: 'utc' });
const LATER = START.plus({ hours: 2 });

function policyStage(isApproverJustificationRequired = false): ApprovalStage {
  return {
    durationBeforeAutomaticDenial: 'P14D',
    durationBeforeEscalation: 'PT0S',
    isApproverJustificationRequired,
    isEscalationEnabled: false,
    approverInformationVisibility: 'default',
    primaryApprovers: [],
    fallbackPrimaryApprovers: [],
    escalationApprovers: [],
    fallbackEscalationApprovers: [],
  };
}

function sequentialIds(): () => string {
  let next = 0;
  return () => `stage-${(next += 1)}`;
}

/** A request pending approval with its first stage started and decidable by `approverIds`. */
function pendingRequest(stages: ApprovalStage[], approverIds: string[]): AssignmentRequest {
  const approval = startStage(newApproval(stages, sequentialIds()), 0, approverIds, START);
  return {
    id: 'request-1',
    requestType: 'userAdd',
    state: 'pendingApproval',
    status: 'PendingApproval',
    createdDateTime: START.toISO() ?? '',
    completedDateTime: null,
    justification: null,
    answers: [],
    schedule: { startDateTime: null, expiration: null },
    accessPackageId: 'package-1',
    assignmentPolicyId: 'policy-1',
    catalogId: 'catalog-1',
    targetId: TARGET,
    assignmentId: null,
    requestorId: REQUESTOR,
    approval,
  };
}

function decision(stageId: string, approverId: string, reviewResult: unknown, justification?: unknown): StageDecision {
  return { stageId, approver: { id: approverId, displayName: `Name of ${approverId}` }, reviewResult, justification };
}

function stageId(request: AssignmentRequest, index: number): string {
  const stage = request.approval?.stages[index];
  if (!stage) throw new Error(`the test request has no stage ${index}`);
  return stage.id;
}

describe('a new approval', () => {
  it('has one not-started stage per policy stage, in policy order, none reviewed', () => {
    const approval = newApproval([policyStage(), policyStage(true), policyStage()], sequentialIds());

    expect(approval.stages.map((s) => [s.id, s.index, s.status, s.reviewResult, s.isApproverJustificationRequired])).toEqual([
      ['stage-1', 0, 'NotStarted', 'NotReviewed', false],
      ['stage-2', 1, 'NotStarted', 'NotReviewed', true],
      ['stage-3', 2, 'NotStarted', 'NotReviewed', false],
    ]);
    expect(currentStage(approval)).toBeUndefined();
  });

  it('shows no stage before one starts, and the started stage once it has', () => {
    const approval = newApproval([policyStage(), policyStage()], sequentialIds());
    expect(approvalView('request-1', approval, 'alice')).toEqual({ id: 'request-1', stages: [] });

    const started = startStage(approval, 0, ['alice'], START);

    expect(currentStage(started)).toMatchObject({ id: 'stage-1', status: 'InProgress', approverIds: ['alice'], startedDateTime: '2026-03-01T09:00:00.000Z' });
    expect(approvalView('request-1', started, 'alice').stages.map((s) => s.id)).toEqual(['stage-1']);
  });

  it('refuses to start a stage twice with 409', () => {
    const started = startStage(newApproval([policyStage()], sequentialIds()), 0, ['alice'], START);
    expect(() => startStage(started, 0, ['bob'], LATER)).toThrow(expect.objectContaining({ code: 'conflict' }));
  });
});

describe('deciding a stage', () => {
  it('approving the first of two stages moves on to the second, which then approves the request', () => {
    const request = pendingRequest([policyStage(), policyStage()], ['alice']);

    const first = decideStage(request, decision(stageId(request, 0), 'alice', 'Approve', 'Looks right'), LATER);

    expect(first).toMatchObject({ outcome: 'nextStage', nextStageIndex: 1 });
    expect(first.approval.stages[0]).toMatchObject({
      status: 'Completed',
      reviewResult: 'Approved',
      justification: 'Looks right',
      reviewedBy: { id: 'alice', displayName: 'Name of alice' },
      reviewedDateTime: '2026-03-01T11:00:00.000Z',
    });
    expect(first.approval.stages[1]).toMatchObject({ status: 'NotStarted', reviewResult: 'NotReviewed' });

    const secondStarted = { ...request, approval: startStage(first.approval, 1, ['bob'], LATER) };
    const second = decideStage(secondStarted, decision(stageId(request, 1), 'bob', 'approve'), LATER);

    expect(second.outcome).toBe('approved');
    expect(second.nextStageIndex).toBeUndefined();
    expect(second.approval.stages.map((s) => s.reviewResult)).toEqual(['Approved', 'Approved']);
  });

  it('denying the first of three stages denies the request and leaves the later stages not started', () => {
    const request = pendingRequest([policyStage(), policyStage(), policyStage()], ['alice']);

    const denied = decideStage(request, decision(stageId(request, 0), 'alice', 'Deny', null), LATER);

    expect(denied.outcome).toBe('denied');
    expect(denied.approval.stages.map((s) => [s.status, s.reviewResult])).toEqual([
      ['Completed', 'Denied'],
      ['NotStarted', 'NotReviewed'],
      ['NotStarted', 'NotReviewed'],
    ]);
  });

  it.each([
    ['Approve', 'Approved'],
    ['DENY', 'Denied'],
    ['approved', 'Approved'],
    ['Denied', 'Denied'],
  ])('takes reviewResult %s as %s', (given, stored) => {
    const request = pendingRequest([policyStage()], ['alice']);
    expect(decideStage(request, decision(stageId(request, 0), 'alice', given), LATER).approval.stages[0]?.reviewResult).toBe(stored);
  });

  it.each([
    ['an unknown word', 'Maybe'],
    ['NotReviewed', 'NotReviewed'],
    ['nothing', undefined],
    ['a number', 1],
  ])('refuses reviewResult %s with 400', (_what, given) => {
    const request = pendingRequest([policyStage()], ['alice']);
    expect(() => decideStage(request, decision(stageId(request, 0), 'alice', given), LATER)).toThrow(
      expect.objectContaining({ code: 'invalidRequest', message: expect.stringContaining('reviewResult must be Approve or Deny') }),
    );
  });

  it('from someone who is not an approver of the stage is refused with 403', () => {
    const request = pendingRequest([policyStage()], ['alice']);
    expect(() => decideStage(request, decision(stageId(request, 0), 'mallory', 'Approve'), LATER)).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });

  it.each([
    ['the requestor', REQUESTOR],
    ['the target', TARGET],
  ])('by %s, even when listed as an approver, is refused with 403', (_who, approverId) => {
    const request = pendingRequest([policyStage()], [approverId, 'alice']);
    expect(() => decideStage(request, decision(stageId(request, 0), approverId, 'Approve'), LATER)).toThrow(
      expect.objectContaining({ code: 'forbidden', message: expect.stringContaining('cannot approve') }),
    );
  });

  it('a second decision on a stage another approver decided is refused with 409', () => {
    const request = pendingRequest([policyStage(), policyStage()], ['alice', 'bob']);
    const first = decideStage(request, decision(stageId(request, 0), 'alice', 'Approve'), LATER);
    const afterFirst = { ...request, approval: first.approval };

    expect(() => decideStage(afterFirst, decision(stageId(request, 0), 'bob', 'Deny'), LATER)).toThrow(
      expect.objectContaining({ code: 'conflict', message: expect.stringContaining('already decided (Approved)') }),
    );
  });

  it('from a non-approver on a decided stage is refused with 403, telling nothing of the decision', () => {
    const request = pendingRequest([policyStage(), policyStage()], ['alice']);
    const afterFirst = { ...request, approval: decideStage(request, decision(stageId(request, 0), 'alice', 'Approve'), LATER).approval };
    expect(() => decideStage(afterFirst, decision(stageId(request, 0), 'mallory', 'Deny'), LATER)).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });

  it('on a later stage that has not started is refused with 409 naming the stage in progress', () => {
    const request = pendingRequest([policyStage(), policyStage()], ['alice']);
    expect(() => decideStage(request, decision(stageId(request, 1), 'alice', 'Approve'), LATER)).toThrow(
      expect.objectContaining({ code: 'conflict', message: 'Approval stage 2 has not started yet; stage 1 is in progress.' }),
    );
  });

  it('on a stage that expired is refused with 409', () => {
    const request = pendingRequest([policyStage()], ['alice']);
    const expired = { ...request, approval: expireStage(request.approval as Approval, 0, LATER) };
    expect(() => decideStage(expired, decision(stageId(request, 0), 'alice', 'Approve'), LATER)).toThrow(
      expect.objectContaining({ code: 'conflict', message: expect.stringContaining('expired') }),
    );
  });

  it.each([
    ['canceled', 'canceled'],
    ['denied', 'denied'],
  ])('on a request that was %s is refused with 409', (_what, state) => {
    const request = { ...pendingRequest([policyStage()], ['alice']), state: state as AssignmentRequest['state'] };
    expect(() => decideStage(request, decision(stageId(request, 0), 'alice', 'Approve'), LATER)).toThrow(
      expect.objectContaining({ code: 'conflict', message: expect.stringContaining('no longer pending approval') }),
    );
  });

  it('with an unknown stage id is refused with 404', () => {
    const request = pendingRequest([policyStage()], ['alice']);
    expect(() => decideStage(request, decision('no-such-stage', 'alice', 'Approve'), LATER)).toThrow(expect.objectContaining({ code: 'notFound' }));
  });

  it('on a request that needed no approval is refused with 404', () => {
    const request = { ...pendingRequest([policyStage()], ['alice']), approval: null, state: 'delivered' as const };
    expect(() => decideStage(request, decision('stage-1', 'alice', 'Approve'), LATER)).toThrow(expect.objectContaining({ code: 'notFound' }));
  });

  it.each([
    ['absent', undefined],
    ['null', null],
    ['blank', '   '],
  ])('without a justification (%s) where the stage requires one is refused with 400', (_what, justification) => {
    const request = pendingRequest([policyStage(true)], ['alice']);
    expect(() => decideStage(request, decision(stageId(request, 0), 'alice', 'Approve', justification), LATER)).toThrow(
      expect.objectContaining({ code: 'invalidRequest', message: expect.stringContaining('justification is required') }),
    );
  });

  it('with a justification where the stage requires one is recorded', () => {
    const request = pendingRequest([policyStage(true)], ['alice']);
    const decided = decideStage(request, decision(stageId(request, 0), 'alice', 'Deny', 'No business need'), LATER);
    expect(decided.approval.stages[0]?.justification).toBe('No business need');
  });

  it.each([
    ['is not a string', 42],
    ['is too long', 'x'.repeat(MAX_REQUEST_TEXT_LENGTH + 1)],
  ])('with a justification that %s is refused with 400', (_what, justification) => {
    const request = pendingRequest([policyStage()], ['alice']);
    expect(() => decideStage(request, decision(stageId(request, 0), 'alice', 'Approve', justification), LATER)).toThrow(
      expect.objectContaining({ code: 'invalidRequest' }),
    );
  });

  it('leaves the request it was given unchanged', () => {
    const request = pendingRequest([policyStage()], ['alice']);
    const before = structuredClone(request);
    decideStage(request, decision(stageId(request, 0), 'alice', 'Approve'), LATER);
    expect(request).toEqual(before);
  });
});

describe('an escalating stage', () => {
  it('adds the escalation approvers not already there, marked escalated', () => {
    const request = pendingRequest([policyStage()], ['alice', 'bob']);
    const { approval, added } = addEscalationApprovers(request.approval!, 0, ['bob', 'carol', 'carol']);
    expect(added).toEqual(['carol']);
    expect(approval.stages[0]).toMatchObject({ approverIds: ['alice', 'bob', 'carol'], escalated: true });
  });

  it(`holds at most ${MAX_APPROVER_IDS_PER_STAGE} approvers, so the stored request stays bounded`, () => {
    const first = Array.from({ length: MAX_APPROVER_IDS_PER_STAGE - 10 }, (_, i) => `first-${i}`);
    const request = pendingRequest([policyStage()], first);
    const { approval, added } = addEscalationApprovers(request.approval!, 0, Array.from({ length: 500 }, (_, i) => `escalation-${i}`));
    expect(added).toHaveLength(10);
    expect(approval.stages[0]!.approverIds).toHaveLength(MAX_APPROVER_IDS_PER_STAGE);
  });
});

describe('an expiring stage', () => {
  it('becomes Expired, unreviewed, with the time it closed', () => {
    const request = pendingRequest([policyStage(), policyStage()], ['alice']);
    const expired = expireStage(request.approval as Approval, 0, LATER);
    expect(expired.stages[0]).toMatchObject({ status: 'Expired', reviewResult: 'NotReviewed', reviewedBy: null, reviewedDateTime: '2026-03-01T11:00:00.000Z' });
    expect(expired.stages[1]?.status).toBe('NotStarted');
  });

  it('that an approver decided first is refused with 409', () => {
    const request = pendingRequest([policyStage()], ['alice']);
    const decided = decideStage(request, decision(stageId(request, 0), 'alice', 'Approve'), LATER).approval;
    expect(() => expireStage(decided, 0, LATER)).toThrow(expect.objectContaining({ code: 'conflict' }));
  });
});

describe('who a request is pending for', () => {
  it('is the approvers of the current stage, and nobody once it is decided', () => {
    const request = pendingRequest([policyStage(), policyStage()], ['alice']);
    expect(isPendingFor(request, 'alice')).toBe(true);
    expect(isPendingFor(request, 'bob')).toBe(false);

    const next = decideStage(request, decision(stageId(request, 0), 'alice', 'Approve'), LATER);
    const secondStarted = { ...request, approval: startStage(next.approval, 1, ['bob'], LATER) };
    expect(isPendingFor(secondStarted, 'alice')).toBe(false);
    expect(isPendingFor(secondStarted, 'bob')).toBe(true);
    expect(isPendingFor({ ...secondStarted, state: 'canceled' }, 'bob')).toBe(false);
  });

  it('never includes the requestor, even when listed', () => {
    expect(isPendingFor(pendingRequest([policyStage()], [REQUESTOR]), REQUESTOR)).toBe(false);
  });
});

describe('the Graph view of a stage', () => {
  it('before a decision matches the documented shape, assigned to an approver only', () => {
    const request = pendingRequest([policyStage()], ['alice']);
    const stage = currentStage(request.approval as Approval);
    if (!stage) throw new Error('no stage in progress');

    expect(stageView(stage, 'alice')).toEqual({
      id: 'stage-1',
      displayName: null,
      reviewResult: 'NotReviewed',
      status: 'InProgress',
      assignedToMe: true,
      justification: '',
      reviewedBy: null,
      reviewedDateTime: null,
    });
    expect(stageView(stage, 'bob').assignedToMe).toBe(false);
  });

  it('after a decision names the reviewer and the result', () => {
    const request = pendingRequest([policyStage(), policyStage()], ['alice']);
    const decided = decideStage(request, decision(stageId(request, 0), 'alice', 'Deny', 'Not now'), LATER);

    expect(approvalView(request.id, decided.approval, 'alice')).toEqual({
      id: 'request-1',
      stages: [
        {
          id: 'stage-1',
          displayName: null,
          reviewResult: 'Denied',
          status: 'Completed',
          assignedToMe: true,
          justification: 'Not now',
          reviewedBy: { id: 'alice', displayName: 'Name of alice' },
          reviewedDateTime: '2026-03-01T11:00:00.000Z',
        },
      ],
    });
  });
});

describe('stageDueTimes: when a stage in progress is denied or escalated if nobody decides it', () => {
  const escalating = (): ApprovalStage => ({ ...policyStage(), durationBeforeAutomaticDenial: 'P7D', isEscalationEnabled: true, durationBeforeEscalation: 'PT36H' });
  const withSettings = (stages: ApprovalStage[]): Approval => ({ ...pendingRequest(stages, ['approver']).approval!, settings: stages });

  it('adds the automatic denial and, while escalation is on and pending, the escalation to the stage start', () => {
    const approval = withSettings([escalating()]);
    expect(stageDueTimes(approval.stages[0]!, approval)).toEqual({
      [DUE_ANNOTATIONS.expiration]: '2026-03-08T09:00:00.000Z',
      [DUE_ANNOTATIONS.escalation]: '2026-03-02T21:00:00.000Z',
    });
    const escalated = addEscalationApprovers(approval, 0, ['boss']).approval;
    expect(stageDueTimes(escalated.stages[0]!, { ...escalated, settings: approval.settings })).toEqual({ [DUE_ANNOTATIONS.expiration]: '2026-03-08T09:00:00.000Z' });
  });

  it('gives nothing for a stage no longer in progress, nor for a request stored without its stage settings', () => {
    const approval = withSettings([policyStage()]);
    const expired = expireStage(approval, 0, LATER);
    expect(stageDueTimes(expired.stages[0]!, { ...expired, settings: approval.settings })).toEqual({});
    expect(stageDueTimes(approval.stages[0]!, { stages: approval.stages })).toEqual({});
  });

  it('shows in the approval view, beside the Graph properties', () => {
    const approval = withSettings([policyStage()]);
    expect(approvalView('request-1', approval, 'approver').stages[0]).toMatchObject({ status: 'InProgress', assignedToMe: true, [DUE_ANNOTATIONS.expiration]: '2026-03-15T09:00:00.000Z' });
  });
});
