import type { JsonObject } from '../graphValues';
import type { AliasPath, Problem } from '../problems';
import { normaliseBetaApprovalSettings } from './betaApprovalSettings';
import { normaliseBetaQuestions } from './betaQuestions';
import { normaliseBetaRequestorSettings } from './betaRequestorSettings';
import { normaliseBetaReviewSettings } from './betaReviewSettings';
import { BetaRewrite, take } from './betaRewrite';
import { normaliseBetaSubjectSets } from './betaSubjectSets';

export interface BetaNormalisation {
  /** The body in the v1.0 shape, still to be validated. */
  body: JsonObject;
  problems: Problem[];
  aliases: AliasPath[];
}

/**
 * Turns the beta shape of a policy (the tutorial's and older scripts') into the v1.0 shape. Values are checked
 * here only where beta and v1.0 differ in kind (days as numbers, v1.0 durations as text); the v1.0 validation
 * checks the rest and reports it under the beta names.
 */
export function normaliseBetaAliases(body: JsonObject): BetaNormalisation {
  const policy = { ...body };
  const rewrite = new BetaRewrite();

  const accessPackageId = take(policy, 'accessPackageId');
  if (accessPackageId !== undefined && accessPackageId !== null && rewrite.isFree(policy, 'accessPackage', ['accessPackageId'])) {
    policy.accessPackage = { id: accessPackageId };
    rewrite.alias(['accessPackage', 'id'], ['accessPackageId']);
  }
  normaliseBetaExpiration(policy, rewrite);
  normaliseBetaRequestorSettings(policy, rewrite);
  normaliseBetaApprovalSettings(policy, rewrite);
  normaliseBetaReviewSettings(policy, rewrite);
  normaliseBetaQuestions(policy, rewrite);
  normaliseBetaSubjectSets(policy, rewrite);
  return { body: policy, problems: rewrite.problems, aliases: rewrite.aliases };
}

/** Beta durationInDays or expirationDateTime: how long, or until when, assignments last. */
function normaliseBetaExpiration(policy: JsonObject, rewrite: BetaRewrite): void {
  const days = take(policy, 'durationInDays');
  const until = take(policy, 'expirationDateTime');
  const givenDays = days !== undefined && days !== null;
  const givenUntil = until !== undefined && until !== null;
  if (givenDays && givenUntil) {
    rewrite.problem(['durationInDays'], 'give durationInDays or expirationDateTime, not both');
    return;
  }
  if (givenDays && rewrite.isFree(policy, 'expiration', ['durationInDays'])) {
    const wholeDays = rewrite.wholeNumber(days, 1, ['durationInDays']);
    if (wholeDays === undefined) return;
    policy.expiration = { type: 'afterDuration', duration: `P${wholeDays}D` };
    rewrite.alias(['expiration'], ['durationInDays']);
    rewrite.alias(['expiration', 'duration'], ['durationInDays']);
  }
  if (givenUntil && rewrite.isFree(policy, 'expiration', ['expirationDateTime'])) {
    policy.expiration = { type: 'afterDateTime', endDateTime: until };
    rewrite.alias(['expiration'], ['expirationDateTime']);
    rewrite.alias(['expiration', 'endDateTime'], ['expirationDateTime']);
  }
}
