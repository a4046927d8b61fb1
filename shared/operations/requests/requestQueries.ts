import type { Caller } from '../../auth/caller';
import { DomainError } from '../../domain/errors';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { isPendingFor } from '../../domain/requests/approvalStages';
import type { StoredDocument } from '../../store/documentTable';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { sees } from '../../auth/callerAccess';
import { ownTargetId } from './requestors';

export async function findRequest(deps: EntitlementDeps, id: string): Promise<StoredDocument<AssignmentRequest>> {
  const found = await deps.grants.findRequest(id);
  if (!found) throw new DomainError('notFound', `Assignment request '${id}' was not found.`);
  return found;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Whether the caller takes part in the request: its target, its requestor, or one of its approvers. */
export function takesPart(request: AssignmentRequest, userId: string): boolean {
  return (
    same(request.targetId, userId) ||
    same(request.requestorId, userId) ||
    (request.approval?.stages.some((s) => s.approverIds.some((id) => same(id, userId))) ?? false)
  );
}

/** One request, for those who take part in it, administrators and the role holders of its catalog. */
export async function readRequest(deps: EntitlementDeps, caller: Caller, id: string): Promise<AssignmentRequest> {
  const { value } = await findRequest(deps, id);
  if (!takesPart(value, caller.objectId) && !sees(await deps.accessOf(caller).visibility(), value.catalogId)) {
    throw new DomainError('forbidden', `You take no part in assignment request '${id}'.`);
  }
  return value;
}

/**
 * Administrators see every request, catalog role holders those of their catalogs too, and anyone the requests
 * they are the target or requestor of.
 */
export async function listRequests(deps: EntitlementDeps, caller: Caller): Promise<AssignmentRequest[]> {
  const visibility = await deps.accessOf(caller).visibility();
  if (visibility.everything) return (await deps.grants.allRequests()).map((d) => d.value);
  const [own, forOthers, ofCatalogs] = await Promise.all([
    deps.grants.requestsOf(caller.objectId),
    deps.grants.requestsMadeForOthersBy(caller.objectId, deps.clock.now()),
    visibility.catalogIds.size > 0 ? deps.grants.allRequests() : [],
  ]);
  const unique = new Map([...own, ...forOthers, ...ofCatalogs.filter((r) => sees(visibility, r.value.catalogId))].map((d) => [d.value.id, d.value]));
  return [...unique.values()];
}

export type RequestFilterOn = 'target' | 'createdBy' | 'approver';

/** filterByCurrentUser(on=…): the caller's requests as target, as creator, or awaiting their decision. */
export async function requestsOfCurrentUser(deps: EntitlementDeps, caller: Caller, on: RequestFilterOn): Promise<AssignmentRequest[]> {
  const me = await ownTargetId(deps, caller);
  if (me === undefined) return [];
  switch (on) {
    case 'target':
      return (await deps.grants.requestsOf(me)).map((d) => d.value);
    case 'createdBy': {
      const own = (await deps.grants.requestsOf(me)).filter((d) => same(d.value.requestorId, me));
      return [...own, ...(await deps.grants.requestsMadeForOthersBy(me, deps.clock.now()))].map((d) => d.value);
    }
    case 'approver':
      return (await deps.grants.requestsAwaiting(me)).map((d) => d.value).filter((r) => isPendingFor(r, me));
  }
}

/**
 * approval filterByCurrentUser(on='approver'): the approvals the caller is "in the scope of being an approver" of
 * (Graph's words), that is those waiting for their decision now and those in which they decided a stage, newest
 * first. Unlike assignmentRequests filterByCurrentUser(on='approver'), which Graph documents as pending only.
 */
export async function approvalsOfCurrentUser(deps: EntitlementDeps, caller: Caller): Promise<AssignmentRequest[]> {
  const me = await ownTargetId(deps, caller);
  if (me === undefined) return [];
  const [pending, decided] = await Promise.all([requestsOfCurrentUser(deps, caller, 'approver'), deps.grants.requestsDecidedBy(me)]);
  const decidedByMe = decided.map((d) => d.value).filter((r) => r.approval?.stages.some((s) => s.reviewedBy !== null && same(s.reviewedBy.id, me)));
  const unique = new Map([...pending, ...decidedByMe].map((r) => [r.id, r]));
  return [...unique.values()].sort((a, b) => b.createdDateTime.localeCompare(a.createdDateTime));
}
