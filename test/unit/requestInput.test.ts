import type { RequestInput } from '../../shared/domain/requests/assignmentRequest';
import { parseRequestInput } from '../../shared/domain/requests/requestInput';
import { invalidRequestMessage } from '../support/invalidRequest';

const PACKAGE_ID = 'a914b616-e04e-476b-aa37-91038f0b165b';
const POLICY_ID = '2264bf65-76ba-417b-a27d-54d291f0cbc8';
const USER_ID = '46184453-e63b-4f20-86c2-c557ed5d5df9';
const ASSIGNMENT_ID = 'a6bb6942-3ae1-4259-9908-0133aaee9377';
const CHOICE_QUESTION_ID = '8fe745e7-80b2-490d-bd22-4e708c77288c';
const TEXT_QUESTION_ID = '7aaa18c9-8e4f-440f-bd5a-3a7ce312cbe6';

const noAssignment = { id: null, targetId: null, target: null, assignmentPolicyId: null, accessPackageId: null };
const userAdd = { requestType: 'userAdd', assignment: { accessPackageId: PACKAGE_ID } };
const stringAnswer = (questionId: string, value: string, displayValue: string | null = null) => ({
  '@odata.type': '#microsoft.graph.accessPackageAnswerString' as const,
  value,
  displayValue,
  answeredQuestion: { id: questionId },
});

describe('parseRequestInput: the documented request bodies (v1.0 create page)', () => {
  it.each<[string, unknown, RequestInput]>([
    [
      'example 1: an administrator assigns a user already in the directory',
      { requestType: 'adminAdd', assignment: { targetId: USER_ID, assignmentPolicyId: POLICY_ID, accessPackageId: PACKAGE_ID } },
      { requestType: 'adminAdd', assignment: { ...noAssignment, targetId: USER_ID, assignmentPolicyId: POLICY_ID, accessPackageId: PACKAGE_ID }, schedule: null, justification: null, answers: [] },
    ],
    [
      'example 2: an administrator removes an assignment',
      { requestType: 'adminRemove', assignment: { id: ASSIGNMENT_ID } },
      { requestType: 'adminRemove', assignment: { ...noAssignment, id: ASSIGNMENT_ID }, schedule: null, justification: null, answers: [] },
    ],
    [
      'example 3: a user requests with answers to a choice and a text question',
      {
        '@odata.type': '#microsoft.graph.accessPackageAssignmentRequest',
        requestType: 'userAdd',
        answers: [
          {
            '@odata.type': '#microsoft.graph.accessPackageAnswerString',
            displayValue: 'This is the answer to a multiple choice question',
            value: 'MultipleChoiceAnswerValue',
            answeredQuestion: { '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion', id: CHOICE_QUESTION_ID },
          },
          {
            '@odata.type': '#microsoft.graph.accessPackageAnswerString',
            value: 'This is my answer to a text input question.',
            displayValue: 'This is my answer.',
            answeredQuestion: { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', id: TEXT_QUESTION_ID },
          },
        ],
        assignment: { accessPackageId: '977c7ff4-ef8f-4910-9d31-49048ddf3120' },
      },
      {
        requestType: 'userAdd',
        assignment: { ...noAssignment, accessPackageId: '977c7ff4-ef8f-4910-9d31-49048ddf3120' },
        schedule: null,
        justification: null,
        answers: [
          stringAnswer(CHOICE_QUESTION_ID, 'MultipleChoiceAnswerValue', 'This is the answer to a multiple choice question'),
          stringAnswer(TEXT_QUESTION_ID, 'This is my answer to a text input question.', 'This is my answer.'),
        ],
      },
    ],
    [
      'example 4: a user requests with a justification, in beta spelling (UserAdd, accessPackageAssignment)',
      { requestType: 'UserAdd', accessPackageAssignment: { accessPackageId: PACKAGE_ID }, justification: 'Need access to New Hire access package' },
      { requestType: 'userAdd', assignment: { ...noAssignment, accessPackageId: PACKAGE_ID }, schedule: null, justification: 'Need access to New Hire access package', answers: [] },
    ],
    [
      'example 6: an administrator updates answers, echoing the request id',
      {
        '@odata.type': '#microsoft.graph.accessPackageAssignmentRequest',
        id: '7a6ab703-0780-4b37-8445-81f679b2d75c',
        requestType: 'adminUpdate',
        answers: [
          {
            '@odata.type': '#microsoft.graph.accessPackageAnswerString',
            value: 'UpdatedAnswerValue',
            answeredQuestion: { '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion', id: CHOICE_QUESTION_ID },
          },
          {
            '@odata.type': '#microsoft.graph.accessPackageAnswerString',
            value: 'My updated answer.',
            displayValue: 'This is my updated answer to the question.',
            answeredQuestion: { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', id: TEXT_QUESTION_ID },
          },
        ],
        assignment: { id: '44c741c1-2cf4-40db-83b6-e0112f8e5a83' },
      },
      {
        requestType: 'adminUpdate',
        assignment: { ...noAssignment, id: '44c741c1-2cf4-40db-83b6-e0112f8e5a83' },
        schedule: null,
        justification: null,
        answers: [stringAnswer(CHOICE_QUESTION_ID, 'UpdatedAnswerValue'), stringAnswer(TEXT_QUESTION_ID, 'My updated answer.', 'This is my updated answer to the question.')],
      },
    ],
  ])('takes %s', (_situation, body, expected) => {
    expect(parseRequestInput(body)).toEqual(expected);
  });

  it.each([
    ['beta names', 'accessPackageAssignment'],
    ['v1.0 names', 'assignment'],
  ])('takes example 5 (a user not yet in the directory, by email) in %s', (_names, key) => {
    const body = { requestType: 'AdminAdd', [key]: { target: { email: ' user@contoso.com ' }, assignmentPolicyId: POLICY_ID, accessPackageId: PACKAGE_ID } };
    expect(parseRequestInput(body).assignment).toEqual({ ...noAssignment, target: { email: 'user@contoso.com', displayName: null }, assignmentPolicyId: POLICY_ID, accessPackageId: PACKAGE_ID });
  });
});

describe('parseRequestInput: what each request type needs in assignment', () => {
  it.each<[string, unknown, RequestInput['assignment']]>([
    ['userAdd with only the package (the caller is the target; the service chooses the policy)', { accessPackageId: PACKAGE_ID }, { ...noAssignment, accessPackageId: PACKAGE_ID }],
    ['userAdd naming the target and the policy', { targetId: USER_ID, assignmentPolicyId: POLICY_ID, accessPackageId: PACKAGE_ID }, { ...noAssignment, targetId: USER_ID, assignmentPolicyId: POLICY_ID, accessPackageId: PACKAGE_ID }],
  ])('takes %s', (_situation, assignment, expected) => {
    expect(parseRequestInput({ requestType: 'userAdd', assignment }).assignment).toEqual(expected);
  });

  it.each<[string, string, unknown, RequestInput['assignment']]>([
    ['adminAdd without a policy (the service chooses it)', 'adminAdd', { targetId: USER_ID, accessPackageId: PACKAGE_ID }, { ...noAssignment, targetId: USER_ID, accessPackageId: PACKAGE_ID }],
    ['userRemove by assignment id', 'userRemove', { id: ASSIGNMENT_ID }, { ...noAssignment, id: ASSIGNMENT_ID }],
    ['userUpdate by assignment id', 'userUpdate', { id: ASSIGNMENT_ID }, { ...noAssignment, id: ASSIGNMENT_ID }],
    ['userUpdate by package, as the create page describes', 'userUpdate', { targetId: USER_ID, assignmentPolicyId: POLICY_ID, accessPackageId: PACKAGE_ID }, { ...noAssignment, targetId: USER_ID, assignmentPolicyId: POLICY_ID, accessPackageId: PACKAGE_ID }],
    ['adminUpdate by package and target', 'adminUpdate', { targetId: USER_ID, accessPackageId: PACKAGE_ID }, { ...noAssignment, targetId: USER_ID, accessPackageId: PACKAGE_ID }],
    ['a remove that also names the package (the id decides)', 'adminRemove', { id: ASSIGNMENT_ID, accessPackageId: PACKAGE_ID }, { ...noAssignment, id: ASSIGNMENT_ID, accessPackageId: PACKAGE_ID }],
    ['ids in upper case, stored in lower case', 'adminRemove', { id: ASSIGNMENT_ID.toUpperCase() }, { ...noAssignment, id: ASSIGNMENT_ID }],
    ['an @odata.type on the assignment', 'adminRemove', { '@odata.type': '#microsoft.graph.accessPackageAssignment', id: ASSIGNMENT_ID }, { ...noAssignment, id: ASSIGNMENT_ID }],
  ])('takes %s', (_situation, requestType, assignment, expected) => {
    expect(parseRequestInput({ requestType, assignment }).assignment).toEqual(expected);
  });

  it.each<[string, unknown, string]>([
    ['userAdd without assignment', { requestType: 'userAdd' }, 'assignment: is required; userAdd requests name accessPackageId (the access package to request)'],
    ['adminAdd with a null assignment', { requestType: 'adminAdd', assignment: null }, 'assignment: is required; adminAdd requests name accessPackageId and targetId or target.email'],
    ['adminRemove without assignment', { requestType: 'adminRemove' }, 'assignment: is required; adminRemove requests name id (the assignment to remove)'],
    ['beta spelling without the package', { requestType: 'userAdd', accessPackageAssignment: {} }, 'accessPackageAssignment.accessPackageId: is required for userAdd requests: the access package to assign'],
    ['userAdd without the package', { requestType: 'userAdd', assignment: { targetId: USER_ID } }, 'assignment.accessPackageId: is required for userAdd requests'],
    ['adminAdd without the target', { requestType: 'adminAdd', assignment: { accessPackageId: PACKAGE_ID } }, 'assignment.targetId: is required for adminAdd requests: the object id of the user to assign'],
    ['userAdd naming an existing assignment', { requestType: 'userAdd', assignment: { id: ASSIGNMENT_ID, accessPackageId: PACKAGE_ID } }, 'assignment.id: must be left out of userAdd requests, which make a new assignment; to change an existing one, use userUpdate'],
    ['adminAdd naming an existing assignment', { requestType: 'adminAdd', assignment: { id: ASSIGNMENT_ID, targetId: USER_ID, accessPackageId: PACKAGE_ID } }, 'use adminUpdate'],
    ['userRemove without the assignment id', { requestType: 'userRemove', assignment: { accessPackageId: PACKAGE_ID } }, 'assignment.id: is required for userRemove requests: the id of the assignment to remove'],
    ['adminRemove without the assignment id', { requestType: 'adminRemove', assignment: {} }, 'assignment.id: is required for adminRemove requests'],
    ['userUpdate naming neither assignment nor package', { requestType: 'userUpdate', assignment: { targetId: USER_ID } }, 'assignment.id: is required for userUpdate requests, which name id (the assignment to update), or accessPackageId (the access package of your assignment)'],
    ['adminUpdate naming neither', { requestType: 'adminUpdate', assignment: {} }, 'assignment.id: is required for adminUpdate requests, which name id (the assignment to update), or accessPackageId and targetId'],
    ['adminUpdate by package without the target', { requestType: 'adminUpdate', assignment: { accessPackageId: PACKAGE_ID } }, 'assignment.targetId: is required for adminUpdate requests that name the access package instead of the assignment'],
    ['both assignment and accessPackageAssignment', { ...userAdd, accessPackageAssignment: { accessPackageId: PACKAGE_ID } }, 'accessPackageAssignment: give assignment or its beta name accessPackageAssignment, not both'],
    ['an assignment id that is not a GUID', { requestType: 'adminRemove', assignment: { id: 'my-assignment' } }, "assignment.id: 'my-assignment' is not a GUID"],
    ['a target id that is not a GUID', { requestType: 'adminAdd', assignment: { targetId: 'alice@contoso.com', accessPackageId: PACKAGE_ID } }, "assignment.targetId: 'alice@contoso.com' is not a GUID"],
    ['a policy id that is not a GUID', { requestType: 'userAdd', assignment: { assignmentPolicyId: 42, accessPackageId: PACKAGE_ID } }, 'assignment.assignmentPolicyId: expected a GUID, got number 42'],
    ['a package id that is not a GUID', { requestType: 'userAdd', assignment: { accessPackageId: 'Sales' } }, "assignment.accessPackageId: 'Sales' is not a GUID"],
    ['an unknown assignment property', { requestType: 'userAdd', assignment: { accessPackageId: PACKAGE_ID, catalogId: PACKAGE_ID } }, "assignment: unknown property 'catalogId' (not in accessPackageAssignment)"],
    ['an assignment that is not an object', { requestType: 'userAdd', assignment: PACKAGE_ID }, "assignment: expected an object (accessPackageAssignment), got 'a914b616"],
    ['a target given by object id', { requestType: 'adminAdd', assignment: { target: { objectId: USER_ID }, accessPackageId: PACKAGE_ID } }, "assignment.target: unknown property 'objectId' (not in accessPackageSubject)"],
    ['a target address that is no address', { requestType: 'adminAdd', assignment: { target: { email: 'not-an-address' }, accessPackageId: PACKAGE_ID } }, 'assignment.target.email: must be an email address'],
    ['both a target id and a target address', { requestType: 'adminAdd', assignment: { targetId: USER_ID, target: { email: 'a@fabrikam.com' }, accessPackageId: PACKAGE_ID } }, 'assignment.target: give targetId or target.email, not both'],
    ['a target address on a userAdd', { requestType: 'userAdd', assignment: { target: { email: 'a@fabrikam.com' }, accessPackageId: PACKAGE_ID } }, 'assignment.target: must be left out of userAdd requests'],
    ['a target address on a removal', { requestType: 'adminRemove', assignment: { id: ASSIGNMENT_ID, target: { email: 'a@fabrikam.com' } } }, 'assignment.target: must be left out of adminRemove requests'],
  ])('refuses %s', (_situation, body, message) => {
    expect(invalidRequestMessage(() => parseRequestInput(body))).toContain(message);
  });
});

describe('parseRequestInput: request type', () => {
  it.each<[unknown, RequestInput['requestType']]>([
    ['userAdd', 'userAdd'],
    ['ADMINREMOVE', 'adminRemove'],
    ['UserUpdate', 'userUpdate'],
  ])('reads %p as %s', (requestType, expected) => {
    const assignment = expected === 'userAdd' ? { accessPackageId: PACKAGE_ID } : { id: ASSIGNMENT_ID };
    expect(parseRequestInput({ requestType, assignment }).requestType).toBe(expected);
  });

  it.each<[string, unknown, string]>([
    ['no request type', { assignment: { accessPackageId: PACKAGE_ID } }, 'Invalid assignment request: requestType: is required.'],
    ['a system request type', { ...userAdd, requestType: 'systemAdd' }, "requestType: 'systemAdd' is not one of userAdd, userUpdate, userRemove, adminAdd, adminUpdate, adminRemove"],
    ['onBehalfAdd, which Graph does not support', { ...userAdd, requestType: 'onBehalfAdd' }, "requestType: 'onBehalfAdd' is not one of"],
    ['a number', { ...userAdd, requestType: 1 }, 'requestType: expected one of userAdd'],
  ])('refuses %s', (_situation, body, message) => {
    expect(invalidRequestMessage(() => parseRequestInput(body))).toContain(message);
  });
});

describe('parseRequestInput: schedule', () => {
  it.each<[string, unknown, RequestInput['schedule']]>([
    ['a start and a duration', { startDateTime: '2030-01-01T09:00:00+01:00', expiration: { type: 'afterDuration', duration: 'P7D' } }, { startDateTime: '2030-01-01T08:00:00Z', expiration: { type: 'afterDuration', duration: 'P7D', endDateTime: null } }],
    ['an end date-time, type left out', { expiration: { endDateTime: '2030-02-01T00:00:00Z' } }, { startDateTime: null, expiration: { type: 'afterDateTime', duration: null, endDateTime: '2030-02-01T00:00:00Z' } }],
    ['no expiration asked for', { startDateTime: '2030-01-01T00:00:00Z', expiration: { type: 'noExpiration' } }, { startDateTime: '2030-01-01T00:00:00Z', expiration: { type: 'noExpiration', duration: null, endDateTime: null } }],
    ['a start with a notSpecified expiration and a null recurrence, as Graph echoes them', { startDateTime: '2030-01-01T00:00:00Z', recurrence: null, expiration: { type: 'notSpecified', duration: null, endDateTime: null } }, { startDateTime: '2030-01-01T00:00:00Z', expiration: null }],
    ['a start with an empty expiration', { startDateTime: '2030-01-01T00:00:00Z', expiration: {} }, { startDateTime: '2030-01-01T00:00:00Z', expiration: null }],
    ['a schedule that asks for nothing (the echo of a response)', { startDateTime: null, recurrence: null, expiration: { endDateTime: null, duration: null, type: 'notSpecified' } }, null],
    ['an empty schedule', {}, null],
    ['a null schedule', null, null],
  ])('reads %s', (_situation, schedule, expected) => {
    expect(parseRequestInput({ ...userAdd, schedule }).schedule).toEqual(expected);
  });

  it.each<[string, unknown, string]>([
    ['a recurrence', { startDateTime: '2030-01-01T00:00:00Z', recurrence: { pattern: { type: 'daily', interval: 1 } } }, 'schedule.recurrence: must be left out: a request cannot recur (recurrence is for access review schedules)'],
    ['a start without an offset', { startDateTime: '2030-01-01T00:00:00' }, "schedule.startDateTime: '2030-01-01T00:00:00' is not an ISO 8601 date-time with an offset"],
    ['both a duration and an end', { expiration: { duration: 'P1D', endDateTime: '2030-01-01T00:00:00Z' } }, 'schedule.expiration: give duration or endDateTime, not both'],
    ['an afterDuration without a duration', { expiration: { type: 'afterDuration' } }, 'schedule.expiration.duration: is required when type is afterDuration'],
    ['a duration that is not ISO 8601', { expiration: { duration: '7 days' } }, "schedule.expiration.duration: '7 days' is not a positive ISO 8601 duration"],
    ['an unknown schedule property', { startDateTime: '2030-01-01T00:00:00Z', endDateTime: '2030-02-01T00:00:00Z' }, "schedule: unknown property 'endDateTime' (not in entitlementManagementSchedule)"],
    ['a schedule that is not an object', '2030-01-01T00:00:00Z', "schedule: expected an object (entitlementManagementSchedule), got '2030-01-01T00:00:00Z'"],
  ])('refuses %s', (_situation, schedule, message) => {
    expect(invalidRequestMessage(() => parseRequestInput({ ...userAdd, schedule }))).toContain(message);
  });
});

describe('parseRequestInput: justification and answers', () => {
  it.each<[string, unknown, string | null]>([
    ['a justification', 'For the Q3 audit', 'For the Q3 audit'],
    ['a null justification', null, null],
    ['an empty justification (whether one is needed is the policy’s call)', '', ''],
    ['a justification of 4000 characters', 'j'.repeat(4000), 'j'.repeat(4000)],
  ])('keeps %s', (_situation, justification, expected) => {
    expect(parseRequestInput({ ...userAdd, justification }).justification).toBe(expected);
  });

  it.each<[string, unknown, RequestInput['answers']]>([
    ['an answer without @odata.type, taken as a string answer', [{ value: 'Sales', answeredQuestion: { id: 'q1' } }], [stringAnswer('q1', 'Sales')]],
    ['an answer with the whole question object (only its id is kept)', [{ value: 'Sales', answeredQuestion: { '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion', id: 'q1', sequence: '1', text: 'Team?', isRequired: 'true', localizations: [] } }], [stringAnswer('q1', 'Sales')]],
    ['an empty answer (whether one is needed is the policy’s call)', [{ value: '', answeredQuestion: { id: 'q1' } }], [stringAnswer('q1', '')]],
    ['no answers (null)', null, []],
    ['50 answers', Array.from({ length: 50 }, () => ({ value: 'x', answeredQuestion: { id: 'q1' } })), Array.from({ length: 50 }, () => stringAnswer('q1', 'x'))],
  ])('takes %s', (_situation, answers, expected) => {
    expect(parseRequestInput({ ...userAdd, answers }).answers).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a justification of 4001 characters', { justification: 'j'.repeat(4001) }, 'justification: must be at most 4000 characters (got 4001)'],
    ['a justification that is not a string', { justification: ['why'] }, 'justification: expected a string, got an array'],
    ['answers that are not a list', { answers: { value: 'x' } }, 'answers: expected an array, got an object'],
    ['51 answers', { answers: Array.from({ length: 51 }, () => ({ value: 'x', answeredQuestion: { id: 'q1' } })) }, 'answers: at most 50 answers are allowed (got 51)'],
    ['an answer of 4001 characters', { answers: [{ value: 'a'.repeat(4001), answeredQuestion: { id: 'q1' } }] }, 'answers[0].value: must be at most 4000 characters (got 4001)'],
    ['an answer without a value', { answers: [{ answeredQuestion: { id: 'q1' } }] }, 'answers[0].value: is required'],
    ['an answer that is a number', { answers: [{ value: 3, answeredQuestion: { id: 'q1' } }] }, 'answers[0].value: expected a string, got number 3'],
    ['an answer without its question', { answers: [{ value: 'x' }] }, 'answers[0].answeredQuestion: is required'],
    ['an answered question without an id', { answers: [{ value: 'x', answeredQuestion: { text: 'Team?' } }] }, 'answers[0].answeredQuestion.id: is required'],
    ['an answered question that is a string', { answers: [{ value: 'x', answeredQuestion: 'q1' }] }, "answers[0].answeredQuestion: expected an object with the id of the question, such as {\"id\": \"…\"}, got 'q1'"],
    ['another kind of answer', { answers: [{ '@odata.type': '#microsoft.graph.accessPackageAnswerChoice', value: 'x', answeredQuestion: { id: 'q1' } }] }, "answers[0]['@odata.type']: expected '#microsoft.graph.accessPackageAnswerString', got '#microsoft.graph.accessPackageAnswerChoice'"],
    ['an unknown answer property', { answers: [{ value: 'x', answer: 'x', answeredQuestion: { id: 'q1' } }] }, "answers[0]: unknown property 'answer' (not in accessPackageAnswerString)"],
  ])('refuses %s', (_situation, change, message) => {
    expect(invalidRequestMessage(() => parseRequestInput({ ...userAdd, ...change }))).toContain(message);
  });
});

describe('parseRequestInput: the body as a whole', () => {
  it('passes over the read-only properties a client sends back from a response (v1.0 and beta names)', () => {
    const echoed = {
      ...userAdd,
      id: '9c1e258d-7723-43b1-ae21-e6eeeb324fe5',
      state: 'submitted',
      status: 'Accepted',
      createdDateTime: null,
      completedDateTime: null,
      requestState: 'Submitted',
      requestStatus: 'Accepted',
      completedDate: null,
      isValidationOnly: false,
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#accessPackageAssignmentRequests/$entity',
    };
    expect(parseRequestInput(echoed)).toEqual({ requestType: 'userAdd', assignment: { ...noAssignment, accessPackageId: PACKAGE_ID }, schedule: null, justification: null, answers: [] });
  });

  it.each<[string, unknown, string]>([
    ['a null body', null, 'Invalid assignment request: the body must be a JSON object, got null.'],
    ['an array body', [userAdd], 'Invalid assignment request: the body must be a JSON object, got an array.'],
    ['another @odata.type', { ...userAdd, '@odata.type': '#microsoft.graph.accessPackageAssignment' }, "Invalid assignment request: ['@odata.type']: expected '#microsoft.graph.accessPackageAssignmentRequest', got '#microsoft.graph.accessPackageAssignment'."],
    ['an unknown property', { ...userAdd, accessPackageId: PACKAGE_ID }, 'Invalid assignment request: accessPackageId: unknown property (not in accessPackageAssignmentRequest).'],
    ['a validation-only request', { ...userAdd, isValidationOnly: true }, 'Invalid assignment request: isValidationOnly: validation-only requests are not supported; leave isValidationOnly out to make the request.'],
    ['a validation-only flag as a string', { ...userAdd, isValidationOnly: 'true' }, 'isValidationOnly: validation-only requests are not supported'],
  ])('refuses %s', (_situation, body, message) => {
    expect(invalidRequestMessage(() => parseRequestInput(body))).toContain(message);
  });

  it('names every problem in one message', () => {
    const body = { requestType: 'adminAdd', assignment: { targetId: 'bob' }, justification: 7, colour: 'blue' };
    expect(invalidRequestMessage(() => parseRequestInput(body))).toBe(
      'Invalid assignment request: colour: unknown property (not in accessPackageAssignmentRequest); ' +
        "assignment.targetId: 'bob' is not a GUID; justification: expected a string, got number 7.",
    );
  });

  it('lists at most 20 problems and counts the rest', () => {
    const body = { ...userAdd, ...Object.fromEntries(Array.from({ length: 25 }, (_, index) => [`extra${index}`, true])) };
    const message = invalidRequestMessage(() => parseRequestInput(body));
    expect(message).toContain('extra19: unknown property');
    expect(message).not.toContain('extra20');
    expect(message).toMatch(/; and 5 more problems\.$/);
  });
});
