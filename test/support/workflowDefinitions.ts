import type { Caller } from '../../shared/auth/caller';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { createWorkflow } from '../../shared/operations/workflows/manageWorkflows';

/** The demo tenant's Global Administrator (Irvin Sayers), who may manage lifecycle workflows. */
export const GLOBAL_ADMIN: Caller = { objectId: '82b9bfbc-91ba-4257-9abe-22cad37b17c6', tenantId: undefined, scopes: undefined, roles: [], isApplication: false, email: undefined };

const NS = '#microsoft.graph.identityGovernance.';
const VPN_GROUP = 'e644c315-c2cb-4187-b62e-7330ba45cd54';

/** A workflow that runs on its own when `trigger` fires for a user `rule` scopes. */
const triggered = (category: string, displayName: string, rule: string, trigger: object, tasks: object[]) => ({
  category,
  displayName,
  isEnabled: true,
  isSchedulingEnabled: true,
  executionConditions: { '@odata.type': `${NS}triggerAndScopeBasedConditions`, scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule }, trigger },
  tasks,
});

/** A workflow that runs on its own on a user's date (offset 0) for the users `rule` scopes. */
export const scheduledOn = (category: 'joiner' | 'leaver', displayName: string, rule: string, timeBasedAttribute: 'employeeHireDate' | 'employeeLeaveDateTime', tasks: object[]) =>
  triggered(category, displayName, rule, { '@odata.type': `${NS}timeBasedAttributeTrigger`, timeBasedAttribute, offsetInDays: 0 }, tasks);

/** Created by the Global Administrator: a workflow on a user's date for one department's users, its tasks in order. */
export const scheduledForDepartment = (
  deps: EntitlementDeps,
  category: 'joiner' | 'leaver',
  displayName: string,
  department: string,
  timeBasedAttribute: 'employeeHireDate' | 'employeeLeaveDateTime',
  ...tasks: object[]
) => createWorkflow(deps, GLOBAL_ADMIN, scheduledOn(category, displayName, `department eq '${department}'`, timeBasedAttribute, tasks));

/** The README's leaver workflow: on a Sales user's leave date (or a signed HR leaver event), every assignment removed. */
export const SALES_LEAVERS = scheduledOn('leaver', 'Sales leavers', "department eq 'Sales'", 'employeeLeaveDateTime', [
  { displayName: 'Remove all access package assignments', taskDefinitionId: '42ae2956-193d-4f39-be06-691b8ac4fa1d' },
]);

/** A mover workflow: when a user's department changes and `rule` then scopes them, its tasks run. */
export const movedInto = (displayName: string, rule: string, tasks: object[]) =>
  triggered('mover', displayName, rule, { '@odata.type': `${NS}attributeChangeTrigger`, triggerAttributes: [{ name: 'department' }] }, tasks);

const ADD_TO_VPN = { displayName: 'VPN', taskDefinitionId: '22085229-5809-45e8-97fd-270d28d66910', arguments: [{ name: 'groupID', value: VPN_GROUP }] };

/** A joiner workflow: on a Sales user's hire date, the VPN group. */
export const VPN_FOR_SALES_HIRES = scheduledOn('joiner', 'VPN for Sales hires', "department eq 'Sales'", 'employeeHireDate', [ADD_TO_VPN]);

/** A mover workflow: users moved into Sales get the VPN group. */
export const INTO_SALES = movedInto('Into Sales', "department eq 'Sales'", [ADD_TO_VPN]);
