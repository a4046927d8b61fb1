import { randomUUID } from 'node:crypto';
import type {
  AppRoleAssignmentRecord,
  DirectoryObject,
  GroupProperties,
  GroupRecord,
  OrganizationProperties,
  RoleAssignmentRecord,
  ServicePrincipalRecord,
  SitePermissionRecord,
  SiteRecord,
  UserRecord,
  UserTombstone,
} from './directoryRecords';
import type { TenantFixture } from './fixture';
import { groupFromFixture, organizationFromFixture, servicePrincipalFromFixture, siteFromFixture } from './fixtureRecords';
import { graphDateTime, opaqueId, roleAssignmentId } from './ids';
import { userFromFixture, type UserProperties } from './userProperties';

/** One member or owner added to or removed from a group; the groups delta reports the state it left. */
export interface MembershipChange {
  version: number;
  groupId: string;
  relationship: 'members' | 'owners';
  memberId: string;
}

/**
 * The emulated directory in memory. Ids are kept in lower case and looked up case-insensitively, as Graph does.
 * Every change of a user bumps the directory's version and stamps the changed properties with it, so a delta
 * query can tell what changed after any earlier version. A new state (a reset) has a new `epoch`, which makes
 * older delta tokens stale.
 */
export class DirectoryState {
  readonly epoch = randomUUID();
  readonly organization: OrganizationProperties;
  /** The tenant's `*.onmicrosoft.com` domain, where invited guests' user principal names live. */
  readonly initialDomain: string;
  /** The B2B collaboration policy's blocked domains (lower case): invitations to them are refused. */
  blockedInvitationDomains: readonly string[] = [];
  readonly #users = new Map<string, UserRecord>();
  readonly #userIdsByPrincipalName = new Map<string, string>();
  readonly #tombstones: UserTombstone[] = [];
  readonly #groups = new Map<string, GroupRecord>();
  readonly #servicePrincipals = new Map<string, ServicePrincipalRecord>();
  readonly #appRoleAssignments = new Map<string, AppRoleAssignmentRecord>();
  readonly #appRoleAssignmentIdsByKey = new Map<string, string>();
  readonly #sites = new Map<string, SiteRecord>();
  readonly #roleAssignments: RoleAssignmentRecord[] = [];
  /** Every change of a group's members or owners after the seed, for the groups delta (which reads the state now). */
  readonly #membershipChanges: MembershipChange[] = [];
  /** Groups delta tokens of an earlier generation are stale (`/_emulator/deltaTokens` DELETE expires them all). */
  deltaTokenGeneration = 0;
  #seeded = false;
  #sequence = 0;
  #version = 0;

  constructor(seed: TenantFixture, now: Date = new Date()) {
    const created = graphDateTime(now);
    ({ organization: this.organization, initialDomain: this.initialDomain } = organizationFromFixture(seed));
    for (const user of seed.users ?? []) this.addUser(userFromFixture(user, created));
    for (const user of seed.users ?? []) {
      const record = this.#users.get(user.id.toLowerCase())!;
      record.managerId = user.manager?.toLowerCase() ?? null;
      record.sponsorIds = (user.sponsors ?? []).map((id) => id.toLowerCase());
    }
    const defaultDomain = seed.domains?.[0] ?? this.initialDomain;
    for (const group of seed.groups ?? []) {
      const properties = groupFromFixture(group, defaultDomain, created);
      this.#groups.set(properties.id, { seq: this.#nextSeq(), properties, members: new Map(), owners: new Map() });
    }
    for (const group of seed.groups ?? []) {
      const record = this.#groups.get(group.id.toLowerCase())!;
      this.addGroupMembers(record, 'members', group.members ?? []);
      this.addGroupMembers(record, 'owners', group.owners ?? []);
    }
    for (const app of seed.servicePrincipals ?? []) {
      const properties = servicePrincipalFromFixture(app);
      this.#servicePrincipals.set(properties.id, { seq: this.#nextSeq(), properties, owners: new Map() });
    }
    // After every service principal exists, as one may own another.
    for (const app of seed.servicePrincipals ?? []) {
      const record = this.#servicePrincipals.get(app.id.toLowerCase())!;
      for (const ownerId of app.owners ?? []) record.owners.set(ownerId.toLowerCase(), this.#nextSeq());
    }
    for (const site of seed.sites ?? []) {
      this.#sites.set(site.id.toLowerCase(), { seq: this.#nextSeq(), properties: siteFromFixture(site, created), permissions: new Map() });
    }
    for (const assignment of seed.directoryRoleAssignments ?? []) {
      const directoryScopeId = assignment.directoryScopeId ?? TENANT_SCOPE;
      this.#roleAssignments.push({
        seq: this.#nextSeq(),
        id: directoryScopeId === TENANT_SCOPE ? roleAssignmentId(assignment.roleDefinitionId, assignment.principalId) : opaqueId(),
        principalId: assignment.principalId.toLowerCase(),
        roleDefinitionId: assignment.roleDefinitionId.toLowerCase(),
        directoryScopeId,
      });
    }
    this.#seeded = true;
  }

  /** The version of the last change to a user. */
  get version(): number {
    return this.#version;
  }

  users(): IterableIterator<UserRecord> {
    return this.#users.values();
  }

  /** A user by object id or by user principal name. */
  user(idOrUserPrincipalName: string): UserRecord | undefined {
    const key = idOrUserPrincipalName.toLowerCase();
    return this.#users.get(key) ?? this.#users.get(this.#userIdsByPrincipalName.get(key) ?? '');
  }

  /** The user whose mail, other mails or user principal name is the address. */
  userByEmail(address: string): UserRecord | undefined {
    const wanted = address.toLowerCase();
    for (const user of this.#users.values()) {
      const { mail, otherMails, userPrincipalName } = user.properties;
      if ([mail, userPrincipalName, ...otherMails].some((a) => a?.toLowerCase() === wanted)) return user;
    }
    return undefined;
  }

  /** Users deleted so far, in the order of deletion. */
  tombstones(): readonly UserTombstone[] {
    return this.#tombstones;
  }

  addUser(properties: UserProperties): UserRecord {
    const version = this.#nextVersion();
    const record: UserRecord = {
      seq: this.#nextSeq(),
      properties,
      managerId: null,
      formerManagerId: null,
      sponsorIds: [],
      changedAt: new Map([...Object.keys(properties), 'manager'].map((name) => [name, version])),
    };
    this.#users.set(properties.id, record);
    this.#userIdsByPrincipalName.set(properties.userPrincipalName.toLowerCase(), properties.id);
    return record;
  }

  /** Applies the changes and stamps the properties whose value differs. */
  updateUser(user: UserRecord, changes: Partial<UserProperties>): void {
    const changed = Object.entries(changes).filter(
      ([name, value]) => JSON.stringify(user.properties[name as keyof UserProperties]) !== JSON.stringify(value),
    );
    if (changed.length === 0) return;
    const version = this.#nextVersion();
    if (changes.userPrincipalName !== undefined) {
      this.#userIdsByPrincipalName.delete(user.properties.userPrincipalName.toLowerCase());
      this.#userIdsByPrincipalName.set(changes.userPrincipalName.toLowerCase(), user.properties.id);
    }
    user.properties = { ...user.properties, ...changes };
    for (const [name] of changed) user.changedAt.set(name, version);
  }

  setManager(user: UserRecord, managerId: string | null): void {
    if (user.managerId === managerId) return;
    user.formerManagerId = user.managerId;
    user.managerId = managerId;
    user.changedAt.set('manager', this.#nextVersion());
  }

  /** Deletes a user with every reference to it: memberships, ownerships, assignments, permissions, managers. */
  deleteUser(user: UserRecord): void {
    const id = user.properties.id;
    for (const group of this.#groups.values()) {
      for (const relationship of ['members', 'owners'] as const) this.removeGroupMember(group, id, relationship);
    }
    for (const app of this.#servicePrincipals.values()) app.owners.delete(id);
    for (const assignment of [...this.#appRoleAssignments.values()]) {
      if (assignment.principalId === id) this.removeAppRoleAssignment(assignment);
    }
    for (const site of this.#sites.values()) {
      for (const permission of [...site.permissions.values()]) if (permission.userId === id) site.permissions.delete(permission.id);
    }
    for (let i = this.#roleAssignments.length - 1; i >= 0; i--) {
      if (this.#roleAssignments[i]!.principalId === id) this.#roleAssignments.splice(i, 1);
    }
    for (const other of this.#users.values()) {
      if (other.managerId === id) this.setManager(other, null);
      other.sponsorIds = other.sponsorIds.filter((sponsor) => sponsor !== id);
    }
    this.#users.delete(id);
    this.#userIdsByPrincipalName.delete(user.properties.userPrincipalName.toLowerCase());
    this.#tombstones.push({ id, deletedAt: this.#nextVersion() });
  }

  directoryObject(id: string): DirectoryObject | undefined {
    const key = id.toLowerCase();
    const user = this.#users.get(key);
    if (user) return { type: 'user', record: user };
    const group = this.#groups.get(key);
    if (group) return { type: 'group', record: group };
    const app = this.#servicePrincipals.get(key);
    return app && { type: 'servicePrincipal', record: app };
  }

  groups(): IterableIterator<GroupRecord> {
    return this.#groups.values();
  }

  group(id: string): GroupRecord | undefined {
    return this.#groups.get(id.toLowerCase());
  }

  /** The ids (lower case) of the groups an object belongs to, directly or through groups that are members. */
  groupsContaining(objectId: string): Set<string> {
    const found = new Set<string>();
    const pending = [objectId.toLowerCase()];
    while (pending.length > 0) {
      const member = pending.pop()!;
      for (const group of this.#groups.values()) {
        const id = group.properties.id.toLowerCase();
        if (!found.has(id) && group.members.has(member)) {
          found.add(id);
          pending.push(id);
        }
      }
    }
    return found;
  }

  updateGroup(group: GroupRecord, changes: Partial<GroupProperties>): void {
    group.properties = { ...group.properties, ...changes };
  }

  addGroupMembers(group: GroupRecord, relationship: 'members' | 'owners', ids: readonly string[]): void {
    for (const id of ids) {
      group[relationship].set(id.toLowerCase(), this.#nextSeq());
      this.#logMembership(group, relationship, id);
    }
  }

  /** False when the object was not a member (or owner). */
  removeGroupMember(group: GroupRecord, id: string, relationship: 'members' | 'owners' = 'members'): boolean {
    const removed = group[relationship].delete(id.toLowerCase());
    if (removed) this.#logMembership(group, relationship, id);
    return removed;
  }

  /** Membership changes with a version in (after, upto], oldest first. */
  membershipChanges(after: number, upto: number): MembershipChange[] {
    return this.#membershipChanges.filter((c) => c.version > after && c.version <= upto);
  }

  /** The seed's members are the state a first delta round lists, not changes. */
  #logMembership(group: GroupRecord, relationship: 'members' | 'owners', memberId: string): void {
    if (this.#seeded) this.#membershipChanges.push({ version: this.#nextVersion(), groupId: group.properties.id.toLowerCase(), relationship, memberId: memberId.toLowerCase() });
  }

  servicePrincipals(): IterableIterator<ServicePrincipalRecord> {
    return this.#servicePrincipals.values();
  }

  servicePrincipal(id: string): ServicePrincipalRecord | undefined {
    return this.#servicePrincipals.get(id.toLowerCase());
  }

  appRoleAssignments(): IterableIterator<AppRoleAssignmentRecord> {
    return this.#appRoleAssignments.values();
  }

  appRoleAssignment(id: string): AppRoleAssignmentRecord | undefined {
    return this.#appRoleAssignments.get(id);
  }

  findAppRoleAssignment(principalId: string, resourceId: string, appRoleId: string): AppRoleAssignmentRecord | undefined {
    const id = this.#appRoleAssignmentIdsByKey.get(assignmentKey(principalId, resourceId, appRoleId));
    return id === undefined ? undefined : this.#appRoleAssignments.get(id);
  }

  addAppRoleAssignment(assignment: Omit<AppRoleAssignmentRecord, 'seq' | 'id' | 'createdDateTime'>): AppRoleAssignmentRecord {
    const record: AppRoleAssignmentRecord = {
      ...assignment,
      seq: this.#nextSeq(),
      id: opaqueId(),
      createdDateTime: graphDateTime(new Date()),
    };
    this.#appRoleAssignments.set(record.id, record);
    this.#appRoleAssignmentIdsByKey.set(assignmentKey(record.principalId, record.resourceId, record.appRoleId), record.id);
    return record;
  }

  removeAppRoleAssignment(assignment: AppRoleAssignmentRecord): void {
    this.#appRoleAssignments.delete(assignment.id);
    this.#appRoleAssignmentIdsByKey.delete(assignmentKey(assignment.principalId, assignment.resourceId, assignment.appRoleId));
  }

  sites(): IterableIterator<SiteRecord> {
    return this.#sites.values();
  }

  site(id: string): SiteRecord | undefined {
    return this.#sites.get(id.toLowerCase());
  }

  addSitePermission(site: SiteRecord, roles: readonly string[], userId: string): SitePermissionRecord {
    const permission: SitePermissionRecord = { seq: this.#nextSeq(), id: opaqueId(), roles: [...roles], userId: userId.toLowerCase() };
    site.permissions.set(permission.id, permission);
    return permission;
  }

  /** False when the site has no such permission. */
  removeSitePermission(site: SiteRecord, permissionId: string): boolean {
    return site.permissions.delete(permissionId);
  }

  roleAssignments(): readonly RoleAssignmentRecord[] {
    return this.#roleAssignments;
  }

  #nextSeq(): number {
    return ++this.#sequence;
  }

  #nextVersion(): number {
    return ++this.#version;
  }
}

const TENANT_SCOPE = '/';

const assignmentKey = (principalId: string, resourceId: string, appRoleId: string) =>
  `${principalId.toLowerCase()}|${resourceId.toLowerCase()}|${appRoleId.toLowerCase()}`;
