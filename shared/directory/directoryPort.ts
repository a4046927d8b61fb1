import type { DirectoryError } from './directoryError';
import type { DirectoryUser } from '../domain/directoryUser';

// The user shape belongs to the domain, whose rules read it (DESIGN §1); the port hands it out.
export { DIRECTORY_USER_PROPERTIES, isReadFromDirectory, type DirectoryUser } from '../domain/directoryUser';

/**
 * A user as a delta reports it. `managerId` is there only when Graph reported the manager: the new manager's id,
 * or null once the manager was removed. Absent, the manager did not change (in a first pass: the user has none).
 */
export interface ChangedUser extends Omit<DirectoryUser, 'managerId'> {
  managerId?: string | null;
}

/** How a report names a user. */
export interface UserNames {
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
}

export interface UserSignIn {
  displayName: string | null;
  userPrincipalName: string | null;
  /** UTC ISO 8601; null when the directory does not say. */
  lastSignInDateTime: string | null;
}

export interface DirectoryGroup {
  id: string;
  displayName: string;
  description: string | null;
  mailEnabled: boolean;
  securityEnabled: boolean;
  groupTypes: string[];
}

export interface AppRole {
  id: string;
  displayName: string;
  value: string | null;
  description: string | null;
  allowedMemberTypes: string[];
  isEnabled: boolean;
}

export interface DirectoryApplication {
  /** The service principal's object id. */
  id: string;
  appId: string;
  displayName: string;
  appRoles: AppRole[];
}

export interface DirectorySite {
  id: string;
  displayName: string;
  webUrl: string;
}

export type SiteRole = 'read' | 'write' | 'owner';

export interface DirectoryObjectRef {
  id: string;
  type: 'user' | 'group' | 'servicePrincipal' | 'other';
}

export interface AppRoleAssignmentRef {
  id: string;
  principalId: string;
  /** `User`, `Group` or `ServicePrincipal`: an app role is held by people, groups and applications alike. */
  principalType: string;
  appRoleId: string;
}

/** One page of a listing; `nextPage` goes back to the same method to continue. */
export interface DirectoryPage<T> {
  items: T[];
  nextPage?: string;
}

/** One page of user changes. Either `nextPage` (more of this pass) or `deltaToken` (the pass is complete). */
export interface UserChanges {
  changed: ChangedUser[];
  removedIds: string[];
  nextPage?: string;
  /** Keep it to ask for the changes after this pass. */
  deltaToken?: string;
}

export type GroupRelationship = 'members' | 'owners';

/** One line of a groups delta round: an object that is (or, `removed`, is no longer) a member or owner of a group. */
export interface GroupMembershipLine {
  groupId: string;
  relationship: GroupRelationship;
  member: DirectoryObjectRef;
  removed: boolean;
}

/**
 * One whole round of the groups delta, every page read. A first round lists each group asked for that exists, with
 * all its members and owners; a later round only the lines that changed since the round its link came from.
 */
export interface GroupMembershipRound {
  /** The groups the round named (lower case): in a first round, every one asked for that the directory has. */
  groupIds: string[];
  lines: GroupMembershipLine[];
  /** Keep it to ask for the changes after this round. */
  deltaLink: string;
}

/** The outcome of one change for one user within a bulk change; a bulk change never throws for one user. */
export interface ChangeOutcome {
  userId: string;
  outcome: 'changed' | 'unchanged' | 'failed';
  error?: DirectoryError;
}

export interface Invitation {
  email: string;
  displayName?: string;
  redirectUrl: string;
  sendInvitationMessage?: boolean;
}

export interface Mail {
  to: string[];
  subject: string;
  text: string;
}

/** What getUsers read, by lower-cased id. */
export interface UsersRead {
  found: Map<string, DirectoryUser>;
  /** Users Graph answered with an error of their own, each with it. */
  failed: Map<string, DirectoryError>;
}

/**
 * What Portcullis needs from the directory, named after the service's needs rather than Graph's paths.
 * `GraphDirectory` implements it over Microsoft Graph; tests of the core may use plain fakes. An id that cannot be
 * one (a group id that is no GUID, say) is treated as absent by a read and refused, as permanent, by a change.
 */
export interface DirectoryPort {
  /** A user by object id or user principal name; `undefined` when there is none. */
  getUser(idOrUserPrincipalName: string): Promise<DirectoryUser | undefined>;
  findUserByEmployeeId(employeeId: string): Promise<DirectoryUser | undefined>;
  /** The user an address belongs to (their `mail` or one of their `otherMails`, any letter case); `undefined` when none. */
  findUserByEmail(email: string): Promise<DirectoryUser | undefined>;
  getUserSponsorIds(userId: string): Promise<string[]>;
  /** The users whose manager the user is (Graph's `directReports`), with their names; other kinds of object are left out. */
  getDirectReports(userId: string): Promise<Array<{ id: string } & UserNames>>;
  /**
   * Each user's names and last interactive sign-in, from Graph's `signInActivity` (null where none is recorded);
   * users the directory does not have (gone, or an id that cannot be one) are left out. Many users at once, for reviews.
   */
  getLastSignIns(userIds: readonly string[]): Promise<Map<string, UserSignIn>>;
  /**
   * Users by object id, many at once (as getUser reads one), by lower-cased id; users the directory does not have
   * are in neither map. A user Graph answered with an error of their own (a 403, a 400, a 5xx past the retries) is
   * `failed`, the others still read. Throttling is the tenant's, not one user's: a 429 throws, as getUser's would.
   * The expiration sweep's grace-period removals check a batch of users against their rules with it.
   */
  getUsers(userIds: readonly string[]): Promise<UsersRead>;
  /** Each user's names and address, many users at once (reports); users the directory does not have are left out. */
  getUserNames(userIds: readonly string[]): Promise<Map<string, UserNames>>;
  /** All users, a page at a time. */
  listUsers(page?: string): Promise<DirectoryPage<DirectoryUser>>;
  /**
   * Users changed since `deltaToken` (all users when absent), a page at a time. Throws `resyncRequired` for a stale
   * token. A round started with `tracking` (user properties as Graph names them, `manager` among them) reports only
   * changes to those, and its users carry only those (the others null or empty); its tokens keep that tracking.
   */
  userChanges(from?: { deltaToken?: string; page?: string; tracking?: readonly string[] }): Promise<UserChanges>;
  setAccountEnabled(userId: string, enabled: boolean): Promise<void>;
  /** Deletes a user; a user already gone counts as deleted. */
  deleteUser(userId: string): Promise<void>;
  /** The ids of the directory role definitions the user holds across the whole tenant (not within an administrative unit). */
  getDirectoryRoleIds(userId: string): Promise<string[]>;
  /**
   * Invites a user from outside as a guest (`POST /invitations`) and answers the guest; an address that already
   * belongs to a user answers that user. A refused invitation (a blocked domain) throws a `permanent` error.
   */
  inviteExternalUser(invitation: Invitation): Promise<DirectoryUser>;

  getGroup(groupId: string): Promise<DirectoryGroup | undefined>;
  listGroupMembers(groupId: string, page?: string): Promise<DirectoryPage<DirectoryObjectRef>>;
  getGroupOwnerIds(groupId: string): Promise<string[]>;
  /**
   * The groups delta tracking members and owners: a first round for `groupIds` (at most 50), or the round after
   * `deltaLink`. Pages are followed to the deltaLink. Throws `resyncRequired` when the link has expired.
   */
  groupMembershipChanges(from: { groupIds: readonly string[] } | { deltaLink: string }): Promise<GroupMembershipRound>;
  /** Which of `groupIds` the user belongs to, directly or through nested groups. */
  memberGroupsOf(userId: string, groupIds: readonly string[]): Promise<string[]>;
  /**
   * memberGroupsOf for a user just read from the directory: Graph's 404 (the user gone since, or a group it could not
   * find) throws `notFound` instead of reading as "in none", so that it cannot pass for a user who left the groups.
   */
  memberGroupsOfExisting(userId: string, groupIds: readonly string[]): Promise<string[]>;
  /** Adds users to a group; one already a member is `unchanged`. */
  addGroupMembers(groupId: string, userIds: readonly string[]): Promise<ChangeOutcome[]>;
  /** Removes users from a group; one not a member is `unchanged`. */
  removeGroupMembers(groupId: string, userIds: readonly string[]): Promise<ChangeOutcome[]>;
  /** Makes users owners of a group; one who is already an owner is `unchanged`. */
  addGroupOwners(groupId: string, userIds: readonly string[]): Promise<ChangeOutcome[]>;
  /** Removes users from a group's owners; one who is not an owner is `unchanged`. */
  removeGroupOwners(groupId: string, userIds: readonly string[]): Promise<ChangeOutcome[]>;

  getApplication(servicePrincipalId: string): Promise<DirectoryApplication | undefined>;
  /** The object ids of the application's owners (users, or other service principals). */
  getApplicationOwnerIds(servicePrincipalId: string): Promise<string[]>;
  listAppRoleAssignments(servicePrincipalId: string, page?: string): Promise<DirectoryPage<AppRoleAssignmentRef>>;
  /** Grants an app role to users; one who has it already is `unchanged`. */
  grantAppRole(servicePrincipalId: string, appRoleId: string, userIds: readonly string[]): Promise<ChangeOutcome[]>;
  /** Revokes an app role from users; one who does not have it is `unchanged`. */
  revokeAppRole(servicePrincipalId: string, appRoleId: string, userIds: readonly string[]): Promise<ChangeOutcome[]>;

  getSite(siteId: string): Promise<DirectorySite | undefined>;
  /** A site by its URL (`https://contoso.sharepoint.com/sites/Sales`), as entitlement management names sites. */
  getSiteByUrl(webUrl: string): Promise<DirectorySite | undefined>;
  /** Grants a user a role on a site; one who has it already is `unchanged`. */
  grantSiteRole(siteId: string, role: SiteRole, userId: string): Promise<ChangeOutcome>;
  revokeSiteRole(siteId: string, role: SiteRole, userId: string): Promise<ChangeOutcome>;

  sendMail(mail: Mail): Promise<void>;
  /** Many mails at once (20 to a `$batch`): for each, undefined when sent, else why not. One refused never stops the others. */
  sendMails(mails: readonly Mail[]): Promise<Array<DirectoryError | undefined>>;
  /** Answers when the directory answers a cheap call; throws otherwise. */
  probe(): Promise<void>;
}
