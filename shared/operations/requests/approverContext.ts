import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import { emailDomain } from '../../domain/connectedOrganizations/connectedOrganization';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { connectedOrganizationOfDomain, sponsorsOfConnectedOrganization } from '../externalUsers/connectedOrganizationLookup';
import type { ApproverContext } from './resolveApprovers';

/**
 * Who a request's approval stages are resolved for: its requestor and target, and the sponsors of the requestor's
 * connected organization (reference §1.4), looked up only when a stage names them, and then once.
 */
export function approverContextOf(deps: EntitlementDeps, request: Pick<AssignmentRequest, 'requestorId' | 'targetId'>): ApproverContext {
  let organizationId: Promise<string | undefined> | undefined;
  return {
    requestorId: request.requestorId,
    targetId: request.targetId,
    sponsorsOfConnectedOrganization: async (kind) => {
      organizationId ??= organizationOfRequestor(deps, request.requestorId);
      const id = await organizationId;
      return id ? sponsorsOfConnectedOrganization(deps, id, kind) : [];
    },
  };
}

/**
 * The connected organization a requestor comes from: the one recorded on the subject Portcullis keeps for them (an
 * external requestor, by subject id before they are invited and by guest object id after), else, for a guest of
 * the directory, the organization of their address's domain. None for the tenant's own users.
 */
async function organizationOfRequestor(deps: EntitlementDeps, requestorId: string): Promise<string | undefined> {
  const subject = (await deps.subjects.get(requestorId)) ?? (await deps.subjects.byObjectId(requestorId));
  if (subject?.value.connectedOrganizationId) return subject.value.connectedOrganizationId;
  const user = await deps.directory.getUser(requestorId);
  const domain = user?.userType === 'Guest' && user.mail ? emailDomain(user.mail) : undefined;
  return domain ? (await connectedOrganizationOfDomain(deps, domain))?.id : undefined;
}
