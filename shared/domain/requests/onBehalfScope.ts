import type { AssignmentPolicy, SubjectSet } from '../policies';
import { isRequestBased } from './targetScope';

/**
 * What the on-behalf rules need to know about who asks for whom, gathered by the operation beforehand so that the
 * rules stay pure: the requestor, the groups of theirs the policies name, and the target's managers by level
 * (`managerIds[0]` their manager, `[1]` that manager's manager, as far as the policies look).
 */
export interface OnBehalfFacts {
  requestorId: string;
  isRequestorInGroup(groupId: string): boolean;
  targetManagerIds: readonly string[];
}

/**
 * Whether the policy lets this requestor ask for access for someone else (Entra's "request on behalf of a direct
 * report"; Graph's create page, Example 9): it is request-based, `enableOnBehalfRequestorsToAddAccess` is on, and
 * one of its `onBehalfRequestors` names them (the target's manager at its level, them by id, or a group of theirs).
 */
export function onBehalfAllows(policy: AssignmentPolicy, facts: OnBehalfFacts): boolean {
  const settings = policy.requestorSettings;
  return isRequestBased(policy) && settings.enableOnBehalfRequestorsToAddAccess && settings.onBehalfRequestors.some((set) => namesRequestor(set, facts));
}

function namesRequestor(set: SubjectSet, facts: OnBehalfFacts): boolean {
  switch (set['@odata.type']) {
    case '#microsoft.graph.singleUser':
      return same(set.userId, facts.requestorId);
    case '#microsoft.graph.groupMembers':
      return facts.isRequestorInGroup(set.groupId);
    case '#microsoft.graph.targetManager': {
      const manager = facts.targetManagerIds[set.managerLevel - 1];
      return manager !== undefined && same(manager, facts.requestorId);
    }
    // Application owners request for the application's agent identities, which Portcullis does not govern.
    default:
      return false;
  }
}

/** The groups the policies' on-behalf requestors name, so the operation can ask the directory about them at once. */
export function onBehalfGroupsNamedBy(policies: readonly AssignmentPolicy[]): string[] {
  const ids = policies.flatMap((p) => p.requestorSettings.onBehalfRequestors.flatMap((s) => (s['@odata.type'] === '#microsoft.graph.groupMembers' ? [s.groupId] : [])));
  return [...new Set(ids)];
}

/** How far up the target's managers the policies look (0: not at all). */
export function managerLevelsNamedBy(policies: readonly AssignmentPolicy[]): number {
  const levels = policies.flatMap((p) => p.requestorSettings.onBehalfRequestors.flatMap((s) => (s['@odata.type'] === '#microsoft.graph.targetManager' ? [s.managerLevel] : [])));
  return Math.max(0, ...levels);
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
