import type { z } from 'zod';
import type { AutomaticRequestSettings } from './assignmentPolicy';
import { isoDuration } from './durations';
import { flag, graphObject, orNull } from './graphValues';

/**
 * accessPackageAutomaticRequestSettings. Removal when a target leaves the allowed targets defaults to on: that is
 * what auto-assignment means in Entra, and the safe side for access nobody asked for.
 */
export const automaticRequestSettings: z.ZodType<AutomaticRequestSettings, unknown> = graphObject('accessPackageAutomaticRequestSettings', {
  requestAccessForAllowedTargets: flag(false),
  removeAccessWhenTargetLeavesAllowedTargets: flag(true),
  gracePeriodBeforeAccessRemoval: orNull(isoDuration({ allowZero: true })),
});
