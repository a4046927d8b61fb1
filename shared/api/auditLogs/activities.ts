import type { AuditEvent } from '../../store/auditLog';
import { EXTERNAL_USER_ACTIVITIES } from '../../operations/externalUsers/activities';

/** How Entra shows one kind of event: its activity name, operation type and category (reference graph-wave2 §4). */
export interface Activity {
  displayName: string;
  operationType: 'Add' | 'Assign' | 'Update' | 'Unassign' | 'Delete' | 'Other';
  category: string;
  /** Entra's `loggedByService`. */
  service: string;
}

const EM = 'EntitlementManagement';
const em = (displayName: string, operationType: Activity['operationType']): Activity => ({ displayName, operationType, category: EM, service: 'Entitlement Management' });
const other = (category: string, service: string) => (displayName: string, operationType: Activity['operationType']): Activity => ({ displayName, operationType, category, service });
// Access reviews and their decisions are Entra's Policy category (reference §4.3); HR-driven user changes and
// Lifecycle Workflows are logged by their own services.
const review = other('Policy', 'Access Reviews');
const user = other('UserManagement', 'Core Directory');
const invited = other('UserManagement', 'Invited Users');
const workflow = other('WorkflowManagement', 'Lifecycle Workflows');

/**
 * Every action Portcullis records, as Entra's activity it stands for. A test holds every action emitted in the code
 * to a row here (test/unit/auditActivities.test.ts), so none is shown under an invented name.
 */
const ACTIVITIES: Record<string, Activity | ((event: AuditEvent) => Activity)> = {
  submitRequest: (event) => submitted(requestTypeOf(event.after)),
  startApprovalStage: em('Update access package assignment request', 'Update'),
  'decideApprovalStage.approved': em('Approve access package assignment request', 'Update'),
  'decideApprovalStage.denied': em('Deny access package assignment request', 'Update'),
  'decideApprovalStage.nextStage': em('Approval stage completed for access package assignment request', 'Update'),
  escalateApprovalStage: em('Update access package assignment request', 'Update'),
  'denyRequest.noApprover': em('Deny access package assignment request', 'Update'),
  'denyRequest.unfulfillable': em('Deny access package assignment request', 'Update'),
  'denyRequest.timedOut': em('Access package assignment request timed out (no approver action taken)', 'Update'),
  scheduleRequest: em('Schedule a future access package assignment', 'Update'),
  startDelivery: (event) =>
    stateOf(event.before) === 'submitted' && !isRemoval(event.after) ? em('Auto approve access package assignment request', 'Update') : em('Ready to fulfill access package assignment request', 'Update'),
  createAssignment: em('Ready to fulfill access package assignment request', 'Assign'),
  deliverRequest: (event) => delivered(stateOf(event.after), isRemoval(event.after)),
  endAssignment: em('Remove access package assignment', 'Unassign'),
  updateAssignment: em('Extend access package assignment', 'Update'),
  // A removal after an auto-assignment policy's grace period marked on the assignment, or taken back (the user
  // matches again): bookkeeping of the assignment, shown as Entra's generic update (as reprocessAssignment is).
  'autoAssignment.planGraceRemoval': em('Update access package assignment request', 'Update'),
  'autoAssignment.cancelGraceRemoval': em('Update access package assignment request', 'Update'),
  cancelRequest: em('Cancel access package assignment request', 'Update'),
  withdrawRequest: em('Cancel access package assignment request', 'Update'),
  deleteRequest: em('Delete access package assignment request', 'Delete'),
  reprocessRequest: em('Update access package assignment request', 'Update'),
  reprocessAssignment: em('Update access package assignment request', 'Update'),
  failRequest: em(EXTERNAL_USER_ACTIVITIES.failRequest, 'Update'),
  bindAccessPackageSubject: em(EXTERNAL_USER_ACTIVITIES.bindAccessPackageSubject, 'Update'),
  'reconcile.add': em('Fulfill access package resource assignment', 'Assign'),
  'reconcile.remove': em('Remove access package resource assignment', 'Unassign'),
  'reconcile.confirmRemoval': em('Remove access package resource assignment', 'Unassign'),
  reconcileSweep: em('Fulfill access package resource assignment', 'Other'),
  parkDueWork: em('Failed access package assignment request', 'Other'),
  createCatalog: em('Create access package catalog', 'Add'),
  updateCatalog: em('Update access package catalog', 'Update'),
  deleteCatalog: em('Delete access package catalog', 'Delete'),
  deleteCatalogPart: em('Update access package catalog resource', 'Delete'),
  removeCatalogResource: em('Create resource remove request', 'Delete'),
  'resourceRequest.adminAdd': em('Create resource request', 'Add'),
  'resourceRequest.adminUpdate': em('Update access package catalog resource', 'Update'),
  'resourceRequest.adminRemove': em('Create resource remove request', 'Delete'),
  createAccessPackage: em('Create access package', 'Add'),
  updateAccessPackage: em('Update access package', 'Update'),
  deleteAccessPackage: em('Delete access package', 'Delete'),
  addResourceRoleScope: em('Update access package', 'Add'),
  removeResourceRoleScope: em('Update access package', 'Delete'),
  'addIncompatible.accessPackage': em('Create incompatible access package', 'Add'),
  'addIncompatible.group': em('Create incompatible group', 'Add'),
  'removeIncompatible.accessPackage': em('Delete incompatible access package', 'Delete'),
  'removeIncompatible.group': em('Delete incompatible group', 'Delete'),
  createAssignmentPolicy: em('Create access package assignment policy', 'Add'),
  replaceAssignmentPolicy: em('Update access package assignment policy', 'Update'),
  deleteAssignmentPolicy: em('Delete access package assignment policy', 'Delete'),
  createRoleAssignment: em('Add Entitlement Management role assignment', 'Add'),
  deleteRoleAssignment: em('Remove Entitlement Management role assignment', 'Delete'),
  updateSettings: em('Update tenant setting', 'Update'),
  createConnectedOrganization: em('Create connected organization', 'Add'),
  updateConnectedOrganization: em('Update connected organization', 'Update'),
  deleteConnectedOrganization: em('Delete connected organization', 'Delete'),
  addInternalSponsor: em('Assign user as internal sponsor', 'Assign'),
  removeInternalSponsor: em('Remove user as internal sponsor', 'Unassign'),
  addExternalSponsor: em('Assign user as external sponsor', 'Assign'),
  removeExternalSponsor: em('Remove user as external sponsor', 'Unassign'),
  inviteExternalUser: invited(EXTERNAL_USER_ACTIVITIES.inviteExternalUser, 'Add'),
  scheduleExternalUserRemoval: user(EXTERNAL_USER_ACTIVITIES.scheduleExternalUserRemoval, 'Update'),
  cancelExternalUserRemoval: user(EXTERNAL_USER_ACTIVITIES.cancelExternalUserRemoval, 'Update'),
  blockExternalUser: user(EXTERNAL_USER_ACTIVITIES.blockExternalUser, 'Update'),
  unblockExternalUser: user(EXTERNAL_USER_ACTIVITIES.unblockExternalUser, 'Update'),
  deleteExternalUser: user(EXTERNAL_USER_ACTIVITIES.deleteExternalUser, 'Delete'),
  startAccessReview: review('Access review started', 'Add'),
  endAccessReview: review('Access review ended', 'Update'),
  applyAccessReview: review('Apply review', 'Update'),
  applyReviewDecision: review('Apply decision', 'Update'),
  'applyReviewDecision.failed': review('Apply decision', 'Update'),
  approveReviewDecision: review('Approve decision', 'Update'),
  denyReviewDecision: review('Deny decision', 'Update'),
  dontKnowReviewDecision: review("Don't know decision", 'Update'),
  resetReviewDecision: review('Reset decision', 'Update'),
  resetReviewDecisions: review('Reset decision', 'Update'),
  receiveHrEvent: user('Update user', 'Other'),
  hrEventDuplicate: user('Update user', 'Other'),
  scheduleHrEvent: user('Update user', 'Other'),
  applyHrEvent: user('Update user', 'Update'),
  holdHrEvent: user('Update user', 'Other'),
  hrEventFailed: user('Update user', 'Other'),
  hrEventAttemptFailed: user('Update user', 'Other'),
  holdEmployeeChange: user('Update user', 'Other'),
  applyHeldEmployeeChange: user('Update user', 'Update'),
  employeeChangeFailed: user('Update user', 'Other'),
  overrideUserAttributes: user('Update user', 'Update'),
  settleUserAttributes: user('Update user', 'Update'),
  notificationFailed: em('Failed access package assignment request', 'Other'),
  createWorkflow: workflow('Create workflow', 'Add'),
  updateWorkflow: workflow('Update workflow', 'Update'),
  createWorkflowVersion: workflow('Create workflow version', 'Add'),
  deleteWorkflow: workflow('Delete workflow', 'Delete'),
  restoreWorkflow: workflow('Restore workflow', 'Update'),
  updateLifecycleSettings: workflow('Update lifecycle management settings', 'Update'),
  'runWorkflow.onDemand': workflow('Run workflow on demand', 'Other'),
  'runWorkflow.scheduled': workflow('Run workflow', 'Other'),
};

export const KNOWN_ACTIONS: readonly string[] = Object.keys(ACTIVITIES);

/** The activity an event shows as; an action missing from the table shows under its own name (and fails its test). */
export function activityOf(event: AuditEvent): Activity {
  const found = ACTIVITIES[event.action];
  if (found === undefined) return em(event.action, 'Other');
  return typeof found === 'function' ? found(event) : found;
}

function submitted(requestType: string | undefined): Activity {
  switch (requestType) {
    case 'adminAdd':
      return em('Administrator directly assigns user to access package', 'Assign');
    case 'adminRemove':
      return em('Administrator directly removes user access package assignment', 'Unassign');
    case 'userRemove':
      return em('User requests to remove access package assignment', 'Add');
    case 'userUpdate':
      return em('User requests to extend access package assignment', 'Add');
    case 'adminUpdate':
      return em('Create access package assignment user update request', 'Add');
    case 'systemAdd':
      return em('Entitlement Management creates access package assignment request for user', 'Add');
    case 'systemRemove':
      return em('Entitlement Management removes access package assignment request for user', 'Add');
    default:
      return em('User requests access package assignment', 'Add');
  }
}

function delivered(state: string | undefined, removal: boolean): Activity {
  if (state === 'partiallyDelivered') return em('Partially fulfill access package assignment request', 'Update');
  if (state === 'deliveryFailed') return em('Failed access package assignment request', 'Update');
  return removal ? em('Remove access package assignment', 'Unassign') : em('Fulfill access package assignment request', 'Update');
}

const field = (value: unknown, name: string): string | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const found = (value as Record<string, unknown>)[name];
  return typeof found === 'string' ? found : undefined;
};
const requestTypeOf = (request: unknown) => field(request, 'requestType');
const stateOf = (request: unknown) => field(request, 'state');
const isRemoval = (request: unknown) => /Remove$/.test(requestTypeOf(request) ?? '');
