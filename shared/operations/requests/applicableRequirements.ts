import type { Caller } from '../../auth/caller';
import { policyRequirements } from '../../domain/requests/requestRequirements';
import { accessPackageNotFound, findAccessPackage } from '../entitlements/accessPackages';
import { listAssignmentPolicies } from '../entitlements/assignmentPolicies';
import { findCatalog } from '../entitlements/catalogs';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { catalogOpenTo, policiesAdmitting, requestorOf } from './requestors';
import { applicablePolicies } from './choosePolicy';
import { DomainError } from '../../domain/errors';
import { describeJson, isJsonObject } from '../../domain/policies/graphValues';

/**
 * POST accessPackages/{id}/getApplicablePolicyRequirements: the policies under which the caller may request the
 * package, with what each asks (questions, justification, approval, schedule); empty when none admits them, and for
 * a caller from outside the organization when the catalog is not enabled for external users.
 */
export async function applicableRequirements(deps: EntitlementDeps, caller: Caller, packageId: string, body?: Record<string, unknown>): Promise<Array<Record<string, unknown>>> {
  const forUserId = subjectNamedIn(body);
  const accessPackage = (await findAccessPackage(deps, packageId)).value;
  // Nobody requests from an unpublished catalog, so its policies are shown only to those who may read it; to anyone
  // else the package is as missing as one that does not exist.
  const catalog = (await findCatalog(deps, accessPackage.catalogId)).value;
  if (catalog.state !== 'published' && !(await deps.accessOf(caller).allows('read', catalog.id))) throw accessPackageNotFound(packageId);
  if (forUserId && forUserId.toLowerCase() !== caller.objectId.toLowerCase()) return requirementsOnBehalf(deps, caller, packageId, forUserId);
  const requestor = await requestorOf(deps, caller);
  if (requestor.kind === 'external' && !catalogOpenTo(requestor, catalog)) return [];
  return (await policiesAdmitting(deps, requestor, await listAssignmentPolicies(deps, packageId))).map((policy) => ({ ...policyRequirements(policy) }));
}

/**
 * The body Graph documents for asking about someone else (`{"subject": {"objectId": "…"}}`, beta's Example 2):
 * their object id; none for an empty body or `{}`, which ask about the caller.
 */
function subjectNamedIn(body: Record<string, unknown> | undefined): string | undefined {
  if (!body) return undefined;
  const unknown = Object.keys(body).filter((key) => key !== 'subject' && !key.includes('@'));
  if (unknown.length > 0) throw new DomainError('invalidRequest', `Unknown property '${unknown[0]}': the body may name only the subject to request for, as {"subject": {"objectId": "…"}}.`);
  if (body.subject === undefined || body.subject === null) return undefined;
  const objectId = isJsonObject(body.subject) ? body.subject.objectId : undefined;
  if (typeof objectId !== 'string' || !GUID.test(objectId)) {
    throw new DomainError('invalidRequest', `subject.objectId must be the object id (a GUID) of the user to request for (got ${describeJson(objectId ?? body.subject)}).`);
  }
  return objectId;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The policies under which the caller may request the package for another user of the directory (a manager for a
 * direct report): none when that user is unknown, as when no policy lets them.
 */
async function requirementsOnBehalf(deps: EntitlementDeps, caller: Caller, packageId: string, userId: string): Promise<Array<Record<string, unknown>>> {
  if (caller.external) return [];
  const target = await deps.directory.getUser(userId);
  if (!target) return [];
  const policies = await applicablePolicies(deps, packageId, target, await listAssignmentPolicies(deps, packageId), undefined, caller.objectId);
  return policies.map((policy) => ({ ...policyRequirements(policy) }));
}
