import type { SubjectSetType } from '../assignmentPolicy';
import { describeJson, isJsonObject, type JsonObject } from '../graphValues';
import type { JsonPath } from '../problems';
import { SUBJECT_ID_FIELDS, subjectSetType } from '../subjectSets';
import { ownCopies, ownCopy, take, type BetaRewrite } from './betaRewrite';

/** What a beta `isBackup: true` means in a list: a fallback in another list, nothing new, or nothing at all. */
type Backups = { moveTo: string } | 'alreadyFallbacks' | 'meaningless';

const ID_FIELDS: Partial<Record<SubjectSetType, string>> = SUBJECT_ID_FIELDS;

/**
 * Beta subject sets (userSet) name their subject `id` and mark fallback approvers and reviewers with `isBackup` in
 * the same list; v1.0 names the subject by type (`userId`, `groupId`, …) and keeps fallbacks in lists of their own.
 */
export function normaliseBetaSubjectSets(policy: JsonObject, rewrite: BetaRewrite): void {
  normaliseList(policy, 'specificAllowedTargets', 'meaningless', [], rewrite);
  const requestor = ownCopy(policy, 'requestorSettings');
  if (requestor) normaliseList(requestor, 'onBehalfRequestors', 'meaningless', ['requestorSettings'], rewrite);
  const approval = ownCopy(policy, 'requestApprovalSettings');
  for (const [stage, index] of approval ? ownCopies(approval, 'stages') : []) {
    const at = ['requestApprovalSettings', 'stages', index];
    normaliseList(stage, 'fallbackPrimaryApprovers', 'alreadyFallbacks', at, rewrite);
    normaliseList(stage, 'primaryApprovers', { moveTo: 'fallbackPrimaryApprovers' }, at, rewrite);
    normaliseList(stage, 'fallbackEscalationApprovers', 'alreadyFallbacks', at, rewrite);
    normaliseList(stage, 'escalationApprovers', { moveTo: 'fallbackEscalationApprovers' }, at, rewrite);
  }
  const review = ownCopy(policy, 'reviewSettings');
  if (review) {
    normaliseList(review, 'fallbackReviewers', 'alreadyFallbacks', ['reviewSettings'], rewrite);
    normaliseList(review, 'primaryReviewers', { moveTo: 'fallbackReviewers' }, ['reviewSettings'], rewrite);
  }
}

function normaliseList(container: JsonObject, key: string, backups: Backups, at: JsonPath, rewrite: BetaRewrite): void {
  const subjects = container[key];
  if (!Array.isArray(subjects)) return;
  const kept: unknown[] = [];
  const fallbacks: unknown[] = [];
  subjects.forEach((item: unknown, index) => {
    if (!isJsonObject(item)) {
      kept.push(item);
      return;
    }
    const subject = { ...item };
    const path = [...at, key, index];
    const type = subjectSetType(subject['@odata.type']);
    const idField = type && ID_FIELDS[type];
    if (idField) rewrite.rename(subject, 'id', idField, path);
    const isBackup = take(subject, 'isBackup');
    if (isBackup === true || isBackup === 'true') {
      if (typeof backups === 'object') {
        fallbacks.push(subject);
        return;
      }
      if (backups === 'meaningless') rewrite.problem([...path, 'isBackup'], 'only approvers and reviewers can be backups');
    } else if (isBackup !== undefined && isBackup !== null && isBackup !== false && isBackup !== 'false') {
      rewrite.problem([...path, 'isBackup'], `expected true or false, got ${describeJson(isBackup)}`);
    }
    kept.push(subject);
  });
  container[key] = kept;
  if (typeof backups !== 'object' || fallbacks.length === 0) return;
  const existing = container[backups.moveTo] ?? [];
  if (Array.isArray(existing)) container[backups.moveTo] = [...existing, ...fallbacks];
  else container[key] = [...kept, ...fallbacks];
}
