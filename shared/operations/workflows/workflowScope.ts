import { DateTime } from 'luxon';
import { parseFilter } from '../../api/odata/filterParser';
import { matchesFilter, type FilterNode, type PropertyType, type ValueExpression } from '../../api/odata';
import type { DirectoryUser } from '../../directory/directoryPort';
import { triggerOf, type TimeBasedAttribute, type Workflow, type WorkflowDefinition } from '../../domain/workflows/workflow';
import type { RuleChecks } from '../../domain/workflows/workflowInput';
import { activeOverrides, type AttributeOverrides } from '../../domain/hrEvents/attributeOverrides';
import { withOverriddenAttributes } from '../../domain/hrEvents/overriddenUser';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';

const EXTENSION_ATTRIBUTES = Array.from({ length: 15 }, (_, i) => `extensionAttribute${i + 1}`);

/**
 * The user properties a scope rule filters on (Graph's ruleBasedSubjectSet takes about 33; these are those the
 * directory port reads), with their OData types, so the project's one OData filter parser checks rules.
 */
const SCOPE_PROPERTIES: Readonly<Record<string, PropertyType>> = {
  id: 'guid',
  displayName: 'string',
  userPrincipalName: 'string',
  mail: 'string',
  userType: 'string',
  accountEnabled: 'boolean',
  department: 'string',
  jobTitle: 'string',
  companyName: 'string',
  employeeId: 'string',
  employeeType: 'string',
  officeLocation: 'string',
  city: 'string',
  state: 'string',
  country: 'string',
  usageLocation: 'string',
  employeeHireDate: 'dateTime',
  ...Object.fromEntries(EXTENSION_ATTRIBUTES.map((name) => [name, 'string' as const])),
};

/** A user as a delta reports them (the manager aside), or with the attributes an HR event brought. */
export type ScopedUser = Omit<DirectoryUser, 'managerId'>;

const RULE_OPTION = 'executionConditions.scope.rule';
const parsed = new Map<string, FilterNode>();
/** Parsed rules kept, so a sweep over many users parses each rule once; bounded, as rules are few. */
const MAX_PARSED = 500;

function parsedRule(rule: string): FilterNode {
  let node = parsed.get(rule);
  if (!node) {
    node = parseFilter(rule, SCOPE_PROPERTIES, RULE_OPTION);
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(rule, node);
  }
  return node;
}

export const WORKFLOW_RULES: RuleChecks = {
  checkRule: (rule) => void parsedRule(rule),
  changeableAttributes: Object.keys(SCOPE_PROPERTIES).filter((name) => name !== 'id'),
};

/** What a rule sees of a user: its properties, with the extension attributes at the top level as Graph filters them. */
function scopeView(user: ScopedUser): Record<string, unknown> {
  return { ...user, ...user.onPremisesExtensionAttributes };
}

/** Whether the user is in the workflow's scope (a workflow run on demand only has no scope: nobody is). */
export function inScope(workflow: WorkflowDefinition, user: ScopedUser): boolean {
  const conditions = triggerOf(workflow);
  return conditions !== undefined && matchesFilter(parsedRule(conditions.scope.rule), scopeView(user));
}

/** The user attributes a workflow's planning depends on: its scope rule's and its trigger's. */
export function attributesWatched(workflow: Workflow): string[] {
  const conditions = triggerOf(workflow);
  if (!conditions) return [];
  const trigger = conditions.trigger;
  const fromTrigger = 'timeBasedAttribute' in trigger ? [trigger.timeBasedAttribute] : trigger.triggerAttributes.map((a) => a.name);
  return [...new Set([...propertiesIn(parsedRule(conditions.scope.rule)), ...fromTrigger])];
}

function propertiesIn(node: FilterNode): string[] {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.operands.flatMap(propertiesIn);
    case 'not':
      return propertiesIn(node.operand);
    case 'comparison':
    case 'in':
      return pathOf(node.left);
    case 'any':
    case 'all':
      return [node.collection];
    default:
      return pathOf(node.operand);
  }
}

function pathOf(expression: ValueExpression): string[] {
  return expression.kind === 'property' ? [expression.path] : pathOf(expression.operand);
}

/**
 * The user with the attributes HR events gave them ahead of the directory (DESIGN §2.6), the newest event winning
 * attribute by attribute, as auto-assignment rules see them too: a joiner whose department the directory does not
 * show yet is in a `department eq 'Sales'` scope; a leaver is out of an `accountEnabled eq true` one. `user` is as the
 * directory shows them (a hire date since a leaver's event is a rehire, which ends the departure).
 */
export async function withHrAttributes<U extends ScopedUser>(deps: EntitlementDeps, user: U, under: (stored: AttributeOverrides | undefined) => U = () => user): Promise<U> {
  const stored = (await deps.overrides.forUsers([user.id])).get(user.id.toLowerCase())?.value;
  const base = under(stored);
  return stored ? withOverriddenAttributes(base, activeOverrides(stored, user, deps.clock.now())) : base;
}

/** The date a user's attribute names, or undefined when they have none (or it is not a date). */
export function attributeDate(user: ScopedUser, attribute: TimeBasedAttribute): DateTime | undefined {
  const value = user[attribute];
  if (typeof value !== 'string' || value === '') return undefined;
  const date = DateTime.fromISO(value, { zone: 'utc' });
  return date.isValid ? date : undefined;
}
