import type { AssignmentPolicy, SubjectSet } from '../policies';
import type { RequestType } from './assignmentRequest';

/**
 * What the scope rules need to know about a user, gathered by the operation beforehand (group memberships in one
 * directory call, see groupsNamedBy), so that the rules stay synchronous and pure.
 */
export interface TargetFacts {
  userId: string;
  userType: 'Member' | 'Guest' | null;
  /**
   * A user from another tenant who is not in this directory (an external caller, DESIGN §2.4): only the scopes for
   * users outside the organization admit them, whatever else is said of them.
   */
  outsideDirectory: boolean;
  isInGroup(groupId: string): boolean;
  /**
   * The connected organization the user comes from, and whether it is `configured` (rather than `proposed`); null
   * for the tenant's own users and users of no connected organization.
   */
  connectedOrganization: { id: string; configured: boolean } | null;
  /** Evaluates an attributeRuleMembers rule for the user; without it, no rule admits the user. */
  matchesRule?: (membershipRule: string) => boolean;
}

/** The groups whose members the policy admits, so the operation can ask the directory about them all at once. */
export function groupsNamedBy(policy: AssignmentPolicy): string[] {
  if (policy.allowedTargetScope !== 'specificDirectoryUsers') return [];
  const groupIds = policy.specificAllowedTargets.flatMap((target) => (target['@odata.type'] === '#microsoft.graph.groupMembers' ? [target.groupId] : []));
  return [...new Set(groupIds)];
}

/**
 * Whether the policy's allowedTargetScope admits the user. Ids compare without regard to letter case, as
 * directory ids do. Service principal and agent identity scopes admit no user.
 */
export function isAllowedTarget(policy: AssignmentPolicy, facts: TargetFacts): boolean {
  const organization = facts.connectedOrganization;
  switch (policy.allowedTargetScope) {
    case 'allMemberUsers':
      return !facts.outsideDirectory && facts.userType === 'Member';
    // A user the operation found in the directory is in it, whatever its userType says (older accounts have none).
    case 'allDirectoryUsers':
      return !facts.outsideDirectory;
    // Every user from outside: guests here and callers from other tenants, of a connected organization or none.
    case 'allExternalUsers':
      return facts.outsideDirectory || facts.userType === 'Guest';
    // A proposed organization was never approved by an administrator: "all configured" does not cover its users.
    case 'allConfiguredConnectedOrganizationUsers':
      return organization?.configured === true;
    case 'specificDirectoryUsers':
      return !facts.outsideDirectory && policy.specificAllowedTargets.some((target) => admitsDirectoryUser(target, facts));
    // Naming an organization admits its users whatever its state: a proposed one can be named on purpose.
    case 'specificConnectedOrganizationUsers':
      return policy.specificAllowedTargets.some(
        (target) =>
          target['@odata.type'] === '#microsoft.graph.connectedOrganizationMembers' &&
          organization !== null &&
          sameId(target.connectedOrganizationId, organization.id),
      );
    // notSpecified: a policy for direct assignment by administrators only.
    case 'notSpecified':
    case 'specificDirectoryServicePrincipals':
    case 'allDirectoryServicePrincipals':
    case 'allDirectoryAgentIdentities':
      return false;
  }
}

function admitsDirectoryUser(target: SubjectSet, facts: TargetFacts): boolean {
  switch (target['@odata.type']) {
    case '#microsoft.graph.singleUser':
      return sameId(target.userId, facts.userId);
    case '#microsoft.graph.groupMembers':
      return facts.isInGroup(target.groupId);
    case '#microsoft.graph.attributeRuleMembers':
      return facts.matchesRule?.(target.membershipRule) ?? false;
    default:
      return false;
  }
}

function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** A request-based policy, as opposed to an auto-assignment one, whose rule decides who is assigned. */
export function isRequestBased(policy: AssignmentPolicy): boolean {
  return !policy.automaticRequestSettings?.requestAccessForAllowedTargets;
}

/** Whether the policy lets a user make this request about their own access; others' requests are not self-service. */
export function selfServiceAllows(policy: AssignmentPolicy, requestType: RequestType): boolean {
  const settings = policy.requestorSettings;
  switch (requestType) {
    case 'userAdd':
      return settings.enableTargetsToSelfAddAccess;
    case 'userUpdate':
      return settings.enableTargetsToSelfUpdateAccess;
    case 'userRemove':
      return settings.enableTargetsToSelfRemoveAccess;
    default:
      return true;
  }
}
