import { DomainError } from '../errors';
import { taskDefinition, TASK_DEFINITIONS, WORKFLOW_CATEGORIES, type TaskParameter, type WorkflowCategory } from './taskDefinitions';
import {
  ATTRIBUTE_CHANGE_TRIGGER,
  MAX_OFFSET_DAYS,
  NAMESPACE,
  ON_DEMAND,
  RULE_BASED_SCOPE,
  TIME_BASED_ATTRIBUTES,
  TIME_BASED_TRIGGER,
  TRIGGER_AND_SCOPE,
  type ExecutionConditions,
  type WorkflowDefinition,
  type WorkflowTask,
} from './workflow';

/** Entra's limit of tasks in one workflow. */
export const MAX_TASKS = 25;
const MAX_NAME = 256;
const MAX_DESCRIPTION = 1024;
const MAX_ARGUMENT = 4096;
const MAX_TRIGGER_ATTRIBUTES = 20;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Arguments naming directory objects or entitlement management ones: each must be a GUID (groupID: a list of them). */
const ID_ARGUMENTS = new Set(['assignmentPolicyId', 'accessPackageId']);
const ID_LIST_ARGUMENTS = new Set(['groupID', 'cc']);
/** Groups one task adds or removes: each is one directory call. */
export const MAX_GROUPS_PER_TASK = 20;

/** Properties Graph sets, taken and ignored in an input that echoes a workflow read earlier. */
const READ_ONLY = new Set(['@odata.type', '@odata.context', 'id', 'version', 'createdDateTime', 'lastModifiedDateTime', 'deletedDateTime', 'nextScheduleRunDateTime']);
const WRITABLE = new Set(['category', 'displayName', 'description', 'isEnabled', 'isSchedulingEnabled', 'executionConditions', 'tasks']);
/** What PATCH changes; tasks and conditions change only through createNewVersion. */
export const PATCHABLE = ['displayName', 'description', 'isEnabled', 'isSchedulingEnabled'] as const;

export interface RuleChecks {
  /** Throws a 400 naming the problem when the scope rule is not a valid filter over user properties. */
  checkRule(rule: string): void;
  /** The user properties an attributeChangeTrigger may name. */
  changeableAttributes: readonly string[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects every problem of an input, so one 400 names them all. */
class Problems {
  readonly list: string[] = [];
  add(path: string, problem: string): void {
    this.list.push(`${path}: ${problem}`);
  }
  throwIfAny(what: string): void {
    if (this.list.length > 0) throw new DomainError('invalidRequest', `Invalid ${what}: ${this.list.join('; ')}.`);
  }
}

/** The `@odata.type` of a condition, trigger or scope, with or without its namespace. */
function typeName(value: Json): string | undefined {
  const type = value['@odata.type'];
  if (typeof type !== 'string') return undefined;
  return type.startsWith('#') ? type : `${NAMESPACE}${type.replace(/^microsoft\.graph\.identityGovernance\./, '')}`;
}

function text(problems: Problems, body: Json, name: string, max: number, required: boolean): string | null {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) problems.add(name, 'is required');
    return null;
  }
  if (typeof value !== 'string' || (required && value.trim() === '')) problems.add(name, 'must be a non-empty string');
  else if (value.length > max) problems.add(name, `must be at most ${max} characters`);
  else return value;
  return null;
}

function flag(problems: Problems, body: Json, name: string, defaultValue: boolean, path = name): boolean {
  const value = body[name];
  if (value === undefined || value === null) return defaultValue;
  if (typeof value !== 'boolean') problems.add(path, 'must be true or false');
  return value === true;
}

/**
 * A workflow as POST /workflows or createNewVersion gives it, checked whole: a category, a name, execution conditions
 * with a valid scope rule and trigger, and 1 to 25 tasks of supported definitions with their arguments.
 */
export function parseWorkflowDefinition(body: unknown, rules: RuleChecks, what = 'workflow'): WorkflowDefinition {
  if (!isObject(body)) throw new DomainError('invalidRequest', `Invalid ${what}: the body must be a JSON object.`);
  const problems = new Problems();
  for (const name of Object.keys(body)) {
    if (!WRITABLE.has(name) && !READ_ONLY.has(name)) problems.add(name, `is not a property a workflow takes (it takes ${[...WRITABLE].join(', ')})`);
  }
  const category = body.category;
  if (typeof category !== 'string' || !(WORKFLOW_CATEGORIES as readonly string[]).includes(category)) {
    problems.add('category', `is required, one of ${WORKFLOW_CATEGORIES.join(', ')}`);
  }
  const displayName = text(problems, body, 'displayName', MAX_NAME, true);
  const description = text(problems, body, 'description', MAX_DESCRIPTION, false);
  const isEnabled = flag(problems, body, 'isEnabled', true);
  const isSchedulingEnabled = flag(problems, body, 'isSchedulingEnabled', false);
  if (isSchedulingEnabled && !isEnabled) problems.add('isSchedulingEnabled', 'cannot be true while isEnabled is false');
  const executionConditions = parseConditions(problems, body.executionConditions, category as WorkflowCategory, rules);
  if (isSchedulingEnabled && executionConditions?.['@odata.type'] === ON_DEMAND) {
    problems.add('isSchedulingEnabled', 'cannot be true for a workflow that runs on demand only');
  }
  const tasks = parseTasks(problems, body.tasks, category as WorkflowCategory);
  problems.throwIfAny(what);
  return { category: category as WorkflowCategory, displayName: displayName!, description, isEnabled, isSchedulingEnabled, executionConditions: executionConditions!, tasks };
}

function parseConditions(problems: Problems, value: unknown, category: WorkflowCategory, rules: RuleChecks): ExecutionConditions | undefined {
  const path = 'executionConditions';
  if (!isObject(value)) {
    problems.add(path, `is required: {"@odata.type":"${ON_DEMAND}"} or a ${TRIGGER_AND_SCOPE} with a scope and a trigger`);
    return undefined;
  }
  const type = typeName(value);
  if (type === ON_DEMAND) return { '@odata.type': ON_DEMAND };
  if (type !== TRIGGER_AND_SCOPE) {
    problems.add(`${path}.@odata.type`, `must be ${ON_DEMAND} or ${TRIGGER_AND_SCOPE}`);
    return undefined;
  }
  const scope = value.scope;
  let rule: string | undefined;
  if (!isObject(scope) || typeName(scope) !== RULE_BASED_SCOPE || typeof scope.rule !== 'string' || scope.rule.trim() === '') {
    problems.add(`${path}.scope`, `must be a ${RULE_BASED_SCOPE} with a rule, for example "(department eq 'Sales')"`);
  } else {
    try {
      rules.checkRule(scope.rule);
      rule = scope.rule;
    } catch (error) {
      problems.add(`${path}.scope.rule`, error instanceof Error ? error.message : String(error));
    }
  }
  const trigger = value.trigger;
  const triggerType = isObject(trigger) ? typeName(trigger) : undefined;
  if (!isObject(trigger) || (triggerType !== TIME_BASED_TRIGGER && triggerType !== ATTRIBUTE_CHANGE_TRIGGER)) {
    problems.add(`${path}.trigger`, `must be a ${TIME_BASED_TRIGGER} or, for movers, an ${ATTRIBUTE_CHANGE_TRIGGER}`);
    return undefined;
  }
  if (triggerType === TIME_BASED_TRIGGER) {
    if (category === 'mover') problems.add(`${path}.trigger`, `a mover workflow runs on an ${ATTRIBUTE_CHANGE_TRIGGER}`);
    const attribute = trigger.timeBasedAttribute;
    if (typeof attribute !== 'string' || !(TIME_BASED_ATTRIBUTES as readonly string[]).includes(attribute)) {
      problems.add(`${path}.trigger.timeBasedAttribute`, `must be one of ${TIME_BASED_ATTRIBUTES.join(', ')}`);
    }
    const offset = trigger.offsetInDays;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || Math.abs(offset) > MAX_OFFSET_DAYS) {
      problems.add(`${path}.trigger.offsetInDays`, `must be a whole number from -${MAX_OFFSET_DAYS} to ${MAX_OFFSET_DAYS}`);
    }
    if (rule === undefined) return undefined;
    return {
      '@odata.type': TRIGGER_AND_SCOPE,
      scope: { '@odata.type': RULE_BASED_SCOPE, rule },
      trigger: { '@odata.type': TIME_BASED_TRIGGER, timeBasedAttribute: attribute as (typeof TIME_BASED_ATTRIBUTES)[number], offsetInDays: offset as number },
    };
  }
  if (category !== 'mover') problems.add(`${path}.trigger`, `an ${ATTRIBUTE_CHANGE_TRIGGER} is for mover workflows`);
  const attributes = trigger.triggerAttributes;
  const names: string[] = [];
  if (!Array.isArray(attributes) || attributes.length === 0 || attributes.length > MAX_TRIGGER_ATTRIBUTES) {
    problems.add(`${path}.trigger.triggerAttributes`, `must list 1 to ${MAX_TRIGGER_ATTRIBUTES} attributes, such as [{"name":"department"}]`);
  } else {
    for (const [index, attribute] of attributes.entries()) {
      const name = isObject(attribute) ? attribute.name : undefined;
      const known = typeof name === 'string' ? rules.changeableAttributes.find((a) => a.toLowerCase() === name.toLowerCase()) : undefined;
      if (!known) problems.add(`${path}.trigger.triggerAttributes[${index}].name`, `must be one of ${rules.changeableAttributes.join(', ')}`);
      else names.push(known);
    }
  }
  if (rule === undefined) return undefined;
  return { '@odata.type': TRIGGER_AND_SCOPE, scope: { '@odata.type': RULE_BASED_SCOPE, rule }, trigger: { '@odata.type': ATTRIBUTE_CHANGE_TRIGGER, triggerAttributes: [...new Set(names)].map((name) => ({ name })) } };
}

function parseTasks(problems: Problems, value: unknown, category: WorkflowCategory): WorkflowTask[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_TASKS) {
    problems.add('tasks', `must list 1 to ${MAX_TASKS} tasks`);
    return [];
  }
  return value.flatMap((task, index) => {
    const parsed = parseTask(problems, task, index, category);
    return parsed ? [parsed] : [];
  });
}

const SUPPORTED = () => TASK_DEFINITIONS.map((d) => `${d.id} (${d.displayName})`).join(', ');

function parseTask(problems: Problems, value: unknown, index: number, category: WorkflowCategory): WorkflowTask | undefined {
  const path = `tasks[${index}]`;
  if (!isObject(value)) {
    problems.add(path, 'must be a task object');
    return undefined;
  }
  const definitionId = value.taskDefinitionId;
  const definition = typeof definitionId === 'string' ? taskDefinition(definitionId) : undefined;
  if (!definition) {
    problems.add(`${path}.taskDefinitionId`, `'${String(definitionId)}' is not a supported task definition; supported: ${SUPPORTED()}`);
    return undefined;
  }
  const displayName = typeof value.displayName === 'string' && value.displayName.trim() !== '' ? value.displayName.slice(0, MAX_NAME) : definition.displayName;
  const description = typeof value.description === 'string' ? value.description.slice(0, MAX_DESCRIPTION) : null;
  if (!definition.categories.includes(category)) {
    problems.add(`${path}.taskDefinitionId`, `'${definition.displayName}' is for ${definition.categories.join(', ')} workflows, not ${category}`);
  }
  const taskCategory = typeof value.category === 'string' ? value.category : definition.categories.join(',');
  const categories = taskCategory.split(',').map((c) => c.trim());
  if (!categories.includes(category)) problems.add(`${path}.category`, `must include the workflow's category, ${category}`);
  const args = parseArguments(problems, value.arguments, path, definition.parameters);
  return {
    id: '',
    taskDefinitionId: definition.id,
    displayName,
    description,
    category: categories.join(','),
    continueOnError: flag(problems, value, 'continueOnError', false, `${path}.continueOnError`),
    isEnabled: flag(problems, value, 'isEnabled', true, `${path}.isEnabled`),
    executionSequence: index + 1,
    arguments: args,
  };
}

function parseArguments(problems: Problems, value: unknown, path: string, parameters: readonly TaskParameter[]): Array<{ name: string; value: string }> {
  const given = value === undefined || value === null ? [] : value;
  if (!Array.isArray(given)) {
    problems.add(`${path}.arguments`, 'must be a list of {name, value}');
    return [];
  }
  const args: Array<{ name: string; value: string }> = [];
  for (const [index, arg] of given.entries()) {
    const name = isObject(arg) ? arg.name : undefined;
    const parameter = parameters.find((p) => typeof name === 'string' && p.name.toLowerCase() === name.toLowerCase());
    if (!parameter) {
      problems.add(`${path}.arguments[${index}].name`, `'${String(name)}' is not an argument of this task (it takes ${parameters.map((p) => p.name).join(', ') || 'none'})`);
      continue;
    }
    const argValue = isObject(arg) ? arg.value : undefined;
    if (typeof argValue !== 'string' || argValue.trim() === '' || argValue.length > MAX_ARGUMENT) {
      problems.add(`${path}.arguments[${index}].value`, `must be a non-empty string of at most ${MAX_ARGUMENT} characters`);
      continue;
    }
    const problem = argumentProblem(parameter.name, argValue);
    if (problem) problems.add(`${path}.arguments[${index}].value`, problem);
    else args.push({ name: parameter.name, value: argValue.trim() });
  }
  for (const parameter of parameters) {
    if (parameter.required && !given.some((arg) => isObject(arg) && typeof arg.name === 'string' && arg.name.toLowerCase() === parameter.name.toLowerCase())) {
      problems.add(`${path}.arguments`, `'${parameter.name}' is required: ${parameter.description}`);
    }
  }
  return args;
}

function argumentProblem(name: string, value: string): string | undefined {
  if (ID_ARGUMENTS.has(name) && !GUID.test(value.trim())) return `${name} must be an object id (a GUID)`;
  if (ID_LIST_ARGUMENTS.has(name)) {
    const ids = value.split(',').map((id) => id.trim());
    if (ids.length > MAX_GROUPS_PER_TASK) return `${name} names at most ${MAX_GROUPS_PER_TASK} ids`;
    if (!ids.every((id) => GUID.test(id))) return `${name} must be object ids (GUIDs), comma-separated`;
  }
  return undefined;
}

/** The argument a task was given, by name. */
export const argumentOf = (task: WorkflowTask, name: string): string | undefined => task.arguments.find((a) => a.name === name)?.value;

/** A PATCH body: only the four changeable properties; tasks and conditions are refused, naming createNewVersion. */
export function parseWorkflowPatch(body: unknown): Partial<Pick<WorkflowDefinition, (typeof PATCHABLE)[number]>> {
  if (!isObject(body)) throw new DomainError('invalidRequest', 'Invalid workflow update: the body must be a JSON object.');
  const problems = new Problems();
  const change: Partial<Pick<WorkflowDefinition, (typeof PATCHABLE)[number]>> = {};
  for (const name of Object.keys(body)) {
    if ((PATCHABLE as readonly string[]).includes(name)) continue;
    if (name === 'tasks' || name === 'executionConditions' || name === 'category') problems.add(name, 'cannot be changed by PATCH; use POST /workflows/{id}/createNewVersion');
    else if (name !== '@odata.type') problems.add(name, `cannot be changed (PATCH takes ${PATCHABLE.join(', ')})`);
  }
  if ('displayName' in body) change.displayName = text(problems, body, 'displayName', MAX_NAME, true) ?? '';
  if ('description' in body) change.description = text(problems, body, 'description', MAX_DESCRIPTION, false);
  if ('isEnabled' in body) change.isEnabled = flag(problems, body, 'isEnabled', true);
  if ('isSchedulingEnabled' in body) change.isSchedulingEnabled = flag(problems, body, 'isSchedulingEnabled', false);
  problems.throwIfAny('workflow update');
  return change;
}
