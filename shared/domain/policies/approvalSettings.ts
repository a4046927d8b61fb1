import { z } from 'zod';
import { APPROVER_INFORMATION_VISIBILITIES, type ApprovalSettings, type ApprovalStage, type SubjectSet } from './assignmentPolicy';
import { durationMillis, isoDuration } from './durations';
import { enumIgnoringCase, flag, graphObject, list } from './graphValues';
import { subjectSets } from './subjectSets';

/** Graph: "the one, two or three elements of this collection define each of the stages of approval". */
const MAX_STAGES = 3;
/**
 * The most approver entries one stage names, across its four lists. Each entry costs directory reads whenever the
 * stage starts or escalates; Entra's own stages name a handful, and a group covers any number of people.
 */
export const MAX_APPROVER_ENTRIES_PER_STAGE = 25;
export const APPROVER_LISTS = ['primaryApprovers', 'fallbackPrimaryApprovers', 'escalationApprovers', 'fallbackEscalationApprovers'] as const;
/** Entra's default request timeout, also the beta examples' `approvalStageTimeOutInDays`. */
const DEFAULT_AUTOMATIC_DENIAL = 'P14D';

const approvalStage: z.ZodType<ApprovalStage, unknown> = graphObject('accessPackageApprovalStage', {
  durationBeforeAutomaticDenial: isoDuration()
    .nullish()
    .transform((value) => value ?? DEFAULT_AUTOMATIC_DENIAL),
  durationBeforeEscalation: isoDuration({ allowZero: true })
    .nullish()
    .transform((value) => value ?? 'PT0S'),
  isApproverJustificationRequired: flag(false),
  isEscalationEnabled: flag(false),
  approverInformationVisibility: enumIgnoringCase(APPROVER_INFORMATION_VISIBILITIES, 'default'),
  primaryApprovers: subjectSets('approvers'),
  fallbackPrimaryApprovers: subjectSets('approvers'),
  escalationApprovers: subjectSets('approvers'),
  fallbackEscalationApprovers: subjectSets('approvers'),
}).superRefine((stage, ctx) => {
  let named = 0;
  for (const list of APPROVER_LISTS) {
    named += stage[list].length;
    if (named <= MAX_APPROVER_ENTRIES_PER_STAGE) continue;
    const total = APPROVER_LISTS.reduce((sum, l) => sum + stage[l].length, 0);
    ctx.addIssue({
      code: 'custom',
      path: [list],
      message: `a stage names at most ${MAX_APPROVER_ENTRIES_PER_STAGE} approvers across primaryApprovers, fallbackPrimaryApprovers, escalationApprovers and fallbackEscalationApprovers (got ${total}); name a group for more people`,
    });
    break;
  }
  // The documented two-stage example gives its second stage fallback approvers only, so those count.
  if (stage.primaryApprovers.length === 0 && stage.fallbackPrimaryApprovers.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['primaryApprovers'], message: 'a stage needs at least one approver (primaryApprovers or fallbackPrimaryApprovers)' });
  }
  if (!stage.isEscalationEnabled) return;
  if (stage.escalationApprovers.length === 0 && stage.fallbackEscalationApprovers.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['escalationApprovers'],
      message: 'is required when isEscalationEnabled is true (or give fallbackEscalationApprovers)',
    });
  }
  const escalation = durationMillis(stage.durationBeforeEscalation);
  if (escalation === 0 || escalation >= durationMillis(stage.durationBeforeAutomaticDenial)) {
    ctx.addIssue({
      code: 'custom',
      path: ['durationBeforeEscalation'],
      message: `must be more than zero and shorter than durationBeforeAutomaticDenial (${stage.durationBeforeAutomaticDenial}) when isEscalationEnabled is true`,
    });
  }
});

/** accessPackageAssignmentApprovalSettings: 1–3 stages when approval is required, and none when it is not. */
export const approvalSettings: z.ZodType<ApprovalSettings, unknown> = graphObject('accessPackageAssignmentApprovalSettings', {
  isApprovalRequiredForAdd: flag(false),
  isApprovalRequiredForUpdate: flag(false),
  isRequestorJustificationRequired: flag(false),
  stages: list(approvalStage, MAX_STAGES, 'approval stages'),
}).superRefine((settings, ctx) => {
  const approvalRequired = settings.isApprovalRequiredForAdd || settings.isApprovalRequiredForUpdate;
  if (approvalRequired && settings.stages.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['stages'],
      message: 'at least one approval stage is required when isApprovalRequiredForAdd or isApprovalRequiredForUpdate is true',
    });
  }
  if (!approvalRequired && settings.stages.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['stages'],
      message: 'must be empty when no approval is required (isApprovalRequiredForAdd and isApprovalRequiredForUpdate are false)',
    });
  }
});

/**
 * The entries of one approver list that approval resolves: each distinct entry once (a policy saved before the cap
 * may name one manager hundreds of times), the first MAX_APPROVER_ENTRIES_PER_STAGE of them.
 */
export function approverEntries(subjects: readonly SubjectSet[]): SubjectSet[] {
  const seen = new Set<string>();
  return subjects
    .filter((subject) => {
      const key = subjectKey(subject);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .slice(0, MAX_APPROVER_ENTRIES_PER_STAGE);
}

/** What makes two entries the same approver (the same user, group, manager level or kind of sponsor). */
export function subjectKey(subject: SubjectSet): string {
  switch (subject['@odata.type']) {
    case '#microsoft.graph.singleUser':
      return `user:${subject.userId.toLowerCase()}`;
    case '#microsoft.graph.groupMembers':
      return `group:${subject.groupId.toLowerCase()}`;
    case '#microsoft.graph.requestorManager':
      return `manager:${subject.managerLevel}`;
    default:
      return subject['@odata.type'];
  }
}
