import type { AllowedTargetScope } from '../assignmentPolicy';
import { describeJson, type JsonObject } from '../graphValues';
import { ownCopy, take, type BetaRewrite } from './betaRewrite';

/** Beta requestorSettings.scopeType and the v1.0 allowedTargetScope that means the same. */
const SCOPE_TYPES: ReadonlyArray<[string, AllowedTargetScope]> = [
  ['NoSubjects', 'notSpecified'],
  ['SpecificDirectorySubjects', 'specificDirectoryUsers'],
  ['SpecificConnectedOrganizationSubjects', 'specificConnectedOrganizationUsers'],
  ['AllConfiguredConnectedOrganizationSubjects', 'allConfiguredConnectedOrganizationUsers'],
  ['AllExistingConnectedOrganizationSubjects', 'allConfiguredConnectedOrganizationUsers'],
  ['AllExistingDirectoryMemberUsers', 'allMemberUsers'],
  ['AllExistingDirectorySubjects', 'allDirectoryUsers'],
  ['AllExternalSubjects', 'allExternalUsers'],
];

/**
 * Beta requestorSettings {scopeType, acceptRequests, allowedRequestors} say who may request; v1.0 says who may be
 * assigned (allowedTargetScope, specificAllowedTargets) and lets them ask for themselves
 * (enableTargetsToSelfAddAccess). Beta's policy-level canExtend is v1.0's enableTargetsToSelfUpdateAccess.
 */
export function normaliseBetaRequestorSettings(policy: JsonObject, rewrite: BetaRewrite): void {
  const canExtend = take(policy, 'canExtend');
  if (canExtend !== undefined && canExtend !== null && (policy.requestorSettings === undefined || policy.requestorSettings === null)) {
    policy.requestorSettings = {};
  }
  const requestor = ownCopy(policy, 'requestorSettings');
  if (!requestor) return;
  const at = ['requestorSettings'];
  if (canExtend !== undefined && canExtend !== null && rewrite.isFree(requestor, 'enableTargetsToSelfUpdateAccess', ['canExtend'])) {
    requestor.enableTargetsToSelfUpdateAccess = canExtend;
    rewrite.alias([...at, 'enableTargetsToSelfUpdateAccess'], ['canExtend']);
  }
  rewrite.rename(requestor, 'acceptRequests', 'enableTargetsToSelfAddAccess', at);

  const scopeType = take(requestor, 'scopeType');
  if (scopeType !== undefined && scopeType !== null && rewrite.isFree(policy, 'allowedTargetScope', [...at, 'scopeType'])) {
    const scope = SCOPE_TYPES.find(([beta]) => typeof scopeType === 'string' && beta.toLowerCase() === scopeType.toLowerCase())?.[1];
    if (scope) {
      policy.allowedTargetScope = scope;
      rewrite.alias(['allowedTargetScope'], [...at, 'scopeType']);
    } else {
      rewrite.problem([...at, 'scopeType'], `${describeJson(scopeType)} is not one of ${SCOPE_TYPES.map(([beta]) => beta).join(', ')}`);
    }
  }

  const allowedRequestors = take(requestor, 'allowedRequestors');
  if (allowedRequestors !== undefined && allowedRequestors !== null && rewrite.isFree(policy, 'specificAllowedTargets', [...at, 'allowedRequestors'])) {
    policy.specificAllowedTargets = allowedRequestors;
    rewrite.alias(['specificAllowedTargets'], [...at, 'allowedRequestors']);
  }
}
