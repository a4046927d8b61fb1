import { describeJson, type JsonObject } from '../graphValues';
import type { JsonPath } from '../problems';
import { ownCopies, ownCopy, take, type BetaRewrite } from './betaRewrite';

/** Beta's approvalMode only restates the stages; parallel approval has no v1.0 form, so it is refused. */
const APPROVAL_MODES = ['SingleStage', 'Serial', 'NoApproval'];

/** Beta approvalSettings: isApprovalRequired, isApprovalRequiredForExtension, approvalMode, approvalStages. */
export function normaliseBetaApprovalSettings(policy: JsonObject, rewrite: BetaRewrite): void {
  const approval = ownCopy(policy, 'requestApprovalSettings');
  if (!approval) return;
  const at = ['requestApprovalSettings'];
  rewrite.rename(approval, 'isApprovalRequired', 'isApprovalRequiredForAdd', at);
  rewrite.rename(approval, 'isApprovalRequiredForExtension', 'isApprovalRequiredForUpdate', at);
  const mode = take(approval, 'approvalMode');
  const knownMode = typeof mode === 'string' && APPROVAL_MODES.some((known) => known.toLowerCase() === mode.toLowerCase());
  if (mode !== undefined && mode !== null && !knownMode) {
    rewrite.problem([...at, 'approvalMode'], `${describeJson(mode)} is not one of ${APPROVAL_MODES.join(', ')}`);
  }
  rewrite.rename(approval, 'approvalStages', 'stages', at);
  for (const [stage, index] of ownCopies(approval, 'stages')) normaliseBetaStage(stage, [...at, 'stages', index], rewrite);
}

/** Beta approvalStage counts its timeout in days and its escalation time in minutes. */
function normaliseBetaStage(stage: JsonObject, at: JsonPath, rewrite: BetaRewrite): void {
  const timeoutPath = [...at, 'approvalStageTimeOutInDays'];
  const timeout = take(stage, 'approvalStageTimeOutInDays');
  if (timeout !== undefined && timeout !== null && rewrite.isFree(stage, 'durationBeforeAutomaticDenial', timeoutPath)) {
    const days = rewrite.wholeNumber(timeout, 1, timeoutPath);
    if (days !== undefined) {
      stage.durationBeforeAutomaticDenial = `P${days}D`;
      rewrite.alias([...at, 'durationBeforeAutomaticDenial'], timeoutPath);
    }
  }
  const escalationPath = [...at, 'escalationTimeInMinutes'];
  const escalation = take(stage, 'escalationTimeInMinutes');
  if (escalation !== undefined && escalation !== null && rewrite.isFree(stage, 'durationBeforeEscalation', escalationPath)) {
    const minutes = rewrite.wholeNumber(escalation, 0, escalationPath);
    if (minutes !== undefined) {
      stage.durationBeforeEscalation = minutes === 0 ? 'PT0S' : `PT${minutes}M`;
      rewrite.alias([...at, 'durationBeforeEscalation'], escalationPath);
    }
  }
}
