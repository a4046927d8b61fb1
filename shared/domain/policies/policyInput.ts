import { z } from 'zod';
import { approvalSettings } from './approvalSettings';
import { ALLOWED_TARGET_SCOPES, type AssignmentPolicy, type NotificationSettings, type PolicyInput } from './assignmentPolicy';
import { automaticRequestSettings } from './automaticRequestSettings';
import { normaliseBetaAliases } from './beta/betaAliases';
import { expirationPattern } from './expiration';
import { describeJson, enumIgnoringCase, expected, flag, graphObject, isJsonObject, odataTypeName, optionalText, orNull, text } from './graphValues';
import { crossSectionProblems } from './policyRules';
import { invalidPolicy, problemsOf, type Problem } from './problems';
import { questions } from './questions';
import { requestorSettings } from './requestorSettings';
import { reviewSettings } from './reviewSettings';
import { subjectSets } from './subjectSets';

/**
 * A policy is stored as one Table Storage entity, and the audit event of its replacement holds it twice (before and
 * after) in one (shared/store/documentTable.ts: MAX_DOCUMENT_LENGTH, 480,000 characters of JSON). 200 KiB each
 * fits, also beside a policy stored under the earlier bound of 256 KiB.
 */
export const MAX_POLICY_BYTES = 200 * 1024;

/** What Graph returns but nobody sets: a PUT sends back what it read, so these are passed over. */
const READ_ONLY = new Set(['id', 'createdDateTime', 'modifiedDateTime', 'catalog', 'createdBy', 'modifiedBy']);

/** v1.0 properties this service does not implement: refused, as dropping them would change what the caller meant. */
const UNSUPPORTED: Record<string, string> = {
  customExtensionStageSettings: 'custom extensions are not supported by this service',
};

interface Sections extends Omit<AssignmentPolicy, 'notificationSettings'> {
  accessPackage: string;
  notificationSettings: NotificationSettings | null;
}

/** A related entity given by reference; only its id counts, so the rest of an expanded package is passed over. */
const accessPackageReference = z
  .object({ id: text(128) }, { error: expected('an object with the id of an existing access package, such as {"id": "…"}') })
  .transform(({ id }) => id);

const notificationSettings = graphObject('accessPackageNotificationSettings', { isAssignmentNotificationDisabled: flag(false) });

/** A section that may be left out: absent or null reads as {}, so every setting takes its default. */
function defaulted<T>(schema: z.ZodType<T, unknown>) {
  return z.preprocess((value) => value ?? {}, schema);
}

function sectionSchemas(newId: () => string): { [K in keyof Sections]: z.ZodType<Sections[K], unknown> } {
  return {
    accessPackage: accessPackageReference,
    displayName: text(256),
    description: optionalText(1024),
    allowedTargetScope: enumIgnoringCase(ALLOWED_TARGET_SCOPES, 'notSpecified'),
    specificAllowedTargets: subjectSets('allowedTargets'),
    automaticRequestSettings: orNull(automaticRequestSettings),
    requestorSettings: defaulted(requestorSettings),
    requestApprovalSettings: defaulted(approvalSettings),
    reviewSettings: orNull(reviewSettings),
    expiration: defaulted(expirationPattern),
    questions: questions(newId),
    notificationSettings: orNull(notificationSettings),
  };
}

/**
 * Validates the body of a POST (create) or PUT (replace) of an accessPackageAssignmentPolicy, in the v1.0 shape or
 * with the beta aliases, and gives the policy in the v1.0 shape with every default filled in. Throws one
 * DomainError('invalidRequest') that names every problem by its JSON path.
 */
export function parsePolicyInput(body: unknown, options: { newId: () => string }): PolicyInput {
  if (!isJsonObject(body)) throw invalidPolicy([{ path: [], message: `the body must be a JSON object, got ${describeJson(body)}` }]);
  const tooLarge = sizeProblem(body, 'the body');
  if (tooLarge) throw invalidPolicy([tooLarge]);

  const { body: v1Body, problems, aliases } = normaliseBetaAliases(body);
  const schemas = sectionSchemas(options.newId);
  problems.push(...unexpectedProperties(v1Body, Object.keys(schemas)));
  const sections: Partial<Sections> = {};
  for (const key of Object.keys(schemas) as Array<keyof Sections>) {
    const result = schemas[key].safeParse(v1Body[key]);
    if (result.success) (sections as Record<string, unknown>)[key] = result.data;
    else problems.push(...problemsOf(result.error, [key]));
  }
  problems.push(...crossSectionProblems(sections));
  if (problems.length > 0 || !isComplete(sections, schemas)) throw invalidPolicy(problems, aliases);

  const { accessPackage, notificationSettings: notifications, ...policy } = sections;
  const assignmentPolicy: AssignmentPolicy = notifications ? { ...policy, notificationSettings: notifications } : policy;
  const storedTooLarge = sizeProblem(assignmentPolicy, 'the policy with its defaults');
  if (storedTooLarge) throw invalidPolicy([storedTooLarge]);
  return { accessPackageId: accessPackage, policy: assignmentPolicy };
}

function unexpectedProperties(body: Record<string, unknown>, sectionNames: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const declared = body['@odata.type'];
  if (declared !== undefined && odataTypeName(declared)?.toLowerCase() !== 'accesspackageassignmentpolicy') {
    problems.push({ path: ['@odata.type'], message: `expected '#microsoft.graph.accessPackageAssignmentPolicy', got ${describeJson(declared)}` });
  }
  for (const key of Object.keys(body)) {
    if (key.includes('@') || READ_ONLY.has(key) || sectionNames.includes(key)) continue;
    problems.push({ path: [key], message: UNSUPPORTED[key] ?? 'unknown property (not in accessPackageAssignmentPolicy)' });
  }
  return problems;
}

function isComplete(sections: Partial<Sections>, schemas: Record<keyof Sections, unknown>): sections is Sections {
  return Object.keys(schemas).every((key) => key in sections);
}

function sizeProblem(value: unknown, what: string): Problem | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes <= MAX_POLICY_BYTES) return undefined;
  return { path: [], message: `${what} is ${bytes} bytes of JSON; a policy may be at most ${MAX_POLICY_BYTES}` };
}
