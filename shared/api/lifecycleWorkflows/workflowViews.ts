import type { DirectoryUser } from '../../directory/directoryPort';
import type { TaskProcessingResult, UserProcessingResult, WorkflowRun } from '../../domain/workflows/results';
import type { TaskDefinition } from '../../domain/workflows/taskDefinitions';
import type { Workflow, WorkflowTask } from '../../domain/workflows/workflow';
import type { QueryCapabilities } from '../odata';
import type { EntityView } from '../entitlementManagement/views';

type Json = Record<string, unknown>;

/** What each lifecycle workflow collection answers to in `$filter`, `$select`, `$expand` and `$orderby`. */
export const WORKFLOWS_QUERY: QueryCapabilities = {
  count: true,
  filter: { id: 'guid', displayName: 'string', description: 'string', category: 'string', isEnabled: 'boolean', isSchedulingEnabled: 'boolean', version: 'number', createdDateTime: 'dateTime', lastModifiedDateTime: 'dateTime', deletedDateTime: 'dateTime' },
  select: ['id', 'category', 'displayName', 'description', 'isEnabled', 'isSchedulingEnabled', 'executionConditions', 'version', 'createdDateTime', 'lastModifiedDateTime', 'deletedDateTime', 'nextScheduleRunDateTime'],
  orderBy: ['displayName', 'category', 'createdDateTime', 'lastModifiedDateTime', 'version'],
  expand: { tasks: {}, createdBy: {}, lastModifiedBy: {} },
};
export const TASKS_QUERY: QueryCapabilities = { count: true, filter: { id: 'guid', displayName: 'string', taskDefinitionId: 'guid', isEnabled: 'boolean' }, select: ['id', 'taskDefinitionId', 'displayName', 'description', 'category', 'continueOnError', 'isEnabled', 'executionSequence', 'arguments'] };
export const DEFINITIONS_QUERY: QueryCapabilities = { count: true, filter: { id: 'guid', displayName: 'string', category: 'string' }, select: ['id', 'displayName', 'description', 'category', 'parameters', 'version', 'continueOnError'] };
export const RUNS_QUERY: QueryCapabilities = {
  count: true,
  filter: { id: 'guid', processingStatus: 'string', workflowExecutionType: 'string', scheduledDateTime: 'dateTime', startedDateTime: 'dateTime', completedDateTime: 'dateTime', lastUpdatedDateTime: 'dateTime' },
  orderBy: ['startedDateTime', 'completedDateTime', 'scheduledDateTime', 'lastUpdatedDateTime'],
};
export const USER_RESULTS_QUERY: QueryCapabilities = {
  count: true,
  filter: { id: 'guid', processingStatus: 'string', workflowExecutionType: 'string', workflowVersion: 'number', 'subject/id': 'guid', scheduledDateTime: 'dateTime', startedDateTime: 'dateTime', completedDateTime: 'dateTime' },
  orderBy: ['startedDateTime', 'completedDateTime', 'scheduledDateTime'],
  expand: { subject: {}, taskProcessingResults: {} },
};
export const TASK_RESULTS_QUERY: QueryCapabilities = { count: true, filter: { id: 'guid', processingStatus: 'string', 'task/id': 'guid' }, expand: { task: {}, subject: {} } };
export const USERS_QUERY: QueryCapabilities = { count: true, filter: { id: 'guid', displayName: 'string', department: 'string', jobTitle: 'string' }, select: ['id', 'displayName', 'userPrincipalName', 'mail', 'department', 'jobTitle'] };

const plain = <T extends object>(view: (value: T) => Json): EntityView<T> => ({ filterView: view, render: async (_deps, value) => view(value) });

export function taskView(task: WorkflowTask): Json {
  return { ...task };
}

function workflowBase(workflow: Workflow): Json {
  return {
    id: workflow.id,
    category: workflow.category,
    displayName: workflow.displayName,
    description: workflow.description,
    isEnabled: workflow.isEnabled,
    isSchedulingEnabled: workflow.isSchedulingEnabled,
    executionConditions: workflow.executionConditions,
    version: workflow.version,
    createdDateTime: workflow.createdDateTime,
    lastModifiedDateTime: workflow.lastModifiedDateTime,
    deletedDateTime: workflow.deletedDateTime,
    // Portcullis runs triggers as they come due (within a minute), not on a fixed schedule.
    nextScheduleRunDateTime: null,
  };
}

const userReference = (id: string) => ({ id });

export const workflowView: EntityView<Workflow> = {
  filterView: workflowBase,
  render: async (_deps, workflow, expand) => {
    const view = workflowBase(workflow);
    for (const item of expand) {
      if (item.name === 'tasks') view.tasks = workflow.tasks.map(taskView);
      if (item.name === 'createdBy') view.createdBy = userReference(workflow.createdById);
      if (item.name === 'lastModifiedBy') view.lastModifiedBy = userReference(workflow.lastModifiedById);
    }
    return view;
  },
};

/** A workflow version (workflowVersion): the workflow as it was, with its tasks; its number is versionNumber (v1.0 has no `version` here). */
export const versionView = plain<Workflow>((workflow) => {
  const { id: _id, version: _version, deletedDateTime: _deleted, nextScheduleRunDateTime: _next, ...rest } = workflowBase(workflow);
  return { versionNumber: workflow.version, ...rest, tasks: workflow.tasks.map(taskView) };
});

export const tasksView = plain<WorkflowTask>(taskView);

export const definitionView = plain<TaskDefinition>((definition) => ({
  id: definition.id,
  displayName: definition.displayName,
  description: definition.description,
  category: definition.categories.join(','),
  continueOnError: false,
  version: 1,
  parameters: definition.parameters.map((p) => ({ name: p.name, values: [], valueType: 'string' })),
}));

export const runView = plain<WorkflowRun>(({ workflowId: _w, workflowVersion: _v, userIds: _u, ...run }) => ({ ...run }));

function taskResultView(result: TaskProcessingResult, subjectId: string, task?: WorkflowTask): Json {
  const view: Json = {
    id: result.id,
    processingStatus: result.processingStatus,
    failureReason: result.failureReason,
    createdDateTime: result.createdDateTime,
    startedDateTime: result.startedDateTime,
    completedDateTime: result.completedDateTime,
    subject: { id: subjectId },
    task: task ? taskView(task) : { id: result.taskId, taskDefinitionId: result.taskDefinitionId, displayName: result.taskDisplayName },
  };
  return view;
}

function userResultBase(result: UserProcessingResult): Json {
  const tasks = result.taskProcessingResults;
  return {
    id: result.id,
    processingStatus: result.processingStatus,
    workflowExecutionType: result.workflowExecutionType,
    workflowVersion: result.workflowVersion,
    scheduledDateTime: result.scheduledDateTime,
    startedDateTime: result.startedDateTime,
    completedDateTime: result.completedDateTime,
    failedTasksCount: tasks.filter((t) => t.processingStatus === 'failed').length,
    totalTasksCount: tasks.length,
    totalUnprocessedTasksCount: tasks.filter((t) => t.processingStatus === 'canceled').length,
    subject: { id: result.subjectId },
  };
}

export const userResultView: EntityView<UserProcessingResult> = {
  filterView: userResultBase,
  render: async (deps, result, expand) => {
    const view = userResultBase(result);
    if (expand.some((e) => e.name === 'subject')) {
      const user = await deps.directory.getUser(result.subjectId);
      view.subject = user ? { id: user.id, displayName: user.displayName, userPrincipalName: user.userPrincipalName } : { id: result.subjectId };
    }
    if (expand.some((e) => e.name === 'taskProcessingResults')) view.taskProcessingResults = result.taskProcessingResults.map((t) => taskResultView(t, result.subjectId));
    return view;
  },
};

/** The task results of one user's result, each with the task as it was in the version that ran. */
export function taskResultsView(result: UserProcessingResult, version: Workflow | undefined): EntityView<TaskProcessingResult> {
  const taskOf = (t: TaskProcessingResult) => version?.tasks.find((task) => task.id === t.taskId);
  return {
    filterView: (t) => ({ id: t.id, processingStatus: t.processingStatus, task: { id: t.taskId } }),
    render: async (_deps, t) => taskResultView(t, result.subjectId, taskOf(t)),
  };
}

export const userView = plain<DirectoryUser>((user) => ({
  '@odata.type': '#microsoft.graph.user',
  id: user.id,
  displayName: user.displayName,
  userPrincipalName: user.userPrincipalName,
  mail: user.mail,
  department: user.department,
  jobTitle: user.jobTitle,
}));
