import { DomainError } from '../../domain/errors';
import { TASK_DEFINITIONS, taskDefinition } from '../../domain/workflows/taskDefinitions';
import type { UserProcessingResult } from '../../domain/workflows/results';
import { activateWorkflow, executionScope } from '../../operations/workflows/activateWorkflow';
import * as workflows from '../../operations/workflows/manageWorkflows';
import { getLifecycleSettings, updateLifecycleSettings } from '../../operations/workflows/workflowSettings';
import { pathId, requestBody, type ApiCall, type AreaRoute } from '../entitlementManagement/areaRouter';
import { entityResult, listResponse } from '../entitlementManagement/listing';
import { entityResponse, noContent } from '../graphResponses';
import { parseODataQuery } from '../odata';
import {
  definitionView,
  DEFINITIONS_QUERY,
  runView,
  RUNS_QUERY,
  taskResultsView,
  TASK_RESULTS_QUERY,
  tasksView,
  TASKS_QUERY,
  userResultView,
  USER_RESULTS_QUERY,
  USERS_QUERY,
  userView,
  versionView,
  workflowView,
  WORKFLOWS_QUERY,
} from './workflowViews';

const LW = 'identityGovernance/lifecycleWorkflows';
const id = pathId;
const body = requestBody;
const at = (c: ApiCall, path: string) => `${LW}/workflows('${id(c)}')/${path}`;
const notFound = (what: string, key: string) => new DomainError('notFound', `${what} '${key}' was not found.`);

/** Graph names bound actions with their namespace (`microsoft.graph.identityGovernance.activate`); both forms are taken. */
const action = (route: Omit<AreaRoute, 'pattern'>, base: string, name: string): AreaRoute[] => [
  { ...route, pattern: `${base}/${name}` },
  { ...route, pattern: `${base}/microsoft.graph.identityGovernance.${name}` },
];

async function run(c: ApiCall) {
  await workflows.findWorkflow(c.deps, id(c));
  const found = (await c.deps.workflows.runsOf(id(c))).find((r) => r.id === id(c, 1));
  if (!found) throw notFound('Run', id(c, 1));
  return found;
}

async function userResults(c: ApiCall, runId?: string): Promise<UserProcessingResult[]> {
  await workflows.findWorkflow(c.deps, id(c));
  return (await c.deps.workflows.userResultsOf(id(c), runId)).sort((a, b) => a.startedDateTime.localeCompare(b.startedDateTime));
}

async function userResult(c: ApiCall, index: number, runId?: string): Promise<UserProcessingResult> {
  const found = (await userResults(c, runId)).find((r) => r.id === id(c, index));
  if (!found) throw notFound('User processing result', id(c, index));
  return found;
}

async function taskResults(c: ApiCall, index: number, runId?: string) {
  const result = await userResult(c, index, runId);
  const version = (await c.deps.workflows.versionsOf(id(c))).find((v) => v.version === result.workflowVersion);
  return listResponse(c, `${c.path}`, result.taskProcessingResults, taskResultsView(result, version), TASK_RESULTS_QUERY);
}

/** `/v1.0/identityGovernance/lifecycleWorkflows`: workflows, their versions, runs and results, task definitions, settings. */
export const WORKFLOW_ROUTES: AreaRoute[] = [
  { method: 'GET', pattern: 'workflows', action: 'readWorkflows', handle: async (c) => listResponse(c, `${LW}/workflows`, await workflows.listWorkflows(c.deps), workflowView, WORKFLOWS_QUERY) },
  { method: 'POST', pattern: 'workflows', action: 'manageWorkflows', handle: async (c) => entityResult(c, `${LW}/workflows`, async () => workflows.createWorkflow(c.deps, c.caller, await body(c)), workflowView, WORKFLOWS_QUERY, 201) },
  { method: 'GET', pattern: 'workflows/{id}', action: 'readWorkflows', handle: async (c) => entityResult(c, `${LW}/workflows`, async () => (await workflows.findWorkflow(c.deps, id(c))).value, workflowView, WORKFLOWS_QUERY) },
  { method: 'PATCH', pattern: 'workflows/{id}', action: 'manageWorkflows', handle: async (c) => (await workflows.updateWorkflow(c.deps, c.caller, id(c), await body(c)), noContent()) },
  { method: 'DELETE', pattern: 'workflows/{id}', action: 'manageWorkflows', handle: async (c) => (await workflows.deleteWorkflow(c.deps, c.caller, id(c)), noContent()) },
  ...action({ method: 'POST', action: 'manageWorkflows', handle: async (c) => entityResult(c, `${LW}/workflows`, async () => workflows.createNewVersion(c.deps, c.caller, id(c), await body(c)), workflowView, WORKFLOWS_QUERY) }, 'workflows/{id}', 'createNewVersion'),
  ...action({ method: 'POST', action: 'manageWorkflows', handle: async (c) => (await activateWorkflow(c.deps, c.caller, id(c), await body(c)), noContent()) }, 'workflows/{id}', 'activate'),
  { method: 'GET', pattern: 'workflows/{id}/tasks', action: 'readWorkflows', handle: async (c) => listResponse(c, at(c, 'tasks'), (await workflows.findWorkflow(c.deps, id(c))).value.tasks, tasksView, TASKS_QUERY) },
  {
    method: 'GET',
    pattern: 'workflows/{id}/tasks/{id}',
    action: 'readWorkflows',
    handle: async (c) =>
      entityResult(c, at(c, 'tasks'), async () => {
        const task = (await workflows.findWorkflow(c.deps, id(c))).value.tasks.find((t) => t.id === id(c, 1));
        if (!task) throw notFound('Task', id(c, 1));
        return task;
      }, tasksView, TASKS_QUERY),
  },
  {
    method: 'GET',
    pattern: 'workflows/{id}/versions',
    action: 'readWorkflows',
    handle: async (c) => {
      await workflows.findWorkflow(c.deps, id(c));
      return listResponse(c, at(c, 'versions'), await c.deps.workflows.versionsOf(id(c)), versionView, { count: true });
    },
  },
  {
    method: 'GET',
    pattern: 'workflows/{id}/versions/{id}',
    action: 'readWorkflows',
    handle: async (c) =>
      entityResult(c, at(c, 'versions'), async () => {
        const version = (await c.deps.workflows.versionsOf(id(c))).find((v) => String(v.version) === id(c, 1));
        if (!version) throw notFound('Workflow version', id(c, 1));
        return version;
      }, versionView, {}),
  },
  { method: 'GET', pattern: 'workflows/{id}/executionScope', action: 'readWorkflows', handle: async (c) => listResponse(c, at(c, 'executionScope'), await executionScope(c.deps, id(c)), userView, USERS_QUERY) },
  {
    method: 'GET',
    pattern: 'workflows/{id}/runs',
    action: 'readWorkflows',
    handle: async (c) => {
      await workflows.findWorkflow(c.deps, id(c));
      return listResponse(c, at(c, 'runs'), (await c.deps.workflows.runsOf(id(c))).sort((a, b) => a.startedDateTime.localeCompare(b.startedDateTime)), runView, RUNS_QUERY);
    },
  },
  { method: 'GET', pattern: 'workflows/{id}/runs/{id}', action: 'readWorkflows', handle: async (c) => entityResult(c, at(c, 'runs'), () => run(c), runView, RUNS_QUERY) },
  { method: 'GET', pattern: 'workflows/{id}/runs/{id}/userProcessingResults', action: 'readWorkflows', handle: async (c) => listResponse(c, c.path, await userResults(c, (await run(c)).id), userResultView, USER_RESULTS_QUERY) },
  { method: 'GET', pattern: 'workflows/{id}/runs/{id}/userProcessingResults/{id}', action: 'readWorkflows', handle: async (c) => entityResult(c, c.path, () => userResult(c, 2, id(c, 1)), userResultView, USER_RESULTS_QUERY) },
  { method: 'GET', pattern: 'workflows/{id}/runs/{id}/userProcessingResults/{id}/taskProcessingResults', action: 'readWorkflows', handle: async (c) => taskResults(c, 2, id(c, 1)) },
  { method: 'GET', pattern: 'workflows/{id}/userProcessingResults', action: 'readWorkflows', handle: async (c) => listResponse(c, at(c, 'userProcessingResults'), await userResults(c), userResultView, USER_RESULTS_QUERY) },
  { method: 'GET', pattern: 'workflows/{id}/userProcessingResults/{id}', action: 'readWorkflows', handle: async (c) => entityResult(c, at(c, 'userProcessingResults'), () => userResult(c, 1), userResultView, USER_RESULTS_QUERY) },
  { method: 'GET', pattern: 'workflows/{id}/userProcessingResults/{id}/taskProcessingResults', action: 'readWorkflows', handle: async (c) => taskResults(c, 1) },

  { method: 'GET', pattern: 'deletedItems/workflows', action: 'readWorkflows', handle: async (c) => listResponse(c, `${LW}/deletedItems/workflows`, await workflows.listWorkflows(c.deps, true), workflowView, WORKFLOWS_QUERY) },
  { method: 'GET', pattern: 'deletedItems/workflows/{id}', action: 'readWorkflows', handle: async (c) => entityResult(c, `${LW}/deletedItems/workflows`, async () => (await workflows.findDeletedWorkflow(c.deps, id(c))).value, workflowView, WORKFLOWS_QUERY) },
  ...action({ method: 'POST', action: 'manageWorkflows', handle: async (c) => entityResult(c, `${LW}/workflows`, async () => workflows.restoreWorkflow(c.deps, c.caller, id(c)), workflowView, WORKFLOWS_QUERY) }, 'deletedItems/workflows/{id}', 'restore'),

  { method: 'GET', pattern: 'taskDefinitions', action: 'readWorkflows', handle: async (c) => listResponse(c, `${LW}/taskDefinitions`, TASK_DEFINITIONS, definitionView, DEFINITIONS_QUERY) },
  {
    method: 'GET',
    pattern: 'taskDefinitions/{id}',
    action: 'readWorkflows',
    handle: async (c) =>
      entityResult(c, `${LW}/taskDefinitions`, async () => {
        const definition = taskDefinition(id(c));
        if (!definition) throw notFound('Task definition', id(c));
        return definition;
      }, definitionView, DEFINITIONS_QUERY),
  },
  {
    method: 'GET',
    pattern: 'settings',
    action: 'readWorkflows',
    handle: async (c) => {
      parseODataQuery(c.query, {});
      return entityResponse(c.response, `${LW}/settings`, await getLifecycleSettings(c.deps));
    },
  },
  { method: 'PATCH', pattern: 'settings', action: 'manageWorkflows', handle: async (c) => (await updateLifecycleSettings(c.deps, c.caller, await body(c)), noContent()) },
];
