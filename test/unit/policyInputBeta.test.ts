import { isDomainError } from '../../shared/domain/errors';
import { parsePolicyInput, type PolicyInput } from '../../shared/domain/policies';

const PACKAGE_ID = '88203d16-0e31-41d4-87b2-dd402f1435e9';
const USER_ID = '007d1c7e-7fa8-4e33-b678-5e437acdcddc';
const GROUP_ID = 'd2dcb9a1-a445-42ee-83a8-476522ed6cbf';

function parse(body: unknown): PolicyInput {
  let next = 0;
  return parsePolicyInput(body, { newId: () => `new-id-${++next}` });
}

function rejection(body: unknown): string {
  try {
    parse(body);
  } catch (error) {
    if (isDomainError(error) && error.code === 'invalidRequest') return error.message;
    throw error;
  }
  throw new Error('expected the body to be refused');
}

describe('parsePolicyInput: beta aliases', () => {
  it("normalises the tutorial's beta policy (step 1.7) to the same policy as its v1.0 equivalent", () => {
    const beta = {
      accessPackageId: PACKAGE_ID,
      displayName: 'Specific users',
      description: 'Specific users can request assignment',
      accessReviewSettings: null,
      durationInDays: 30,
      requestorSettings: {
        scopeType: 'SpecificDirectorySubjects',
        acceptRequests: true,
        allowedRequestors: [{ '@odata.type': '#microsoft.graph.singleUser', isBackup: false, id: USER_ID, description: 'Requestor1' }],
      },
      requestApprovalSettings: {
        isApprovalRequired: false,
        isApprovalRequiredForExtension: false,
        isRequestorJustificationRequired: false,
        approvalMode: 'NoApproval',
        approvalStages: [],
      },
    };
    const v1 = {
      accessPackage: { id: PACKAGE_ID },
      displayName: 'Specific users',
      description: 'Specific users can request assignment',
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: USER_ID, description: 'Requestor1' }],
      expiration: { type: 'afterDuration', duration: 'P30D' },
      requestorSettings: { enableTargetsToSelfAddAccess: true },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    };

    expect(parse(beta)).toEqual(parse(v1));
  });

  it.each([
    ['NoSubjects', 'notSpecified'],
    ['SpecificDirectorySubjects', 'specificDirectoryUsers'],
    ['SpecificConnectedOrganizationSubjects', 'specificConnectedOrganizationUsers'],
    ['AllConfiguredConnectedOrganizationSubjects', 'allConfiguredConnectedOrganizationUsers'],
    ['AllExistingConnectedOrganizationSubjects', 'allConfiguredConnectedOrganizationUsers'],
    ['AllExistingDirectoryMemberUsers', 'allMemberUsers'],
    ['AllExistingDirectorySubjects', 'allDirectoryUsers'],
    ['allexternalsubjects', 'allExternalUsers'],
  ])('maps the beta scopeType %s to allowedTargetScope %s', (scopeType, scope) => {
    const allowedRequestors =
      scope === 'specificDirectoryUsers'
        ? [{ '@odata.type': '#microsoft.graph.groupMembers', id: GROUP_ID }]
        : scope === 'specificConnectedOrganizationUsers'
          ? [{ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', id: GROUP_ID }]
          : [];

    const { policy } = parse({ accessPackageId: PACKAGE_ID, displayName: 'p', requestorSettings: { scopeType, acceptRequests: false, allowedRequestors } });

    expect(policy.allowedTargetScope).toBe(scope);
    expect(policy.specificAllowedTargets).toHaveLength(allowedRequestors.length);
  });

  it('names beta subjects by their v1.0 id field: singleUser id to userId, groupMembers id to groupId', () => {
    const { policy } = parse({
      accessPackageId: PACKAGE_ID,
      displayName: 'p',
      requestorSettings: {
        scopeType: 'SpecificDirectorySubjects',
        allowedRequestors: [
          { '@odata.type': '#microsoft.graph.singleUser', id: USER_ID, isBackup: false },
          { '@odata.type': '#microsoft.graph.groupMembers', id: GROUP_ID, description: 'Authorized requestors' },
        ],
      },
    });

    expect(policy.specificAllowedTargets).toEqual([
      { '@odata.type': '#microsoft.graph.singleUser', userId: USER_ID, description: null },
      { '@odata.type': '#microsoft.graph.groupMembers', groupId: GROUP_ID, description: 'Authorized requestors' },
    ]);
  });

  it('maps beta approval stages: timeout days, escalation minutes, and isBackup approvers as fallbacks', () => {
    const { policy } = parse({
      accessPackageId: PACKAGE_ID,
      displayName: 'p',
      requestorSettings: { scopeType: 'AllExistingConnectedOrganizationSubjects', acceptRequests: true },
      requestApprovalSettings: {
        isApprovalRequired: true,
        isApprovalRequiredForExtension: false,
        isRequestorJustificationRequired: true,
        approvalMode: 'SingleStage',
        approvalStages: [
          {
            approvalStageTimeOutInDays: 14,
            isApproverJustificationRequired: true,
            isEscalationEnabled: true,
            escalationTimeInMinutes: 11520,
            primaryApprovers: [
              { '@odata.type': '#microsoft.graph.internalSponsors', isBackup: false },
              { '@odata.type': '#microsoft.graph.groupMembers', isBackup: true, id: GROUP_ID, description: 'group for users with no sponsor' },
            ],
            escalationApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', isBackup: true, id: USER_ID }],
          },
        ],
      },
    });

    expect(policy.requestApprovalSettings).toEqual({
      isApprovalRequiredForAdd: true,
      isApprovalRequiredForUpdate: false,
      isRequestorJustificationRequired: true,
      stages: [
        {
          durationBeforeAutomaticDenial: 'P14D',
          durationBeforeEscalation: 'PT11520M',
          isApproverJustificationRequired: true,
          isEscalationEnabled: true,
          approverInformationVisibility: 'default',
          primaryApprovers: [{ '@odata.type': '#microsoft.graph.internalSponsors' }],
          fallbackPrimaryApprovers: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: GROUP_ID, description: 'group for users with no sponsor' }],
          escalationApprovers: [],
          fallbackEscalationApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: USER_ID, description: null }],
        },
      ],
    });
  });

  it('maps a beta escalation time of zero minutes to PT0S, as v1.0 writes it', () => {
    const { policy } = parse({
      accessPackageId: PACKAGE_ID,
      displayName: 'p',
      requestorSettings: { scopeType: 'AllExistingDirectoryMemberUsers', acceptRequests: true },
      requestApprovalSettings: {
        isApprovalRequired: true,
        approvalStages: [{ approvalStageTimeOutInDays: '3', escalationTimeInMinutes: 0, primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager' }] }],
      },
    });

    expect(policy.requestApprovalSettings.stages[0]).toMatchObject({ durationBeforeAutomaticDenial: 'P3D', durationBeforeEscalation: 'PT0S' });
  });

  it('maps expirationDateTime to an afterDateTime expiration and canExtend to self-update', () => {
    const { policy } = parse({ accessPackageId: PACKAGE_ID, displayName: 'p', expirationDateTime: '2031-06-30T00:00:00Z', canExtend: true });

    expect(policy.expiration).toEqual({ type: 'afterDateTime', duration: null, endDateTime: '2031-06-30T00:00:00Z' });
    expect(policy.requestorSettings.enableTargetsToSelfUpdateAccess).toBe(true);
  });

  it('maps beta accessReviewSettings to reviewSettings with a schedule', () => {
    const { policy } = parse({
      accessPackageId: PACKAGE_ID,
      displayName: 'p',
      accessReviewSettings: {
        isEnabled: true,
        recurrenceType: 'quarterly',
        reviewerType: 'Reviewers',
        startDateTime: '2020-01-23T07:59:59.998Z',
        durationInDays: 25,
        accessReviewTimeoutBehavior: 'removeAccess',
        isAccessRecommendationEnabled: false,
        isApprovalJustificationRequired: false,
        reviewers: [
          { '@odata.type': '#microsoft.graph.singleUser', id: USER_ID, isBackup: false },
          { '@odata.type': '#microsoft.graph.groupMembers', id: GROUP_ID, isBackup: true },
        ],
      },
    });

    expect(policy.reviewSettings).toEqual({
      isEnabled: true,
      expirationBehavior: 'removeAccess',
      isRecommendationEnabled: false,
      isReviewerJustificationRequired: false,
      isSelfReview: false,
      primaryReviewers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: USER_ID, description: null }],
      fallbackReviewers: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: GROUP_ID, description: null }],
      schedule: {
        startDateTime: '2020-01-23T07:59:59.998Z',
        expiration: { type: 'afterDuration', duration: 'P25D', endDateTime: null },
        recurrence: {
          pattern: { type: 'absoluteMonthly', interval: 3, month: 0, dayOfMonth: 0, daysOfWeek: [], firstDayOfWeek: null, index: null },
          range: { type: 'noEnd', startDate: null, endDate: null, numberOfOccurrences: 0, recurrenceTimeZone: null },
        },
      },
    });
  });

  it('maps a beta self-review', () => {
    const { policy } = parse({
      accessPackageId: PACKAGE_ID,
      displayName: 'p',
      accessReviewSettings: { isEnabled: true, recurrenceType: 'annual', reviewerType: 'Self', startDateTime: '2020-01-23T08:00:00Z', reviewers: [] },
    });

    expect(policy.reviewSettings).toMatchObject({ isSelfReview: true, primaryReviewers: [] });
    expect(policy.reviewSettings?.schedule?.recurrence?.pattern).toMatchObject({ type: 'absoluteYearly', interval: 1 });
  });

  it('maps beta questions: localized content to text and localizations, allowsMultipleSelection to isMultipleSelectionAllowed', () => {
    const { policy } = parse({
      accessPackageId: PACKAGE_ID,
      displayName: 'p',
      questions: [
        {
          '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion',
          isRequired: true,
          sequence: 1,
          allowsMultipleSelection: true,
          text: { defaultText: 'Which region?', localizedTexts: [{ languageCode: 'fr', text: 'Quelle région ?' }] },
          choices: [{ actualValue: 'eu', displayValue: { defaultText: 'Europe', localizedTexts: [{ languageCode: 'fr', text: 'Europe' }] } }],
        },
      ],
    });

    expect(policy.questions[0]).toEqual({
      '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion',
      id: 'new-id-1',
      sequence: 1,
      isRequired: true,
      isAnswerEditable: false,
      text: 'Which region?',
      localizations: [{ languageCode: 'fr', text: 'Quelle région ?' }],
      isMultipleSelectionAllowed: true,
      choices: [{ actualValue: 'eu', text: 'Europe', localizations: [{ languageCode: 'fr', text: 'Europe' }] }],
    });
  });

  it('reports a problem in a beta-shaped body under the beta names the caller used', () => {
    const stage = { approvalStageTimeOutInDays: 14, primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', id: 'not-a-guid' }] };
    const message = rejection({
      accessPackageId: '',
      displayName: 'p',
      durationInDays: 365_000,
      requestorSettings: { scopeType: 'AllExistingDirectoryMemberUsers', acceptRequests: 'maybe' },
      requestApprovalSettings: { isApprovalRequired: true, approvalStages: [stage, stage, stage, stage] },
    });

    expect(message).toContain('accessPackageId: must not be empty');
    expect(message).toContain("durationInDays: 'P365000D' is longer than 100 years");
    expect(message).toContain("requestorSettings.acceptRequests: expected true or false, got 'maybe'");
    expect(message).toContain('requestApprovalSettings.approvalStages: at most 3 approval stages are allowed (got 4)');
  });

  it('reports a bad beta subject id under its beta name', () => {
    const message = rejection({
      accessPackageId: PACKAGE_ID,
      displayName: 'p',
      requestorSettings: { scopeType: 'SpecificDirectorySubjects', allowedRequestors: [{ '@odata.type': '#microsoft.graph.singleUser', id: 'nope' }] },
    });

    expect(message).toBe("Invalid policy: requestorSettings.allowedRequestors[0].id: 'nope' is not a GUID.");
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['accessPackageId together with accessPackage', { accessPackage: { id: PACKAGE_ID } }, 'accessPackageId: give accessPackage or this beta property, not both'],
    ['durationInDays together with expiration', { durationInDays: 30, expiration: { type: 'noExpiration' } }, 'durationInDays: give expiration or this beta property, not both'],
    ['durationInDays together with expirationDateTime', { durationInDays: 30, expirationDateTime: '2031-01-01T00:00:00Z' }, 'durationInDays: give durationInDays or expirationDateTime, not both'],
    ['a durationInDays of zero', { durationInDays: 0 }, 'durationInDays: expected a whole number from 1, got number 0'],
    ['scopeType together with allowedTargetScope', { allowedTargetScope: 'allMemberUsers', requestorSettings: { scopeType: 'AllExistingDirectorySubjects' } }, 'requestorSettings.scopeType: give allowedTargetScope or this beta property, not both'],
    ['an unknown scopeType', { requestorSettings: { scopeType: 'Everyone' } }, "requestorSettings.scopeType: 'Everyone' is not one of NoSubjects"],
    ['parallel approval, which v1.0 cannot express', { requestApprovalSettings: { approvalMode: 'Parallel' } }, "requestApprovalSettings.approvalMode: 'Parallel' is not one of SingleStage, Serial, NoApproval"],
    ['isBackup on an allowed requestor', { requestorSettings: { scopeType: 'SpecificDirectorySubjects', allowedRequestors: [{ '@odata.type': '#microsoft.graph.singleUser', id: USER_ID, isBackup: true }] } }, 'requestorSettings.allowedRequestors[0].isBackup: only approvers and reviewers can be backups'],
    ['a stage timeout that is not a whole number of days', { requestApprovalSettings: { isApprovalRequired: true, approvalStages: [{ approvalStageTimeOutInDays: 1.5 }] } }, 'requestApprovalSettings.approvalStages[0].approvalStageTimeOutInDays: expected a whole number from 1, got number 1.5'],
    ['an unknown review recurrence', { accessReviewSettings: { isEnabled: false, recurrenceType: 'fortnightly' } }, 'accessReviewSettings.recurrenceType: expected one of onetime, weekly, monthly, quarterly, halfyearly, annual'],
    ['an unknown reviewer type', { accessReviewSettings: { isEnabled: false, reviewerType: 'Manager' } }, "accessReviewSettings.reviewerType: expected 'Self' or 'Reviewers'"],
    ['an unknown review property', { accessReviewSettings: { isEnabled: false, reviewFrequency: 'often' } }, "accessReviewSettings: unknown properties 'reviewFrequency'"],
  ])('refuses %s', (_situation, change, expected) => {
    expect(rejection({ accessPackageId: PACKAGE_ID, displayName: 'p', ...change })).toContain(expected);
  });
});
