import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import { runsOnSchedule } from '../../domain/workflows/workflow';
import type { DueItem, ExpirationKind } from '../../store/dueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import type { ItemOutcome } from '../lifecycle/sweepDueWork';
import { parseItemDetail, timeOccurrence } from './planWorkflowTriggers';
import { runWorkflow } from './runWorkflow';
import { inScope, withHrAttributes } from './workflowScope';

/**
 * `workflowTrigger` items of the expiration sweep: runs a workflow for a user whose trigger has come, if it still
 * holds: the workflow still runs on schedule, the user is still in its scope, and (for a date) the user's date is
 * still the one planned (a changed hire date planned a new item; this one is stale). The run claims the occurrence,
 * so a second item for it, an overlapping sweep or a restart does not run it again.
 */
export async function runDueTrigger(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<ItemOutcome> {
  const workflow = (await deps.workflows.find(item.entityId))?.value;
  if (!workflow || !runsOnSchedule(workflow)) return 'stale';
  const { userId, occurrence, fromHrEvent } = parseItemDetail(item.detail);
  const found = await deps.directory.getUser(userId);
  const user = found && (await withHrAttributes(deps, found));
  if (!user || !inScope(workflow, user)) return 'stale';
  const isDate = !occurrence.startsWith('change:');
  // An HR event's date may not be in the directory yet: its item stands for it.
  if (isDate && !fromHrEvent && timeOccurrence(workflow, user)?.occurrence !== occurrence) return 'stale';
  const run = await runWorkflow(deps, workflow, [{ user, occurrence }], { type: 'scheduled', reason: `trigger:${occurrence}`, actorId: SYSTEM_ACTOR, scheduledDateTime: item.dueDateTime });
  return run ? 'processed' : 'stale';
}
