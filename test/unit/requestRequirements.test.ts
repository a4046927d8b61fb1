import { DateTime } from 'luxon';
import type { AccessPackageQuestion, AssignmentPolicy, ExpirationPattern, MultipleChoiceQuestion, TextInputQuestion } from '../../shared/domain/policies';
import type { Answer, RequestSchedule, RequestType } from '../../shared/domain/requests/assignmentRequest';
import {
  assignmentEnd,
  assignmentSchedule,
  checkAnswers,
  checkJustification,
  isScheduledStart,
  policyRequirements,
} from '../../shared/domain/requests/requestRequirements';
import { invalidRequestMessage } from '../support/invalidRequest';

const NOW = DateTime.fromISO('2030-01-01T00:00:00Z', { zone: 'utc' });

const noExpiration: ExpirationPattern = { type: 'noExpiration', duration: null, endDateTime: null };
const afterDuration = (duration: string): ExpirationPattern => ({ type: 'afterDuration', duration, endDateTime: null });
const afterDateTime = (endDateTime: string): ExpirationPattern => ({ type: 'afterDateTime', duration: null, endDateTime });

function policyWith(change: Partial<AssignmentPolicy> = {}): AssignmentPolicy {
  return {
    displayName: 'Sales access',
    description: 'For the sales team',
    allowedTargetScope: 'allMemberUsers',
    specificAllowedTargets: [],
    automaticRequestSettings: null,
    requestorSettings: {
      allowCustomAssignmentSchedule: false,
      enableOnBehalfRequestorsToAddAccess: false,
      enableOnBehalfRequestorsToRemoveAccess: false,
      enableOnBehalfRequestorsToUpdateAccess: false,
      enableTargetsToSelfAddAccess: true,
      enableTargetsToSelfRemoveAccess: true,
      enableTargetsToSelfUpdateAccess: true,
      onBehalfRequestors: [],
    },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, isApprovalRequiredForUpdate: false, isRequestorJustificationRequired: false, stages: [] },
    reviewSettings: null,
    expiration: noExpiration,
    questions: [],
    ...change,
  };
}

describe('checkJustification', () => {
  const requiring = policyWith({
    requestApprovalSettings: { isApprovalRequiredForAdd: true, isApprovalRequiredForUpdate: true, isRequestorJustificationRequired: true, stages: [] },
  });

  it.each<[string, boolean, RequestType, string | null]>([
    ['a user add with a justification', true, 'userAdd', 'For the Q3 audit'],
    ['a user update with a justification', true, 'userUpdate', 'Extending for Q4'],
    ['an administrator add without one', true, 'adminAdd', null],
    ['an administrator update without one', true, 'adminUpdate', null],
    ['a user removal without one', true, 'userRemove', null],
    ['a system add without one', true, 'systemAdd', null],
    ['a user add without one, under a policy that does not ask', false, 'userAdd', null],
  ])('accepts %s', (_situation, isRequired, requestType, justification) => {
    const policy = isRequired ? requiring : policyWith();
    expect(() => checkJustification(policy, requestType, justification)).not.toThrow();
  });

  it.each<[string, RequestType, string | null]>([
    ['a user add without a justification', 'userAdd', null],
    ['a user add with an empty one', 'userAdd', ''],
    ['a user update with a blank one', 'userUpdate', '  \n\t'],
  ])('refuses %s when the policy requires one', (_situation, requestType, justification) => {
    expect(invalidRequestMessage(() => checkJustification(requiring, requestType, justification))).toBe(
      "Invalid assignment request: justification: is required by policy 'Sales access': say why you need this access.",
    );
  });
});

describe('checkAnswers', () => {
  const questionBase = { isAnswerEditable: false, localizations: [] };
  const costCentre: TextInputQuestion = {
    ...questionBase,
    '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion',
    id: 'cost-centre',
    sequence: 1,
    isRequired: true,
    text: 'Cost centre?',
    isSingleLineQuestion: true,
    regexPattern: '[A-Z]{2}-\\d{4}',
  };
  const notes: TextInputQuestion = {
    ...questionBase,
    '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion',
    id: 'notes',
    sequence: 2,
    isRequired: false,
    text: 'Anything else?',
    isSingleLineQuestion: false,
    regexPattern: null,
  };
  const region: MultipleChoiceQuestion = {
    ...questionBase,
    '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion',
    id: '8FE745E7-80B2-490D-BD22-4E708C77288C',
    sequence: 3,
    isRequired: true,
    text: 'Region?',
    isMultipleSelectionAllowed: false,
    choices: [
      { actualValue: 'emea', text: 'Europe, Middle East and Africa', localizations: [] },
      { actualValue: 'apac', text: 'Asia Pacific', localizations: [] },
    ],
  };
  const tools: MultipleChoiceQuestion = {
    ...questionBase,
    '@odata.type': '#microsoft.graph.accessPackageMultipleChoiceQuestion',
    id: 'tools',
    sequence: 4,
    isRequired: false,
    text: 'Tools?',
    isMultipleSelectionAllowed: true,
    choices: [
      { actualValue: 'crm', text: 'CRM', localizations: [] },
      { actualValue: 'erp', text: 'ERP', localizations: [] },
    ],
  };
  const policy = policyWith({ questions: [costCentre, notes, region, tools] });

  const answerTo = (questionId: string, value: string, displayValue: string | null = null): Answer => ({
    '@odata.type': '#microsoft.graph.accessPackageAnswerString',
    value,
    displayValue,
    answeredQuestion: { id: questionId },
  });
  const required = [answerTo('cost-centre', 'FR-1234'), answerTo(region.id, 'emea')];

  it('fills in displayValue: the choice text for choices, the answer for text, whatever the requestor sent', () => {
    const answers = [answerTo('cost-centre', 'FR-1234', 'mine'), answerTo(region.id, 'emea', 'EU'), answerTo('notes', 'Thanks'), answerTo('tools', 'crm'), answerTo('tools', 'erp')];
    expect(checkAnswers(policy, answers)).toEqual([
      answerTo('cost-centre', 'FR-1234', 'FR-1234'),
      answerTo(region.id, 'emea', 'Europe, Middle East and Africa'),
      answerTo('notes', 'Thanks', 'Thanks'),
      answerTo('tools', 'crm', 'CRM'),
      answerTo('tools', 'erp', 'ERP'),
    ]);
  });

  it.each<[string, Answer[], Answer[]]>([
    ['a question id in another letter case, kept as the policy writes it', [answerTo('cost-centre', 'FR-1234'), answerTo(region.id.toLowerCase(), 'apac')], [answerTo('cost-centre', 'FR-1234', 'FR-1234'), answerTo(region.id, 'apac', 'Asia Pacific')]],
    ['a blank answer to an optional question, dropped', [...required, answerTo('notes', '   ')], [answerTo('cost-centre', 'FR-1234', 'FR-1234'), answerTo(region.id, 'emea', 'Europe, Middle East and Africa')]],
    ['only the required questions answered', required, [answerTo('cost-centre', 'FR-1234', 'FR-1234'), answerTo(region.id, 'emea', 'Europe, Middle East and Africa')]],
  ])('accepts %s', (_situation, answers, expected) => {
    expect(checkAnswers(policy, answers)).toEqual(expected);
  });

  it('accepts no answers when the policy asks nothing', () => {
    expect(checkAnswers(policyWith(), [])).toEqual([]);
  });

  it.each<[string, Answer[], string]>([
    ['an unanswered required question', [answerTo(region.id, 'emea')], "answers: question 'Cost centre?' (id 'cost-centre') is required; answer it"],
    ['a blank answer to a required question', [answerTo('cost-centre', ' '), answerTo(region.id, 'emea')], "answers: question 'Cost centre?' (id 'cost-centre') is required"],
    ['an answer to a question the policy does not have', [...required, answerTo('colour', 'blue')], "answers[2].answeredQuestion.id: 'colour' is not a question of policy 'Sales access'"],
    ['a text answer that does not match the pattern', [answerTo('cost-centre', 'fr-1234'), answerTo(region.id, 'emea')], "answers[0].value: does not have the form question 'Cost centre?' asks for (pattern [A-Z]{2}-\\d{4})"],
    ['a text answer that only contains a match', [answerTo('cost-centre', 'cost centre FR-1234'), answerTo(region.id, 'emea')], 'answers[0].value: does not have the form'],
    ['a text question answered twice', [...required, answerTo('cost-centre', 'DE-1234')], "answers[2].value: question 'Cost centre?' takes one answer; it is answered more than once"],
    ['an answer that is not one of the choices', [answerTo('cost-centre', 'FR-1234'), answerTo(region.id, 'Europe')], "answers[1].value: 'Europe' is not a choice of question 'Region?'; answer with the actualValue of one of 'emea', 'apac'"],
    ['a choice in another letter case', [answerTo('cost-centre', 'FR-1234'), answerTo(region.id, 'EMEA')], "answers[1].value: 'EMEA' is not a choice"],
    ['two choices for a single-choice question', [...required, answerTo(region.id, 'apac')], "answers[2].value: question 'Region?' allows one choice; it is answered more than once"],
    ['the same choice twice', [...required, answerTo('tools', 'crm'), answerTo('tools', 'crm')], "answers[3].value: 'crm' is chosen twice"],
    ['an answer over 4000 characters (not matched against the pattern)', [answerTo('cost-centre', `FR-${'1'.repeat(4000)}`), answerTo(region.id, 'emea')], 'answers[0].value: must be at most 4000 characters (got 4003)'],
  ])('refuses %s', (_situation, answers, message) => {
    expect(invalidRequestMessage(() => checkAnswers(policy, answers))).toContain(message);
  });

  it('matches the whole answer against an alternation, not just one side of it', () => {
    const either: AccessPackageQuestion = { ...notes, regexPattern: 'yes|no' };
    const strict = policyWith({ questions: [either] });
    expect(checkAnswers(strict, [answerTo('notes', 'no')])).toEqual([answerTo('notes', 'no', 'no')]);
    expect(invalidRequestMessage(() => checkAnswers(strict, [answerTo('notes', 'yes, no')]))).toContain('answers[0].value: does not have the form');
  });

  it('checks an answer against a pattern that backtracks catastrophically in linear time', () => {
    const nested: AccessPackageQuestion = { ...notes, regexPattern: '(a+)+b' };
    const strict = policyWith({ questions: [nested] });
    const started = performance.now();
    expect(invalidRequestMessage(() => checkAnswers(strict, [answerTo('notes', 'a'.repeat(27))]))).toContain('answers[0].value: does not have the form');
    expect(performance.now() - started).toBeLessThan(250);
    expect(checkAnswers(strict, [answerTo('notes', 'aaab')])).toEqual([answerTo('notes', 'aaab', 'aaab')]);
  });

  it('matches an answer pattern case-sensitively and to the end of the answer', () => {
    const code: AccessPackageQuestion = { ...notes, regexPattern: '[A-Z]{3}' };
    const strict = policyWith({ questions: [code] });
    expect(checkAnswers(strict, [answerTo('notes', 'ABC')])).toEqual([answerTo('notes', 'ABC', 'ABC')]);
    for (const answer of ['abc', 'ABC\n', 'ABCD']) {
      expect(invalidRequestMessage(() => checkAnswers(strict, [answerTo('notes', answer)]))).toContain('answers[0].value: does not have the form');
    }
  });

  it('refuses, naming the question, an answer to a stored pattern the matcher does not support', () => {
    const legacy: AccessPackageQuestion = { ...notes, regexPattern: '(?=a)a' };
    expect(invalidRequestMessage(() => checkAnswers(policyWith({ questions: [legacy] }), [answerTo('notes', 'a')]))).toContain(
      "answers[0].value: the pattern of question 'Anything else?' is not supported (lookahead and lookbehind are not supported); an administrator must replace the policy's pattern",
    );
  });

  it('lists at most ten choices when an answer is not one of them', () => {
    const many: MultipleChoiceQuestion = { ...region, choices: Array.from({ length: 12 }, (_, index) => ({ actualValue: `c${index}`, text: `Choice ${index}`, localizations: [] })) };
    const message = invalidRequestMessage(() => checkAnswers(policyWith({ questions: [many] }), [answerTo(region.id, 'c99')]));
    expect(message).toContain("one of 'c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', ….");
  });

  it('names every problem in one message', () => {
    const message = invalidRequestMessage(() => checkAnswers(policy, [answerTo('colour', 'blue'), answerTo('cost-centre', 'nope')]));
    expect(message).toBe(
      "Invalid assignment request: answers[0].answeredQuestion.id: 'colour' is not a question of policy 'Sales access'; " +
        "answers[1].value: does not have the form question 'Cost centre?' asks for (pattern [A-Z]{2}-\\d{4}); " +
        "answers: question 'Region?' (id '8FE745E7-80B2-490D-BD22-4E708C77288C') is required; answer it.",
    );
  });
});

describe('assignmentSchedule', () => {
  const custom = (expiration: ExpirationPattern) =>
    policyWith({ expiration, requestorSettings: { ...policyWith().requestorSettings, allowCustomAssignmentSchedule: true } });
  const asked = (startDateTime: string | null, expiration: ExpirationPattern | null = null): RequestSchedule => ({ startDateTime, expiration });
  const until = (endDateTime: string) => afterDateTime(endDateTime);

  it.each<[string, AssignmentPolicy, RequestSchedule | null, boolean, RequestSchedule]>([
    ['no schedule, a policy without an end: from now on', policyWith(), null, false, asked('2030-01-01T00:00:00Z', noExpiration)],
    ['no schedule, a 30-day policy: 30 days from now', policyWith({ expiration: afterDuration('P30D') }), null, false, asked('2030-01-01T00:00:00Z', until('2030-01-31T00:00:00Z'))],
    ['no schedule, a policy ending on a date: until then', policyWith({ expiration: afterDateTime('2030-06-01T00:00:00Z') }), null, false, asked('2030-01-01T00:00:00Z', until('2030-06-01T00:00:00Z'))],
    ['a later start: the policy duration counts from it', custom(afterDuration('P30D')), asked('2030-01-10T00:00:00Z'), false, asked('2030-01-10T00:00:00Z', until('2030-02-09T00:00:00Z'))],
    ['a start in the past: now', custom(noExpiration), asked('2029-06-01T00:00:00Z'), false, asked('2030-01-01T00:00:00Z', noExpiration)],
    ['a start within the clock skew: now', custom(noExpiration), asked('2030-01-01T00:00:04Z'), false, asked('2030-01-01T00:00:00Z', noExpiration)],
    ['a start just past the clock skew: kept', custom(noExpiration), asked('2030-01-01T00:00:06Z'), false, asked('2030-01-01T00:00:06Z', noExpiration)],
    ['a shorter duration than the policy', custom(afterDuration('P30D')), asked(null, afterDuration('P7D')), false, asked('2030-01-01T00:00:00Z', until('2030-01-08T00:00:00Z'))],
    ['an earlier end than the policy', custom(afterDateTime('2030-06-01T00:00:00Z')), asked(null, until('2030-03-01T00:00:00Z')), false, asked('2030-01-01T00:00:00Z', until('2030-03-01T00:00:00Z'))],
    ['exactly the policy end', custom(afterDuration('P30D')), asked(null, until('2030-01-31T00:00:00Z')), false, asked('2030-01-01T00:00:00Z', until('2030-01-31T00:00:00Z'))],
    ['an end a minute past the policy end (a client clock ahead): the policy end', custom(afterDuration('P30D')), asked(null, until('2030-01-31T00:01:00Z')), false, asked('2030-01-01T00:00:00Z', until('2030-01-31T00:00:00Z'))],
    ['an end under a policy without one', custom(noExpiration), asked('2030-02-01T00:00:00Z', afterDuration('P1Y')), false, asked('2030-02-01T00:00:00Z', until('2031-02-01T00:00:00Z'))],
    ['no end asked for, under a policy without one', custom(noExpiration), asked(null, noExpiration), false, asked('2030-01-01T00:00:00Z', noExpiration)],
    ['a start only: the policy end from it', custom(afterDuration('PT4H')), asked('2030-01-02T00:00:00Z'), false, asked('2030-01-02T00:00:00Z', until('2030-01-02T04:00:00Z'))],
    ['a notSpecified expiration: the policy end', custom(afterDuration('P1D')), asked(null, { type: 'notSpecified', duration: null, endDateTime: null }), false, asked('2030-01-01T00:00:00Z', until('2030-01-02T00:00:00Z'))],
    ['an administrator’s schedule where users may not choose one', policyWith({ expiration: afterDuration('P30D') }), asked('2030-01-05T00:00:00Z', afterDuration('P1D')), true, asked('2030-01-05T00:00:00Z', until('2030-01-06T00:00:00Z'))],
  ])('gives %s', (_situation, policy, requested, byAdministrator, expected) => {
    expect(assignmentSchedule(policy, requested, NOW, { byAdministrator })).toEqual(expected);
  });

  it('writes times in UTC without milliseconds, whatever the zone of now', () => {
    const now = DateTime.fromISO('2030-01-01T09:30:00+09:00', { setZone: true });
    expect(assignmentSchedule(policyWith({ expiration: afterDuration('PT1H') }), null, now, { byAdministrator: false })).toEqual(
      asked('2030-01-01T00:30:00Z', until('2030-01-01T01:30:00Z')),
    );
  });

  it.each<[string, AssignmentPolicy, RequestSchedule, boolean, string]>([
    [
      'a user’s schedule where the policy does not allow one',
      policyWith({ expiration: afterDuration('P30D') }),
      asked('2030-01-05T00:00:00Z'),
      false,
      "Invalid assignment request: schedule: policy 'Sales access' does not let requestors choose a schedule; leave schedule out: access then starts now and lasts at most P30D from its start.",
    ],
    [
      'an end after the policy’s longest duration',
      custom(afterDuration('P30D')),
      asked(null, afterDuration('P60D')),
      false,
      "Invalid assignment request: schedule.expiration: asks for an end at 2030-03-02T00:00:00Z, but under policy 'Sales access' access lasts at most P30D from its start (until 2030-01-31T00:00:00Z); ask for an earlier end, or leave expiration out for the longest allowed.",
    ],
    [
      'an end after the policy’s end date, from an administrator too',
      custom(afterDateTime('2030-06-01T00:00:00Z')),
      asked(null, until('2030-07-01T00:00:00Z')),
      true,
      "schedule.expiration: asks for an end at 2030-07-01T00:00:00Z, but under policy 'Sales access' access ends by 2030-06-01T00:00:00Z;",
    ],
    ['no end, under a policy with one', custom(afterDuration('P30D')), asked(null, noExpiration), false, "schedule.expiration: asks for no end, but under policy 'Sales access' access lasts at most P30D"],
    ['an end before the start', custom(noExpiration), asked('2030-02-01T00:00:00Z', until('2030-01-15T00:00:00Z')), false, 'schedule.expiration: the end 2030-01-15T00:00:00Z must be after the start 2030-02-01T00:00:00Z'],
    ['an end at the start', custom(noExpiration), asked('2030-02-01T00:00:00Z', until('2030-02-01T00:00:00Z')), false, 'schedule.expiration: the end 2030-02-01T00:00:00Z must be after the start'],
    ['an end in the past (the start being now)', custom(noExpiration), asked(null, until('2029-12-01T00:00:00Z')), false, 'schedule.expiration: the end 2029-12-01T00:00:00Z must be after the start 2030-01-01T00:00:00Z'],
    [
      'a start after the policy’s end date',
      custom(afterDateTime('2030-06-01T00:00:00Z')),
      asked('2030-07-01T00:00:00Z'),
      false,
      "Invalid assignment request: schedule.startDateTime: policy 'Sales access' ends its assignments at 2030-06-01T00:00:00Z, which is not after the start 2030-07-01T00:00:00Z; no assignment can be made through it from then.",
    ],
  ])('refuses %s', (_situation, policy, requested, byAdministrator, message) => {
    expect(invalidRequestMessage(() => assignmentSchedule(policy, requested, NOW, { byAdministrator }))).toContain(message);
  });

  it('bounds an extension by the policy counted from now: a later start cannot stretch a 30-day policy', () => {
    const thirtyDays = custom(afterDuration('P30D'));
    expect(invalidRequestMessage(() => assignmentSchedule(thirtyDays, asked('2030-06-01T00:00:00Z'), NOW, { byAdministrator: false, extending: true }))).toContain(
      "schedule.startDateTime: policy 'Sales access' ends its assignments at 2030-01-31T00:00:00Z, which is not after the start 2030-06-01T00:00:00Z",
    );
    expect(assignmentSchedule(thirtyDays, asked('2030-01-20T00:00:00Z'), NOW, { byAdministrator: false, extending: true })).toEqual(
      asked('2030-01-20T00:00:00Z', until('2030-01-31T00:00:00Z')),
    );
    expect(invalidRequestMessage(() => assignmentSchedule(thirtyDays, asked('2030-01-20T00:00:00Z', afterDuration('P30D')), NOW, { byAdministrator: true, extending: true }))).toContain(
      'lasts at most P30D from its start (until 2030-01-31T00:00:00Z)',
    );
  });

  it('refuses a start more than a year ahead, for an administrator and under a policy without an end too', () => {
    expect(invalidRequestMessage(() => assignmentSchedule(custom(noExpiration), asked('2031-01-02T00:00:00Z'), NOW, { byAdministrator: true }))).toContain(
      'schedule.startDateTime: the start 2031-01-02T00:00:00Z is more than 365 days ahead; ask for a start before 2031-01-01T00:00:00Z',
    );
    expect(assignmentSchedule(custom(noExpiration), asked('2030-12-31T00:00:00Z'), NOW, { byAdministrator: false })).toEqual(asked('2030-12-31T00:00:00Z', noExpiration));
  });

  it('refuses any request under a policy whose end date has passed', () => {
    const ended = policyWith({ expiration: afterDateTime('2029-12-31T00:00:00Z') });
    expect(invalidRequestMessage(() => assignmentSchedule(ended, null, NOW, { byAdministrator: true }))).toBe(
      "Invalid assignment request: policy 'Sales access' ends its assignments at 2029-12-31T00:00:00Z, which is not after the start 2030-01-01T00:00:00Z; no assignment can be made through it from then.",
    );
  });
});

describe('assignmentEnd and isScheduledStart', () => {
  it.each<[string, RequestSchedule, string | null]>([
    ['an end date-time', { startDateTime: '2030-01-01T00:00:00Z', expiration: afterDateTime('2030-02-01T00:00:00Z') }, '2030-02-01T00:00:00.000Z'],
    ['a duration from the start', { startDateTime: '2030-01-31T00:00:00Z', expiration: afterDuration('P1M') }, '2030-02-28T00:00:00.000Z'],
    ['no expiration', { startDateTime: '2030-01-01T00:00:00Z', expiration: noExpiration }, null],
    ['a notSpecified expiration', { startDateTime: null, expiration: { type: 'notSpecified', duration: null, endDateTime: null } }, null],
    ['no expiration pattern', { startDateTime: null, expiration: null }, null],
  ])('assignmentEnd of %s', (_situation, schedule, expected) => {
    expect(assignmentEnd(schedule)?.toUTC().toISO() ?? null).toBe(expected);
  });

  it('assignmentEnd refuses a duration without a start, rather than guess one', () => {
    expect(() => assignmentEnd({ startDateTime: null, expiration: afterDuration('P1D') })).toThrow('An expiration pattern lacks the startDateTime its type needs');
  });

  it.each<[string, string | null, boolean]>([
    ['no start', null, false],
    ['a start in the past', '2029-12-31T00:00:00Z', false],
    ['a start now', '2030-01-01T00:00:00Z', false],
    ['a start within the clock skew', '2030-01-01T00:00:05Z', false],
    ['a start past the clock skew', '2030-01-01T00:00:06Z', true],
    ['a start next month', '2030-02-01T00:00:00Z', true],
  ])('isScheduledStart with %s', (_situation, startDateTime, expected) => {
    expect(isScheduledStart({ startDateTime, expiration: noExpiration }, NOW)).toBe(expected);
  });
});

describe('policyRequirements', () => {
  it('describes what a requestor must give under the policy', () => {
    const question: TextInputQuestion = {
      '@odata.type': '#microsoft.graph.accessPackageTextInputQuestion',
      id: 'why',
      sequence: 1,
      isRequired: true,
      isAnswerEditable: false,
      text: 'Why?',
      localizations: [],
      isSingleLineQuestion: true,
      regexPattern: null,
    };
    const policy = {
      ...policyWith({
        expiration: afterDuration('P30D'),
        questions: [question],
        requestApprovalSettings: { isApprovalRequiredForAdd: true, isApprovalRequiredForUpdate: false, isRequestorJustificationRequired: true, stages: [] },
      }),
      id: 'd92ebb54-9b46-492d-ab7f-01f76767da7f',
    };
    expect(policyRequirements(policy)).toEqual({
      policyId: 'd92ebb54-9b46-492d-ab7f-01f76767da7f',
      policyDisplayName: 'Sales access',
      policyDescription: 'For the sales team',
      allowCustomAssignmentSchedule: false,
      isApprovalRequiredForAdd: true,
      isApprovalRequiredForUpdate: false,
      isRequestorJustificationRequired: true,
      questions: [question],
      schedule: { startDateTime: null, expiration: afterDuration('P30D'), recurrence: null },
    });
  });
});
