/** The workflow categories Graph names; a task's categories must include its workflow's. */
export const WORKFLOW_CATEGORIES = ['joiner', 'mover', 'leaver'] as const;
export type WorkflowCategory = (typeof WORKFLOW_CATEGORIES)[number];

export interface TaskParameter {
  name: string;
  /** Whether a task of this definition must give the argument. */
  required: boolean;
  description: string;
}

/** A built-in task Portcullis carries out, under the `taskDefinitionId` Microsoft documents for it. */
export interface TaskDefinition {
  id: string;
  displayName: string;
  description: string;
  categories: readonly WorkflowCategory[];
  parameters: readonly TaskParameter[];
}

export const REQUEST_ACCESS_PACKAGE = 'c1ec1e76-f374-4375-aaa6-0bb6bd4c60be';
export const REMOVE_ACCESS_PACKAGE = '4a0b64f2-c7ec-46ba-b117-18f262946c50';
export const REMOVE_ALL_ACCESS_PACKAGES = '42ae2956-193d-4f39-be06-691b8ac4fa1d';
export const CANCEL_PENDING_REQUESTS = '498770d9-bab7-4e4c-b73d-5ded82a1d0b3';
export const ENABLE_ACCOUNT = '6fc52c9d-398b-4305-9763-15f42c1676fc';
export const DISABLE_ACCOUNT = '1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950';
export const ADD_TO_GROUPS = '22085229-5809-45e8-97fd-270d28d66910';
export const REMOVE_FROM_GROUPS = '1953a66c-751c-45e5-8bfe-01462c70da3c';
export const WELCOME_EMAIL = '70b29d51-b59a-4773-9280-8841dfd3f2ea';

/**
 * The tasks that take access away (or keep a pending request from granting it): one that fails for now is tried
 * again, never left failed, so a leaver does not keep what a storage blip or a Graph outage let through. A task that
 * grants, failing, is left failed as recorded, for an administrator to run again.
 */
export const REMOVING_TASKS: ReadonlySet<string> = new Set([REMOVE_ACCESS_PACKAGE, REMOVE_ALL_ACCESS_PACKAGES, CANCEL_PENDING_REQUESTS, DISABLE_ACCOUNT, REMOVE_FROM_GROUPS]);

const EMAIL_PARAMETERS: TaskParameter[] = [
  { name: 'cc', required: false, description: 'Object ids of users to copy, comma-separated.' },
  { name: 'customSubject', required: false, description: 'The subject, instead of the default one.' },
  { name: 'customBody', required: false, description: 'The body, instead of the default one; {{userDisplayName}} and {{userGivenName}} are filled in.' },
  { name: 'locale', required: false, description: 'The language of the default text.' },
];

/** What Portcullis supports of Microsoft's built-in tasks (reference graph-wave2.md §3.3). */
export const TASK_DEFINITIONS: readonly TaskDefinition[] = [
  {
    id: REQUEST_ACCESS_PACKAGE,
    displayName: 'Request user access package assignment',
    description: 'Request an access package assignment for the user, under a policy that allows direct assignment',
    categories: ['joiner', 'mover'],
    parameters: [
      { name: 'assignmentPolicyId', required: true, description: 'The policy of the access package the assignment comes under.' },
      { name: 'accessPackageId', required: true, description: 'The access package to assign.' },
    ],
  },
  {
    id: REMOVE_ACCESS_PACKAGE,
    displayName: 'Remove access package assignment for user',
    description: "Remove the user's assignment of an access package",
    categories: ['leaver', 'mover'],
    parameters: [{ name: 'accessPackageId', required: true, description: 'The access package whose assignment ends.' }],
  },
  { id: REMOVE_ALL_ACCESS_PACKAGES, displayName: 'Remove all access package assignments for user', description: "Remove all of the user's access package assignments", categories: ['leaver'], parameters: [] },
  { id: CANCEL_PENDING_REQUESTS, displayName: 'Cancel all pending access package assignment requests for user', description: "Cancel the user's access package requests that are still pending", categories: ['leaver'], parameters: [] },
  { id: ENABLE_ACCOUNT, displayName: 'Enable User Account', description: 'Enable the user account', categories: ['joiner', 'leaver'], parameters: [] },
  { id: DISABLE_ACCOUNT, displayName: 'Disable User Account', description: 'Disable the user account', categories: ['leaver'], parameters: [] },
  {
    id: ADD_TO_GROUPS,
    displayName: 'Add user to groups',
    description: 'Add the user to the selected groups',
    categories: ['joiner', 'leaver', 'mover'],
    parameters: [{ name: 'groupID', required: true, description: 'The object ids of the groups, comma-separated.' }],
  },
  {
    id: REMOVE_FROM_GROUPS,
    displayName: 'Remove user from selected groups',
    description: 'Remove the user from the selected groups',
    categories: ['joiner', 'leaver', 'mover'],
    parameters: [{ name: 'groupID', required: true, description: 'The object ids of the groups, comma-separated.' }],
  },
  { id: WELCOME_EMAIL, displayName: 'Send Welcome Email to new hire', description: 'Send a welcome email to the new hire (through MAIL_SENDER)', categories: ['joiner'], parameters: EMAIL_PARAMETERS },
];

export const taskDefinition = (id: string): TaskDefinition | undefined => TASK_DEFINITIONS.find((d) => d.id === id.toLowerCase());
