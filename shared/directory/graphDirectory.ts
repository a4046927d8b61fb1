import { DirectoryError } from './directoryError';
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
  Invitation,
  Mail,
  SiteRole,
  UserChanges,
} from './directoryPort';
import { toDirectoryUser, USER_SELECT } from './graphUser';
import { BATCH_LIMIT, outcomeError, type BatchOutcome, type BatchStep, type GraphTransport } from './graphTransport';

interface Collection<T> {
  value: T[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** An app role id Graph uses for "default access" to an application that defines no roles. */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';

const ALREADY_EXISTS = /already exist/i;
const MANAGER = '$expand=manager($select=id)';

/**
 * The directory over Microsoft Graph v1.0. Bulk changes go through `$batch` (group additions as PATCHes of up to 20
 * `members@odata.bind` each), and every change is idempotent: adding what is there or removing what is not counts
 * as done, so delivery can be re-driven safely.
 */
export class GraphDirectory implements DirectoryPort {
  constructor(
    private readonly graph: GraphTransport,
    private readonly options: { mailSender?: string } = {},
  ) {}

  async getUser(idOrUserPrincipalName: string): Promise<DirectoryUser | undefined> {
    const user = await this.graph.find<Parameters<typeof toDirectoryUser>[0]>(
      `/users/${encodeURIComponent(idOrUserPrincipalName)}?$select=${USER_SELECT}&${MANAGER}`,
    );
    return user && toDirectoryUser(user);
  }

  async findUserByEmployeeId(employeeId: string): Promise<DirectoryUser | undefined> {
    const filter = encodeURIComponent(`employeeId eq ${odataString(employeeId)}`);
    const users = await this.graph.get<Collection<Parameters<typeof toDirectoryUser>[0]>>(
      `/users?$filter=${filter}&$select=${USER_SELECT}&${MANAGER}`,
    );
    const [user] = users.value;
    return user && toDirectoryUser(user);
  }

  async getUserSponsorIds(userId: string): Promise<string[]> {
    return this.#allIds(`/users/${encodeURIComponent(userId)}/sponsors?$select=id`);
  }

  async listUsers(page?: string): Promise<DirectoryPage<DirectoryUser>> {
    const path = page ? this.graph.linkPath(page) : `/users?$select=${USER_SELECT}&${MANAGER}&$top=999`;
    const users = await this.graph.get<Collection<Parameters<typeof toDirectoryUser>[0]>>(path);
    return withNextPage(users.value.map(toDirectoryUser), users['@odata.nextLink']);
  }

  async userChanges(from: { deltaToken?: string; page?: string } = {}): Promise<UserChanges> {
    const link = from.page ?? from.deltaToken;
    const path = link ? this.graph.linkPath(link) : `/users/delta?$select=${USER_SELECT},manager`;
    const page = await this.graph.get<Collection<Parameters<typeof toDirectoryUser>[0] & { '@removed'?: unknown }>>(path);
    const changes: UserChanges = {
      changed: page.value.filter((u) => !u['@removed']).map(toDirectoryUser),
      removedIds: page.value.filter((u) => u['@removed']).map((u) => u.id),
    };
    if (page['@odata.nextLink']) changes.nextPage = page['@odata.nextLink'];
    if (page['@odata.deltaLink']) changes.deltaToken = page['@odata.deltaLink'];
    return changes;
  }

  async setAccountEnabled(userId: string, enabled: boolean): Promise<void> {
    await this.graph.send('PATCH', `/users/${encodeURIComponent(userId)}`, { accountEnabled: enabled });
  }

  async deleteUser(userId: string): Promise<void> {
    try {
      await this.graph.send('DELETE', `/users/${encodeURIComponent(userId)}`);
    } catch (error) {
      if (!(error instanceof DirectoryError && error.kind === 'notFound')) throw error;
    }
  }

  async getDirectoryRoleIds(userId: string): Promise<string[]> {
    const filter = encodeURIComponent(`principalId eq ${odataString(userId)}`);
    const assignments = await this.#all<{ roleDefinitionId: string }>(
      `/roleManagement/directory/roleAssignments?$filter=${filter}&$select=roleDefinitionId`,
    );
    return [...new Set(assignments.map((a) => a.roleDefinitionId))];
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
    return this.graph.find<DirectoryGroup>(
      `/groups/${encodeURIComponent(groupId)}?$select=id,displayName,description,mailEnabled,securityEnabled,groupTypes`,
    );
  }

  async listGroupMembers(groupId: string, page?: string): Promise<DirectoryPage<DirectoryObjectRef>> {
    const path = page ? this.graph.linkPath(page) : `/groups/${encodeURIComponent(groupId)}/members?$select=id&$top=999`;
    const members = await this.graph.get<Collection<{ id: string; '@odata.type'?: string }>>(path);
    return withNextPage(members.value.map(toObjectRef), members['@odata.nextLink']);
  }

  async getGroupOwnerIds(groupId: string): Promise<string[]> {
    return this.#allIds(`/groups/${encodeURIComponent(groupId)}/owners?$select=id&$top=999`);
  }

  /**
   * Up to 20 members per PATCH, 20 PATCHes per `$batch`. Graph refuses a whole PATCH when one user in it is
   * already a member (or does not exist), so such a chunk is retried one user at a time to tell which.
   */
  async addGroupMembers(groupId: string, userIds: readonly string[]): Promise<ChangeOutcome[]> {
    const group = `/groups/${encodeURIComponent(groupId)}`;
    const chunks = chunk(unique(userIds), BATCH_LIMIT);
    const answers = await this.graph.batch(
      chunks.map((ids) => ({
        method: 'PATCH',
        url: group,
        body: { 'members@odata.bind': ids.map((id) => this.graph.directoryObjectUrl(id)) },
      })),
    );
    const outcomes: ChangeOutcome[] = [];
    const oneByOne: string[] = [];
    for (const [index, answer] of answers.entries()) {
      const ids = chunks[index]!;
      if (answer.status < 300) outcomes.push(...ids.map((userId) => ({ userId, outcome: 'changed' as const })));
      else if (ids.length > 1 && (answer.status === 404 || isAlreadyExists(answer))) oneByOne.push(...ids);
      else outcomes.push(...ids.map((userId) => classify(userId, answer, isAlreadyExists)));
    }
    const singles = await this.graph.batch(
      oneByOne.map((id) => ({ method: 'POST', url: `${group}/members/$ref`, body: { '@odata.id': this.graph.directoryObjectUrl(id) } })),
    );
    outcomes.push(...singles.map((answer, index) => classify(oneByOne[index]!, answer, isAlreadyExists)));
    return outcomes;
  }

  async removeGroupMembers(groupId: string, userIds: readonly string[]): Promise<ChangeOutcome[]> {
    const ids = unique(userIds);
    const group = `/groups/${encodeURIComponent(groupId)}`;
    const answers = await this.graph.batch(
      ids.map((id) => ({ method: 'DELETE', url: `${group}/members/${encodeURIComponent(id)}/$ref` })),
    );
    return answers.map((answer, index) => classify(ids[index]!, answer, isNotFound));
  }

  async getApplication(servicePrincipalId: string): Promise<DirectoryApplication | undefined> {
    const app = await this.graph.find<DirectoryApplication>(
      `/servicePrincipals/${encodeURIComponent(servicePrincipalId)}?$select=id,appId,displayName,appRoles`,
    );
    return app && { id: app.id, appId: app.appId, displayName: app.displayName, appRoles: app.appRoles ?? [] };
  }

  async listAppRoleAssignments(servicePrincipalId: string, page?: string): Promise<DirectoryPage<AppRoleAssignmentRef>> {
    const path = page
      ? this.graph.linkPath(page)
      : `/servicePrincipals/${encodeURIComponent(servicePrincipalId)}/appRoleAssignedTo?$select=id,principalId,appRoleId&$top=999`;
    const assignments = await this.graph.get<Collection<AppRoleAssignmentRef>>(path);
    return withNextPage(
      assignments.value.map(({ id, principalId, appRoleId }) => ({ id, principalId, appRoleId })),
      assignments['@odata.nextLink'],
    );
  }

  async grantAppRole(servicePrincipalId: string, appRoleId: string, userIds: readonly string[]): Promise<ChangeOutcome[]> {
    const ids = unique(userIds);
    const answers = await this.graph.batch(
      ids.map((principalId) => ({
        method: 'POST',
        url: `/servicePrincipals/${encodeURIComponent(servicePrincipalId)}/appRoleAssignedTo`,
        body: { principalId, resourceId: servicePrincipalId, appRoleId },
      })),
    );
    return answers.map((answer, index) => classify(ids[index]!, answer, isAlreadyExists));
  }

  /** Finds each user's assignments of the role (one batch), then deletes them (another). */
  async revokeAppRole(servicePrincipalId: string, appRoleId: string, userIds: readonly string[]): Promise<ChangeOutcome[]> {
    const ids = unique(userIds);
    const filter = encodeURIComponent(`resourceId eq ${servicePrincipalId}`);
    const lookups = await this.graph.batch(
      ids.map((id) => ({ method: 'GET', url: `/users/${encodeURIComponent(id)}/appRoleAssignments?$filter=${filter}` })),
    );
    const outcomes = new Map<string, ChangeOutcome>();
    const deletions: Array<{ userId: string; step: BatchStep }> = [];
    for (const [index, lookup] of lookups.entries()) {
      const userId = ids[index]!;
      if (lookup.status === 404) outcomes.set(userId, { userId, outcome: 'unchanged' });
      else if (lookup.status >= 300) outcomes.set(userId, { userId, outcome: 'failed', error: outcomeError(lookup) });
      else {
        const held = ((lookup.body as Collection<AppRoleAssignmentRef>).value ?? []).filter((a) => a.appRoleId === appRoleId);
        if (held.length === 0) outcomes.set(userId, { userId, outcome: 'unchanged' });
        for (const assignment of held) {
          deletions.push({
            userId,
            step: {
              method: 'DELETE',
              url: `/servicePrincipals/${encodeURIComponent(servicePrincipalId)}/appRoleAssignedTo/${encodeURIComponent(assignment.id)}`,
            },
          });
        }
      }
    }
    const answers = await this.graph.batch(deletions.map((d) => d.step));
    for (const [index, answer] of answers.entries()) {
      const { userId } = deletions[index]!;
      if (outcomes.get(userId)?.outcome !== 'failed') outcomes.set(userId, classify(userId, answer, isNotFound));
    }
    return ids.map((userId) => outcomes.get(userId)!);
  }

  async getSite(siteId: string): Promise<DirectorySite | undefined> {
    return this.graph.find<DirectorySite>(`/sites/${encodeURIComponent(siteId)}?$select=id,displayName,webUrl`);
  }

  async grantSiteRole(siteId: string, role: SiteRole, userId: string): Promise<ChangeOutcome> {
    if (await this.#sitePermissionOf(siteId, role, userId)) return { userId, outcome: 'unchanged' };
    await this.graph.send('POST', `/sites/${encodeURIComponent(siteId)}/permissions`, {
      roles: [role],
      grantedToIdentitiesV2: [{ user: { id: userId } }],
    });
    return { userId, outcome: 'changed' };
  }

  async revokeSiteRole(siteId: string, role: SiteRole, userId: string): Promise<ChangeOutcome> {
    const permission = await this.#sitePermissionOf(siteId, role, userId);
    if (!permission) return { userId, outcome: 'unchanged' };
    try {
      await this.graph.send('DELETE', `/sites/${encodeURIComponent(siteId)}/permissions/${encodeURIComponent(permission)}`);
    } catch (error) {
      if (!(error instanceof DirectoryError && error.kind === 'notFound')) throw error;
    }
    return { userId, outcome: 'changed' };
  }

  async sendMail(mail: Mail): Promise<void> {
    const sender = this.options.mailSender;
    if (!sender) throw new DirectoryError('permanent', 'No mail sender is configured (MAIL_SENDER).');
    await this.graph.send('POST', `/users/${encodeURIComponent(sender)}/sendMail`, {
      message: {
        subject: mail.subject,
        body: { contentType: 'Text', content: mail.text },
        toRecipients: mail.to.map((address) => ({ emailAddress: { address } })),
      },
      saveToSentItems: false,
    });
  }

  async probe(): Promise<void> {
    await this.graph.get('/organization?$select=id');
  }

  async #sitePermissionOf(siteId: string, role: SiteRole, userId: string): Promise<string | undefined> {
    const permissions = await this.#all<{ id: string; roles?: string[]; grantedToV2?: { user?: { id?: string } } }>(
      `/sites/${encodeURIComponent(siteId)}/permissions`,
    );
    return permissions.find((p) => p.grantedToV2?.user?.id === userId && p.roles?.includes(role))?.id;
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

function classify(userId: string, answer: BatchOutcome, meansUnchanged: (answer: BatchOutcome) => boolean): ChangeOutcome {
  if (answer.status < 300) return { userId, outcome: 'changed' };
  if (meansUnchanged(answer)) return { userId, outcome: 'unchanged' };
  return { userId, outcome: 'failed', error: outcomeError(answer) };
}

const isAlreadyExists = (answer: BatchOutcome) => answer.status === 400 && ALREADY_EXISTS.test(outcomeError(answer).message);
const isNotFound = (answer: BatchOutcome) => answer.status === 404;

function toObjectRef(member: { id: string; '@odata.type'?: string }): DirectoryObjectRef {
  const type = member['@odata.type']?.replace('#microsoft.graph.', '');
  return { id: member.id, type: type === 'user' || type === 'group' || type === 'servicePrincipal' ? type : 'other' };
}

function withNextPage<T>(items: T[], nextLink: string | undefined): DirectoryPage<T> {
  return nextLink ? { items, nextPage: nextLink } : { items };
}

const unique = (ids: readonly string[]) => [...new Set(ids)];

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
