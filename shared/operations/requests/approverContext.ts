import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { sponsorsOfConnectedOrganization } from '../externalUsers/connectedOrganizationLookup';
import { organizationOfUser } from '../externalUsers/organizationOfUser';
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

/** The requestor's connected organization; their subject is found by subject id before they are invited, by object id after. */
async function organizationOfRequestor(deps: EntitlementDeps, requestorId: string): Promise<string | undefined> {
  const subject = ((await deps.subjects.get(requestorId)) ?? (await deps.subjects.byObjectId(requestorId)))?.value;
  const user = subject?.connectedOrganizationId ? undefined : await deps.directory.getUser(requestorId);
  return (await organizationOfUser(deps, { subject, user }))?.id;
}
