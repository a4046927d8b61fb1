import { mapConcurrently } from '../../concurrently';
import type { DirectoryUser } from '../../directory/directoryPort';
import { DomainError } from '../../domain/errors';
import type { WorkflowRun } from '../../domain/workflows/results';
import { allDirectoryUsers } from '../autoAssignment/automaticPolicies';
import type { Actor, EntitlementDeps } from '../entitlements/entitlementDeps';
import { findWorkflow } from './manageWorkflows';
import { runWorkflow } from './runWorkflow';
import { inScope } from './workflowScope';

/** Users one activate call runs for: each costs its tasks' work within the call. */
export const MAX_ACTIVATE_SUBJECTS = 100;

/**
 * POST workflows/{id}/activate: runs the workflow now for the named users, whatever its scope, trigger or schedule
 * (Entra: "run on demand"). Every user must exist; nothing runs otherwise.
 */
export async function activateWorkflow(deps: EntitlementDeps, actor: Actor, id: string, body: unknown): Promise<WorkflowRun | undefined> {
  const subjects = typeof body === 'object' && body !== null ? (body as { subjects?: unknown }).subjects : undefined;
  const ids = Array.isArray(subjects) ? subjects.map((s) => (typeof s === 'object' && s !== null ? (s as { id?: unknown }).id : undefined)) : [];
  if (!Array.isArray(subjects) || ids.length === 0 || ids.length > MAX_ACTIVATE_SUBJECTS || ids.some((s) => typeof s !== 'string' || s === '')) {
    throw new DomainError('invalidRequest', `Invalid activation: subjects must list 1 to ${MAX_ACTIVATE_SUBJECTS} users as [{"id":"<user id>"}].`);
  }
  const workflow = (await findWorkflow(deps, id)).value;
  const unique = [...new Set((ids as string[]).map((s) => s.toLowerCase()))];
  const users = await mapConcurrently(unique, (userId) => deps.directory.getUser(userId));
  const missing = unique.filter((_, i) => users[i] === undefined);
  if (missing.length > 0) throw new DomainError('invalidRequest', `Invalid activation: subjects: no user '${missing.join("', '")}' in the directory.`);
  return runWorkflow(deps, workflow, (users as DirectoryUser[]).map((user) => ({ user })), { type: 'onDemand', reason: 'activate', actorId: actor.objectId });
}

/** GET workflows/{id}/executionScope: the users in the workflow's scope now. */
export async function executionScope(deps: EntitlementDeps, id: string): Promise<DirectoryUser[]> {
  const workflow = (await findWorkflow(deps, id)).value;
  return (await allDirectoryUsers(deps)).filter((user) => inScope(workflow, user));
}
