import { parsePolicyInput, type AssignmentPolicy, type PolicyInput } from '../../shared/domain/policies';

const PACKAGE_ID = 'a2e1ca1e-4e56-47d2-9daa-e2ba8d12a82b';
const USER_ID = '7deff43e-1f17-44ef-9e5f-d516b0ba11d4';
const GROUP_ID = '1623f912-5e86-41c2-af47-39dd67582b66';

function parse(body: unknown): PolicyInput {
  let next = 0;
  return parsePolicyInput(body, { newId: () => `new-id-${++next}` });
}

const noRequests = {
  allowCustomAssignmentSchedule: false,
  enableOnBehalfRequestorsToAddAccess: false,
  enableOnBehalfRequestorsToRemoveAccess: false,
  enableOnBehalfRequestorsToUpdateAccess: false,
  enableTargetsToSelfAddAccess: false,
  enableTargetsToSelfRemoveAccess: false,
  enableTargetsToSelfUpdateAccess: false,
  onBehalfRequestors: [],
};
const noApproval = { isApprovalRequiredForAdd: false, isApprovalRequiredForUpdate: false, isRequestorJustificationRequired: false, stages: [] };

describe('parsePolicyInput: the documented policy patterns', () => {
  it('takes a direct assignment policy (create example 1) and fills every default', () => {
    const body = {
      displayName: 'New Policy',
      description: 'policy for assignment',
      allowedTargetScope: 'notSpecified',
      specificAllowedTargets: [],
      expiration: { endDateTime: null, duration: null, type: 'noExpiration' },
      requestorSettings: { ...noRequests, allowCustomAssignmentSchedule: true },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, isApprovalRequiredForUpdate: false, stages: [] },
      accessPackage: { id: PACKAGE_ID },
    };

    const expected: AssignmentPolicy = {
      displayName: 'New Policy',
      description: 'policy for assignment',
      allowedTargetScope: 'notSpecified',
      specificAllowedTargets: [],
      automaticRequestSettings: null,
      requestorSettings: { ...noRequests, allowCustomAssignmentSchedule: true },
      requestApprovalSettings: noApproval,
      reviewSettings: null,
      expiration: { type: 'noExpiration', duration: null, endDateTime: null },
      questions: [],
    };
    expect(parse(body)).toEqual({ accessPackageId: PACKAGE_ID, policy: expected });
  });

  it('takes a policy for external users with two approval stages and quarterly reviews (create example 2)', () => {
    const body = {
      displayName: 'policy for external access requests',
      description: 'policy for users from connected organizations to request access, with two stages of approval.',
      allowedTargetScope: 'allConfiguredConnectedOrganizationUsers',
      specificAllowedTargets: [],
      expiration: { type: 'noExpiration' },
      requestorSettings: { ...noRequests, enableTargetsToSelfAddAccess: true, enableTargetsToSelfUpdateAccess: true, enableTargetsToSelfRemoveAccess: true },
      requestApprovalSettings: {
        isApprovalRequiredForAdd: true,
        isApprovalRequiredForUpdate: false,
        stages: [
          {
            durationBeforeAutomaticDenial: 'P14D',
            isApproverJustificationRequired: false,
            isEscalationEnabled: false,
            durationBeforeEscalation: 'PT0S',
            primaryApprovers: [{ '@odata.type': '#microsoft.graph.internalSponsors' }],
            fallbackPrimaryApprovers: [
              { '@odata.type': '#microsoft.graph.singleUser', userId: USER_ID },
              { '@odata.type': '#microsoft.graph.groupMembers', groupId: GROUP_ID },
            ],
            escalationApprovers: [],
            fallbackEscalationApprovers: [],
          },
          {
            durationBeforeAutomaticDenial: 'P14D',
            isApproverJustificationRequired: false,
            isEscalationEnabled: false,
            durationBeforeEscalation: 'PT0S',
            primaryApprovers: [],
            fallbackPrimaryApprovers: [
              { '@odata.type': '#microsoft.graph.singleUser', userId: '46184453-e63b-4f20-86c2-c557ed5d5df9' },
              { '@odata.type': '#microsoft.graph.groupMembers', groupId: GROUP_ID },
            ],
            escalationApprovers: [],
            fallbackEscalationApprovers: [],
          },
        ],
      },
      reviewSettings: {
        isEnabled: true,
        expirationBehavior: 'keepAccess',
        isRecommendationEnabled: true,
        isReviewerJustificationRequired: true,
        isSelfReview: false,
        schedule: {
          startDateTime: '2022-07-02T06:59:59.998Z',
          expiration: { duration: 'P14D', type: 'afterDuration' },
          recurrence: {
            pattern: { type: 'absoluteMonthly', interval: 3, month: 0, dayOfMonth: 0, daysOfWeek: [] },
            range: { type: 'noEnd', numberOfOccurrences: 0 },
          },
        },
        primaryReviewers: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: GROUP_ID }],
        fallbackReviewers: [],
      },
      accessPackage: { id: PACKAGE_ID },
    };

    const { policy } = parse(body);

    expect(policy.allowedTargetScope).toBe('allConfiguredConnectedOrganizationUsers');
    expect(policy.requestApprovalSettings.stages).toHaveLength(2);
    expect(policy.requestApprovalSettings.stages[0]).toEqual({
      durationBeforeAutomaticDenial: 'P14D',
      durationBeforeEscalation: 'PT0S',
      isApproverJustificationRequired: false,
      isEscalationEnabled: false,
      approverInformationVisibility: 'default',
      primaryApprovers: [{ '@odata.type': '#microsoft.graph.internalSponsors' }],
      fallbackPrimaryApprovers: [
        { '@odata.type': '#microsoft.graph.singleUser', userId: USER_ID, description: null },
        { '@odata.type': '#microsoft.graph.groupMembers', groupId: GROUP_ID, description: null },
      ],
      escalationApprovers: [],
      fallbackEscalationApprovers: [],
    });
    expect(policy.requestApprovalSettings.stages[1]?.primaryApprovers).toEqual([]);
    expect(policy.reviewSettings).toEqual({
      isEnabled: true,
      expirationBehavior: 'keepAccess',
      isRecommendationEnabled: true,
      isReviewerJustificationRequired: true,
      isSelfReview: false,
      primaryReviewers: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: GROUP_ID, description: null }],
      fallbackReviewers: [],
      schedule: {
        startDateTime: '2022-07-02T06:59:59.998Z',
        expiration: { type: 'afterDuration', duration: 'P14D', endDateTime: null },
        recurrence: {
          pattern: { type: 'absoluteMonthly', interval: 3, month: 0, dayOfMonth: 0, daysOfWeek: [], firstDayOfWeek: null, index: null },
          range: { type: 'noEnd', startDate: null, endDate: null, numberOfOccurrences: 0, recurrenceTimeZone: null },
        },
      },
    });
  });

  it('takes an auto-assignment policy with a membership rule (create example 3), removing access when users leave the rule', () => {
    const body = {
      displayName: 'Sales department users',
      description: 'All users from sales department',
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [
        {
          '@odata.type': '#microsoft.graph.attributeRuleMembers',
          description: 'Membership rule for all users from sales department',
          membershipRule: '(user.department -eq "Sales")',
        },
      ],
      automaticRequestSettings: { requestAccessForAllowedTargets: true },
      accessPackage: { id: '8a36831e-1527-4b2b-aff2-81259a8d8e76' },
    };

    expect(parse(body)).toEqual({
      accessPackageId: '8a36831e-1527-4b2b-aff2-81259a8d8e76',
      policy: {
        displayName: 'Sales department users',
        description: 'All users from sales department',
        allowedTargetScope: 'specificDirectoryUsers',
        specificAllowedTargets: [
          {
            '@odata.type': '#microsoft.graph.attributeRuleMembers',
            membershipRule: '(user.department -eq "Sales")',
            description: 'Membership rule for all users from sales department',
          },
        ],
        automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true, gracePeriodBeforeAccessRemoval: null },
        requestorSettings: noRequests,
        requestApprovalSettings: noApproval,
        reviewSettings: null,
        expiration: { type: 'noExpiration', duration: null, endDateTime: null },
        questions: [],
      },
    });
  });

  it("takes approval by the requestor's manager (the update example's PUT body, with its read-only id)", () => {
    const body = {
      id: '87e1c7f7-c7f7-87e1-f7c7-e187f7c7e187',
      displayName: 'All Users',
      description: 'All users can request for access to the directory.',
      allowedTargetScope: 'allDirectoryUsers',
      automaticRequestSettings: null,
      specificAllowedTargets: [],
      expiration: { type: 'noExpiration' },
      requestorSettings: { ...noRequests, enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true },
      requestApprovalSettings: {
        isApprovalRequiredForAdd: true,
        isApprovalRequiredForUpdate: false,
        stages: [
          {
            durationBeforeAutomaticDenial: 'P2D',
            isApproverJustificationRequired: false,
            isEscalationEnabled: false,
            durationBeforeEscalation: 'PT0S',
            primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }],
            fallbackPrimaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: 'e6bf4d7d-6824-4dd0-809d-5bf42d4817c2', description: 'user' }],
            escalationApprovers: [],
            fallbackEscalationApprovers: [],
          },
        ],
      },
      accessPackage: { id: '49d2c59b-0a81-463d-a8ec-ddad3935d8a0' },
    };

    const { accessPackageId, policy } = parse(body);

    expect(accessPackageId).toBe('49d2c59b-0a81-463d-a8ec-ddad3935d8a0');
    expect(policy).not.toHaveProperty('id');
    expect(policy.automaticRequestSettings).toBeNull();
    expect(policy.requestApprovalSettings.stages[0]).toMatchObject({
      durationBeforeAutomaticDenial: 'P2D',
      primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }],
      fallbackPrimaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: 'e6bf4d7d-6824-4dd0-809d-5bf42d4817c2', description: 'user' }],
    });
  });

  it('takes the tutorial policy in its v1.0 form (step 1.7): specific users may request for themselves for 30 days', () => {
    const body = {
      displayName: 'Specific users',
      description: 'Specific users can request assignment',
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: '007d1c7e-7fa8-4e33-b678-5e437acdcddc', description: 'Requestor1' }],
      expiration: { type: 'afterDuration', duration: 'P30D' },
      requestorSettings: { enableTargetsToSelfAddAccess: true },
      requestApprovalSettings: { isApprovalRequiredForAdd: false, isApprovalRequiredForUpdate: false, isRequestorJustificationRequired: false, stages: [] },
      reviewSettings: null,
      accessPackage: { id: '88203d16-0e31-41d4-87b2-dd402f1435e9' },
    };

    expect(parse(body)).toEqual({
      accessPackageId: '88203d16-0e31-41d4-87b2-dd402f1435e9',
      policy: {
        displayName: 'Specific users',
        description: 'Specific users can request assignment',
        allowedTargetScope: 'specificDirectoryUsers',
        specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: '007d1c7e-7fa8-4e33-b678-5e437acdcddc', description: 'Requestor1' }],
        automaticRequestSettings: null,
        requestorSettings: { ...noRequests, enableTargetsToSelfAddAccess: true },
        requestApprovalSettings: noApproval,
        reviewSettings: null,
        expiration: { type: 'afterDuration', duration: 'P30D', endDateTime: null },
        questions: [],
      },
    });
  });

  it('takes the questions example (create example 4), whose booleans and sequences are strings, and gives the questions ids', () => {
    const body = {
      displayName: 'A Policy With Questions',
      description: '',
      allowedTargetScope: 'allMemberUsers',
      expiration: { type: 'noExpiration' },
      requestorSettings: { enableTargetsToSelfAddAccess: 'true', enableTargetsToSelfUpdateAccess: 'true', enableTargetsToSelfRemoveAccess: 'true' },
      requestApprovalSettings: {
        isApprovalRequiredForAdd: 'true',
        isApprovalRequiredForUpdate: 'true',
        stages: [
          {
            durationBeforeAutomaticDenial: 'P7D',
            isApproverJustificationRequired: 'false',
            isEscalationEnabled: 'false',
            fallbackPrimaryApprovers: [],
            escalationApprovers: [],
            fallbackEscalationApprovers: [],
            primaryApprovers: [{ '@odata.type': '#microsoft.graph.singleUser', userId: '08a551cb-575a-4343-b914-f6e42798bd20' }],
          },
        ],
      },
      questions: [
        {
          '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion',
          sequence: '1',
          isRequired: 'true',
          isAnswerEditable: 'true',
          text: 'What country are you working from?',
          isMultipleSelectionAllowed: 'false',
          choices: [
            { '@odata.type': 'microsoft.graph.accessPackageAnswerChoice', actualValue: 'KE', text: 'Kenya' },
            { '@odata.type': 'microsoft.graph.accessPackageAnswerChoice', actualValue: 'US', text: 'United States' },
          ],
        },
        {
          '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion',
          sequence: '2',
          isRequired: 'true',
          isAnswerEditable: 'true',
          text: 'What do you do for work?',
          localizations: [{ languageCode: 'fr-CA', text: 'Que fais-tu comme travail?' }],
          isSingleLineQuestion: 'false',
          regexPattern: '[a-zA-Z]+[a-zA-Z\\s]*',
        },
      ],
      accessPackage: { id: '977c7ff4-ef8f-4910-9d31-49048ddf3120' },
    };

    const { policy } = parse(body);

    expect(policy.description).toBe('');
    expect(policy.requestorSettings).toMatchObject({ enableTargetsToSelfAddAccess: true, enableTargetsToSelfUpdateAccess: true });
    expect(policy.requestApprovalSettings).toMatchObject({ isApprovalRequiredForAdd: true, isApprovalRequiredForUpdate: true });
    expect(policy.requestApprovalSettings.stages[0]).toMatchObject({ durationBeforeAutomaticDenial: 'P7D', durationBeforeEscalation: 'PT0S', isEscalationEnabled: false });
    expect(policy.questions).toEqual([
      {
        '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion',
        id: 'new-id-1',
        sequence: 1,
        isRequired: true,
        isAnswerEditable: true,
        text: 'What country are you working from?',
        localizations: [],
        isMultipleSelectionAllowed: false,
        choices: [
          { actualValue: 'KE', text: 'Kenya', localizations: [] },
          { actualValue: 'US', text: 'United States', localizations: [] },
        ],
      },
      {
        '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion',
        id: 'new-id-2',
        sequence: 2,
        isRequired: true,
        isAnswerEditable: true,
        text: 'What do you do for work?',
        localizations: [{ languageCode: 'fr-CA', text: 'Que fais-tu comme travail?' }],
        isSingleLineQuestion: false,
        regexPattern: '[a-zA-Z]+[a-zA-Z\\s]*',
      },
    ]);
  });
});

describe('parsePolicyInput: normalising what Graph also accepts', () => {
  const minimal = { displayName: 'Policy', accessPackage: { id: PACKAGE_ID } };

  it('gives enum values in v1.0 camelCase whatever their letter case', () => {
    const { policy } = parse({
      ...minimal,
      allowedTargetScope: 'SpecificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: USER_ID }],
      expiration: { type: 'AFTERDURATION', duration: 'P1D' },
      reviewSettings: { isEnabled: false, expirationBehavior: 'RemoveAccess' },
    });

    expect(policy.allowedTargetScope).toBe('specificDirectoryUsers');
    expect(policy.expiration.type).toBe('afterDuration');
    expect(policy.reviewSettings?.expirationBehavior).toBe('removeAccess');
  });

  it('reads an @odata.type without its #microsoft.graph. prefix and in any case, and gives it in full', () => {
    const { policy } = parse({
      ...minimal,
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [
        { '@odata.type': 'groupMembers', groupId: GROUP_ID },
        { '@odata.type': 'microsoft.graph.SINGLEUSER', userId: USER_ID },
      ],
      questions: [{ '@odata.type': 'accessPackageTextInputQuestion', text: 'Why?' }],
    });

    expect(policy.specificAllowedTargets.map((target) => target['@odata.type'])).toEqual([
      '#microsoft.graph.groupMembers',
      '#microsoft.graph.singleUser',
    ]);
    expect(policy.questions[0]?.['@odata.type']).toBe('#microsoft.graph.accessPackageTextInputQuestion');
  });

  it('passes over the read-only properties and annotations a GET returned', () => {
    const { policy } = parse({
      ...minimal,
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#identityGovernance/entitlementManagement/assignmentPolicies/$entity',
      '@odata.type': '#microsoft.graph.accessPackageAssignmentPolicy',
      id: '87e1c7f7-c7f7-87e1-f7c7-e187f7c7e187',
      createdDateTime: '2022-09-30T20:32:07.1949218Z',
      modifiedDateTime: '2022-09-30T20:32:07.4173893Z',
      catalog: { id: 'cec5d6ab-c75d-47c0-9c1c-92e89f66e384' },
      accessPackage: { id: PACKAGE_ID, displayName: 'Expanded package' },
      expiration: { '@odata.type': 'microsoft.graph.expirationPattern', type: 'noExpiration' },
    });

    expect(Object.keys(policy)).toEqual([
      'displayName',
      'description',
      'allowedTargetScope',
      'specificAllowedTargets',
      'automaticRequestSettings',
      'requestorSettings',
      'requestApprovalSettings',
      'reviewSettings',
      'expiration',
      'questions',
    ]);
  });

  it('infers the expiration type from the field given and stores an end date in UTC', () => {
    expect(parse({ ...minimal, expiration: { duration: 'PT30S' } }).policy.expiration).toEqual({ type: 'afterDuration', duration: 'PT30S', endDateTime: null });
    expect(parse({ ...minimal, expiration: { endDateTime: '2030-01-31T09:00:00+02:00' } }).policy.expiration).toEqual({
      type: 'afterDateTime',
      duration: null,
      endDateTime: '2030-01-31T07:00:00Z',
    });
    expect(parse({ ...minimal, expiration: null }).policy.expiration).toEqual({ type: 'noExpiration', duration: null, endDateTime: null });
  });

  it('stores directory ids in lower case', () => {
    const { policy } = parse({
      ...minimal,
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: USER_ID.toUpperCase() }],
    });

    expect(policy.specificAllowedTargets[0]).toMatchObject({ userId: USER_ID });
  });

  it('keeps the ids of questions a PUT sends back, gives new ones to the others, and orders by position when no sequence is given', () => {
    const { policy } = parse({
      ...minimal,
      questions: [
        { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', id: 'kept-question-id', text: 'First?' },
        { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', text: 'Second?' },
      ],
    });

    expect(policy.questions.map(({ id, sequence }) => ({ id, sequence }))).toEqual([
      { id: 'kept-question-id', sequence: 1 },
      { id: 'new-id-1', sequence: 2 },
    ]);
  });

  it('takes a stage that escalates before it is denied, and on-behalf requests by the target manager', () => {
    const { policy } = parse({
      ...minimal,
      allowedTargetScope: 'allMemberUsers',
      requestorSettings: {
        enableOnBehalfRequestorsToAddAccess: true,
        onBehalfRequestors: [{ '@odata.type': '#microsoft.graph.targetManager', managerLevel: '2' }],
      },
      requestApprovalSettings: {
        isApprovalRequiredForAdd: true,
        stages: [
          {
            durationBeforeAutomaticDenial: 'P14D',
            durationBeforeEscalation: 'PT12H',
            isEscalationEnabled: true,
            approverInformationVisibility: 'NotVisible',
            primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager' }],
            escalationApprovers: [{ '@odata.type': '#microsoft.graph.groupMembers', groupId: GROUP_ID }],
          },
        ],
      },
      automaticRequestSettings: { requestAccessForAllowedTargets: false, gracePeriodBeforeAccessRemoval: 'P7D' },
      notificationSettings: { isAssignmentNotificationDisabled: true },
    });

    expect(policy.requestorSettings.onBehalfRequestors).toEqual([{ '@odata.type': '#microsoft.graph.targetManager', managerLevel: 2 }]);
    expect(policy.requestApprovalSettings.stages[0]).toMatchObject({
      durationBeforeEscalation: 'PT12H',
      isEscalationEnabled: true,
      approverInformationVisibility: 'notVisible',
      primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 }],
    });
    expect(policy.automaticRequestSettings).toEqual({
      requestAccessForAllowedTargets: false,
      removeAccessWhenTargetLeavesAllowedTargets: true,
      gracePeriodBeforeAccessRemoval: 'P7D',
    });
    expect(policy.notificationSettings).toEqual({ isAssignmentNotificationDisabled: true });
  });

  it('takes a zero grace period before removal (PT0S, or P0D written as PT0S): access goes as soon as the target stops matching', () => {
    for (const grace of ['PT0S', 'P0D']) {
      const policy = parse({
        accessPackageId: PACKAGE_ID,
        displayName: 'No grace',
        allowedTargetScope: 'specificDirectoryUsers',
        specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: '(user.department -eq "Sales")' }],
        automaticRequestSettings: { requestAccessForAllowedTargets: true, gracePeriodBeforeAccessRemoval: grace },
      });

      expect(policy.policy.automaticRequestSettings?.gracePeriodBeforeAccessRemoval).toBe('PT0S');
    }
  });

  it('does not change the body it was given', () => {
    const body = {
      accessPackageId: PACKAGE_ID,
      displayName: 'Beta',
      requestorSettings: { scopeType: 'AllExistingDirectoryMemberUsers', acceptRequests: true },
    };
    const copy = structuredClone(body);

    parse(body);

    expect(body).toEqual(copy);
  });
});
