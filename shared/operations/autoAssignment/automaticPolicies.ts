import { allPages } from '../../directory/allPages';
import type { ChangedUser, DirectoryUser } from '../../directory/directoryPort';
import type { AttributeRuleMembers } from '../../domain/policies';
import { compileRule, groupsReferenced, readsTheTime, type CompiledRule } from '../../domain/rules';
import type { RuleSubject } from '../../domain/rules/ruleSubject';
import type { StoredPolicy } from '../../store/entitlementStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { mapConcurrently } from '../../concurrently';
import { withAttributeOverrides } from './overriddenUsers';

/** An auto-assignment policy, ready to evaluate: its rule compiled once per policy version. */
export interface AutomaticPolicy {
  policy: StoredPolicy;
  catalogId: string;
  /** Its package's name as read with the policy: what the mail of an assignment it makes names. */
  packageName: string;
  rule: CompiledRule;
  /** Groups the rule asks about (`memberOf`), whose membership must be read for each user. */
  groupIds: string[];
  /**
   * Who matches can change without the users delta reporting anyone: the rule compares with `system.now` (time
   * passes) or reads group memberships (a membership changes the group, not the user).
   */
  changesUnreported: boolean;
}

const compiled = new Map<string, { version: string; rule: CompiledRule }>();

/** Whether a policy assigns by itself: `requestAccessForAllowedTargets` on, with its one membership rule. */
export function isAutomatic(policy: StoredPolicy): boolean {
  return policy.automaticRequestSettings?.requestAccessForAllowedTargets === true && membershipRuleOf(policy) !== undefined;
}

export function membershipRuleOf(policy: Pick<StoredPolicy, 'specificAllowedTargets'>): string | undefined {
  return policy.specificAllowedTargets.find((t): t is AttributeRuleMembers => t['@odata.type'] === '#microsoft.graph.attributeRuleMembers')?.membershipRule;
}

/** A policy's membership rule, compiled once per policy version (its modifiedDateTime); undefined without one. */
export function compiledRuleOf(policy: StoredPolicy): CompiledRule | undefined {
  const text = membershipRuleOf(policy);
  if (text === undefined) return undefined;
  let entry = compiled.get(policy.id);
  if (!entry || entry.version !== policy.modifiedDateTime) {
    entry = { version: policy.modifiedDateTime, rule: compileRule(text) };
    compiled.set(policy.id, entry);
  }
  return entry.rule;
}

/** A policy ready to evaluate, with its rule compiled and what the rule needs. */
export async function automaticPolicy(deps: EntitlementDeps, policy: StoredPolicy): Promise<AutomaticPolicy | undefined> {
  if (!isAutomatic(policy)) return undefined;
  const accessPackage = await deps.store.accessPackages.find(policy.accessPackageId);
  return accessPackage && readyToEvaluate(policy, accessPackage.value);
}

function readyToEvaluate(policy: StoredPolicy, accessPackage: { catalogId: string; displayName: string }): AutomaticPolicy {
  const rule = compiledRuleOf(policy)!;
  const groupIds = groupsReferenced(rule);
  const { catalogId, displayName: packageName } = accessPackage;
  return { policy, catalogId, packageName, rule, groupIds, changesUnreported: readsTheTime(rule) || groupIds.length > 0 };
}

/**
 * Past this many policies, their packages' catalogs come from one listing of the packages rather than a lookup
 * (two reads) per package: an HR event evaluates one user against every policy, and must not cost 200 reads.
 */
const LOOKUPS_BEFORE_LISTING = 16;

/** Every auto-assignment policy of the tenant. */
export async function automaticPolicies(deps: EntitlementDeps): Promise<AutomaticPolicy[]> {
  const all = (await deps.store.policies.list()).map((d) => d.value).filter(isAutomatic);
  if (all.length <= LOOKUPS_BEFORE_LISTING) return (await mapConcurrently(all, (p) => automaticPolicy(deps, p))).filter((p): p is AutomaticPolicy => p !== undefined);
  const packageOf = new Map((await deps.store.accessPackages.list()).map((d) => [d.value.id.toLowerCase(), d.value]));
  return all.flatMap((policy) => {
    const accessPackage = packageOf.get(policy.accessPackageId.toLowerCase());
    return accessPackage === undefined ? [] : [readyToEvaluate(policy, accessPackage)];
  });
}

/**
 * Directory users as the rules read them: with their HR attribute overrides, and the memberships of the groups the
 * rules name (read a few users at once).
 */
export async function subjectsOf(deps: EntitlementDeps, users: readonly ChangedUser[], groupIds: readonly string[]): Promise<readonly RuleSubject[]> {
  const subjects = await withAttributeOverrides(deps, users);
  if (groupIds.length === 0) return subjects;
  return mapConcurrently(subjects, async (user) => {
    const memberOf = await deps.directory.memberGroupsOf(user.id, groupIds);
    return { ...user, memberOfGroupIds: new Set(memberOf.map((id) => id.toLowerCase())) };
  });
}

export async function subjectOf(deps: EntitlementDeps, user: ChangedUser, groupIds: readonly string[]): Promise<RuleSubject> {
  return (await subjectsOf(deps, [user], groupIds))[0]!;
}

/** Every user of the directory, every page: a full evaluation. */
export function allDirectoryUsers(deps: EntitlementDeps): Promise<DirectoryUser[]> {
  return allPages((page) => deps.directory.listUsers(page));
}
