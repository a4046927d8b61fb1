import type { Caller } from '../../auth/caller';
import type { Assignment } from '../../domain/assignments/assignment';
import { DomainError, type ErrorCode, isDomainError } from '../../domain/errors';
import type { AssignmentRequest, RequestInput } from '../../domain/requests/assignmentRequest';
import { approvalUnder } from '../../domain/requests/approvalStages';
import { parseRequestInput } from '../../domain/requests/requestInput';
import { assignmentSchedule, checkAnswers, checkJustification } from '../../domain/requests/requestRequirements';
import { newIdGroup, newRequestId } from '../../store/groupedIds';
import { selfServiceAllows } from '../../domain/requests/targetScope';
import type { PackageSnapshot, StoredPolicy } from '../../store/entitlementStore';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { beginApproval } from './approvalFlow';
import { effectOf, fulfilRequest } from './fulfilRequest';
import type { DirectoryUser } from '../../directory/directoryPort';
import type { AccessPackageSubject } from '../../domain/subjects/accessPackageSubject';
import { saveSubject } from '../externalUsers/subjects';
import { insertRequest, REQUEST_STATUS, withdrawUnchangedRequest, writeClaimedRequest } from './requestWrites';
import { publishingOnceAfter } from './auditOutbox';
import { carryOutAtOnce } from './carryOutAtOnce';
import { decidedAlike, decisionOf } from './decideAddition';

/**
 * POST assignmentRequests: checks the request against the package's policies, writes it (with its claim on the
 * package, so a duplicate is refused), then starts its approval or carries it out at once, before answering.
 */
export function submitAssignmentRequest(deps: EntitlementDeps, caller: Caller, body: unknown, options: SubmitOptions = {}): Promise<AssignmentRequest> {
  return publishingOnceAfter(deps, () => submit(deps, caller, body, options));
}

/** `recall`: whether an addition may be decided from the configuration this instance remembers (see decisionOf). */
async function submit(deps: EntitlementDeps, caller: Caller, body: unknown, options: SubmitOptions, recall = true): Promise<AssignmentRequest> {
  const input = parseRequestInput(body);
  // An external caller is authorized by whoever found their subject (they are no user here to hold roles).
  if (!input.requestType.startsWith('admin') && !options.targetSubject) await deps.accessOf(caller).require('selfService');
  const { request, configuration, policy, target, assignmentId, decidesAlike } =
    effectOf(input) === 'add' ? await newAddition(deps, caller, input, options.targetSubject, recall) : { request: await newChange(deps, caller, input) };
  // Carried out at once: written with its assignment in one transaction (carryOutAtOnce.ts).
  if (assignmentId !== undefined) {
    const carried = await retryableConflicts(() => carryOutAtOnce(deps, request, { configuration: configuration!, policy: policy!, target: target!, assignmentId, decidesAlike, policyNamed: Boolean(input.assignment.assignmentPolicyId) })).catch(
      (error: unknown) => (decidesAlike ? refusedAfresh(deps, caller, input, options, error) : Promise.reject(error)),
    );
    // Decided from a remembered configuration that the one read after the write decides otherwise: undone, and
    // submitted once more, from the configuration read now, so the caller gets the answer it gives (as before the memory).
    return carried === 'configurationChanged' ? submit(deps, caller, body, options, false) : carried;
  }

  // Only an addition claims the package; a removal or an update works on the assignment that holds the claim.
  // Crash windows from here on: an insert whose answer is lost stands (insertedDespite); a process that stops
  // before the request moves on leaves it to its recovery item (recoverRequest); once its assignment is written,
  // the reconcile sweep's redelivery finishes it; a failure answered to the caller takes the request back.
  // Its `submitRequest` event is written with it (auditOutbox.ts).
  const { request: stored, claim } = effectOf(request) === 'add' ? await writeClaimedRequest(deps, request) : { request: await insertRequest(deps, request), claim: undefined };
  await retryableConflicts(async () => {
    try {
      if (request.approval !== null) await beginApproval(deps, stored);
      else await fulfilRequest(deps, stored, { claim, configuration, target });
    } catch (error) {
      await withdrawUnchangedRequest(deps, stored);
      throw error;
    }
  });
  // Graph answers with the request as accepted (`submitted`); by the time a client reads it again, it has moved on.
  return stored.value;
}

/**
 * A refusal (a duplicate: the claim is there) of a request decided from the configuration remembered is answered only
 * once the configuration read now refuses it no sooner: else the answer could tell what only the old configuration let
 * the caller learn (a 409 naming the target's assignment, to one a fresh read answers 403). Its own refusal first, if
 * any; else the one met. A failure that is no refusal (storage away) is answered as it is.
 */
async function refusedAfresh(deps: EntitlementDeps, caller: Caller, input: RequestInput, options: SubmitOptions, error: unknown): Promise<never> {
  if (isDomainError(error) && REFUSALS.has(error.code)) await decisionOf(deps, caller, input, options.targetSubject, false);
  throw error;
}

/** The answers that refuse a request for what it asks (4xx), as against a failure to answer it (storage, the directory). */
const REFUSALS: ReadonlySet<ErrorCode> = new Set(['invalidRequest', 'notFound', 'alreadyExists', 'conflict', 'concurrencyConflict', 'forbidden']);

/** A change lost to another made at the same moment is answered as a conflict the caller may retry. */
async function retryableConflicts<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDomainError(error) && error.code === 'concurrencyConflict') {
      throw new DomainError('conflict', 'The assignment was changed by another request at the same time; read it again and retry.');
    }
    throw error;
  }
}

/** `targetSubject`: a userAdd by an external caller for themselves, who may not be in the directory yet. */
export interface SubmitOptions {
  targetSubject?: AccessPackageSubject;
}

/**
 * A new addition, with its package's configuration (the package, its policies, role scopes and incompatibilities:
 * one read, packageConfiguration.ts) and its target as the directory has them, carried on so that carrying the
 * request out does not read them again; and, when decided from the configuration remembered, how to tell whether the
 * one read after its write decides it alike.
 */
async function newAddition(
  deps: EntitlementDeps,
  caller: Caller,
  input: RequestInput,
  targetSubject: AccessPackageSubject | undefined,
  recall: boolean,
): Promise<{
  request: AssignmentRequest;
  configuration: PackageSnapshot;
  policy: StoredPolicy;
  target: DirectoryUser;
  assignmentId?: string;
  decidesAlike?: (now: PackageSnapshot | undefined) => Promise<boolean>;
}> {
  const decision = await decisionOf(deps, caller, input, targetSubject, recall);
  const { configuration, policy, target, named } = decision;
  // Someone new by address is stored only now that the request is known good: a refused one leaves nothing.
  const subject = named && !named.stored ? await saveSubject(deps, named.subject, named.subject) : named?.subject;
  // Carried out at once: the request and the assignment it becomes get ids of one group, so that their locators are
  // written in one transaction (groupedIds.ts); its requestor's group of the hour (without a subject, the caller is
  // the requestor: newRequest).
  const ids = decision.atOnce ? newIdGroup(deps.clock.now(), caller.objectId) : undefined;
  const request = newRequest(deps, caller, input, {
    id: ids?.(),
    policyId: policy.id,
    catalogId: configuration.accessPackage.catalogId,
    // Not in the directory: filed under the subject (the one stored, should another request have stored it first).
    targetId: subject && target.id === named!.subject.id ? subject.id : target.id,
    ...(subject ? { targetSubjectId: subject.id } : {}),
    assignmentId: null,
    answers: decision.answers,
    schedule: decision.schedule,
    approval: decision.needsApproval ? approvalUnder(policy.requestApprovalSettings.stages) : null,
    packageId: input.assignment.accessPackageId!,
  });
  const decidesAlike = decision.recalled ? (now: PackageSnapshot | undefined) => decidedAlike(deps, caller, input, decision, now) : undefined;
  return { request, configuration, policy, target, ...(ids ? { assignmentId: ids(), ...(decidesAlike ? { decidesAlike } : {}) } : {}) };
}

/** Remove and update requests name an existing assignment. */
async function newChange(deps: EntitlementDeps, caller: Caller, input: RequestInput): Promise<AssignmentRequest> {
  const assignment = await assignmentNamedBy(deps, caller, input);
  if (assignment.state === 'expired') {
    throw new DomainError('invalidRequest', `Invalid assignment request: assignment '${assignment.id}' has already ended.`);
  }
  const byAdministrator = input.requestType.startsWith('admin');
  if (byAdministrator) await deps.accessOf(caller).require('manageAssignments', assignment.catalogId);
  const isUpdate = effectOf(input) === 'update';
  // Ending access works from the assignment alone: an administrator's removal never depends on the policy (it may
  // be gone, and the access must still be removable), and a target may always give up what their policy, deleted
  // since, can no longer say about self-removal.
  const policy = isUpdate || !byAdministrator ? await deps.store.policies.get(assignment.accessPackageId, assignment.assignmentPolicyId) : undefined;
  if (isUpdate && !policy) throw new DomainError('invalidRequest', `Invalid assignment request: the policy of assignment '${assignment.id}' no longer exists; it cannot be extended.`);
  if (policy && !selfServiceAllows(policy.value, input.requestType)) {
    throw new DomainError('forbidden', `The policy of assignment '${assignment.id}' does not let its target make a ${input.requestType} request.`);
  }
  if (!isUpdate) {
    return newRequest(deps, caller, input, { policyId: assignment.assignmentPolicyId, catalogId: assignment.catalogId, targetId: assignment.targetId, assignmentId: assignment.id, answers: [], schedule: assignment.schedule, approval: null, packageId: assignment.accessPackageId });
  }
  checkJustification(policy!.value, input.requestType, input.justification);
  // An extension that gives no answers keeps the ones given before; new answers are checked like a new request's.
  const answers = input.answers.length > 0 ? checkAnswers(policy!.value, input.answers) : [];
  const schedule = assignmentSchedule(policy!.value, input.schedule, deps.clock.now(), { byAdministrator, extending: true });
  const needsApproval = !byAdministrator && policy!.value.requestApprovalSettings.isApprovalRequiredForUpdate;
  return newRequest(deps, caller, input, {
    policyId: assignment.assignmentPolicyId,
    catalogId: assignment.catalogId,
    targetId: assignment.targetId,
    assignmentId: assignment.id,
    answers,
    schedule,
    approval: needsApproval ? approvalUnder(policy!.value.requestApprovalSettings.stages) : null,
    packageId: assignment.accessPackageId,
  });
}

/**
 * The assignment a change names, if the caller may see it: their own for a user's request, one of a catalog they
 * read for an administrator's. Any other is answered exactly as a missing one, so the answer tells nobody who holds what.
 */
async function assignmentNamedBy(deps: EntitlementDeps, caller: Caller, input: RequestInput): Promise<Assignment> {
  const { id, accessPackageId, targetId } = input.assignment;
  // An update may name the package instead, like an add; the target's active assignment to it is meant.
  const target = targetId ?? caller.objectId;
  const missing = id ? `Assignment '${id}' was not found.` : `User '${target}' has no active assignment to access package '${accessPackageId}'.`;
  const found = id ? await deps.grants.findAssignment(id) : await activeAssignmentTo(deps, target, accessPackageId);
  const visible = found && (input.requestType.startsWith('admin') ? await deps.accessOf(caller).allows('read', found.value.catalogId) : found.value.targetId.toLowerCase() === caller.objectId.toLowerCase());
  if (!found || !visible) throw new DomainError('notFound', missing);
  return found.value;
}

async function activeAssignmentTo(deps: EntitlementDeps, targetId: string, accessPackageId: string | null) {
  const claim = accessPackageId ? await deps.grants.claimOf(targetId, accessPackageId) : undefined;
  return claim?.value.assignmentId ? deps.grants.assignmentOf(targetId, claim.value.assignmentId) : undefined;
}

function newRequest(
  deps: EntitlementDeps,
  caller: Caller,
  input: RequestInput,
  fields: {
    /** Unless the request's id is made here. */
    id?: string | undefined;
    policyId: string;
    catalogId: string;
    targetId: string;
    targetSubjectId?: string;
    assignmentId: string | null;
    answers: AssignmentRequest['answers'];
    schedule: AssignmentRequest['schedule'];
    approval: AssignmentRequest['approval'];
    packageId: string;
  },
): AssignmentRequest {
  // An external caller's own request: they are its requestor under the id it is filed under.
  const requestorId = fields.targetSubjectId && input.requestType === 'userAdd' ? fields.targetId : caller.objectId;
  return {
    id: fields.id ?? newRequestId(deps.clock.now(), requestorId),
    requestType: input.requestType,
    state: 'submitted',
    status: REQUEST_STATUS.submitted,
    createdDateTime: nowIso(deps),
    completedDateTime: null,
    justification: input.justification,
    answers: fields.answers,
    schedule: fields.schedule,
    accessPackageId: fields.packageId,
    assignmentPolicyId: fields.policyId,
    catalogId: fields.catalogId,
    targetId: fields.targetId,
    ...(fields.targetSubjectId ? { targetSubjectId: fields.targetSubjectId } : {}),
    assignmentId: fields.assignmentId,
    requestorId,
    approval: fields.approval,
  };
}
