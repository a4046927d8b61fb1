import { audited, shownIn } from '../audit/auditedChange';
import { WorkflowStore } from '../../store/workflowStore';
import { DomainError } from '../../domain/errors';
import { runsOnSchedule, type Workflow, type WorkflowDefinition } from '../../domain/workflows/workflow';
import { parseWorkflowDefinition, parseWorkflowPatch } from '../../domain/workflows/workflowInput';
import type { StoredDocument } from '../../store/documentTable';
import { nowIso, type Actor, type EntitlementDeps } from '../entitlements/entitlementDeps';
import { savedWithPlan } from './workflowPlan';
import { WORKFLOW_RULES } from './workflowScope';

/** Entra's limit of workflows in a tenant (the newer pages say 100; the stored ones 50). */
export const MAX_WORKFLOWS = 100;

const notFound = (id: string) => new DomainError('notFound', `Workflow '${id}' was not found.`);

/** A workflow that is not deleted. */
export async function findWorkflow(deps: EntitlementDeps, id: string): Promise<StoredDocument<Workflow>> {
  const found = await deps.workflows.find(id);
  if (!found || found.value.deletedDateTime !== null) throw notFound(id);
  return found;
}

/** A workflow in `deletedItems`. */
export async function findDeletedWorkflow(deps: EntitlementDeps, id: string): Promise<StoredDocument<Workflow>> {
  const found = await deps.workflows.find(id);
  if (!found || found.value.deletedDateTime === null) throw notFound(id);
  return found;
}

export async function listWorkflows(deps: EntitlementDeps, deleted = false): Promise<Workflow[]> {
  return (await deps.workflows.all()).filter((w) => (w.deletedDateTime !== null) === deleted);
}

/** The workflow, when it runs on its own (it is then planned for every user); on-demand and disabled ones are not. */
const scheduled = (workflow: Workflow): Workflow | undefined => (runsOnSchedule(workflow) ? workflow : undefined);

function withTaskIds(deps: EntitlementDeps, definition: WorkflowDefinition): WorkflowDefinition {
  return { ...definition, tasks: definition.tasks.map((task) => ({ ...task, id: deps.newId() })) };
}

/**
 * POST workflows: checked whole before anything is written, stored as version 1, audited, and planned in the
 * background (workflowPlan.ts): every user in scope gets their trigger's due item (or, for a mover workflow, a
 * baseline of the attributes it watches) from the expiration sweep's next run, within a minute or so.
 */
export async function createWorkflow(deps: EntitlementDeps, actor: Actor, body: unknown): Promise<Workflow> {
  const definition = parseWorkflowDefinition(body, WORKFLOW_RULES);
  if ((await deps.workflows.all()).length >= MAX_WORKFLOWS) {
    throw new DomainError('invalidRequest', `A tenant has at most ${MAX_WORKFLOWS} workflows, deleted ones included; delete one permanently first.`);
  }
  const now = nowIso(deps);
  const workflow: Workflow = {
    ...withTaskIds(deps, definition),
    id: deps.newId(),
    version: 1,
    createdDateTime: now,
    lastModifiedDateTime: now,
    deletedDateTime: null,
    createdById: actor.objectId,
    lastModifiedById: actor.objectId,
  };
  const entry = { actorId: actor.objectId, action: 'createWorkflow', entityType: 'workflow', entityId: workflow.id, before: null, after: workflow };
  await savedWithPlan(deps, scheduled(workflow), () =>
    audited(deps, entry, shownIn('workflows', WorkflowStore.workflowRow(workflow.id), 'present'), async () => {
      await deps.workflows.insert(workflow);
      await deps.workflows.keepVersion(workflow);
    }),
  );
  return workflow;
}

/** PATCH workflows/{id}: name, description, isEnabled, isSchedulingEnabled (not while disabled); 204. */
export async function updateWorkflow(deps: EntitlementDeps, actor: Actor, id: string, body: unknown): Promise<void> {
  const change = parseWorkflowPatch(body);
  const stored = await findWorkflow(deps, id);
  const before = stored.value;
  const after: Workflow = { ...before, ...change, lastModifiedDateTime: nowIso(deps), lastModifiedById: actor.objectId };
  if (change.isEnabled === false && change.isSchedulingEnabled === undefined) after.isSchedulingEnabled = false;
  if (after.isSchedulingEnabled && !after.isEnabled) {
    throw new DomainError('invalidRequest', 'Invalid workflow update: isSchedulingEnabled: cannot be true while isEnabled is false.');
  }
  if (after.isSchedulingEnabled && after.executionConditions['@odata.type'].endsWith('onDemandExecutionOnly')) {
    throw new DomainError('invalidRequest', 'Invalid workflow update: isSchedulingEnabled: cannot be true for a workflow that runs on demand only.');
  }
  const entry = { actorId: actor.objectId, action: 'updateWorkflow', entityType: 'workflow', entityId: before.id, before, after };
  await savedWithPlan(deps, runsOnSchedule(before) ? undefined : scheduled(after), () => audited(deps, entry, shownIn('workflows', stored, 'changed'), () => deps.workflows.workflows.replace(stored, after)));
}

/**
 * POST workflows/{id}/createNewVersion: the only way to change tasks or conditions. The version counts up, the old
 * one is kept, and the new one is planned for every user in the background (the old one's plan, if still going,
 * stops); users it ran for already by the same trigger date are
 * not run again (the executions' claims do not name the version).
 */
export async function createNewVersion(deps: EntitlementDeps, actor: Actor, id: string, body: unknown): Promise<Workflow> {
  const input = typeof body === 'object' && body !== null && 'workflow' in body ? (body as { workflow: unknown }).workflow : undefined;
  if (input === undefined) throw new DomainError('invalidRequest', 'Invalid new version: the body must be {"workflow": {…}}.');
  const definition = parseWorkflowDefinition(input, WORKFLOW_RULES, 'new version');
  const stored = await findWorkflow(deps, id);
  const before = stored.value;
  if (definition.category !== before.category) {
    throw new DomainError('invalidRequest', `Invalid new version: category: a ${before.category} workflow stays one (create another workflow instead).`);
  }
  const after: Workflow = { ...before, ...withTaskIds(deps, definition), version: before.version + 1, lastModifiedDateTime: nowIso(deps), lastModifiedById: actor.objectId };
  const entry = { actorId: actor.objectId, action: 'createWorkflowVersion', entityType: 'workflow', entityId: id, before, after };
  await savedWithPlan(deps, scheduled(after), () =>
    audited(deps, entry, shownIn('workflows', stored, 'changed'), async () => {
      await deps.workflows.workflows.replace(stored, after);
      await deps.workflows.keepVersion(after);
    }),
  );
  return after;
}

/** DELETE workflows/{id}: into deletedItems (it stops running); restore brings it back. */
export async function deleteWorkflow(deps: EntitlementDeps, actor: Actor, id: string): Promise<void> {
  const stored = await findWorkflow(deps, id);
  const after: Workflow = { ...stored.value, deletedDateTime: nowIso(deps), lastModifiedById: actor.objectId };
  const entry = { actorId: actor.objectId, action: 'deleteWorkflow', entityType: 'workflow', entityId: id, before: stored.value, after };
  await audited(deps, entry, shownIn('workflows', stored, 'changed'), () => deps.workflows.workflows.replace(stored, after));
}

export async function restoreWorkflow(deps: EntitlementDeps, actor: Actor, id: string): Promise<Workflow> {
  const stored = await findDeletedWorkflow(deps, id);
  const after: Workflow = { ...stored.value, deletedDateTime: null, lastModifiedDateTime: nowIso(deps), lastModifiedById: actor.objectId };
  const entry = { actorId: actor.objectId, action: 'restoreWorkflow', entityType: 'workflow', entityId: id, before: stored.value, after };
  await savedWithPlan(deps, scheduled(after), () => audited(deps, entry, shownIn('workflows', stored, 'changed'), () => deps.workflows.workflows.replace(stored, after)));
  return after;
}
