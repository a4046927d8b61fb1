import type { WorkflowCategory } from './taskDefinitions';

export const NAMESPACE = '#microsoft.graph.identityGovernance.';
export const ON_DEMAND = `${NAMESPACE}onDemandExecutionOnly`;
export const TRIGGER_AND_SCOPE = `${NAMESPACE}triggerAndScopeBasedConditions`;
export const RULE_BASED_SCOPE = `${NAMESPACE}ruleBasedSubjectSet`;
export const TIME_BASED_TRIGGER = `${NAMESPACE}timeBasedAttributeTrigger`;
export const ATTRIBUTE_CHANGE_TRIGGER = `${NAMESPACE}attributeChangeTrigger`;

/** The user attributes a time-based trigger counts from (Graph's `workflowTriggerTimeBasedAttribute`). */
export const TIME_BASED_ATTRIBUTES = ['employeeHireDate', 'employeeLeaveDateTime', 'createdDateTime'] as const;
export type TimeBasedAttribute = (typeof TIME_BASED_ATTRIBUTES)[number];
export const MAX_OFFSET_DAYS = 180;

export interface TimeBasedTrigger {
  '@odata.type': typeof TIME_BASED_TRIGGER;
  timeBasedAttribute: TimeBasedAttribute;
  /** Days after the attribute's date (negative: before), −180 to 180. */
  offsetInDays: number;
}

export interface AttributeChangeTrigger {
  '@odata.type': typeof ATTRIBUTE_CHANGE_TRIGGER;
  triggerAttributes: Array<{ name: string }>;
}

export interface RuleBasedScope {
  '@odata.type': typeof RULE_BASED_SCOPE;
  /** An OData filter over user properties, such as `(department eq 'Sales') and not (jobTitle eq 'Intern')`. */
  rule: string;
}

export type ExecutionConditions =
  | { '@odata.type': typeof ON_DEMAND }
  | { '@odata.type': typeof TRIGGER_AND_SCOPE; scope: RuleBasedScope; trigger: TimeBasedTrigger | AttributeChangeTrigger };

export interface WorkflowTask {
  id: string;
  taskDefinitionId: string;
  displayName: string;
  description: string | null;
  /** Comma-joined categories, as Graph writes them (`joiner,mover`). */
  category: string;
  continueOnError: boolean;
  isEnabled: boolean;
  executionSequence: number;
  arguments: Array<{ name: string; value: string }>;
}

/** What a create or a new version sets: everything but the identity, the version and the times. */
export interface WorkflowDefinition {
  category: WorkflowCategory;
  displayName: string;
  description: string | null;
  isEnabled: boolean;
  isSchedulingEnabled: boolean;
  executionConditions: ExecutionConditions;
  tasks: WorkflowTask[];
}

/** A lifecycle workflow as stored: its current version; earlier versions are kept beside it. */
export interface Workflow extends WorkflowDefinition {
  id: string;
  version: number;
  createdDateTime: string;
  lastModifiedDateTime: string;
  /** Set while the workflow is in `deletedItems`. */
  deletedDateTime: string | null;
  createdById: string;
  lastModifiedById: string;
}

/** The scope and trigger of a workflow that runs on its own (not only on demand). */
export function triggerOf(workflow: WorkflowDefinition): Extract<ExecutionConditions, { scope: RuleBasedScope }> | undefined {
  const conditions = workflow.executionConditions;
  return conditions['@odata.type'] === TRIGGER_AND_SCOPE ? conditions : undefined;
}

/** Whether the workflow runs on its own: enabled, scheduled, and with a trigger. */
export const runsOnSchedule = (workflow: Workflow): boolean =>
  workflow.deletedDateTime === null && workflow.isEnabled && workflow.isSchedulingEnabled && triggerOf(workflow) !== undefined;
