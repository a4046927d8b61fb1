/**
 * The audit actions of the external user capability, and the Entra activity each stands for (reference
 * graph-wave2 §4.3 and Entra's directory audit list), for the audit log's Graph view to show. Directory-side steps
 * take the names Entra's own services log (`Invited Users`, `Core Directory`).
 */
export const EXTERNAL_USER_ACTIVITIES = {
  inviteExternalUser: 'Invite external user',
  bindAccessPackageSubject: 'Update access package assignment request',
  failRequest: 'Failed access package assignment request',
  scheduleExternalUserRemoval: 'Update user',
  cancelExternalUserRemoval: 'Update user',
  blockExternalUser: 'Disable account',
  unblockExternalUser: 'Enable account',
  deleteExternalUser: 'Delete user',
} as const;

export type ExternalUserAction = keyof typeof EXTERNAL_USER_ACTIVITIES;
