import type { Caller } from '../../auth/caller';
import type { ExternalIdentity } from '../../auth/externalCaller';
import { DomainError, isDomainError } from '../../domain/errors';
import { SYSTEM_ACTOR, type AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { parseRequestInput } from '../../domain/requests/requestInput';
import { assignmentSchedule, checkAnswers, checkJustification } from '../../domain/requests/requestRequirements';
import { accessPackageNotFound, findAccessPackage } from '../entitlements/accessPackages';
import { listAssignmentPolicies } from '../entitlements/assignmentPolicies';
import { findCatalog } from '../entitlements/catalogs';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { catalogOpenTo, organizationOf, policiesAdmitting, type Requestor } from '../requests/requestors';
import { submitAssignmentRequest } from '../requests/submitAssignmentRequest';
import { proposeConnectedOrganization } from './connectedOrganizationLookup';
import { subjectFor } from './subjects';

/**
 * POST assignmentRequests by a caller from another tenant (DESIGN §2.4), who asks for access for themselves: the
 * package's catalog must be published and enabled for external users, and one of its policies must admit them by
 * their connected organization (`allConfiguredConnectedOrganizationUsers` for configured organizations only,
 * `specificConnectedOrganizationUsers` naming theirs, `allExternalUsers` for anyone from outside). Under
 * `allExternalUsers`, a requestor of no known organization gets a `proposed` one made for them (reference §1.6).
 * Everything the policy asks is checked before anything is written; then the request is submitted for the access
 * package subject Portcullis keeps for them, and carried on as any request (approval, then invitation on delivery).
 */
export async function submitExternalRequest(deps: EntitlementDeps, caller: Caller & { external: ExternalIdentity }, body: unknown): Promise<AssignmentRequest> {
  await deps.accessOf(caller).require('selfService');
  const input = parseRequestInput(body);
  if (input.requestType !== 'userAdd') {
    throw new DomainError('forbidden', `A user from outside the organization may only ask for access for themselves (userAdd), not make a ${input.requestType} request.`);
  }
  if (input.assignment.targetId && input.assignment.targetId.toLowerCase() !== caller.objectId.toLowerCase()) {
    throw new DomainError('forbidden', 'A userAdd request is for the caller themselves; an administrator assigns others with adminAdd.');
  }
  const packageId = input.assignment.accessPackageId!;
  const accessPackage = (await namedInBody(() => findAccessPackage(deps, packageId))).value;
  const catalog = (await findCatalog(deps, accessPackage.catalogId)).value;
  const identity = caller.external;
  const requestor: Requestor = { kind: 'external', identity, organization: await organizationOf(deps, identity) };
  // An unpublished catalog's package is as missing to them as one that does not exist.
  if (catalog.state !== 'published') await namedInBody(() => Promise.reject(accessPackageNotFound(packageId)));
  if (!catalogOpenTo(requestor, catalog)) {
    throw new DomainError('forbidden', `Access package '${packageId}' cannot be requested from outside the organization: its catalog is not enabled for external users.`);
  }
  const policies = await listAssignmentPolicies(deps, packageId);
  const namedId = input.assignment.assignmentPolicyId?.toLowerCase();
  const named = namedId === undefined ? undefined : policies.find((p) => p.id.toLowerCase() === namedId);
  if (namedId !== undefined && !named) {
    throw new DomainError('invalidRequest', `Invalid assignment request: assignment.assignmentPolicyId: '${input.assignment.assignmentPolicyId}' is not a policy of access package '${packageId}'.`);
  }
  const [policy] = await policiesAdmitting(deps, requestor, named ? [named] : policies);
  if (!policy) {
    throw new DomainError('forbidden', named ? `Policy '${named.id}' does not let you request access package '${packageId}'.` : `No policy of access package '${packageId}' lets you request it.`);
  }
  if (!identity.email) {
    throw new DomainError('forbidden', 'Your sign-in carries no email address (email or preferred_username); one is needed to invite you into the organization.');
  }
  checkJustification(policy, input.requestType, input.justification);
  checkAnswers(policy, input.answers);
  assignmentSchedule(policy, input.schedule, deps.clock.now(), { byAdministrator: false });

  // Only `allExternalUsers` admits someone of no known organization; theirs is proposed as they request.
  const organization = requestor.organization ?? (await proposeConnectedOrganization(deps, { objectId: SYSTEM_ACTOR }, { tenantId: identity.tenantId, email: identity.email }));
  const subject = await subjectFor(deps, {
    email: identity.email,
    displayName: caller.displayName ?? null,
    principalName: identity.email,
    connectedOrganizationId: organization.id,
    homeTenantId: identity.tenantId,
    homeObjectId: caller.objectId,
    emailVerified: identity.emailVerified,
  });
  return submitAssignmentRequest(deps, caller, body, { targetSubject: subject });
}

/** A missing thing the body names is the body's fault: a 400 naming the field, not a 404 for the URL. */
async function namedInBody<T>(find: () => Promise<T>): Promise<T> {
  try {
    return await find();
  } catch (error) {
    if (isDomainError(error) && error.code === 'notFound') throw new DomainError('invalidRequest', `Invalid assignment request: assignment.accessPackageId: ${error.message}`);
    throw error;
  }
}
