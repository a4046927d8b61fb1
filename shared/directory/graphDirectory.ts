import { invalidIdMessage, isValidId, type IdKind } from './directoryIds';
import { DirectoryError } from './directoryError';
import { GraphThrottled } from './throttleDeferral';
import type {
  AppRoleAssignmentRef,
  ChangeOutcome,
  DirectoryApplication,
  DirectoryGroup,
  DirectoryObjectRef,
  DirectoryPage,
  DirectoryPort,
  DirectorySite,
  DirectoryUser,
  GroupMembershipLine,
  GroupMembershipRound,
  GroupRelationship,
  Invitation,
  Mail,
  SiteRole,
  UserChanges,
  UserNames,
  UserSignIn,
  UsersRead,
} from './directoryPort';
import { deltaSelect, toChangedUser, toDirectoryUser, USER_SELECT, type GraphUser } from './graphUser';
import { outcomeError, type BatchOutcome, type BatchStep, type GraphTransport } from './graphTransport';

interface Collection<T> {
  value: T[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** An app role id Graph uses for "default access" to an application that defines no roles. */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';

/** Graph takes at most 20 `members@odata.bind` in one PATCH of a group, and 20 ids in one checkMemberGroups. */
const MEMBERS_PER_PATCH = 20;
const GROUPS_PER_CHECK = 20;
/** Graph's groups delta filters to at most 50 groups. */
export const GROUPS_PER_DELTA = 50;
/** The scope of a directory role assignment that holds across the whole tenant. */
const TENANT_SCOPE = '/';
const ALREADY_EXISTS = /already exist/i;
const MANAGER = '$expand=manager($select=id)';

export const SITE_ROLES_FOR_USERS_UNSUPPORTED =
  'Granting SharePoint site roles to users needs the SharePoint REST API, which Portcullis does not use yet.';

export interface GraphDirectoryOptions {
  /** The mailbox notifications are sent from (MAIL_SENDER). */
  mailSender?: string;
  /**
   * Real Graph grants site permissions only to applications (`unsupported`, the default); the Graph emulator also
   * grants them to users (`emulated`).
   */
  siteRoles?: 'emulated' | 'unsupported';
}

/**
 * The directory over Microsoft Graph v1.0. Bulk changes go through `$batch` (group additions as PATCHes of up to 20
 * `members@odata.bind` each), and every change is idempotent: adding what is there or removing what is not counts
 * as done, so delivery can be re-driven safely.
 */
export class GraphDirectory implements DirectoryPort {
  constructor(
    private readonly graph: GraphTransport,
    private readonly options: GraphDirectoryOptions = {},
  ) {}

  async getUser(idOrUserPrincipalName: string): Promise<DirectoryUser | undefined> {
    if (!isValidId('userKey', idOrUserPrincipalName)) return undefined;
    const user = await this.graph.find<GraphUser>(`/users/${encodeURIComponent(idOrUserPrincipalName)}?$select=${USER_SELECT}&${MANAGER}`);
    return user && toDirectoryUser(user);
  }

  async findUserByEmployeeId(employeeId: string): Promise<DirectoryUser | undefined> {
    const filter = encodeURIComponent(`employeeId eq ${odataString(employeeId)}`);
    const users = await this.graph.get<Collection<GraphUser>>(`/users?$filter=${filter}&$select=${USER_SELECT}&${MANAGER}`);
    const [user] = users.value;
    return user && toDirectoryUser(user);
  }

  async findUserByEmail(email: string): Promise<DirectoryUser | undefined> {
    const address = odataString(email.trim());
    const filter = encodeURIComponent(`mail eq ${address} or otherMails/any(m:m eq ${address})`);
    const users = await this.graph.get<Collection<GraphUser>>(`/users?$filter=${filter}&$select=${USER_SELECT}&${MANAGER}`);
    const [user] = users.value;
    return user && toDirectoryUser(user);
  }

  /** One GET per user, 20 to a `$batch`: `signInActivity` comes only when `$select` names it. */
  async getLastSignIns(userIds: readonly string[]): Promise<Map<string, UserSignIn>> {
    const found = new Map<string, UserSignIn>();
    const ids = [...new Set(userIds.filter((id) => isValidId('objectId', id)))];
    const answers = await this.graph.batch(ids.map((id) => ({ method: 'GET', url: `/users/${encodeURIComponent(id)}?$select=id,displayName,userPrincipalName,signInActivity` })));
    for (const [index, answer] of answers.entries()) {
      if (answer.status === 404) continue;
      if (answer.status >= 300) throw outcomeError(answer);
      const user = answer.body as { displayName?: string | null; userPrincipalName?: string | null; signInActivity?: { lastSignInDateTime?: string | null } | null };
      found.set(ids[index]!, { displayName: user.displayName ?? null, userPrincipalName: user.userPrincipalName ?? null, lastSignInDateTime: user.signInActivity?.lastSignInDateTime ?? null });
    }
    return found;
  }

  /** One GET per user (getUser's), 20 to a `$batch`; each user's error is theirs, throttling the whole read's. */
  async getUsers(userIds: readonly string[]): Promise<UsersRead> {
    const read: UsersRead = { found: new Map(), failed: new Map() };
    const ids = [...new Set(userIds.filter((id) => isValidId('objectId', id)).map((id) => id.toLowerCase()))];
    const answers = await this.graph.batch(ids.map((id) => ({ method: 'GET', url: `/users/${encodeURIComponent(id)}?$select=${USER_SELECT}&${MANAGER}` })));
    const throttled = answers.find((answer) => answer.status === 429 || answer.error instanceof GraphThrottled);
    if (throttled) throw outcomeError(throttled);
    for (const [index, answer] of answers.entries()) {
      if (answer.status === 404) continue;
      if (answer.status >= 300) read.failed.set(ids[index]!, outcomeError(answer));
      else read.found.set(ids[index]!, toDirectoryUser(answer.body as GraphUser));
    }
    return read;
  }

  /** One GET per user, 20 to a `$batch`, selecting only the names: a report's page of users in a few round trips. */
  async getUserNames(userIds: readonly string[]): Promise<Map<string, UserNames>> {
    const found = new Map<string, UserNames>();
    const ids = [...new Set(userIds.filter((id) => isValidId('objectId', id)))];
    const answers = await this.graph.batch(ids.map((id) => ({ method: 'GET', url: `/users/${encodeURIComponent(id)}?$select=id,displayName,userPrincipalName,mail` })));
    for (const [index, answer] of answers.entries()) {
      if (answer.status === 404) continue;
      if (answer.status >= 300) throw outcomeError(answer);
      const user = answer.body as { displayName?: string | null; userPrincipalName?: string | null; mail?: string | null };
      found.set(ids[index]!, { displayName: user.displayName ?? null, userPrincipalName: user.userPrincipalName ?? null, mail: user.mail ?? null });
    }
    return found;
  }

  async getUserSponsorIds(userId: string): Promise<string[]> {
    return this.#allIds(`/users/${readable('objectId', 'user id', userId)}/sponsors?$select=id`);
  }

  async getDirectReports(userId: string): Promise<Array<{ id: string } & UserNames>> {
    type Report = { '@odata.type'?: string; id: string; displayName?: string | null; userPrincipalName?: string | null; mail?: string | null };
    const reports = await this.#all<Report>(`/users/${readable('objectId', 'user id', userId)}/directReports?$select=id,displayName,userPrincipalName,mail`);
    return reports
      .filter((r) => r['@odata.type'] === undefined || r['@odata.type'] === '#microsoft.graph.user')
      .map((r) => ({ id: r.id, displayName: r.displayName ?? null, userPrincipalName: r.userPrincipalName ?? null, mail: r.mail ?? null }));
  }

  async listUsers(page?: string): Promise<DirectoryPage<DirectoryUser>> {
    const path = page ? this.graph.linkPath(page) : `/users?$select=${USER_SELECT}&${MANAGER}&$top=999`;
    const users = await this.graph.get<Collection<GraphUser>>(path);
    return withNextPage(users.value.map(toDirectoryUser), users['@odata.nextLink']);
  }

  async userChanges(from: { deltaToken?: string; page?: string; tracking?: readonly string[] } = {}): Promise<UserChanges> {
    const link = from.page ?? from.deltaToken;
    const path = link ? this.graph.linkPath(link) : `/users/delta?$select=${deltaSelect(from.tracking)}`;
    const page = await this.graph.get<Collection<GraphUser & { '@removed'?: unknown }>>(path);
    const changes: UserChanges = {
      changed: page.value.filter((u) => !u['@removed']).map(toChangedUser),
      removedIds: page.value.filter((u) => u['@removed']).map((u) => u.id),
    };
    if (page['@odata.nextLink']) changes.nextPage = page['@odata.nextLink'];
    if (page['@odata.deltaLink']) changes.deltaToken = page['@odata.deltaLink'];
    return changes;
  }

  async setAccountEnabled(userId: string, enabled: boolean): Promise<void> {
    await this.graph.send('PATCH', `/users/${changeable('objectId', 'user id', userId)}`, { accountEnabled: enabled });
  }

  async deleteUser(userId: string): Promise<void> {
    const user = changeable('objectId', 'user id', userId);
    try {
      await this.graph.send('DELETE', `/users/${user}`);
    } catch (error) {
      if (!(error instanceof DirectoryError && error.kind === 'notFound')) throw error;
    }
  }

  /** Only assignments across the whole tenant count: a role scoped to an administrative unit governs that unit alone. */
  async getDirectoryRoleIds(userId: string): Promise<string[]> {
    if (!isValidId('objectId', userId)) return [];
    const filter = encodeURIComponent(`principalId eq ${odataString(userId)}`);
    const assignments = await this.#all<{ roleDefinitionId: string; directoryScopeId?: string }>(
      `/roleManagement/directory/roleAssignments?$filter=${filter}&$select=roleDefinitionId,directoryScopeId`,
    );
    return [...new Set(assignments.filter((a) => a.directoryScopeId === TENANT_SCOPE).map((a) => a.roleDefinitionId))];
  }

  async inviteExternalUser(invitation: Invitation): Promise<DirectoryUser> {
    const created = await this.graph.send<{ invitedUser?: { id?: string } }>('POST', '/invitations', {
      invitedUserEmailAddress: invitation.email,
      invitedUserDisplayName: invitation.displayName,
      inviteRedirectUrl: invitation.redirectUrl,
      sendInvitationMessage: invitation.sendInvitationMessage ?? false,
    });
    const id = created.invitedUser?.id;
    const user = id ? await this.getUser(id) : undefined;
    if (!user) throw new DirectoryError('transient', `The invited user for ${invitation.email} cannot be read back yet.`);
    return user;
  }

  async getGroup(groupId: string): Promise<DirectoryGroup | undefined> {
    if (!isValidId('objectId', groupId)) return undefined;
    const group = await this.graph.find<DirectoryGroup>(
      `/groups/${encodeURIComponent(groupId)}?$select=id,displayName,description,mailEnabled,securityEnabled,groupTypes`,
    );
    return (
      group && {
        id: group.id,
        displayName: group.displayName,
        description: group.description ?? null,
        mailEnabled: group.mailEnabled,
        securityEnabled: group.securityEnabled,
        groupTypes: group.groupTypes ?? [],
      }
    );
  }

  async listGroupMembers(groupId: string, page?: string): Promise<DirectoryPage<DirectoryObjectRef>> {
    const path = page ? this.graph.linkPath(page) : `/groups/${readable('objectId', 'group id', groupId)}/members?$select=id&$top=999`;
    const members = await this.graph.get<Collection<{ id: string; '@odata.type'?: string }>>(path);
    return withNextPage(members.value.map(toObjectRef), members['@odata.nextLink']);
  }

  async getGroupOwnerIds(groupId: string): Promise<string[]> {
    return this.#allIds(`/groups/${readable('objectId', 'group id', groupId)}/owners?$select=id&$top=999`);
  }

  /**
   * `GET /groups/delta?$select=members,owners&$filter=id eq '…' or …`, then its `@odata.nextLink`s to the
   * `@odata.deltaLink`. A large group's members come over several pages, the group once on each.
   */
  async groupMembershipChanges(from: { groupIds: readonly string[] } | { deltaLink: string }): Promise<GroupMembershipRound> {
    let path: string;
    if ('deltaLink' in from) path = this.graph.linkPath(from.deltaLink);
    else {
      if (from.groupIds.length === 0 || from.groupIds.length > GROUPS_PER_DELTA) throw new RangeError(`A groups delta names 1 to ${GROUPS_PER_DELTA} groups, not ${from.groupIds.length}.`);
      // An id that cannot be a group names nothing: notFound, as for a read of it.
      const filter = from.groupIds.map((id) => `id eq ${odataString(decodeURIComponent(readable('objectId', 'group id', id)))}`).join(' or ');
      path = `/groups/delta?$select=members,owners&$filter=${encodeURIComponent(filter)}`;
    }
    const groupIds = new Set<string>();
    const lines: GroupMembershipLine[] = [];
    for (;;) {
      const page = await this.graph.get<Collection<GraphDeltaGroup>>(path);
      for (const group of page.value) {
        const groupId = group.id.toLowerCase();
        groupIds.add(groupId);
        for (const relationship of ['members', 'owners'] as const) {
          for (const line of group[`${relationship}@delta`] ?? []) lines.push(toMembershipLine(groupId, relationship, line));
        }
      }
      if (page['@odata.deltaLink']) return { groupIds: [...groupIds], lines, deltaLink: page['@odata.deltaLink'] };
      if (!page['@odata.nextLink']) throw new DirectoryError('transient', 'A groups delta page came with neither a nextLink nor a deltaLink.');
      path = this.graph.linkPath(page['@odata.nextLink']);
    }
  }

  /** An id that cannot be a group is in no group; a user that does not exist belongs to none (Graph: 404). */
  async memberGroupsOf(userId: string, groupIds: readonly string[]): Promise<string[]> {
    if (!isValidId('objectId', userId)) return [];
    try {
      return await this.memberGroupsOfExisting(userId, groupIds);
    } catch (error) {
      if (error instanceof DirectoryError && error.kind === 'notFound') return [];
      throw error;
    }
  }

  /** checkMemberGroups, 20 groups a call; an id that cannot be a group is in no group. */
  async memberGroupsOfExisting(userId: string, groupIds: readonly string[]): Promise<string[]> {
    const user = readable('objectId', 'user id', userId);
    const checkable = groupIds.filter((id) => isValidId('objectId', id));
    const found: string[] = [];
    for (const ids of chunk(checkable, GROUPS_PER_CHECK)) {
      const answer = await this.graph.send<Collection<string>>('POST', `/users/${user}/checkMemberGroups`, { groupIds: ids });
      found.push(...answer.value);
    }
    const asked = new Map(checkable.map((id) => [id.toLowerCase(), id]));
    return found.flatMap((id) => asked.get(id.toLowerCase()) ?? []);
  }

  /**
   * Up to 20 members per PATCH, 20 PATCHes per `$batch`. Graph refuses a whole PATCH when one user in it is
   * already a member (or does not exist), so such a chunk is retried one user at a time to tell which.
   */
  async addGroupMembers(groupId: string, userIds: readonly string[]): Promise<ChangeOutcome[]> {
    const group = `/groups/${changeable('objectId', 'group id', groupId)}`;
    const { ids, outcomes } = usableUserIds(userIds);
    const chunks = chunk(ids, MEMBERS_PER_PATCH);
    const budget = this.graph.budget();
    const answers = await this.graph.batch(
      chunks.map((members) => ({
        method: 'PATCH',
        url: group,
        body: { 'members@odata.bind': members.map((id) => this.graph.directoryObjectUrl(id)) },
      })),
      budget,
    );
    const oneByOne: string[] = [];
    for (const [index, answer] of answers.entries()) {
      const members = chunks[index]!;
      if (members.length > 1 && (answer.status === 404 || isAlreadyExists(answer))) oneByOne.push(...members);
      else for (const userId of members) outcomes.set(userId, classify(userId, answer, isAlreadyExists));
    }
    const singles = await this.graph.batch(
      oneByOne.map((id) => ({ method: 'POST', url: `${group}/members/$ref`, body: { '@odata.id': this.graph.directoryObjectUrl(id) } })),
      budget,
    );
    singles.forEach((answer, index) => outcomes.set(oneByOne[index]!, classify(oneByOne[index]!, answer, isAlreadyExists)));
    return inOrder(userIds, outcomes);
  }

  removeGroupMembers(groupId: string, userIds: readonly string[]): Promise<ChangeOutcome[]> {
    return this.#removeReferences(groupId, 'members', userIds);
  }

  /** Graph adds owners one reference at a time: one POST per user, 20 per `$batch`. */
  async addGroupOwners(groupId: string, userIds: readonly string[]): Promise<ChangeOutcome[]> {
    const group = `/groups/${changeable('objectId', 'group id', groupId)}`;
    const { ids, outcomes } = usableUserIds(userIds);
    const answers = await this.graph.batch(
      ids.map((id) => ({ method: 'POST', url: `${group}/owners/$ref`, body: { '@odata.id': this.graph.directoryObjectUrl(id) } })),
    );
    answers.forEach((answer, index) => outcomes.set(ids[index]!, classify(ids[index]!, answer, isAlreadyExists)));
    return inOrder(userIds, outcomes);
  }

  removeGroupOwners(groupId: string, userIds: readonly string[]): Promise<ChangeOutcome[]> {
    return this.#removeReferences(groupId, 'owners', userIds);
  }

  async #removeReferences(groupId: string, relationship: 'members' | 'owners', userIds: readonly string[]): Promise<ChangeOutcome[]> {
    const group = `/groups/${changeable('objectId', 'group id', groupId)}`;
    const { ids, outcomes } = usableUserIds(userIds);
    const answers = await this.graph.batch(ids.map((id) => ({ method: 'DELETE', url: `${group}/${relationship}/${encodeURIComponent(id)}/$ref` })));
    answers.forEach((answer, index) => outcomes.set(ids[index]!, classify(ids[index]!, answer, isNotFound)));
    return inOrder(userIds, outcomes);
  }

  async getApplication(servicePrincipalId: string): Promise<DirectoryApplication | undefined> {
    if (!isValidId('objectId', servicePrincipalId)) return undefined;
    const app = await this.graph.find<DirectoryApplication>(
      `/servicePrincipals/${encodeURIComponent(servicePrincipalId)}?$select=id,appId,displayName,appRoles`,
    );
    return app && { id: app.id, appId: app.appId, displayName: app.displayName, appRoles: app.appRoles ?? [] };
  }

  async getApplicationOwnerIds(servicePrincipalId: string): Promise<string[]> {
    return this.#allIds(`/servicePrincipals/${readable('objectId', 'service principal id', servicePrincipalId)}/owners?$select=id&$top=999`);
  }

  async listAppRoleAssignments(servicePrincipalId: string, page?: string): Promise<DirectoryPage<AppRoleAssignmentRef>> {
    const path = page
      ? this.graph.linkPath(page)
      : `/servicePrincipals/${readable('objectId', 'service principal id', servicePrincipalId)}/appRoleAssignedTo?$select=id,principalId,principalType,appRoleId&$top=999`;
    const assignments = await this.graph.get<Collection<AppRoleAssignmentRef>>(path);
    return withNextPage(
      assignments.value.map(({ id, principalId, principalType, appRoleId }) => ({ id, principalId, principalType, appRoleId })),
      assignments['@odata.nextLink'],
    );
  }

  async grantAppRole(servicePrincipalId: string, appRoleId: string, userIds: readonly string[]): Promise<ChangeOutcome[]> {
    const app = changeable('objectId', 'service principal id', servicePrincipalId);
    changeable('objectId', 'app role id', appRoleId);
    const { ids, outcomes } = usableUserIds(userIds);
    const answers = await this.graph.batch(
      ids.map((principalId) => ({
        method: 'POST',
        url: `/servicePrincipals/${app}/appRoleAssignedTo`,
        body: { principalId, resourceId: servicePrincipalId, appRoleId },
      })),
    );
    answers.forEach((answer, index) => outcomes.set(ids[index]!, classify(ids[index]!, answer, isAlreadyExists)));
    return inOrder(userIds, outcomes);
  }

  /** Finds each user's assignments of the role (one batch), then deletes them (another). */
  async revokeAppRole(servicePrincipalId: string, appRoleId: string, userIds: readonly string[]): Promise<ChangeOutcome[]> {
    const app = changeable('objectId', 'service principal id', servicePrincipalId);
    changeable('objectId', 'app role id', appRoleId);
    const { ids, outcomes } = usableUserIds(userIds);
    const filter = encodeURIComponent(`resourceId eq ${servicePrincipalId}`);
    const budget = this.graph.budget();
    const lookups = await this.graph.batch(
      ids.map((id) => ({ method: 'GET', url: `/users/${encodeURIComponent(id)}/appRoleAssignments?$filter=${filter}` })),
      budget,
    );
    const deletions: Array<{ userId: string; step: BatchStep }> = [];
    for (const [index, lookup] of lookups.entries()) {
      const userId = ids[index]!;
      if (lookup.status === 404) outcomes.set(userId, { userId, outcome: 'unchanged' });
      else if (lookup.status >= 300) outcomes.set(userId, { userId, outcome: 'failed', error: outcomeError(lookup) });
      else {
        const held = ((lookup.body as Collection<AppRoleAssignmentRef>).value ?? []).filter((a) => a.appRoleId === appRoleId);
        if (held.length === 0) outcomes.set(userId, { userId, outcome: 'unchanged' });
        for (const assignment of held) {
          deletions.push({ userId, step: { method: 'DELETE', url: `/servicePrincipals/${app}/appRoleAssignedTo/${encodeURIComponent(assignment.id)}` } });
        }
      }
    }
    const answers = await this.graph.batch(
      deletions.map((d) => d.step),
      budget,
    );
    for (const [index, answer] of answers.entries()) {
      const { userId } = deletions[index]!;
      if (outcomes.get(userId)?.outcome !== 'failed') outcomes.set(userId, classify(userId, answer, isNotFound));
    }
    return inOrder(userIds, outcomes);
  }

  async getSite(siteId: string): Promise<DirectorySite | undefined> {
    if (!isValidId('siteId', siteId)) return undefined;
    const site = await this.graph.find<DirectorySite>(`/sites/${encodeURIComponent(siteId)}?$select=id,displayName,webUrl`);
    return site && { id: site.id, displayName: site.displayName, webUrl: site.webUrl };
  }

  /** Graph's `/sites/{hostname}:/{server-relative-path}` form; each path segment is encoded on its own. */
  async getSiteByUrl(webUrl: string): Promise<DirectorySite | undefined> {
    let url: URL;
    try {
      url = new URL(webUrl);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'https:' || !/^[a-z0-9.-]+$/i.test(url.hostname)) return undefined;
    const path = url.pathname.split('/').filter(Boolean).map(encodeURIComponent).join('/');
    const site = await this.graph.find<DirectorySite>(`/sites/${url.hostname}:/${path}?$select=id,displayName,webUrl`);
    return site && { id: site.id, displayName: site.displayName, webUrl: site.webUrl };
  }

  async grantSiteRole(siteId: string, role: SiteRole, userId: string): Promise<ChangeOutcome> {
    const site = this.#siteForUserRoles(siteId, userId);
    if (await this.#sitePermissionOf(site, role, userId)) return { userId, outcome: 'unchanged' };
    await this.graph.send('POST', `/sites/${site}/permissions`, {
      roles: [role],
      grantedToIdentitiesV2: [{ user: { id: userId } }],
    });
    return { userId, outcome: 'changed' };
  }

  async revokeSiteRole(siteId: string, role: SiteRole, userId: string): Promise<ChangeOutcome> {
    const site = this.#siteForUserRoles(siteId, userId);
    const permission = await this.#sitePermissionOf(site, role, userId);
    if (!permission) return { userId, outcome: 'unchanged' };
    try {
      await this.graph.send('DELETE', `/sites/${site}/permissions/${encodeURIComponent(permission)}`);
    } catch (error) {
      if (!(error instanceof DirectoryError && error.kind === 'notFound')) throw error;
    }
    return { userId, outcome: 'changed' };
  }

  async sendMail(mail: Mail): Promise<void> {
    await this.graph.send('POST', this.#sendMailPath(), sendMailBody(mail));
  }

  /** One POST per mail, 20 to a `$batch`: the write budget's tokens (one per mail) are taken in one take per `$batch`. */
  async sendMails(mails: readonly Mail[]): Promise<Array<DirectoryError | undefined>> {
    const path = this.#sendMailPath();
    const answers = await this.graph.batch(mails.map((mail) => ({ method: 'POST', url: path, body: sendMailBody(mail) })));
    return answers.map((answer) => (answer.status >= 300 ? outcomeError(answer) : undefined));
  }

  #sendMailPath(): string {
    const sender = this.options.mailSender;
    if (!sender) throw new DirectoryError('permanent', 'No mail sender is configured (MAIL_SENDER).');
    return `/users/${changeable('userKey', 'mail sender (MAIL_SENDER)', sender)}/sendMail`;
  }

  async probe(): Promise<void> {
    await this.graph.get('/organization?$select=id');
  }

  /** The site's path segment, once site roles for users can be granted here at all and both ids are usable. */
  #siteForUserRoles(siteId: string, userId: string): string {
    if (this.options.siteRoles !== 'emulated') throw new DirectoryError('permanent', SITE_ROLES_FOR_USERS_UNSUPPORTED);
    changeable('objectId', 'user id', userId);
    return changeable('siteId', 'site id', siteId);
  }

  async #sitePermissionOf(site: string, role: SiteRole, userId: string): Promise<string | undefined> {
    const permissions = await this.#all<{ id: string; roles?: string[]; grantedToV2?: { user?: { id?: string } } }>(`/sites/${site}/permissions`);
    return permissions.find((p) => p.grantedToV2?.user?.id?.toLowerCase() === userId.toLowerCase() && p.roles?.includes(role))?.id;
  }

  async #allIds(path: string): Promise<string[]> {
    return (await this.#all<{ id: string }>(path)).map((o) => o.id);
  }

  async #all<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    for (let next: string | undefined = path; next; ) {
      const page: Collection<T> = await this.graph.get<Collection<T>>(next);
      items.push(...page.value);
      next = page['@odata.nextLink'] && this.graph.linkPath(page['@odata.nextLink']);
    }
    return items;
  }
}

/** A string literal for a Graph `$filter`: quotes doubled, so a value can never end the literal. */
export const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The id as a path segment for a read; an id that cannot be one names nothing, as an unknown id would. */
function readable(kind: IdKind, what: string, id: string): string {
  if (!isValidId(kind, id)) throw new DirectoryError('notFound', invalidIdMessage(kind, what, id));
  return encodeURIComponent(id);
}

/** The id as a path segment for a change; an id that cannot be one is refused for good. */
function changeable(kind: IdKind, what: string, id: string): string {
  if (!isValidId(kind, id)) throw new DirectoryError('permanent', invalidIdMessage(kind, what, id));
  return encodeURIComponent(id);
}

/** The distinct user ids a bulk change can send, and the outcomes of those it refuses without asking Graph. */
function usableUserIds(userIds: readonly string[]): { ids: string[]; outcomes: Map<string, ChangeOutcome> } {
  const ids: string[] = [];
  const outcomes = new Map<string, ChangeOutcome>();
  for (const userId of new Set(userIds)) {
    if (isValidId('objectId', userId)) ids.push(userId);
    else outcomes.set(userId, { userId, outcome: 'failed', error: new DirectoryError('permanent', invalidIdMessage('objectId', 'user id', userId)) });
  }
  return { ids, outcomes };
}

/** One outcome per distinct user id, in the order the ids were given. */
const inOrder = (userIds: readonly string[], outcomes: ReadonlyMap<string, ChangeOutcome>): ChangeOutcome[] =>
  [...new Set(userIds)].map((userId) => outcomes.get(userId)!);

function classify(userId: string, answer: BatchOutcome, meansUnchanged: (answer: BatchOutcome) => boolean): ChangeOutcome {
  if (answer.status < 300) return { userId, outcome: 'changed' };
  if (meansUnchanged(answer)) return { userId, outcome: 'unchanged' };
  return { userId, outcome: 'failed', error: outcomeError(answer) };
}

/** Graph's sendMail body: plain text, not kept in the sender's Sent Items. */
function sendMailBody(mail: Mail) {
  return {
    message: { subject: mail.subject, body: { contentType: 'Text', content: mail.text }, toRecipients: mail.to.map((address) => ({ emailAddress: { address } })) },
    saveToSentItems: false,
  };
}

const isAlreadyExists = (answer: BatchOutcome) => answer.status === 400 && ALREADY_EXISTS.test(outcomeError(answer).message);
const isNotFound = (answer: BatchOutcome) => answer.status === 404;

function toObjectRef(member: { id: string; '@odata.type'?: string }): DirectoryObjectRef {
  const type = member['@odata.type']?.replace('#microsoft.graph.', '');
  return { id: member.id, type: type === 'user' || type === 'group' || type === 'servicePrincipal' ? type : 'other' };
}

/** A group as a delta round names it: its id, and the lines of the relationships tracked. */
interface GraphDeltaGroup {
  id: string;
  'members@delta'?: DeltaLine[];
  'owners@delta'?: DeltaLine[];
}

type DeltaLine = { id: string; '@odata.type'?: string; '@removed'?: unknown };

function toMembershipLine(groupId: string, relationship: GroupRelationship, line: DeltaLine): GroupMembershipLine {
  return { groupId, relationship, member: toObjectRef(line), removed: line['@removed'] !== undefined };
}

function withNextPage<T>(items: T[], nextLink: string | undefined): DirectoryPage<T> {
  return nextLink ? { items, nextPage: nextLink } : { items };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
