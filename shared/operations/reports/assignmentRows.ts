import { DateTime, Duration } from 'luxon';
import type { Assignment } from '../../domain/assignments/assignment';
import type { AccessPackage } from '../../domain/entitlements';
import type { UserNames } from '../../directory/directoryPort';
import type { Cell } from './report';

/** The columns of the assignment reports, in the order DESIGN §2.8 fixes. */
export const ASSIGNMENT_COLUMNS = [
  'accessPackageId',
  'accessPackageDisplayName',
  'targetObjectId',
  'targetDisplayName',
  'targetPrincipalName',
  'targetEmail',
  'state',
  'assignmentPolicyId',
  'startDateTime',
  'expirationDateTime',
] as const;
export type AssignmentColumn = (typeof ASSIGNMENT_COLUMNS)[number];

export function assignmentRow(assignment: Assignment, accessPackage: AccessPackage | undefined, target: UserNames): Record<AssignmentColumn, Cell> {
  return {
    accessPackageId: assignment.accessPackageId,
    accessPackageDisplayName: accessPackage?.displayName ?? null,
    targetObjectId: assignment.targetId,
    targetDisplayName: target.displayName,
    targetPrincipalName: target.userPrincipalName,
    targetEmail: target.mail,
    state: assignment.state,
    assignmentPolicyId: assignment.assignmentPolicyId,
    startDateTime: assignment.schedule.startDateTime,
    expirationDateTime: expirationOf(assignment),
  };
}

/** When the assignment's schedule ends it: its end date-time, or its start plus its duration; null when it does not end. */
function expirationOf({ schedule }: Assignment): string | null {
  const expiration = schedule.expiration;
  if (expiration?.endDateTime) return expiration.endDateTime;
  if (expiration?.type === 'afterDuration' && expiration.duration && schedule.startDateTime) {
    return DateTime.fromISO(schedule.startDateTime, { zone: 'utc' }).plus(Duration.fromISO(expiration.duration)).toISO({ suppressMilliseconds: true });
  }
  return null;
}
