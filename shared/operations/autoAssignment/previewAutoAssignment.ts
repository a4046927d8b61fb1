import type { Caller } from '../../auth/caller';
import { DomainError } from '../../domain/errors';
import { compileRule, groupsReferenced } from '../../domain/rules';
import type { StoredPolicy } from '../../store/entitlementStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { allDirectoryUsers, automaticPolicy, isAutomatic, membershipRuleOf, subjectsOf } from './automaticPolicies';
import { assigneesOf } from './evaluateAutoAssignments';
import { withinPreviewLimits } from './previewLimits';

/** How many names a preview shows of each side. */
const SHOWN = 10;

interface Side {
  count: number;
  first: Array<{ id: string; displayName: string | null }>;
}

export interface Preview {
  membershipRule: string;
  usersEvaluated: number;
  matching: number;
  wouldAdd: Side;
  wouldRemove: Side;
}

/**
 * POST /api/policies/preview (beyond Entra): who a rule would add and remove, before anyone is assigned. With a
 * `policyId`, against that policy's current assignments (a rule given too is tried in place of the policy's);
 * with a `membershipRule` alone, everyone it matches would be added. Changes nothing. The policy's own rule is
 * previewed by those who manage its package; any other rule by tenant administrators only; every preview within
 * the caller's limits (previewLimits.ts).
 */
export async function previewAutoAssignment(deps: EntitlementDeps, caller: Caller, body: Record<string, unknown>): Promise<Preview> {
  const { policyId, membershipRule } = body;
  const unknown = Object.keys(body).filter((key) => key !== 'policyId' && key !== 'membershipRule');
  if (unknown.length > 0) throw new DomainError('invalidRequest', `Invalid preview: unknown propert${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((k) => `'${k}'`).join(', ')}; give membershipRule, policyId or both.`);
  if (policyId !== undefined && typeof policyId !== 'string') throw new DomainError('invalidRequest', 'Invalid preview: policyId must be a string.');
  if (membershipRule !== undefined && typeof membershipRule !== 'string') throw new DomainError('invalidRequest', 'Invalid preview: membershipRule must be a string.');
  if (policyId === undefined && membershipRule === undefined) throw new DomainError('invalidRequest', 'Invalid preview: give membershipRule, policyId or both.');

  const policy = policyId === undefined ? undefined : await policyToPreview(deps, caller, policyId);
  const ownRule = policy && membershipRuleOf(policy);
  // Only a tenant administrator tries a rule of their own: any rule tells who in the whole directory matches any
  // attribute (a confidential group's members, HR data), which a catalog's package manager must not learn. A
  // request-based policy's rule is as good as their own: a package manager writes it (only an auto-assignment
  // policy's rule is an administrator's, checkAutomatic).
  const ownedRule = policy !== undefined && isAutomatic(policy) && (membershipRule === undefined || membershipRule === ownRule);
  if (!ownedRule) await deps.accessOf(caller).require('manageTenant');
  const text = membershipRule ?? ownRule;
  if (text === undefined) throw new DomainError('invalidRequest', `Invalid preview: policy '${policyId}' has no membership rule; give membershipRule.`);
  return withinPreviewLimits(caller.objectId, deps.clock, () => preview(deps, text, policy));
}

/** The policy, for those who manage its package; anyone who may not read its catalog is told it was not found. */
async function policyToPreview(deps: EntitlementDeps, caller: Caller, policyId: string): Promise<StoredPolicy> {
  const notFound = new DomainError('notFound', `Assignment policy '${policyId}' was not found.`);
  const policy = (await deps.store.policies.find(policyId))?.value;
  const catalogId = policy && (await deps.store.accessPackages.find(policy.accessPackageId))?.value.catalogId;
  if (!policy || !catalogId) throw notFound;
  const access = deps.accessOf(caller);
  if (!(await access.allows('read', catalogId))) throw notFound;
  await access.require('managePackages', catalogId);
  return policy;
}

async function preview(deps: EntitlementDeps, text: string, policy: StoredPolicy | undefined): Promise<Preview> {
  const rule = compileRule(text);
  const groupIds = groupsReferenced(rule);
  const users = await allDirectoryUsers(deps);
  const now = deps.clock.now();
  const subjects = await subjectsOf(deps, users, groupIds);
  const matching = users.filter((_, i) => rule.matches(subjects[i]!, { now }));

  const auto = policy && (await automaticPolicy(deps, policy));
  const assignedIds = new Set(auto ? (await assigneesOf(deps, auto)).keys() : []);
  const matchingIds = new Set(matching.map((u) => u.id.toLowerCase()));
  const byId = new Map(users.map((u) => [u.id.toLowerCase(), u]));
  const wouldAdd = matching.filter((u) => !assignedIds.has(u.id.toLowerCase()));
  const wouldRemove = auto?.policy.automaticRequestSettings?.removeAccessWhenTargetLeavesAllowedTargets ? [...assignedIds].filter((id) => !matchingIds.has(id)) : [];
  return {
    membershipRule: text,
    usersEvaluated: users.length,
    matching: matching.length,
    wouldAdd: side(wouldAdd),
    wouldRemove: side(wouldRemove.map((id) => byId.get(id) ?? { id, displayName: null })),
  };
}

function side(users: ReadonlyArray<{ id: string; displayName: string | null }>): Side {
  return { count: users.length, first: users.slice(0, SHOWN).map((u) => ({ id: u.id, displayName: u.displayName })) };
}

