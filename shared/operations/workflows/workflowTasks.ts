import { mapConcurrently } from '../../concurrently';
import type { Assignment } from '../../domain/assignments/assignment';
import { DomainError, isDomainError } from '../../domain/errors';
import { assignmentSchedule } from '../../domain/requests/requestRequirements';
import { isRequestBased } from '../../domain/requests/targetScope';
import {
  ADD_TO_GROUPS,
  CANCEL_PENDING_REQUESTS,
  DISABLE_ACCOUNT,
  ENABLE_ACCOUNT,
  REMOVE_ACCESS_PACKAGE,
  REMOVE_ALL_ACCESS_PACKAGES,
  REMOVE_FROM_GROUPS,
  REQUEST_ACCESS_PACKAGE,
  WELCOME_EMAIL,
} from '../../domain/workflows/taskDefinitions';
import type { Workflow, WorkflowTask } from '../../domain/workflows/workflow';
import { argumentOf } from '../../domain/workflows/workflowInput';
import type { StoredPolicy } from '../../store/entitlementStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { cancelOpenRequest, isOpen } from '../requests/requestActions';
import { checkSeparationOfDuties } from '../requests/separationOfDuties';
import { carryOut, carryOutClaimed, systemRemovalOf, systemRequest } from '../requests/systemRequests';
import { tryEach } from './failedForNow';
import type { ScopedUser } from './workflowScope';

/** What a task works on: the user, and the workflow it belongs to (named in the requests it makes). */
export interface TaskContext {
  deps: EntitlementDeps;
  workflow: Workflow;
  user: ScopedUser;
}

/** A task that could not be done: the reason is recorded as the task's `failureReason`. */
const failure = (reason: string) => new DomainError('invalidRequest', reason);

/** Carries out one task; throws when it fails. Each is idempotent: run twice, it changes nothing the second time. */
export async function runTask(context: TaskContext, task: WorkflowTask): Promise<void> {
  const { deps, user } = context;
  const argument = (name: string) => {
    const value = argumentOf(task, name);
    if (value === undefined) throw failure(`The task has no ${name} argument.`);
    return value;
  };
  switch (task.taskDefinitionId) {
    case REQUEST_ACCESS_PACKAGE:
      return requestAccessPackage(context, argument('accessPackageId'), argument('assignmentPolicyId'));
    case REMOVE_ACCESS_PACKAGE:
      return removeAssignments(context, (a) => a.accessPackageId.toLowerCase() === argument('accessPackageId').toLowerCase());
    case REMOVE_ALL_ACCESS_PACKAGES:
      return removeAssignments(context, () => true);
    case CANCEL_PENDING_REQUESTS:
      return cancelPendingRequests(context);
    case ENABLE_ACCOUNT:
      return deps.directory.setAccountEnabled(user.id, true);
    case DISABLE_ACCOUNT:
      return deps.directory.setAccountEnabled(user.id, false);
    case ADD_TO_GROUPS:
    case REMOVE_FROM_GROUPS:
      return changeGroups(context, task.taskDefinitionId === ADD_TO_GROUPS, argument('groupID'));
    case WELCOME_EMAIL:
      return sendWelcomeEmail(context, task);
    default:
      throw failure(`Task definition '${task.taskDefinitionId}' is not supported.`);
  }
}

const justification = (workflow: Workflow) => `Lifecycle workflow '${workflow.displayName}' (${workflow.id}, version ${workflow.version}).`;

/**
 * Assigns the package through a system-made `adminAdd` request, as any other: separation of duties, delivery,
 * expiry and audit apply. The policy must belong to the package and allow direct assignment: request-based (an
 * auto-assignment policy assigns by its own rule) and for users in the directory. A user who holds the package
 * already, or has a request open for it, keeps what they have.
 */
async function requestAccessPackage({ deps, workflow, user }: TaskContext, packageId: string, policyId: string): Promise<void> {
  const accessPackage = await deps.store.accessPackages.find(packageId);
  if (!accessPackage) throw failure(`Access package '${packageId}' does not exist.`);
  const policy = (await deps.store.policies.find(policyId))?.value;
  if (!policy || policy.accessPackageId.toLowerCase() !== packageId.toLowerCase()) throw failure(`Policy '${policyId}' is not a policy of access package '${packageId}'.`);
  if (!allowsDirectAssignment(policy)) throw failure(`Policy '${policyId}' does not allow direct assignment (it is ${isRequestBased(policy) ? `for ${policy.allowedTargetScope}` : 'an auto-assignment policy'}).`);
  await checkSeparationOfDuties(deps, user.id, packageId);
  const request = systemRequest(deps, {
    requestType: 'adminAdd',
    justification: justification(workflow),
    schedule: assignmentSchedule(policy, null, deps.clock.now(), { byAdministrator: true }),
    accessPackageId: packageId,
    assignmentPolicyId: policy.id,
    catalogId: accessPackage.value.catalogId,
    targetId: user.id,
    assignmentId: null,
  });
  // A user who already holds the package, or has a request open for it, keeps what they have.
  await carryOutClaimed(deps, request);
}

const DIRECT_ASSIGNMENT_SCOPES = new Set(['notSpecified', 'specificDirectoryUsers', 'allMemberUsers', 'allDirectoryUsers']);

function allowsDirectAssignment(policy: StoredPolicy): boolean {
  return isRequestBased(policy) && DIRECT_ASSIGNMENT_SCOPES.has(policy.allowedTargetScope);
}

/**
 * Ends the user's assignments that `which` picks, each through a system-made `adminRemove` request. Every one is
 * tried, so one that fails does not keep the others.
 */
async function removeAssignments({ deps, workflow, user }: TaskContext, which: (assignment: Assignment) => boolean): Promise<void> {
  const held = (await deps.grants.assignmentsOf(user.id)).map((d) => d.value).filter((a) => a.state !== 'expired' && which(a));
  await tryEach(held, async (assignment) => {
    try {
      await carryOut(deps, systemRemovalOf(deps, assignment, justification(workflow), 'adminRemove'));
    } catch (error) {
      // Ended meanwhile (expiry, an administrator): nothing left to do.
      if (!(isDomainError(error) && error.code === 'invalidRequest')) throw error;
    }
  });
}

async function cancelPendingRequests({ deps, workflow, user }: TaskContext): Promise<void> {
  const open = (await deps.grants.requestsOf(user.id)).filter((r) => isOpen(r.value));
  await tryEach(open, (stored) => cancelOpenRequest(deps, { objectId: 'system' }, stored, justification(workflow)));
}

/** Every group is tried; a change the directory refused for now fails as such (dependencyUnavailable), so it is retried. */
async function changeGroups({ deps, user }: TaskContext, add: boolean, groupIds: string): Promise<void> {
  await tryEach(groupIds.split(',').map((id) => id.trim()), async (groupId) => {
    const [outcome] = add ? await deps.directory.addGroupMembers(groupId, [user.id]) : await deps.directory.removeGroupMembers(groupId, [user.id]);
    if (outcome?.outcome !== 'failed') return;
    const reason = `Group '${groupId}': ${outcome.error?.message ?? 'the directory refused the change'}.`;
    throw outcome.error?.kind === 'transient' ? new DomainError('dependencyUnavailable', reason) : failure(reason);
  });
}

/** The welcome mail, through MAIL_SENDER: a task that cannot send it fails (it is what the task is for). */
async function sendWelcomeEmail({ deps, user }: TaskContext, task: WorkflowTask): Promise<void> {
  if (!deps.mailEnabled) throw failure('Mail is off: MAIL_SENDER is not set.');
  const to = user.mail ?? user.userPrincipalName;
  if (!to) throw failure('The user has no mail address.');
  const fill = (text: string) => text.replaceAll('{{userDisplayName}}', user.displayName ?? '').replaceAll('{{userGivenName}}', user.displayName?.split(' ')[0] ?? '');
  const cc = (argumentOf(task, 'cc') ?? '').split(',').map((id) => id.trim()).filter(Boolean);
  const copied = (await mapConcurrently(cc, (id) => deps.mailDirectory.getUser(id))).flatMap((u) => u?.mail ?? u?.userPrincipalName ?? []);
  await deps.mailDirectory.sendMail({
    to: [to, ...copied],
    subject: fill(argumentOf(task, 'customSubject') ?? 'Welcome, {{userDisplayName}}'),
    text: fill(argumentOf(task, 'customBody') ?? 'Welcome to the organization, {{userGivenName}}. Your accounts and access are ready.'),
  });
}
