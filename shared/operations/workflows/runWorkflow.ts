import { DomainError } from '../../domain/errors';
import { REMOVING_TASKS } from '../../domain/workflows/taskDefinitions';
import { summarizeRun, userStatus, type ExecutionType, type TaskProcessingResult, type UserProcessingResult, type WorkflowRun } from '../../domain/workflows/results';
import type { Workflow } from '../../domain/workflows/workflow';
import { nowIso, type EntitlementDeps } from '../entitlements/entitlementDeps';
import { audited, shownIn } from '../audit/auditedChange';
import { failedForNow } from './failedForNow';
import { runTask } from './workflowTasks';
import type { ScopedUser } from './workflowScope';
import type { ClaimOutcome, WorkflowExecution } from '../../store/workflowStore';
import { employmentEnded } from './endedEmployment';

/** One user a run processes; `occurrence` (a trigger date, a change, an HR event) makes it run once for them. */
export interface RunSubject {
  user: ScopedUser;
  occurrence?: string;
}

export interface RunOptions {
  type: ExecutionType;
  /** What started it, recorded on each user's result. */
  reason: string;
  actorId: string;
  scheduledDateTime?: string;
}

/**
 * A claim whose run has not finished after this long was left by a process that stopped (a function is stopped at
 * 10 minutes): another run takes it over. Tasks are idempotent, so what the stopped run did is not done twice.
 */
const ABANDONED_AFTER_MS = 15 * 60_000;

/** Entra's activities: "On-demand workflow execution completed", "Scheduled workflow execution completed". */
const AUDIT_ACTION: Record<ExecutionType, string> = {
  onDemand: 'runWorkflow.onDemand',
  scheduled: 'runWorkflow.scheduled',
};

/**
 * Runs the workflow's enabled tasks, in order, for each subject, and records the run, each user's result and each
 * task's. A subject with an occurrence is first claimed (an insert-if-absent row): one claimed before, by an
 * overlapping sweep, a restart or an earlier version, is not run again. A failed task stops the user's remaining
 * tasks unless it says `continueOnError`. Answers the run, or undefined when no subject was left to run.
 *
 * A user whose task that takes access away (REMOVING_TASKS) failed for now is not finished: their claim is given up
 * with the tasks that completed, and once the run is recorded it throws (dependencyUnavailable), so whoever asked
 * tries again (a due item, an HR event's recovery) and the retry runs the tasks that did not complete (those that
 * did are recorded completed, at their time, and not run again). Only a leaver's or mover's: a
 * joiner's tasks may give access back (enable the account), which a retry must not do after a leaver since. An
 * on-demand run answers as Graph does, its results saying what failed: a client retrying an error would run every
 * subject again.
 */
export async function runWorkflow(deps: EntitlementDeps, workflow: Workflow, subjects: readonly RunSubject[], options: RunOptions): Promise<WorkflowRun | undefined> {
  const runId = deps.newId();
  const started = nowIso(deps);
  const abandonedBefore = deps.clock.now().minus({ milliseconds: ABANDONED_AFTER_MS }).toUTC().toISO()!;
  const claimOf = (subject: RunSubject): WorkflowExecution => {
    const occurrence = subject.occurrence!;
    const employment = employmentEnded(occurrence, subject.user);
    return { workflowId: workflow.id, userId: subject.user.id.toLowerCase(), occurrence, workflowVersion: workflow.version, runId, claimedDateTime: started, ...(employment === undefined ? {} : { employment }) };
  };
  const claimed: Array<{ subject: RunSubject; completedTasks: readonly TaskProcessingResult[] }> = [];
  let busy = 0;
  for (const subject of subjects) {
    const claim: ClaimOutcome = subject.occurrence === undefined ? { status: 'claimed', completedTasks: [] } : await deps.workflows.claim(claimOf(subject), abandonedBefore);
    if (claim.status === 'claimed') claimed.push({ subject, completedTasks: claim.completedTasks });
    if (claim.status === 'busy') busy++;
  }
  if (claimed.length === 0) {
    // Thrown, so whoever asked (a due item, an HR event's recovery) tries again, and takes over a stopped run.
    if (busy > 0) throw new DomainError('conflict', `Workflow '${workflow.id}' is running for this user in another run; it is tried again later.`);
    return undefined;
  }
  const scheduledDateTime = options.scheduledDateTime ?? started;
  const run: WorkflowRun = {
    id: runId,
    workflowId: workflow.id,
    workflowVersion: workflow.version,
    workflowExecutionType: options.type,
    processingStatus: 'inProgress',
    scheduledDateTime,
    startedDateTime: started,
    completedDateTime: null,
    lastUpdatedDateTime: started,
    userIds: claimed.map(({ subject }) => subject.user.id),
    failedTasksCount: 0,
    failedUsersCount: 0,
    successfulUsersCount: 0,
    totalTasksCount: 0,
    totalUnprocessedTasksCount: 0,
    totalUsersCount: claimed.length,
  };
  const stored = await deps.workflows.saveRun(run);
  const results: UserProcessingResult[] = [];
  const unfinished: string[] = [];
  for (const { subject, completedTasks } of claimed) {
    const { result, retry } = await processUser(deps, workflow, subject.user, { runId, type: options.type, scheduledDateTime, reason: options.reason }, completedTasks);
    await deps.workflows.saveUserResult(result);
    if (retry) unfinished.push(subject.user.id);
    if (subject.occurrence !== undefined) {
      const completed = result.taskProcessingResults.filter((t) => t.processingStatus === 'completed');
      await (retry ? deps.workflows.releaseClaim(claimOf(subject), completed) : deps.workflows.completeClaim(claimOf(subject)));
    }
    results.push(result);
  }
  const finished = summarizeRun(run, results, nowIso(deps));
  const entry = {
    actorId: options.actorId,
    action: AUDIT_ACTION[options.type],
    entityType: 'workflow',
    entityId: workflow.id,
    before: null,
    after: { runId, workflowVersion: workflow.version, reason: options.reason, users: results.map((r) => ({ id: r.subjectId, processingStatus: r.processingStatus })) },
  };
  // The run's summary is the change the event records: it shows once the run no longer reads as started.
  await audited(deps, entry, { ...shownIn('workflowRuns', stored, 'changed'), was: stored.value }, () => deps.workflows.runs.replace(stored, finished));
  if (unfinished.length > 0 && options.type !== 'onDemand') {
    throw new DomainError('dependencyUnavailable', `Workflow '${workflow.id}', run '${runId}': removing access failed for now for user '${unfinished.join("', '")}' (the run's results say why); it is to be run again for them.`);
  }
  return finished;
}

async function processUser(
  deps: EntitlementDeps,
  workflow: Workflow,
  user: ScopedUser,
  run: { runId: string; type: ExecutionType; scheduledDateTime: string; reason: string },
  completedBefore: readonly TaskProcessingResult[],
): Promise<{ result: UserProcessingResult; retry: boolean }> {
  const started = nowIso(deps);
  const tasks: TaskProcessingResult[] = [];
  let stopped = false;
  let retry = false;
  for (const task of workflow.tasks.filter((t) => t.isEnabled)) {
    const base = { id: deps.newId(), taskId: task.id, taskDefinitionId: task.taskDefinitionId, taskDisplayName: task.displayName, createdDateTime: started };
    if (stopped) {
      tasks.push({ ...base, processingStatus: 'canceled', failureReason: null, startedDateTime: null, completedDateTime: null });
      continue;
    }
    // Completed by an earlier run of this occurrence that gave it up: recorded as it was, not run again.
    // Only a task that grants: one that takes access away runs again (idempotent), whatever an earlier attempt did.
    const earlier = REMOVING_TASKS.has(task.taskDefinitionId) ? undefined : completedBefore.find((t) => t.taskId === task.id);
    if (earlier) {
      tasks.push({ ...base, processingStatus: 'completed', failureReason: null, startedDateTime: earlier.startedDateTime, completedDateTime: earlier.completedDateTime });
      continue;
    }
    const taskStarted = nowIso(deps);
    try {
      await runTask({ deps, workflow, user }, task);
      tasks.push({ ...base, processingStatus: 'completed', failureReason: null, startedDateTime: taskStarted, completedDateTime: nowIso(deps) });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      tasks.push({ ...base, processingStatus: 'failed', failureReason: reason.slice(0, 1000), startedDateTime: taskStarted, completedDateTime: nowIso(deps) });
      stopped = !task.continueOnError;
      retry ||= workflow.category !== 'joiner' && REMOVING_TASKS.has(task.taskDefinitionId) && failedForNow(error);
    }
  }
  const result: UserProcessingResult = {
    id: deps.newId(),
    runId: run.runId,
    workflowId: workflow.id,
    workflowVersion: workflow.version,
    workflowExecutionType: run.type,
    subjectId: user.id,
    processingStatus: userStatus(tasks),
    scheduledDateTime: run.scheduledDateTime,
    startedDateTime: started,
    completedDateTime: nowIso(deps),
    reason: run.reason,
    taskProcessingResults: tasks,
  };
  return { result, retry };
}
