import { writeAudited } from '../requests/auditOutbox';
import { mapConcurrently } from '../../concurrently';
import type { Caller } from '../../auth/caller';
import type { Assignment } from '../../domain/assignments/assignment';
import { additions, roleKey, STATUS_OF_STATE } from '../../domain/assignments/deliveryState';
import { DomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { sees } from '../../auth/callerAccess';
import { ownTargetId } from '../requests/requestors';
import { applyOperations } from './applyOperations';
import { rolesOfPackage } from './directoryRoles';

export async function findAssignment(deps: EntitlementDeps, id: string): Promise<StoredDocument<Assignment>> {
  const found = await deps.grants.findAssignment(id);
  if (!found) throw new DomainError('notFound', `Assignment '${id}' was not found.`);
  return found;
}

/** One assignment, for its target, the one who asked for it, administrators and the role holders of its catalog. */
export async function readAssignment(deps: EntitlementDeps, caller: Caller, id: string): Promise<Assignment> {
  const { value } = await findAssignment(deps, id);
  const me = caller.objectId.toLowerCase();
  if (value.targetId.toLowerCase() !== me && value.createdById.toLowerCase() !== me && !sees(await deps.accessOf(caller).visibility(), value.catalogId)) {
    throw new DomainError('forbidden', `Assignment '${id}' is not yours to read.`);
  }
  return value;
}

/** Administrators see every assignment, catalog role holders those of their catalogs too, anyone their own. */
export async function listAssignments(deps: EntitlementDeps, caller: Caller): Promise<Assignment[]> {
  const visibility = await deps.accessOf(caller).visibility();
  if (visibility.everything) return (await deps.grants.allAssignments()).map((d) => d.value);
  const [own, ofCatalogs] = await Promise.all([deps.grants.assignmentsOf(caller.objectId), visibility.catalogIds.size > 0 ? deps.grants.allAssignments() : []]);
  const unique = new Map([...own, ...ofCatalogs.filter((a) => sees(visibility, a.value.catalogId))].map((d) => [d.value.id, d.value]));
  return [...unique.values()];
}

export type AssignmentFilterOn = 'target' | 'createdBy';

/** filterByCurrentUser(on=…): the caller's assignments, or those made at their request (for themselves or others). */
export async function assignmentsOfCurrentUser(deps: EntitlementDeps, caller: Caller, on: AssignmentFilterOn): Promise<Assignment[]> {
  const ownId = await ownTargetId(deps, caller);
  if (ownId === undefined) return [];
  const me = ownId.toLowerCase();
  if (on === 'target') return (await deps.grants.assignmentsOf(ownId)).map((d) => d.value);
  const own = (await deps.grants.assignmentsOf(ownId)).map((d) => d.value).filter((a) => a.createdById.toLowerCase() === me);
  const additions = (await deps.grants.requestsMadeForOthersBy(ownId, deps.clock.now())).flatMap((r) => (r.value.assignmentId && r.value.requestType.endsWith('Add') ? [r.value] : []));
  const forOthers = await mapConcurrently(additions, (r) => deps.grants.assignmentOf(r.targetId, r.assignmentId!));
  return [...own, ...forOthers.flatMap((a) => (a ? [a.value] : []))];
}

/**
 * POST assignments/{id}/reprocess: enforces the assignment again. Every role its package grants now is added
 * afresh (the directory skips what is already there), which also restores a membership removed by hand; removals
 * still pending (a role taken out of the package) are kept and retried.
 */
export async function reprocessAssignment(deps: EntitlementDeps, caller: Caller, id: string): Promise<void> {
  const stored = await findAssignment(deps, id);
  if (stored.value.state === 'expired') throw new DomainError('invalidRequest', `Assignment '${id}' has ended; it cannot be reprocessed.`);
  const adds = additions(await rolesOfPackage(deps, stored.value.accessPackageId));
  const added = new Set(adds.map((o) => roleKey(o.role)));
  const removes = stored.value.operations.filter((o) => o.action === 'remove' && o.state !== 'done' && !added.has(roleKey(o.role)));
  const operations = [...adds, ...removes];
  const delivering = { ...stored.value, operations, state: 'delivering' as const, status: STATUS_OF_STATE.delivering };
  // The event goes with the reopened assignment, in its partition's transaction (auditOutbox.ts).
  const entry = { actorId: caller.objectId, action: 'reprocessAssignment', entityType: 'assignment', entityId: id, before: stored.value, after: delivering };
  const [reopened] = await writeAudited(deps, [deps.grants.assignments.replacement(stored, delivering)], [entry]);
  await applyOperations(deps, [reopened as typeof stored], { retryFailed: true });
}
