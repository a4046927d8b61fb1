import type { AllowedTargetScope, AssignmentPolicy, RequestorSettings, SubjectSetType } from './assignmentPolicy';
import type { Problem } from './problems';
import { typeOf } from './subjectSets';
import { isReadFromDirectory } from '../directoryUser';
import { isRuleError, parseRule, propertiesRead } from '../rules';

/** The targets each specific scope names; the other scopes name none, as their targets follow from the scope. */
const TARGET_TYPES_BY_SCOPE: Partial<Record<AllowedTargetScope, readonly SubjectSetType[]>> = {
  specificDirectoryUsers: ['singleUser', 'groupMembers', 'attributeRuleMembers'],
  specificConnectedOrganizationUsers: ['connectedOrganizationMembers'],
  specificDirectoryServicePrincipals: ['singleServicePrincipal'],
};

const REQUEST_SWITCHES = [
  'enableTargetsToSelfAddAccess',
  'enableTargetsToSelfUpdateAccess',
  'enableTargetsToSelfRemoveAccess',
  'enableOnBehalfRequestorsToAddAccess',
  'enableOnBehalfRequestorsToUpdateAccess',
  'enableOnBehalfRequestorsToRemoveAccess',
] as const satisfies ReadonlyArray<keyof RequestorSettings>;

/** The sections the rules read, each absent when it is itself invalid. */
type RuleInputs = Partial<
  Pick<AssignmentPolicy, 'allowedTargetScope' | 'specificAllowedTargets' | 'automaticRequestSettings' | 'requestApprovalSettings' | 'requestorSettings' | 'reviewSettings'>
>;

/**
 * Rules that span sections of a policy. Each runs when the sections it reads are valid, so one answer lists
 * these problems together with those of the other sections.
 */
export function crossSectionProblems(policy: RuleInputs): Problem[] {
  return [...targetProblems(policy), ...automaticAssignmentProblems(policy), ...membershipRuleProblems(policy)];
}

/**
 * A membership rule must parse (its error, with the position in the rule and Entra's wording, is the problem), and
 * read only user properties Portcullis reads from the directory: on any other the rule would quietly never match.
 */
function membershipRuleProblems({ specificAllowedTargets: targets }: RuleInputs): Problem[] {
  return (targets ?? []).flatMap((target, index): Problem[] => {
    if (target['@odata.type'] !== '#microsoft.graph.attributeRuleMembers') return [];
    const path = ['specificAllowedTargets', index, 'membershipRule'];
    let rule;
    try {
      rule = parseRule(target.membershipRule);
    } catch (error) {
      if (!isRuleError(error)) throw error;
      return [{ path, message: error.message }];
    }
    const unread = propertiesRead(rule).filter((property) => !isReadFromDirectory(property));
    return unread.length === 0
      ? []
      : [{ path, message: `reads ${unread.join(', ')}, which Portcullis does not read from the directory yet; the rule could never match on it` }];
  });
}

function targetProblems({ allowedTargetScope: scope, specificAllowedTargets: targets }: RuleInputs): Problem[] {
  if (scope === undefined || targets === undefined) return [];
  const fitting = TARGET_TYPES_BY_SCOPE[scope];
  if (!fitting) {
    return targets.length === 0
      ? []
      : [{ path: ['specificAllowedTargets'], message: `must be empty when allowedTargetScope is ${scope}; only the specific* scopes name their targets` }];
  }
  if (targets.length === 0) {
    return [{ path: ['specificAllowedTargets'], message: `at least one target is required when allowedTargetScope is ${scope}` }];
  }
  return targets.flatMap((target, index): Problem[] =>
    fitting.includes(typeOf(target))
      ? []
      : [
          {
            path: ['specificAllowedTargets', index, '@odata.type'],
            message: `a ${typeOf(target)} target does not fit allowedTargetScope ${scope}; use ${fitting.join(', ')}`,
          },
        ],
  );
}

/**
 * Entra's auto-assignment: the policy's one membership rule decides who holds the package, so nobody requests
 * through it, nobody approves, and nobody reviews (Entra's admin center offers no access reviews on it): a denial
 * would last only until the rule next assigned the user again.
 */
function automaticAssignmentProblems(policy: RuleInputs): Problem[] {
  if (!policy.automaticRequestSettings?.requestAccessForAllowedTargets) return [];
  const problems: Problem[] = [];
  const { allowedTargetScope: scope, specificAllowedTargets: targets, requestApprovalSettings: approval, requestorSettings: requestor, reviewSettings: reviews } = policy;
  if (scope !== undefined && scope !== 'specificDirectoryUsers') {
    problems.push({ path: ['allowedTargetScope'], message: `must be specificDirectoryUsers on an auto-assignment policy (got ${scope})` });
  }
  if (targets !== undefined && (targets.length !== 1 || targets.some((target) => typeOf(target) !== 'attributeRuleMembers'))) {
    problems.push({
      path: ['specificAllowedTargets'],
      message: 'an auto-assignment policy needs exactly one attributeRuleMembers target: the membership rule that decides who is assigned',
    });
  }
  if (approval && (approval.isApprovalRequiredForAdd || approval.isApprovalRequiredForUpdate || approval.stages.length > 0)) {
    problems.push({ path: ['requestApprovalSettings'], message: 'an auto-assignment policy cannot require approval: assignments follow the rule, nobody requests them' });
  }
  for (const setting of REQUEST_SWITCHES) {
    if (requestor?.[setting]) {
      problems.push({ path: ['requestorSettings', setting], message: 'must be false on an auto-assignment policy: nobody requests access through it' });
    }
  }
  if (reviews?.isEnabled) {
    problems.push({ path: ['reviewSettings', 'isEnabled'], message: 'must be false on an auto-assignment policy: its rule decides who holds the package, so a review has nothing to decide' });
  }
  return problems;
}
