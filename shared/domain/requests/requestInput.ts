import { z } from 'zod';
import { DomainError } from '../errors';
import { expirationPattern } from '../policies/expiration';
import {
  dateTimeOffset,
  describeJson,
  enumIgnoringCase,
  expected,
  flag,
  graphObject,
  guid,
  isJsonObject,
  list,
  odataTypeName,
  optionalText,
  orNull,
  text,
} from '../policies/graphValues';
import { invalidBody, problemsOf, type Problem } from '../policies/problems';
import { CALLER_REQUEST_TYPES, type Answer, type RequestInput, type RequestSchedule } from './assignmentRequest';
import { MAX_REQUEST_TEXT_LENGTH, MAX_STORED_TEXT_LENGTH, storedLength } from './requestSize';

/** Entra's limit of 50 answers; each is up to MAX_REQUEST_TEXT_LENGTH characters. */
const MAX_ANSWERS = 50;
/** As long as a policy's question ids may be (questions.ts). */
const MAX_QUESTION_ID_LENGTH = 128;

type CallerRequestType = RequestInput['requestType'];
type AssignmentReference = RequestInput['assignment'];

/**
 * What Graph returns but nobody sets (v1.0 names, and the beta names documented responses use). A client that
 * sends back what it read is not wrong, so these are passed over.
 */
const READ_ONLY = new Set(['id', 'state', 'status', 'createdDateTime', 'completedDateTime', 'requestState', 'requestStatus', 'completedDate']);
const DECLARED = new Set(['requestType', 'assignment', 'accessPackageAssignment', 'schedule', 'justification', 'answers', 'isValidationOnly']);

const requestType = enumIgnoringCase(CALLER_REQUEST_TYPES);

/** An address as Entra's invitations take it: one `@`, a dotted domain, no spaces. */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** The longest address SMTP allows. */
const MAX_EMAIL_LENGTH = 254;

/**
 * The person an administrator assigns by address (Graph's create page, Example 5): someone who may not be in the
 * directory yet, invited when the request is carried out.
 */
const targetByEmail = graphObject('accessPackageSubject', {
  email: text(MAX_EMAIL_LENGTH).refine((value) => EMAIL.test(value.trim()), { error: 'must be an email address, such as alice@fabrikam.com' }),
  displayName: optionalText(MAX_REQUEST_TEXT_LENGTH),
}).transform(({ email, displayName }) => ({ email: email.trim(), displayName }));

/** The assignment a request adds, updates or removes; an addition may name its target by address (`target.email`). */
const assignmentReference: z.ZodType<AssignmentReference, unknown> = graphObject('accessPackageAssignment', {
  id: orNull(guid()),
  targetId: orNull(guid()),
  target: orNull(targetByEmail),
  assignmentPolicyId: orNull(guid()),
  accessPackageId: orNull(guid()),
});

/** An expiration that sets nothing, or says `notSpecified` (as Graph echoes it), asks for no end of its own. */
const requestedExpiration = z.preprocess(
  (value) => (isJsonObject(value) && value.type == null && value.duration == null && value.endDateTime == null ? null : value),
  orNull(expirationPattern).transform((expiration) => (expiration?.type === 'notSpecified' ? null : expiration)),
);

/** entitlementManagementSchedule as a request uses it; one that asks for nothing is no schedule at all. */
const requestSchedule = graphObject('entitlementManagementSchedule', {
  startDateTime: orNull(dateTimeOffset()),
  expiration: requestedExpiration,
  recurrence: z.null({ error: 'must be left out: a request cannot recur (recurrence is for access review schedules)' }).optional(),
}).transform(({ startDateTime, expiration }): RequestSchedule | null =>
  startDateTime === null && expiration === null ? null : { startDateTime, expiration },
);

/** A requestor's own words: may be empty here; whether the policy needs them is checked against the policy. */
const requestText = z.string({ error: expected('a string') }).refine((value) => value.length <= MAX_REQUEST_TEXT_LENGTH, {
  error: (issue) => `must be at most ${MAX_REQUEST_TEXT_LENGTH} characters (got ${String((issue.input as string).length)})`,
});

/** A justification: Entra's length, and a bounded size as stored (requestSize.ts). */
const storedText = optionalText(MAX_REQUEST_TEXT_LENGTH).refine((value) => value === null || storedLength(value) <= MAX_STORED_TEXT_LENGTH, {
  error: (issue) => `takes ${storedLength(issue.input)} characters as stored, more than ${MAX_STORED_TEXT_LENGTH}: it has too many quotes, line breaks or control characters`,
});

/**
 * The question an answer is for. Documented examples send the whole question (its `@odata.type`, `sequence`,
 * `text`...); only its id says which one, so the rest is passed over.
 */
const answeredQuestion = z
  .looseObject({ id: text(MAX_QUESTION_ID_LENGTH) }, { error: expected('an object with the id of the question, such as {"id": "…"}') })
  .transform(({ id }) => ({ id }));

/** accessPackageAnswerString, the only kind of answer; without an `@odata.type` an answer is taken to be one. */
const answer: z.ZodType<Answer, unknown> = graphObject('accessPackageAnswerString', {
  value: requestText,
  displayValue: optionalText(MAX_REQUEST_TEXT_LENGTH),
  answeredQuestion,
}).transform((given) => ({ '@odata.type': '#microsoft.graph.accessPackageAnswerString', ...given }));

/**
 * Beta's `isValidationOnly: true` asks to check a request without making it. Portcullis has no such dry run, and
 * making the request instead would do what the caller said not to, so it is refused; `false` is the default.
 */
const validationOnly = flag(false).refine((isValidationOnly) => !isValidationOnly, {
  error: 'validation-only requests are not supported; leave isValidationOnly out to make the request',
});

/**
 * Reads the body of POST assignmentRequests (v1.0, or beta's `accessPackageAssignment` for `assignment`), with the
 * request type in any letter case. Which parts of `assignment` a request needs follows from its type:
 * - `userAdd`: `accessPackageId`; the target defaults to the caller and the policy may be left for the service to
 *   choose. `adminAdd`: `accessPackageId` and `targetId`. Neither names an existing assignment (`id`).
 * - `userRemove`, `adminRemove`: the `id` of the assignment.
 * - `userUpdate`, `adminUpdate`: the `id` of the assignment, or (as Graph's create page describes for userUpdate)
 *   the `accessPackageId` of the target's assignment, plus `targetId` for an administrator.
 * Throws one DomainError('invalidRequest') naming every problem by its JSON path.
 */
export function parseRequestInput(body: unknown): RequestInput {
  if (!isJsonObject(body)) throw invalidAssignmentRequest([{ path: [], message: `the body must be a JSON object, got ${describeJson(body)}` }]);
  const problems = unexpectedProperties(body);
  const assignmentKey = 'accessPackageAssignment' in body && !('assignment' in body) ? 'accessPackageAssignment' : 'assignment';
  if ('accessPackageAssignment' in body && 'assignment' in body) {
    problems.push({ path: ['accessPackageAssignment'], message: 'give assignment or its beta name accessPackageAssignment, not both' });
  }
  const read = <T>(schema: z.ZodType<T, unknown>, key: string): T | undefined => {
    const result = schema.safeParse(body[key]);
    if (result.success) return result.data;
    problems.push(...problemsOf(result.error, [key]));
    return undefined;
  };

  const type = read(requestType, 'requestType');
  const assignment = read(orNull(assignmentReference), assignmentKey);
  const schedule = read(orNull(requestSchedule), 'schedule');
  const justification = read(storedText, 'justification');
  const answers = read(list(answer, MAX_ANSWERS, 'answers'), 'answers');
  read(validationOnly, 'isValidationOnly');
  if (type !== undefined && assignment !== undefined) problems.push(...assignmentProblems(type, assignment, assignmentKey));

  if (problems.length > 0 || !type || !assignment || schedule === undefined || justification === undefined || !answers) {
    throw invalidAssignmentRequest(problems);
  }
  return { requestType: type, assignment, schedule, justification, answers };
}

function unexpectedProperties(body: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const declared = body['@odata.type'];
  if (declared !== undefined && odataTypeName(declared)?.toLowerCase() !== 'accesspackageassignmentrequest') {
    problems.push({ path: ['@odata.type'], message: `expected '#microsoft.graph.accessPackageAssignmentRequest', got ${describeJson(declared)}` });
  }
  for (const key of Object.keys(body)) {
    if (key.includes('@') || READ_ONLY.has(key) || DECLARED.has(key)) continue;
    problems.push({ path: [key], message: 'unknown property (not in accessPackageAssignmentRequest)' });
  }
  return problems;
}

/** What each request type names in `assignment`, said the way a caller fixes it. */
const NEEDED: Record<CallerRequestType, string> = {
  userAdd: 'accessPackageId (the access package to request)',
  adminAdd: 'accessPackageId and targetId or target.email (the access package, and the user to assign)',
  userRemove: 'id (the assignment to remove)',
  adminRemove: 'id (the assignment to remove)',
  userUpdate: 'id (the assignment to update), or accessPackageId (the access package of your assignment)',
  adminUpdate: 'id (the assignment to update), or accessPackageId and targetId (the access package, and the user whose assignment it is)',
};

/** The parts of `assignment` the request type needs (see parseRequestInput); `given` is null when none was sent. */
function assignmentProblems(type: CallerRequestType, given: AssignmentReference | null, key: string): Problem[] {
  if (!given) return [{ path: [key], message: `is required; ${type} requests name ${NEEDED[type]}` }];
  const missing = (field: keyof AssignmentReference) => given[field] === null;
  const problem = (field: keyof AssignmentReference, message: string): Problem => ({ path: [key, field], message });
  switch (type) {
    case 'userAdd':
    case 'adminAdd': {
      const problems: Problem[] = [];
      if (missing('accessPackageId')) problems.push(problem('accessPackageId', `is required for ${type} requests: the access package to assign`));
      if (type === 'adminAdd' && missing('targetId') && missing('target')) {
        problems.push(problem('targetId', 'is required for adminAdd requests: the object id of the user to assign (or target.email, the address of someone to invite)'));
      }
      if (!missing('targetId') && !missing('target')) problems.push(problem('target', 'give targetId or target.email, not both'));
      if (type === 'userAdd' && !missing('target')) problems.push(problem('target', 'must be left out of userAdd requests, which are for the caller; an administrator assigns by address with adminAdd'));
      if (!missing('id')) {
        const update = type === 'userAdd' ? 'userUpdate' : 'adminUpdate';
        problems.push(problem('id', `must be left out of ${type} requests, which make a new assignment; to change an existing one, use ${update}`));
      }
      return problems;
    }
    case 'userRemove':
    case 'adminRemove':
      if (!missing('target')) return [problem('target', `must be left out of ${type} requests, which name the assignment by id`)];
      return missing('id') ? [problem('id', `is required for ${type} requests: the id of the assignment to remove`)] : [];
    case 'userUpdate':
    case 'adminUpdate':
      if (!missing('target')) return [problem('target', `must be left out of ${type} requests; name the user by targetId`)];
      if (!missing('id')) return [];
      if (missing('accessPackageId')) return [problem('id', `is required for ${type} requests, which name ${NEEDED[type]}`)];
      return type === 'adminUpdate' && missing('targetId')
        ? [problem('targetId', 'is required for adminUpdate requests that name the access package instead of the assignment: the user whose assignment it is')]
        : [];
  }
}

/** One 400 for everything wrong with a request, each problem at the JSON path where the caller can fix it. */
export function invalidAssignmentRequest(problems: readonly Problem[]): DomainError {
  return invalidBody('assignment request', problems);
}
