import { DateTime } from 'luxon';
import { DirectoryError } from '../../directory/directoryError';
import type { DirectoryPage, DirectoryUser } from '../../directory/directoryPort';
import { isDomainError } from '../../domain/errors';
import { runsOnSchedule, type Workflow } from '../../domain/workflows/workflow';
import type { DueItem, ExpirationKind, UsersCursor } from '../../store/dueWork';
import { AUDIT_SETTLE_MINUTES } from '../audit/auditedChange';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import type { ItemOutcome } from '../lifecycle/sweepDueWork';
import { planWorkflowForUsers } from './planWorkflowTriggers';

/**
 * How long one part of a plan runs before it hands the rest to the next part: well inside the expiration sweep's
 * budget (SWEEP_BUDGET_MS, 4 minutes), so the run it is in still ends far inside the function's 10 minutes.
 */
export const PLAN_SLICE_MS = 60_000;
/** Users planned at a time, between looks at the part's time: a tenth of a directory page. */
export const PLAN_CHUNK_USERS = 100;

/** How much one part of a plan takes on: `ms` of planning, `users` at a time. Tests make it small. */
export interface WorkflowPlanSlice {
  ms: number;
  users: number;
}

/** What a plan item's detail says: the workflow's version, when the change that asks for the plan was saved, and the part. */
interface PlanDetail {
  version: number;
  savedAt: string;
  part: number;
}

const detailOf = (plan: PlanDetail) => `${plan.version}|${plan.savedAt}|${plan.part}`;

function parseDetail(detail: string): PlanDetail {
  const [version = '', savedAt = '', part = ''] = detail.split('|');
  return { version: Number(version), savedAt, part: Number(part) };
}

const planItem = (workflowId: string, plan: PlanDetail, at: DateTime, from?: UsersCursor): DueItem<ExpirationKind> => ({
  kind: 'workflowPlan',
  dueDateTime: at.toUTC().toISO()!,
  entityId: workflowId,
  detail: detailOf(plan),
  ...(from ? { planFrom: from } : {}),
});

/**
 * Makes `save`, the change that saves `planned` (created, versioned, restored, its scheduling turned on; undefined:
 * the change asks for no plan), and has the expiration sweep plan it for every user: one due item, due now, written
 * ahead of the save, so a process stopped right after the save leaves it. A save storage refused (another change
 * first) takes it back; one that stopped before it landed leaves an item the sweep drops. The call itself makes no
 * round trip per user: at 100,000 users planning takes minutes, past an HTTP call's time.
 */
export async function savedWithPlan<R>(deps: Pick<EntitlementDeps, 'due' | 'clock' | 'workflows'>, planned: Workflow | undefined, save: () => Promise<R>): Promise<R> {
  if (!planned) return save();
  const item = planItem(planned.id, { version: planned.version, savedAt: planned.lastModifiedDateTime, part: 0 }, deps.clock.now());
  await deps.due.schedule(item);
  try {
    return await save();
  } catch (error) {
    // A refusal may be the SDK's retry of a save that landed (its answer lost): taken back only if the save does not show.
    if (isDomainError(error) && error.code === 'concurrencyConflict' && !(await saveShows(deps, planned).catch(() => true))) await deps.due.unschedule(item).catch(() => undefined);
    throw error;
  }
}

async function saveShows(deps: Pick<EntitlementDeps, 'workflows'>, planned: Workflow): Promise<boolean> {
  const stored = (await deps.workflows.find(planned.id))?.value;
  return stored !== undefined && stored.version === planned.version && stored.lastModifiedDateTime === planned.lastModifiedDateTime;
}

/**
 * `workflowPlan` items of the expiration sweep: plans the workflow for the directory's users, page by page, from
 * where the item's part starts; after a slice of time (PLAN_SLICE_MS) it writes the next part, due now, from where
 * it got to, for the sweep's next run. Planning a user twice plans them once (their trigger's item and their
 * baseline are written once), so a part cut off and run again costs only time. The plan is stale once the workflow
 * no longer runs on schedule (disabled, unscheduled, deleted) or has a newer version (which has a plan of its own).
 */
export async function runWorkflowPlan(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<ItemOutcome> {
  const plan = parseDetail(item.detail);
  const workflow = (await deps.workflows.find(item.entityId))?.value;
  if (!workflow || workflow.lastModifiedDateTime < plan.savedAt) {
    // Written ahead of its save, which may still be on its way: kept (as a failure) until that could have landed.
    if (deps.clock.now() < DateTime.fromISO(plan.savedAt).plus({ minutes: AUDIT_SETTLE_MINUTES })) {
      throw new Error(`Workflow ${item.entityId} as saved at ${plan.savedAt} does not show yet; planned once it does.`);
    }
    return 'stale';
  }
  if (workflow.version !== plan.version || !runsOnSchedule(workflow)) return 'stale';
  const slice = deps.workflowPlanSlice ?? { ms: PLAN_SLICE_MS, users: PLAN_CHUNK_USERS };
  const endsAt = Date.now() + slice.ms;
  let at: UsersCursor = item.planFrom ?? { skip: 0 };
  let plannedSome = false;
  for (;;) {
    const read = await usersPage(deps, at);
    const page = read.page;
    at = read.at;
    while (at.skip < page.items.length) {
      if (plannedSome && Date.now() >= endsAt) {
        await deps.due.schedule(planItem(workflow.id, { ...plan, part: plan.part + 1 }, deps.clock.now(), at));
        return 'processed';
      }
      const users = page.items.slice(at.skip, at.skip + slice.users);
      await planWorkflowForUsers(deps, workflow, users);
      at = { ...at, skip: at.skip + users.length };
      plannedSome = true;
    }
    if (!page.nextPage) return 'processed';
    at = { page: page.nextPage, skip: 0 };
  }
}

/**
 * The page of users a part starts from. A page link kept from an earlier run may have expired by now (Graph answers
 * 400, or asks for a new pass): planning is idempotent, so the plan starts over from the first page.
 */
async function usersPage(deps: EntitlementDeps, at: UsersCursor): Promise<{ page: DirectoryPage<DirectoryUser>; at: UsersCursor }> {
  try {
    return { page: await deps.directory.listUsers(at.page), at };
  } catch (error) {
    const expired = error instanceof DirectoryError && (error.details.status === 400 || error.kind === 'resyncRequired');
    if (at.page === undefined || !expired) throw error;
    return { page: await deps.directory.listUsers(), at: { skip: 0 } };
  }
}
