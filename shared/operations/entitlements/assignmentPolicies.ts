import type { Caller } from '../../auth/caller';
import { audited, shownIn } from '../audit/auditedChange';
import { tableKey } from '../../store/tableKeys';
import { planNextReview } from '../reviews/planReviews';
import { automaticPolicy, isAutomatic } from '../autoAssignment/automaticPolicies';
import { evaluatePolicyNow } from '../autoAssignment/autoAssignmentSweep';
import { DomainError, isDomainError } from '../../domain/errors';
import { parsePolicyInput } from '../../domain/policies';
import type { StoredDocument } from '../../store/documentTable';
import type { StoredPolicy } from '../../store/entitlementStore';
import { findAccessPackage } from './accessPackages';
import { retiring, undoUnlessParentRemains } from './parentCheck';
import { cancelRequestsUnder } from '../requests/requestActions';
import { requireNamedOrganizations, undoUnlessNamedOrganizationsRemain } from '../externalUsers/connectedOrganizations';
import { type Actor, type EntitlementDeps, nowIso } from './entitlementDeps';
import { changingPackageConfiguration } from './packageConfiguration';


/** The package a policy names must exist; its absence is a fault of the body, so a 400 naming the field. */
async function packageNamedBy(deps: EntitlementDeps, accessPackageId: string) {
  try {
    return await findAccessPackage(deps, accessPackageId);
  } catch (error) {
    if (isDomainError(error) && error.code === 'notFound') {
      throw new DomainError('invalidRequest', `Invalid policy: accessPackage.id: access package '${accessPackageId}' does not exist.`);
    }
    throw error;
  }
}

/**
 * Auto-assignment policies are for administrators (as in Entra), one per package, since two rules assigning the
 * same package would fight over who holds it.
 */
async function checkAutomatic(deps: EntitlementDeps, caller: Caller, policy: StoredPolicy, was?: StoredPolicy): Promise<void> {
  if (!isAutomatic(policy) && !(was && isAutomatic(was))) return;
  await requireAdministratorForAutomatic(deps, caller);
  if (!isAutomatic(policy)) return;
  const others = (await deps.store.policies.list({ partitionId: policy.accessPackageId })).filter((p) => p.value.id !== policy.id && isAutomatic(p.value));
  if (others.length > 0) {
    throw new DomainError('conflict', `Access package '${policy.accessPackageId}' already has an auto-assignment policy ('${others[0]!.value.id}').`);
  }
}

async function requireAdministratorForAutomatic(deps: EntitlementDeps, caller: Caller): Promise<void> {
  if (!(await deps.accessOf(caller).allows('manageTenant'))) {
    throw new DomainError('forbidden', 'Only an administrator may create, change or delete an auto-assignment policy.');
  }
}

/** A new or changed auto-assignment policy is applied at once: its rule assigns within seconds, not at the next sweep. */
async function applyNow(deps: EntitlementDeps, policy: StoredPolicy): Promise<void> {
  const auto = await automaticPolicy(deps, policy);
  if (auto) await evaluatePolicyNow(deps, auto);
}

export async function createAssignmentPolicy(deps: EntitlementDeps, actor: Caller, body: unknown): Promise<StoredPolicy> {
  const input = parsePolicyInput(body, { newId: deps.newId });
  const accessPackage = await packageNamedBy(deps, input.accessPackageId);
  await requireNamedOrganizations(deps, input.policy);
  const now = nowIso(deps);
  const policy: StoredPolicy = { ...input.policy, id: deps.newId(), accessPackageId: input.accessPackageId, createdDateTime: now, modifiedDateTime: now };
  await checkAutomatic(deps, actor, policy);
  const entry = { actorId: actor.objectId, action: 'createAssignmentPolicy', entityType: 'assignmentPolicy', entityId: policy.id, before: null, after: policy, catalogId: accessPackage.value.catalogId };
  await changingPackageConfiguration(deps, [policy.accessPackageId], () =>
    audited(deps, entry, shownIn('assignmentPolicies', { partitionKey: tableKey(policy.accessPackageId), rowKey: tableKey(policy.id) }, 'present'), async () => {
      const stored = await deps.store.policies.insert(policy.accessPackageId, policy.id, policy);
      await undoUnlessParentRemains(
        deps,
        { kind: 'accessPackage', id: policy.accessPackageId },
        () => findAccessPackage(deps, policy.accessPackageId),
        () => deps.store.policies.delete(stored),
      );
      await undoUnlessNamedOrganizationsRemain(deps, policy, () => deps.store.policies.delete(stored));
    }),
  );
  await applyNow(deps, policy);
  await planNextReview(deps, policy);
  return policy;
}

export async function findAssignmentPolicy(deps: EntitlementDeps, id: string): Promise<StoredDocument<StoredPolicy>> {
  const found = await deps.store.policies.find(id);
  if (!found) throw new DomainError('notFound', `Assignment policy '${id}' was not found.`);
  return found;
}

/** PUT: the whole policy is replaced; it stays with its package. */
export async function replaceAssignmentPolicy(deps: EntitlementDeps, actor: Caller, id: string, body: Record<string, unknown>): Promise<StoredPolicy> {
  if (body.id !== undefined && body.id !== id) throw new DomainError('invalidRequest', `Invalid policy: id '${String(body.id)}' does not match the URL.`);
  const input = parsePolicyInput(body, { newId: deps.newId });
  const stored = await findAssignmentPolicy(deps, id);
  if (input.accessPackageId !== stored.value.accessPackageId) {
    throw new DomainError('invalidRequest', 'Invalid policy: accessPackage.id: a policy cannot move to another access package.');
  }
  await requireNamedOrganizations(deps, input.policy);
  const replaced: StoredPolicy = { ...input.policy, id, accessPackageId: stored.value.accessPackageId, createdDateTime: stored.value.createdDateTime, modifiedDateTime: nowIso(deps) };
  await checkAutomatic(deps, actor, replaced, stored.value);
  const entry = { actorId: actor.objectId, action: 'replaceAssignmentPolicy', entityType: 'assignmentPolicy', entityId: id, before: stored.value, after: replaced, catalogId: await catalogOfPackage(deps, replaced.accessPackageId) };
  await changingPackageConfiguration(deps, [replaced.accessPackageId], () =>
    audited(deps, entry, shownIn('assignmentPolicies', stored, 'changed'), async () => {
      const written = await deps.store.policies.replace(stored, replaced);
      await undoUnlessNamedOrganizationsRemain(deps, replaced, async () => void (await deps.store.policies.replace(written, stored.value)));
    }),
  );
  await applyNow(deps, replaced);
  await planNextReview(deps, replaced);
  return replaced;
}

/**
 * Refused while assignments made under the policy are active: they would lose the rules that govern them. Requests
 * still open under it are canceled (audited). The delete runs under the policy's deletion mark, which a request
 * checks before it becomes an assignment (grantAccess): a request is canceled here, or carried out there and
 * refuses the delete, never both left standing.
 */
export async function deleteAssignmentPolicy(deps: EntitlementDeps, actor: Caller, id: string): Promise<void> {
  const stored = await findAssignmentPolicy(deps, id);
  if (isAutomatic(stored.value)) await requireAdministratorForAutomatic(deps, actor);
  // Refused before anything is written (a 4xx changes nothing), and again under the mark, where it counts.
  await refuseIfGoverning(deps, stored.value);
  // The package's configuration is taken away before the mark and kept again once the policy is gone: a request
  // that finds it kept knows the policy is not being deleted (fulfilRequest.ts, policyStanding).
  await changingPackageConfiguration(deps, [stored.value.accessPackageId], () => deleteUnderMark(deps, actor, stored));
}

async function refuseIfGoverning(deps: EntitlementDeps, policy: StoredPolicy): Promise<void> {
  const governed = (await deps.grants.assignmentsOfPackage(policy.accessPackageId)).filter((a) => a.value.assignmentPolicyId === policy.id && a.value.state !== 'expired');
  if (governed.length > 0) throw new DomainError('conflict', `Assignment policy '${policy.id}' still governs ${governed.length} assignment(s); remove them first.`);
}

async function deleteUnderMark(deps: EntitlementDeps, actor: Actor, stored: StoredDocument<StoredPolicy>): Promise<void> {
  const id = stored.value.id;
  await retiring(deps, { kind: 'assignmentPolicy', id }, async () => {
    // Before canceling anything (a refused delete cancels nothing), and again after: a request carried out while
    // the others were canceled made an assignment.
    await refuseIfGoverning(deps, stored.value);
    await cancelRequestsUnder(deps, actor, { packageId: stored.value.accessPackageId, policyId: id }, `Assignment policy '${id}' was deleted.`);
    await refuseIfGoverning(deps, stored.value);
    const entry = { actorId: actor.objectId, action: 'deleteAssignmentPolicy', entityType: 'assignmentPolicy', entityId: id, before: stored.value, after: null, catalogId: await catalogOfPackage(deps, stored.value.accessPackageId) };
    await audited(deps, entry, shownIn('assignmentPolicies', stored, 'absent'), () => deps.store.policies.delete(stored));
  });
}

/** A policy's events are its package's catalog's (its owners and readers see them). */
async function catalogOfPackage(deps: EntitlementDeps, packageId: string): Promise<string | null> {
  return (await deps.store.accessPackages.find(packageId))?.value.catalogId ?? null;
}

/** The policies of the tenant or of one package; with `limit`, only the first that many are read. */
export async function listAssignmentPolicies(deps: EntitlementDeps, packageId?: string, limit?: number): Promise<StoredPolicy[]> {
  if (packageId !== undefined) await findAccessPackage(deps, packageId);
  const documents = await deps.store.policies.list({ partitionId: packageId, limit });
  return documents.map((d) => d.value);
}
