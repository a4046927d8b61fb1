import type { z } from 'zod';
import type { RequestorSettings } from './assignmentPolicy';
import { flag, graphObject } from './graphValues';
import { subjectSets } from './subjectSets';

/** accessPackageAssignmentRequestorSettings; every switch is off unless turned on. */
export const requestorSettings: z.ZodType<RequestorSettings, unknown> = graphObject('accessPackageAssignmentRequestorSettings', {
  allowCustomAssignmentSchedule: flag(false),
  enableOnBehalfRequestorsToAddAccess: flag(false),
  enableOnBehalfRequestorsToRemoveAccess: flag(false),
  enableOnBehalfRequestorsToUpdateAccess: flag(false),
  enableTargetsToSelfAddAccess: flag(false),
  enableTargetsToSelfRemoveAccess: flag(false),
  enableTargetsToSelfUpdateAccess: flag(false),
  onBehalfRequestors: subjectSets('onBehalfRequestors'),
});
