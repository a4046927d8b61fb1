import { EXTENSION_ATTRIBUTE_NAMES } from './entityTypes';
import type { TenantFixture } from './fixture';
import { isGuid, toGraphDateTime } from './ids';

type JsonObject = Record<string, unknown>;

const USER_STRINGS = [
  'mail',
  'department',
  'jobTitle',
  'companyName',
  'employeeId',
  'employeeType',
  'officeLocation',
  'city',
  'state',
  'country',
  'usageLocation',
  'givenName',
  'surname',
  'mobilePhone',
  'preferredLanguage',
  'creationType',
  'externalUserState',
];
const USER_KEYS = [
  'id',
  'displayName',
  'userPrincipalName',
  'userType',
  'accountEnabled',
  'employeeHireDate',
  'employeeLeaveDateTime',
  'onPremisesExtensionAttributes',
  'manager',
  'sponsors',
  'businessPhones',
  'otherMails',
  'proxyAddresses',
  'createdDateTime',
  'signInActivity',
  ...USER_STRINGS,
];
const GROUP_KEYS = ['id', 'displayName', 'description', 'mailEnabled', 'securityEnabled', 'groupTypes', 'members', 'owners'];
const SERVICE_PRINCIPAL_KEYS = ['id', 'appId', 'displayName', 'appRoles', 'owners'];
const APP_ROLE_KEYS = ['id', 'displayName', 'value', 'description', 'allowedMemberTypes', 'isEnabled'];
const SITE_KEYS = ['id', 'displayName', 'webUrl'];
const ROLE_ASSIGNMENT_KEYS = ['principalId', 'roleDefinitionId', 'directoryScopeId'];
const ROOT_KEYS = ['tenantId', 'domains', 'users', 'groups', 'servicePrincipals', 'sites', 'directoryRoleAssignments'];

/**
 * Checks a parsed tenant fixture field by field, including the references between objects (managers, sponsors,
 * members, owners, role assignments). The error starts with `source` and names the first bad field by its path,
 * for example `users[3].manager`.
 */
export function validateTenantFixture(value: unknown, source: string): TenantFixture {
  const fail = (path: string, problem: string): never => {
    throw new Error(`${source}: ${path} ${problem}.`);
  };
  const fields = new FieldReader(fail);

  const root = fields.object(value, 'the fixture');
  fields.onlyKnownKeys(root, '', ROOT_KEYS);
  fields.guid(root, 'tenantId', '');
  const domains = fields.strings(root, 'domains', '');
  domains.forEach((domain, i) => {
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(domain)) fail(`domains[${i}]`, `("${domain}") is not a domain name`);
  });

  const users = fields.list(root, 'users', '');
  const groups = fields.list(root, 'groups', '');
  const servicePrincipals = fields.list(root, 'servicePrincipals', '');
  const sites = fields.list(root, 'sites', '');
  const roleAssignments = fields.list(root, 'directoryRoleAssignments', '');

  const kinds = new Map<string, 'user' | 'group' | 'servicePrincipal'>();
  const claimId = (item: JsonObject, path: string, kind: 'user' | 'group' | 'servicePrincipal') => {
    const id = fields.guid(item, 'id', path).toLowerCase();
    if (kinds.has(id)) fail(`${path}.id`, `(${id}) is already the id of another object`);
    kinds.set(id, kind);
  };
  const userObjects = users.map((u, i) => fields.object(u, `users[${i}]`));
  const groupObjects = groups.map((g, i) => fields.object(g, `groups[${i}]`));
  const appObjects = servicePrincipals.map((s, i) => fields.object(s, `servicePrincipals[${i}]`));
  userObjects.forEach((u, i) => claimId(u, `users[${i}]`, 'user'));
  groupObjects.forEach((g, i) => claimId(g, `groups[${i}]`, 'group'));
  appObjects.forEach((s, i) => claimId(s, `servicePrincipals[${i}]`, 'servicePrincipal'));

  const reference = (id: string, path: string, allowed: ReadonlyArray<'user' | 'group' | 'servicePrincipal'>) => {
    const kind = kinds.get(id.toLowerCase());
    if (!kind || !allowed.includes(kind)) fail(path, `("${id}") is not the id of a ${allowed.join(' or ')} in the fixture`);
  };
  const references = (item: JsonObject, key: string, path: string, allowed: ReadonlyArray<'user' | 'group' | 'servicePrincipal'>) => {
    const ids = fields.strings(item, key, path);
    ids.forEach((id, i) => reference(id, `${path}.${key}[${i}]`, allowed));
    if (new Set(ids.map((id) => id.toLowerCase())).size !== ids.length) fail(`${path}.${key}`, 'names an object twice');
    return ids;
  };

  const userPrincipalNames = new Set<string>();
  userObjects.forEach((user, i) => {
    const path = `users[${i}]`;
    fields.onlyKnownKeys(user, path, USER_KEYS);
    fields.string(user, 'displayName', path);
    const upn = fields.string(user, 'userPrincipalName', path);
    if (!/^[^@\s]+@[^@\s]+$/.test(upn)) fail(`${path}.userPrincipalName`, `("${upn}") is not of the form name@domain`);
    if (userPrincipalNames.has(upn.toLowerCase())) fail(`${path}.userPrincipalName`, `("${upn}") belongs to another user`);
    userPrincipalNames.add(upn.toLowerCase());
    for (const key of USER_STRINGS) fields.optionalString(user, key, path);
    const userType = fields.optionalString(user, 'userType', path);
    if (userType !== undefined && userType !== 'Member' && userType !== 'Guest') fail(`${path}.userType`, 'must be "Member" or "Guest"');
    fields.optionalBoolean(user, 'accountEnabled', path);
    for (const key of ['employeeHireDate', 'employeeLeaveDateTime', 'createdDateTime']) {
      const date = fields.optionalString(user, key, path);
      if (date && !toGraphDateTime(date)) fail(`${path}.${key}`, `("${date}") is not a date (2021-03-01) or an ISO 8601 date and time`);
    }
    for (const key of ['businessPhones', 'otherMails', 'proxyAddresses']) fields.strings(user, key, path);
    if (user.signInActivity !== undefined && user.signInActivity !== null) {
      const activity = fields.object(user.signInActivity, `${path}.signInActivity`);
      fields.onlyKnownKeys(activity, `${path}.signInActivity`, ['lastSignInDateTime']);
      const last = fields.optionalString(activity, 'lastSignInDateTime', `${path}.signInActivity`);
      if (last && !toGraphDateTime(last)) fail(`${path}.signInActivity.lastSignInDateTime`, `("${last}") is not an ISO 8601 date and time`);
    }
    if (user.onPremisesExtensionAttributes !== undefined) {
      const attributes = fields.object(user.onPremisesExtensionAttributes, `${path}.onPremisesExtensionAttributes`);
      fields.onlyKnownKeys(attributes, `${path}.onPremisesExtensionAttributes`, EXTENSION_ATTRIBUTE_NAMES);
      for (const key of Object.keys(attributes)) fields.optionalString(attributes, key, `${path}.onPremisesExtensionAttributes`);
    }
    const manager = fields.optionalString(user, 'manager', path);
    if (manager) {
      reference(manager, `${path}.manager`, ['user']);
      if (manager.toLowerCase() === String(user.id).toLowerCase()) fail(`${path}.manager`, 'is the user itself');
    }
    references(user, 'sponsors', path, ['user', 'group']);
  });

  groupObjects.forEach((group, i) => {
    const path = `groups[${i}]`;
    fields.onlyKnownKeys(group, path, GROUP_KEYS);
    fields.string(group, 'displayName', path);
    fields.optionalString(group, 'description', path);
    fields.optionalBoolean(group, 'mailEnabled', path);
    fields.optionalBoolean(group, 'securityEnabled', path);
    fields.strings(group, 'groupTypes', path);
    const members = references(group, 'members', path, ['user', 'group', 'servicePrincipal']);
    if (members.some((id) => id.toLowerCase() === String(group.id).toLowerCase())) fail(`${path}.members`, 'contains the group itself');
    references(group, 'owners', path, ['user', 'servicePrincipal']);
  });

  const appIds = new Set<string>();
  appObjects.forEach((app, i) => {
    const path = `servicePrincipals[${i}]`;
    fields.onlyKnownKeys(app, path, SERVICE_PRINCIPAL_KEYS);
    const appId = fields.guid(app, 'appId', path).toLowerCase();
    if (appIds.has(appId)) fail(`${path}.appId`, `(${appId}) is the appId of another service principal`);
    appIds.add(appId);
    fields.string(app, 'displayName', path);
    references(app, 'owners', path, ['user', 'servicePrincipal']);
    const roleIds = new Set<string>();
    fields.list(app, 'appRoles', path).forEach((value, j) => {
      const rolePath = `${path}.appRoles[${j}]`;
      const role = fields.object(value, rolePath);
      fields.onlyKnownKeys(role, rolePath, APP_ROLE_KEYS);
      const id = fields.guid(role, 'id', rolePath).toLowerCase();
      if (roleIds.has(id)) fail(`${rolePath}.id`, `(${id}) is the id of another app role of this application`);
      roleIds.add(id);
      fields.string(role, 'displayName', rolePath);
      fields.optionalString(role, 'value', rolePath);
      fields.optionalString(role, 'description', rolePath);
      fields.optionalBoolean(role, 'isEnabled', rolePath);
      const memberTypes = fields.strings(role, 'allowedMemberTypes', rolePath);
      memberTypes.forEach((type, k) => {
        if (type !== 'User' && type !== 'Application') fail(`${rolePath}.allowedMemberTypes[${k}]`, 'must be "User" or "Application"');
      });
    });
  });

  const siteIds = new Set<string>();
  sites.forEach((value, i) => {
    const path = `sites[${i}]`;
    const site = fields.object(value, path);
    fields.onlyKnownKeys(site, path, SITE_KEYS);
    const id = fields.string(site, 'id', path);
    if (!/^[^/?#\s]+$/.test(id)) fail(`${path}.id`, `("${id}") may not contain '/', '?', '#' or spaces`);
    if (siteIds.has(id.toLowerCase())) fail(`${path}.id`, `(${id}) is the id of another site`);
    siteIds.add(id.toLowerCase());
    fields.string(site, 'displayName', path);
    const webUrl = fields.string(site, 'webUrl', path);
    if (!/^https?:\/\/[^/\s]+/.test(webUrl)) fail(`${path}.webUrl`, `("${webUrl}") is not an absolute http(s) URL`);
  });

  roleAssignments.forEach((value, i) => {
    const path = `directoryRoleAssignments[${i}]`;
    const assignment = fields.object(value, path);
    fields.onlyKnownKeys(assignment, path, ROLE_ASSIGNMENT_KEYS);
    reference(fields.guid(assignment, 'principalId', path), `${path}.principalId`, ['user', 'group', 'servicePrincipal']);
    fields.guid(assignment, 'roleDefinitionId', path);
    const scope = fields.optionalString(assignment, 'directoryScopeId', path);
    if (scope !== undefined && !/^\/[^\s?#]*$/.test(scope)) fail(`${path}.directoryScopeId`, `("${scope}") is not a directory scope such as / or /administrativeUnits/{id}`);
  });

  return root as unknown as TenantFixture;
}

/** Typed reads of one field each; a wrong type fails with the field's path. */
class FieldReader {
  constructor(private readonly fail: (path: string, problem: string) => never) {}

  object(value: unknown, path: string): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(path, 'must be a JSON object');
    return value as JsonObject;
  }

  onlyKnownKeys(item: JsonObject, path: string, known: readonly string[]): void {
    const unknown = Object.keys(item).find((key) => !known.includes(key));
    if (unknown !== undefined) this.fail(join(path, unknown), `is not a known property (known: ${known.join(', ')})`);
  }

  string(item: JsonObject, key: string, path: string): string {
    const value = item[key];
    if (typeof value !== 'string' || value.trim() === '') return this.fail(join(path, key), 'must be a non-empty string');
    return value;
  }

  optionalString(item: JsonObject, key: string, path: string): string | undefined {
    const value = item[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') return this.fail(join(path, key), 'must be a string or null');
    return value;
  }

  optionalBoolean(item: JsonObject, key: string, path: string): void {
    const value = item[key];
    if (value !== undefined && typeof value !== 'boolean') this.fail(join(path, key), 'must be true or false');
  }

  guid(item: JsonObject, key: string, path: string): string {
    const value = item[key];
    if (typeof value !== 'string' || !isGuid(value)) return this.fail(join(path, key), 'must be a GUID string');
    return value;
  }

  list(item: JsonObject, key: string, path: string): unknown[] {
    const value = item[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) return this.fail(join(path, key), 'must be an array');
    return value;
  }

  strings(item: JsonObject, key: string, path: string): string[] {
    const values = this.list(item, key, path);
    values.forEach((value, i) => {
      if (typeof value !== 'string') this.fail(`${join(path, key)}[${i}]`, 'must be a string');
    });
    return values as string[];
  }
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
