import { DomainError } from '../../shared/domain/errors';
import { parsePolicyInput } from '../../shared/domain/policies';

const PACKAGE_ID = 'a2e1ca1e-4e56-47d2-9daa-e2ba8d12a82b';
const USER_ID = '7deff43e-1f17-44ef-9e5f-d516b0ba11d4';
const GROUP_ID = '1623f912-5e86-41c2-af47-39dd67582b66';

const user = { '@odata.type': '#microsoft.graph.singleUser', userId: USER_ID };
const group = { '@odata.type': '#microsoft.graph.groupMembers', groupId: GROUP_ID };
const rule = { '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: '(user.department -eq "Sales")' };
const minimal = { displayName: 'Policy', accessPackage: { id: PACKAGE_ID } };
const approvedBy = (stage: Record<string, unknown>) => ({
  ...minimal,
  allowedTargetScope: 'allMemberUsers',
  requestorSettings: { enableTargetsToSelfAddAccess: true },
  requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ primaryApprovers: [user], ...stage }] },
});
const asking = (...questions: unknown[]) => ({ ...minimal, questions });
const textQuestion = { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', text: 'Why?' };
const choiceQuestion = { '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion', text: 'Where?' };
const automatic = (change: Record<string, unknown>) => ({
  ...minimal,
  allowedTargetScope: 'specificDirectoryUsers',
  specificAllowedTargets: [rule],
  automaticRequestSettings: { requestAccessForAllowedTargets: true },
  ...change,
});
const reviewed = (review: Record<string, unknown>) => ({
  ...minimal,
  reviewSettings: { isEnabled: true, primaryReviewers: [group], schedule: { startDateTime: '2030-01-01T00:00:00Z' }, ...review },
});

function rejection(body: unknown): DomainError {
  try {
    parsePolicyInput(body, { newId: () => 'new-id' });
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the body to be refused');
}

describe('parsePolicyInput: refused bodies', () => {
  it.each<[string, unknown, string]>([
    // the body itself
    ['a null body', null, 'Invalid policy: the body must be a JSON object, got null.'],
    ['an array body', [minimal], 'Invalid policy: the body must be a JSON object, got an array.'],
    ['a string body', 'policy', "Invalid policy: the body must be a JSON object, got 'policy'."],
    ['a body over 200 KiB', { ...minimal, description: 'x'.repeat(300_000) }, 'the body is 300'],
    ['another @odata.type for the policy', { ...minimal, '@odata.type': '#microsoft.graph.accessPackage' }, "['@odata.type']: expected '#microsoft.graph.accessPackageAssignmentPolicy', got '#microsoft.graph.accessPackage'"],
    ['an unknown property', { ...minimal, frobnicate: true }, 'frobnicate: unknown property (not in accessPackageAssignmentPolicy)'],
    ['an unknown nested property', { ...minimal, requestorSettings: { enableTargetsToSelfAddAcess: true } }, "requestorSettings: unknown property 'enableTargetsToSelfAddAcess' (not in accessPackageAssignmentRequestorSettings)"],
    ['custom extension stages, which this service does not run', { ...minimal, customExtensionStageSettings: [] }, 'customExtensionStageSettings: custom extensions are not supported by this service'],
    ['a complex value of another @odata.type', { ...minimal, requestorSettings: { '@odata.type': '#microsoft.graph.requestorSettings' } }, "requestorSettings['@odata.type']: expected '#microsoft.graph.accessPackageAssignmentRequestorSettings'"],
    // package, names
    ['no access package', { displayName: 'Policy' }, 'accessPackage: is required'],
    ['an access package without an id', { ...minimal, accessPackage: {} }, 'accessPackage.id: is required'],
    ['an empty access package id', { ...minimal, accessPackage: { id: '' } }, 'accessPackage.id: must not be empty'],
    ['no display name', { accessPackage: { id: PACKAGE_ID } }, 'displayName: is required'],
    ['a blank display name', { ...minimal, displayName: '   ' }, 'displayName: must not be empty'],
    ['a display name of 257 characters', { ...minimal, displayName: 'n'.repeat(257) }, 'displayName: must be at most 256 characters (got 257)'],
    ['a description of 1025 characters', { ...minimal, description: 'd'.repeat(1025) }, 'description: must be at most 1024 characters (got 1025)'],
    ['a number for a string', { ...minimal, displayName: 42 }, 'displayName: expected a string, got number 42'],
    // wrong kinds of values
    ['a number for a boolean', { ...minimal, requestorSettings: { enableTargetsToSelfAddAccess: 1 } }, 'requestorSettings.enableTargetsToSelfAddAccess: expected true or false, got number 1'],
    ['an object for a boolean', { ...minimal, requestorSettings: { allowCustomAssignmentSchedule: {} } }, 'requestorSettings.allowCustomAssignmentSchedule: expected true or false, got an object'],
    ["'yes' for a boolean", { ...minimal, requestorSettings: { enableTargetsToSelfAddAccess: 'yes' } }, "requestorSettings.enableTargetsToSelfAddAccess: expected true or false, got 'yes'"],
    ['a string for an object', { ...minimal, requestApprovalSettings: 'none' }, "requestApprovalSettings: expected an object (accessPackageAssignmentApprovalSettings), got 'none'"],
    ['an object for a list', { ...minimal, specificAllowedTargets: user }, 'specificAllowedTargets: expected an array, got an object'],
    // scope and targets
    ['an unknown scope', { ...minimal, allowedTargetScope: 'everyone' }, "allowedTargetScope: 'everyone' is not one of notSpecified, specificDirectoryUsers"],
    ['the unknownFutureValue sentinel as a scope', { ...minimal, allowedTargetScope: 'unknownFutureValue' }, "allowedTargetScope: 'unknownFutureValue' is not one of"],
    ['a specific scope with no targets', { ...minimal, allowedTargetScope: 'specificDirectoryUsers' }, 'specificAllowedTargets: at least one target is required when allowedTargetScope is specificDirectoryUsers'],
    ['targets on an all* scope', { ...minimal, allowedTargetScope: 'allMemberUsers', specificAllowedTargets: [user] }, 'specificAllowedTargets: must be empty when allowedTargetScope is allMemberUsers'],
    ['targets with no scope', { ...minimal, specificAllowedTargets: [group] }, 'specificAllowedTargets: must be empty when allowedTargetScope is notSpecified'],
    ['a target that does not fit the scope', { ...minimal, allowedTargetScope: 'specificConnectedOrganizationUsers', specificAllowedTargets: [group] }, "specificAllowedTargets[0]['@odata.type']: a groupMembers target does not fit allowedTargetScope specificConnectedOrganizationUsers; use connectedOrganizationMembers"],
    // subject sets
    ['a subject set without its id', { ...minimal, allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser' }] }, 'specificAllowedTargets[0].userId: is required'],
    ['a group id that is not a GUID', { ...minimal, allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ ...group, groupId: 'marketing' }] }, "specificAllowedTargets[0].groupId: 'marketing' is not a GUID"],
    ['an unknown subject set type', { ...minimal, allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.everyone' }] }, "specificAllowedTargets[0]['@odata.type']: '#microsoft.graph.everyone' is not a subject set type; use one of singleUser, groupMembers"],
    ['a subject set with no @odata.type', { ...minimal, allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ userId: USER_ID }] }, "specificAllowedTargets[0]['@odata.type']: is required, for example #microsoft.graph.singleUser"],
    ['a subject set type that cannot be used in that list', { ...minimal, allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.requestorManager' }] }, "specificAllowedTargets[0]['@odata.type']: '#microsoft.graph.requestorManager' is not allowed here"],
    ['an on-behalf requestor that is an approver kind', { ...minimal, requestorSettings: { onBehalfRequestors: [{ '@odata.type': '#microsoft.graph.internalSponsors' }] } }, "requestorSettings.onBehalfRequestors[0]['@odata.type']: '#microsoft.graph.internalSponsors' is not allowed here; use one of singleUser, groupMembers, targetManager, targetApplicationOwners"],
    ['an unknown property on a subject set', { ...minimal, allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ ...user, displayName: 'Ann' }] }, "specificAllowedTargets[0]: unknown property 'displayName' (not in singleUser)"],
    ['an empty membership rule', { ...minimal, allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ ...rule, membershipRule: '' }] }, 'specificAllowedTargets[0].membershipRule: must not be empty'],
    ['a membership rule over 3072 characters', { ...minimal, allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ ...rule, membershipRule: 'r'.repeat(3073) }] }, 'specificAllowedTargets[0].membershipRule: must be at most 3072 characters (got 3073)'],
    ['a membership rule reading a property Portcullis does not read', { ...minimal, allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: [{ ...rule, membershipRule: '(user.givenName -eq "Ann") -or (user.mobile -ne null) -or (user.department -eq "Sales")' }] }, 'specificAllowedTargets[0].membershipRule: reads givenName, mobilePhone, which Portcullis does not read from the directory yet'],
    ['a manager level of zero', approvedBy({ primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 0 }] }), 'requestApprovalSettings.stages[0].primaryApprovers[0].managerLevel: expected a whole number from 1 to 10, got 0'],
    ['a manager level given in words', approvedBy({ primaryApprovers: [{ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 'two' }] }), "managerLevel: expected a whole number from 1 to 10, got 'two'"],
    ['501 allowed targets', { ...minimal, allowedTargetScope: 'specificDirectoryUsers', specificAllowedTargets: Array.from({ length: 501 }, () => user) }, 'specificAllowedTargets: at most 500 subject sets are allowed (got 501)'],
    // approval
    ['more than 3 approval stages', { ...approvedBy({}), requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [1, 2, 3, 4].map(() => ({ primaryApprovers: [user] })) } }, 'Invalid policy: requestApprovalSettings.stages: at most 3 approval stages are allowed (got 4).'],
    ['approval required with no stage', { ...minimal, requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [] } }, 'requestApprovalSettings.stages: at least one approval stage is required when isApprovalRequiredForAdd or isApprovalRequiredForUpdate is true'],
    ['approval for updates with no stage', { ...minimal, requestApprovalSettings: { isApprovalRequiredForUpdate: 'true' } }, 'requestApprovalSettings.stages: at least one approval stage is required'],
    ['stages when no approval is required', { ...minimal, requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [{ primaryApprovers: [user] }] } }, 'requestApprovalSettings.stages: must be empty when no approval is required'],
    ['a stage naming more than 25 approvers', approvedBy({ primaryApprovers: Array.from({ length: 20 }, () => user), fallbackPrimaryApprovers: Array.from({ length: 6 }, () => group) }), 'requestApprovalSettings.stages[0].fallbackPrimaryApprovers: a stage names at most 25 approvers across primaryApprovers, fallbackPrimaryApprovers, escalationApprovers and fallbackEscalationApprovers (got 26)'],
    ['a stage naming the manager 2 × 500 times', approvedBy({ primaryApprovers: Array.from({ length: 500 }, () => ({ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 1 })), fallbackPrimaryApprovers: Array.from({ length: 500 }, () => ({ '@odata.type': '#microsoft.graph.requestorManager', managerLevel: 2 })) }), 'requestApprovalSettings.stages[0].primaryApprovers: a stage names at most 25 approvers'],
    ['a stage without approvers', approvedBy({ primaryApprovers: [] }), 'requestApprovalSettings.stages[0].primaryApprovers: a stage needs at least one approver (primaryApprovers or fallbackPrimaryApprovers)'],
    ['escalation enabled without escalation approvers', approvedBy({ isEscalationEnabled: true, durationBeforeEscalation: 'P1D' }), 'requestApprovalSettings.stages[0].escalationApprovers: is required when isEscalationEnabled is true'],
    ['escalation no sooner than automatic denial', approvedBy({ isEscalationEnabled: true, durationBeforeEscalation: 'P14D', escalationApprovers: [group] }), 'requestApprovalSettings.stages[0].durationBeforeEscalation: must be more than zero and shorter than durationBeforeAutomaticDenial (P14D) when isEscalationEnabled is true'],
    ['escalation enabled with no escalation time', approvedBy({ isEscalationEnabled: true, escalationApprovers: [group] }), 'requestApprovalSettings.stages[0].durationBeforeEscalation: must be more than zero'],
    ['an unknown approver information visibility', approvedBy({ approverInformationVisibility: 'hidden' }), "requestApprovalSettings.stages[0].approverInformationVisibility: 'hidden' is not one of default, notVisible, visible"],
    // durations and expiration
    ["the duration 'P'", approvedBy({ durationBeforeAutomaticDenial: 'P' }), "requestApprovalSettings.stages[0].durationBeforeAutomaticDenial: 'P' is not a positive ISO 8601 duration"],
    ["the duration '5 days'", { ...minimal, expiration: { duration: '5 days' } }, "expiration.duration: '5 days' is not a positive ISO 8601 duration"],
    ["the duration 'P-1D'", { ...minimal, expiration: { type: 'afterDuration', duration: 'P-1D' } }, "expiration.duration: 'P-1D' is not a positive ISO 8601 duration"],
    ["the duration 'PT0S'", { ...minimal, expiration: { type: 'afterDuration', duration: 'PT0S' } }, "expiration.duration: 'PT0S' is not a positive ISO 8601 duration"],
    ['a duration of mixed signs', { ...minimal, expiration: { duration: 'P1DT-25H' } }, "expiration.duration: 'P1DT-25H' is not a positive ISO 8601 duration"],
    ['a number for a duration', { ...minimal, expiration: { duration: 30 } }, 'expiration.duration: expected a positive ISO 8601 duration, got number 30'],
    ['a duration over 100 years', { ...minimal, expiration: { duration: 'P36600D' } }, "expiration.duration: 'P36600D' is longer than 100 years"],
    ['a negative grace period', { ...minimal, automaticRequestSettings: { gracePeriodBeforeAccessRemoval: 'P-1D' } }, "automaticRequestSettings.gracePeriodBeforeAccessRemoval: 'P-1D' is not an ISO 8601 duration of zero or more, such as P30D or PT4H"],
    ['a duration together with an end date', { ...minimal, expiration: { duration: 'P30D', endDateTime: '2030-01-01T00:00:00Z' } }, 'expiration: give duration or endDateTime, not both'],
    ['afterDuration without a duration', { ...minimal, expiration: { type: 'afterDuration' } }, 'expiration.duration: is required when type is afterDuration'],
    ['afterDateTime with a duration instead', { ...minimal, expiration: { type: 'afterDateTime', duration: 'P1D' } }, 'expiration.endDateTime: is required when type is afterDateTime'],
    ['noExpiration with a duration', { ...minimal, expiration: { type: 'noExpiration', duration: 'P1D' } }, 'expiration.duration: must be left out when type is noExpiration'],
    ['an end date without an offset', { ...minimal, expiration: { endDateTime: '2030-01-01T00:00:00' } }, "expiration.endDateTime: '2030-01-01T00:00:00' is not an ISO 8601 date-time with an offset"],
    ['an unknown expiration type', { ...minimal, expiration: { type: 'afterLunch' } }, "expiration.type: 'afterLunch' is not one of notSpecified, noExpiration, afterDateTime, afterDuration"],
    // auto-assignment
    ['an auto-assignment policy that requires approval', automatic({ requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [{ primaryApprovers: [user] }] } }), 'requestApprovalSettings: an auto-assignment policy cannot require approval'],
    ['an auto-assignment policy users may request', automatic({ requestorSettings: { enableTargetsToSelfAddAccess: true } }), 'requestorSettings.enableTargetsToSelfAddAccess: must be false on an auto-assignment policy'],
    ['an auto-assignment policy over all members', automatic({ allowedTargetScope: 'allMemberUsers', specificAllowedTargets: [] }), 'allowedTargetScope: must be specificDirectoryUsers on an auto-assignment policy (got allMemberUsers)'],
    ['an auto-assignment policy without a membership rule', automatic({ specificAllowedTargets: [user] }), 'specificAllowedTargets: an auto-assignment policy needs exactly one attributeRuleMembers target'],
    ['an auto-assignment policy with access reviews', automatic({ reviewSettings: reviewed({}).reviewSettings }), 'reviewSettings.isEnabled: must be false on an auto-assignment policy'],
    // reviews
    ['enabled reviews with no reviewer', reviewed({ primaryReviewers: [] }), 'reviewSettings.primaryReviewers: is required when reviews are enabled and isSelfReview is false'],
    ['enabled reviews with no start', reviewed({ schedule: null }), 'reviewSettings.schedule.startDateTime: is required when reviews are enabled'],
    ['an unknown review expiration behavior', reviewed({ expirationBehavior: 'shrug' }), "reviewSettings.expirationBehavior: 'shrug' is not one of keepAccess, removeAccess, acceptAccessRecommendation"],
    ['an unknown recurrence pattern', reviewed({ schedule: { startDateTime: '2030-01-01T00:00:00Z', recurrence: { pattern: { type: 'fortnightly', interval: 1 }, range: { type: 'noEnd' } } } }), "reviewSettings.schedule.recurrence.pattern.type: 'fortnightly' is not one of daily, weekly"],
    ['a recurrence ending on no date', reviewed({ schedule: { startDateTime: '2030-01-01T00:00:00Z', recurrence: { pattern: { type: 'weekly', interval: 1 }, range: { type: 'endDate' } } } }), 'reviewSettings.schedule.recurrence.range.endDate: is required when type is endDate'],
    ['a recurrence without an interval', reviewed({ schedule: { startDateTime: '2030-01-01T00:00:00Z', recurrence: { pattern: { type: 'weekly' }, range: { type: 'noEnd' } } } }), 'reviewSettings.schedule.recurrence.pattern.interval: is required'],
    // questions
    ['an unknown question type', asking({ '@odata.type': '#microsoft.graph.accessPackageDateQuestion', text: 'When?' }), "questions[0]['@odata.type']: '#microsoft.graph.accessPackageDateQuestion' is not a question type"],
    ['a question without a type', asking({ text: 'Why?' }), "questions[0]['@odata.type']: is required; use #microsoft.graph.accessPackageTextInputQuestion"],
    ['a question without text', asking({ '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion' }), 'questions[0].text: is required'],
    ['a multiple choice question without choices', asking(choiceQuestion), 'questions[0].choices: a multiple choice question needs at least one choice'],
    ['a choice without a value', asking({ ...choiceQuestion, choices: [{ text: 'Kenya' }] }), 'questions[0].choices[0].actualValue: is required'],
    ['two choices with one value', asking({ ...choiceQuestion, choices: [{ actualValue: 'KE', text: 'Kenya' }, { actualValue: 'KE', text: 'Kenia' }] }), "questions[0].choices[1].actualValue: 'KE' is given twice"],
    ['a choice property on a text question', asking({ ...textQuestion, choices: [] }), "questions[0]: unknown property 'choices' (not in accessPackageTextInputQuestion)"],
    ['a regex pattern that does not compile', asking({ ...textQuestion, regexPattern: '[a-z' }), 'questions[0].regexPattern: is not a valid regular expression'],
    ['a regex pattern with lookahead (needs backtracking)', asking({ ...textQuestion, regexPattern: '(?=\\d)\\w+' }), 'questions[0].regexPattern: is not a valid regular expression: lookahead and lookbehind are not supported (at character 1)'],
    ['a regex pattern with a backreference', asking({ ...textQuestion, regexPattern: '(a)\\1' }), 'questions[0].regexPattern: is not a valid regular expression: backreferences and octal escapes are not supported (at character 4)'],
    ['a regex pattern with a nested quantifier', asking({ ...textQuestion, regexPattern: 'a**' }), 'questions[0].regexPattern: is not a valid regular expression: a quantifier cannot follow another quantifier'],
    ['a regex pattern over 1000 characters', asking({ ...textQuestion, regexPattern: 'a'.repeat(1001) }), 'questions[0].regexPattern: must be at most 1000 characters (got 1001)'],
    ['a sequence in words', asking({ ...textQuestion, sequence: 'first' }), "questions[0].sequence: expected a whole number from 0 to 2147483647, got 'first'"],
    ['a fractional sequence', asking({ ...textQuestion, sequence: 1.5 }), 'questions[0].sequence: expected a whole number from 0 to 2147483647, got 1.5'],
    ['a localization without a language', asking({ ...textQuestion, localizations: [{ text: 'Pourquoi ?' }] }), 'questions[0].localizations[0].languageCode: is required'],
    ['two questions with one id', asking({ ...textQuestion, id: 'q' }, { ...textQuestion, id: 'q' }), "questions[1].id: 'q' is already the id of questions[0]"],
    ['51 questions', asking(...Array.from({ length: 51 }, () => textQuestion)), 'questions: at most 50 questions are allowed (got 51)'],
  ])('refuses %s', (_situation, body, expected) => {
    const error = rejection(body);

    expect(error.code).toBe('invalidRequest');
    expect(error.message).toContain(expected);
  });

  it('lists every problem of a body in one error, so the caller fixes them in one go', () => {
    const error = rejection({
      displayName: '',
      allowedTargetScope: 'specificDirectoryUsers',
      expiration: { duration: 'P-1D' },
      requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [] },
      questions: [{ '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', text: 'Why?', regexPattern: '(' }],
    });

    expect(error.message.startsWith('Invalid policy: ')).toBe(true);
    expect(error.message.split('; ')).toEqual([
      'Invalid policy: accessPackage: is required',
      'displayName: must not be empty',
      'requestApprovalSettings.stages: at least one approval stage is required when isApprovalRequiredForAdd or isApprovalRequiredForUpdate is true',
      "expiration.duration: 'P-1D' is not a positive ISO 8601 duration, such as P30D or PT4H",
      expect.stringContaining('questions[0].regexPattern: is not a valid regular expression'),
      'specificAllowedTargets: at least one target is required when allowedTargetScope is specificDirectoryUsers.',
    ]);
  });

  it('lists the first 20 problems of a hostile body and counts the rest', () => {
    const error = rejection({
      ...minimal,
      allowedTargetScope: 'specificDirectoryUsers',
      specificAllowedTargets: Array.from({ length: 30 }, () => ({ '@odata.type': '#microsoft.graph.singleUser', userId: 'x' })),
    });

    expect(error.message.split('; ')).toHaveLength(21);
    expect(error.message).toMatch(/; and 10 more problems\.$/);
  });
});
