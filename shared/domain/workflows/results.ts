/** Graph's `lifecycleWorkflowProcessingStatus`. */
export type ProcessingStatus = 'queued' | 'inProgress' | 'completed' | 'completedWithErrors' | 'canceled' | 'failed';
/** `scheduled`: by its trigger (a date, a change, an HR event); `onDemand`: by `activate`. */
export type ExecutionType = 'scheduled' | 'onDemand';

export interface TaskProcessingResult {
  id: string;
  /** The task as it was in the version that ran. */
  taskId: string;
  taskDefinitionId: string;
  taskDisplayName: string;
  processingStatus: ProcessingStatus;
  failureReason: string | null;
  createdDateTime: string;
  startedDateTime: string | null;
  completedDateTime: string | null;
}

/** One user's processing by one run: their tasks' results in order. */
export interface UserProcessingResult {
  id: string;
  runId: string;
  workflowId: string;
  workflowVersion: number;
  workflowExecutionType: ExecutionType;
  subjectId: string;
  processingStatus: ProcessingStatus;
  scheduledDateTime: string;
  startedDateTime: string;
  completedDateTime: string | null;
  /** What started it: `activate`, `trigger:employeeHireDate@2026-…`, `change:…`, `hrEvent:…`. */
  reason: string;
  taskProcessingResults: TaskProcessingResult[];
}

/** One execution of a workflow for one or more users. */
export interface WorkflowRun {
  id: string;
  workflowId: string;
  workflowVersion: number;
  workflowExecutionType: ExecutionType;
  processingStatus: ProcessingStatus;
  scheduledDateTime: string;
  startedDateTime: string;
  completedDateTime: string | null;
  lastUpdatedDateTime: string;
  userIds: string[];
  failedTasksCount: number;
  failedUsersCount: number;
  successfulUsersCount: number;
  totalTasksCount: number;
  totalUnprocessedTasksCount: number;
  totalUsersCount: number;
}

export const isFailed = (status: ProcessingStatus) => status === 'failed';

/**
 * A user's status from their tasks': failed when a task failed and stopped the rest, completedWithErrors when
 * a task failed but the rest went on (continueOnError), completed otherwise.
 */
export function userStatus(tasks: readonly TaskProcessingResult[]): ProcessingStatus {
  const failed = tasks.filter((t) => t.processingStatus === 'failed').length;
  const unprocessed = tasks.filter((t) => t.processingStatus === 'canceled').length;
  if (failed === 0) return 'completed';
  return unprocessed > 0 || failed === tasks.length ? 'failed' : 'completedWithErrors';
}

/** A run's counts and status from its users' results. */
export function summarizeRun(run: WorkflowRun, users: readonly UserProcessingResult[], completedDateTime: string): WorkflowRun {
  const tasks = users.flatMap((u) => u.taskProcessingResults);
  const failedUsers = users.filter((u) => u.processingStatus !== 'completed').length;
  const failedTasks = tasks.filter((t) => isFailed(t.processingStatus)).length;
  return {
    ...run,
    processingStatus: failedUsers === 0 ? 'completed' : failedUsers === users.length && failedTasks === tasks.length ? 'failed' : 'completedWithErrors',
    completedDateTime,
    lastUpdatedDateTime: completedDateTime,
    failedTasksCount: failedTasks,
    failedUsersCount: failedUsers,
    successfulUsersCount: users.length - failedUsers,
    totalTasksCount: tasks.length,
    totalUnprocessedTasksCount: tasks.filter((t) => t.processingStatus === 'canceled').length,
    totalUsersCount: users.length,
  };
}
