import { DateTime, Duration } from 'luxon';
import type { AccessPackageQuestion, AssignmentPolicy, EntitlementManagementSchedule, ExpirationPattern } from '../policies';
import { describeJson } from '../policies/graphValues';
import type { Problem } from '../policies/problems';
import type { Answer, RequestSchedule, RequestType } from './assignmentRequest';
import { invalidAssignmentRequest } from './requestInput';
import { MAX_REQUEST_TEXT_LENGTH, MAX_STORED_ANSWERS_LENGTH, storedLength } from './requestSize';
import { compileAnswerPattern } from '../policies/answerPattern';
import { PatternError } from '../rules/pattern/patternError';
import type { TextPattern } from '../rules/pattern/textPattern';

/**
 * How far apart the caller's clock and ours may be: a start this close to now is now, and an end this far past
 * the policy's longest is the policy's longest, so a client that works out "30 days from now" itself is not refused.
 */
const CLOCK_SKEW = Duration.fromObject({ minutes: 5 });
/**
 * A start this close to now is now. Kept short: a start a little later is only delivered by the next expiration
 * sweep, a minute on, while a long tolerance would deliver a deliberately near start too early.
 */
const START_SKEW = Duration.fromObject({ seconds: 5 });
/**
 * How far ahead a requested start may be: access asked for now is for work coming up, not for years on. A start
 * further out is refused, so a request cannot sit scheduled, holding its claim, for ever.
 */
export const MAX_START_AHEAD = Duration.fromObject({ days: 365 });
/** Choices listed in a message; a policy may have a hundred. */
const MAX_LISTED_CHOICES = 10;

const USER_REQUEST_TYPES: ReadonlySet<RequestType> = new Set(['userAdd', 'userUpdate']);

/** A requestor asking for access must say why when the policy says so; administrators and removals need not. */
export function checkJustification(policy: AssignmentPolicy, requestType: RequestType, justification: string | null): void {
  if (!policy.requestApprovalSettings.isRequestorJustificationRequired || !USER_REQUEST_TYPES.has(requestType)) return;
  if ((justification ?? '').trim() !== '') return;
  throw invalidAssignmentRequest([
    { path: ['justification'], message: `is required by policy '${policy.displayName}': say why you need this access` },
  ]);
}

/**
 * Checks the answers against the policy's questions and gives them with `displayValue` as the policy shows them
 * (a choice's text, or the text answered). A blank answer is no answer: it is dropped, and fails a required question.
 */
export function checkAnswers(policy: AssignmentPolicy, answers: readonly Answer[]): Answer[] {
  const questionsById = new Map(policy.questions.map((question) => [question.id.toLowerCase(), question]));
  const answered = new Map<AccessPackageQuestion, string[]>();
  const problems: Problem[] = [];
  const checked: Answer[] = [];

  answers.forEach((answer, index) => {
    const at = (...path: string[]): Problem['path'] => ['answers', index, ...path];
    const question = questionsById.get(answer.answeredQuestion.id.toLowerCase());
    if (!question) {
      problems.push({ path: at('answeredQuestion', 'id'), message: `${describeJson(answer.answeredQuestion.id)} is not a question of policy '${policy.displayName}'` });
      return;
    }
    if (answer.value.trim() === '') return;
    const earlier = answered.get(question) ?? [];
    answered.set(question, [...earlier, answer.value]);
    const problem = answerProblem(question, answer.value, earlier);
    if (problem) {
      problems.push({ path: at('value'), message: problem });
      return;
    }
    checked.push({
      '@odata.type': '#microsoft.graph.accessPackageAnswerString',
      value: answer.value,
      displayValue: displayValueOf(question, answer.value),
      answeredQuestion: { id: question.id },
    });
  });

  for (const question of policy.questions) {
    if (question.isRequired && !answered.has(question)) {
      problems.push({ path: ['answers'], message: `question ${describeJson(question.text)} (id '${question.id}') is required; answer it` });
    }
  }
  if (problems.length === 0 && storedLength(checked) > MAX_STORED_ANSWERS_LENGTH) {
    problems.push({ path: ['answers'], message: `take ${storedLength(checked)} characters as stored, more than the ${MAX_STORED_ANSWERS_LENGTH} a request may hold; answer more briefly` });
  }
  if (problems.length > 0) throw invalidAssignmentRequest(problems);
  return checked;
}

function answerProblem(question: AccessPackageQuestion, value: string, earlierValues: readonly string[]): string | undefined {
  if (value.length > MAX_REQUEST_TEXT_LENGTH) return `must be at most ${MAX_REQUEST_TEXT_LENGTH} characters (got ${value.length})`;
  if (question['@odata.type'] === '#microsoft.graph.accessPackageTextInputQuestion') {
    if (earlierValues.length > 0) return `question ${describeJson(question.text)} takes one answer; it is answered more than once`;
    // The administrator's pattern must match the whole answer, as a form field's pattern does. The matcher is
    // linear, so the length limit above bounds the work whatever the pattern.
    if (question.regexPattern === null) return undefined;
    let pattern: TextPattern;
    try {
      pattern = compileAnswerPattern(question.regexPattern);
    } catch (error) {
      // A policy saved before patterns were checked against this matcher may hold one it refuses.
      if (!(error instanceof PatternError)) throw error;
      return `the pattern of question ${describeJson(question.text)} is not supported (${error.message}); an administrator must replace the policy's pattern`;
    }
    if (!pattern.test(value)) return `does not have the form question ${describeJson(question.text)} asks for (pattern ${question.regexPattern})`;
    return undefined;
  }
  if (!question.choices.some((choice) => choice.actualValue === value)) {
    const listed = question.choices.slice(0, MAX_LISTED_CHOICES).map((choice) => `'${choice.actualValue}'`);
    if (question.choices.length > MAX_LISTED_CHOICES) listed.push('…');
    return `${describeJson(value)} is not a choice of question ${describeJson(question.text)}; answer with the actualValue of one of ${listed.join(', ')}`;
  }
  if (earlierValues.includes(value)) return `${describeJson(value)} is chosen twice`;
  if (earlierValues.length > 0 && !question.isMultipleSelectionAllowed) {
    return `question ${describeJson(question.text)} allows one choice; it is answered more than once`;
  }
  return undefined;
}

function displayValueOf(question: AccessPackageQuestion, value: string): string {
  if (question['@odata.type'] === '#microsoft.graph.accessPackageTextInputQuestion') return value;
  return question.choices.find((choice) => choice.actualValue === value)?.text ?? value;
}

/**
 * The schedule an assignment gets: from the requested start (or now; a start in the past is now) to the policy's
 * end, or an earlier end the request asks for. Users may ask for a schedule only where the policy allows it;
 * administrators always may, within the policy's end. The end is given as a date-time, so it no longer depends
 * on when the request is carried out. A start more than MAX_START_AHEAD away is refused. An extension
 * (`extending`) is bounded by the policy counted from now, not from the start it asks for: moving the start out
 * cannot stretch a 30-day policy over years.
 */
export function assignmentSchedule(
  policy: AssignmentPolicy,
  requested: RequestSchedule | null,
  now: DateTime,
  options: { byAdministrator: boolean; extending?: boolean },
): RequestSchedule {
  if (requested && !options.byAdministrator && !policy.requestorSettings.allowCustomAssignmentSchedule) {
    throw invalidAssignmentRequest([
      { path: ['schedule'], message: `policy '${policy.displayName}' does not let requestors choose a schedule; leave schedule out: access then starts now and ${describeEnd(policy)}` },
    ]);
  }
  const askedStart = requested?.startDateTime ? DateTime.fromISO(requested.startDateTime, { zone: 'utc' }) : null;
  const start = askedStart && askedStart > now.plus(START_SKEW) ? askedStart : now.toUTC();
  const startText = isoText(start);
  if (start > now.plus(MAX_START_AHEAD)) {
    throw invalidAssignmentRequest([
      { path: ['schedule', 'startDateTime'], message: `the start ${startText} is more than ${MAX_START_AHEAD.as('days')} days ahead; ask for a start before ${isoText(now.plus(MAX_START_AHEAD))}` },
    ]);
  }
  const policyEnd = assignmentEnd({ startDateTime: options.extending ? isoText(now) : startText, expiration: policy.expiration });
  if (policyEnd && policyEnd <= start) {
    throw invalidAssignmentRequest([
      {
        path: askedStart ? ['schedule', 'startDateTime'] : [],
        message: `policy '${policy.displayName}' ends its assignments at ${isoText(policyEnd)}, which is not after the start ${startText}; no assignment can be made through it from then`,
      },
    ]);
  }

  const asked = requested?.expiration ?? null;
  if (asked === null || asked.type === 'notSpecified') return scheduleFrom(start, policyEnd);
  const askedEnd = assignmentEnd({ startDateTime: startText, expiration: asked });
  const refuse = (message: string) => invalidAssignmentRequest([{ path: ['schedule', 'expiration'], message }]);
  if (askedEnd && askedEnd <= start) throw refuse(`the end ${isoText(askedEnd)} must be after the start ${startText}`);
  if (policyEnd && (!askedEnd || askedEnd > policyEnd.plus(CLOCK_SKEW))) {
    const askedFor = askedEnd ? `an end at ${isoText(askedEnd)}` : 'no end';
    throw refuse(`asks for ${askedFor}, but under policy '${policy.displayName}' access ${describeEnd(policy, options.extending ? now.toUTC() : start)}; ask for an earlier end, or leave expiration out for the longest allowed`);
  }
  return scheduleFrom(start, askedEnd && policyEnd && policyEnd < askedEnd ? policyEnd : askedEnd);
}

/** When an assignment with this schedule ends; null when it does not. */
export function assignmentEnd(schedule: RequestSchedule): DateTime | null {
  const { expiration } = schedule;
  switch (expiration?.type) {
    case 'afterDateTime':
      return DateTime.fromISO(present(expiration.endDateTime, 'endDateTime'), { zone: 'utc' });
    case 'afterDuration': {
      const start = DateTime.fromISO(present(schedule.startDateTime, 'startDateTime'), { zone: 'utc' });
      return start.plus(Duration.fromISO(present(expiration.duration, 'duration')));
    }
    default:
      return null;
  }
}

/** Whether the assignment is to start later, rather than now (within the clock skew). */
export function isScheduledStart(schedule: RequestSchedule, now: DateTime): boolean {
  return schedule.startDateTime !== null && DateTime.fromISO(schedule.startDateTime) > now.plus(START_SKEW);
}

/** accessPackageAssignmentRequestRequirements: what a requestor must give to request through this policy. */
export interface RequestRequirements {
  policyId: string;
  policyDisplayName: string;
  policyDescription: string | null;
  allowCustomAssignmentSchedule: boolean;
  isApprovalRequiredForAdd: boolean;
  isApprovalRequiredForUpdate: boolean;
  isRequestorJustificationRequired: boolean;
  questions: AccessPackageQuestion[];
  schedule: EntitlementManagementSchedule;
}

export function policyRequirements(policy: AssignmentPolicy & { id: string }): RequestRequirements {
  const approval = policy.requestApprovalSettings;
  return {
    policyId: policy.id,
    policyDisplayName: policy.displayName,
    policyDescription: policy.description,
    allowCustomAssignmentSchedule: policy.requestorSettings.allowCustomAssignmentSchedule,
    isApprovalRequiredForAdd: approval.isApprovalRequiredForAdd,
    isApprovalRequiredForUpdate: approval.isApprovalRequiredForUpdate,
    isRequestorJustificationRequired: approval.isRequestorJustificationRequired,
    questions: policy.questions,
    schedule: { startDateTime: null, expiration: policy.expiration, recurrence: null },
  };
}

function scheduleFrom(start: DateTime, end: DateTime | null): RequestSchedule {
  const expiration: ExpirationPattern = end
    ? { type: 'afterDateTime', endDateTime: isoText(end), duration: null }
    : { type: 'noExpiration', duration: null, endDateTime: null };
  return { startDateTime: isoText(start), expiration };
}

/** The policy's limit on an assignment's end, as a sentence's end; with a start, also the date-time it comes to. */
function describeEnd(policy: AssignmentPolicy, start?: DateTime): string {
  const { expiration } = policy;
  switch (expiration.type) {
    case 'afterDuration': {
      const until = start ? ` (until ${isoText(start.plus(Duration.fromISO(present(expiration.duration, 'duration'))))})` : '';
      return `lasts at most ${expiration.duration} from its start${until}`;
    }
    case 'afterDateTime':
      return `ends by ${expiration.endDateTime}`;
    default:
      return 'does not end';
  }
}

function isoText(moment: DateTime): string {
  return moment.toUTC().toISO({ suppressMilliseconds: true }) as string;
}

/** Schedules come from parsed input or the store, where a type always has its value; anything else is a bug. */
function present(value: string | null, field: string): string {
  if (value === null) throw new Error(`An expiration pattern lacks the ${field} its type needs`);
  return value;
}
