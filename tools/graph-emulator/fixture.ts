import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findProjectRoot } from '../local-host/loadFunctions';
import type { ExtensionAttributes } from './entityTypes';
import { validateTenantFixture } from './fixtureValidation';

export type { FaultRule } from './faults';

/** A user of the tenant fixture (DESIGN §2.5); the properties after `sponsors` are optional extras of Graph's user. */
export interface FixtureUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail?: string | null;
  userType?: 'Member' | 'Guest';
  accountEnabled?: boolean;
  department?: string | null;
  jobTitle?: string | null;
  companyName?: string | null;
  employeeId?: string | null;
  employeeType?: string | null;
  officeLocation?: string | null;
  city?: string | null;
  state?: string | null;
  country?: string | null;
  usageLocation?: string | null;
  /** A date (`2021-03-01`) or a date and time. */
  employeeHireDate?: string | null;
  employeeLeaveDateTime?: string | null;
  onPremisesExtensionAttributes?: ExtensionAttributes;
  manager?: string | null;
  sponsors?: string[];
  givenName?: string | null;
  surname?: string | null;
  businessPhones?: string[];
  mobilePhone?: string | null;
  preferredLanguage?: string | null;
  otherMails?: string[];
  proxyAddresses?: string[];
  creationType?: string | null;
  externalUserState?: string | null;
  createdDateTime?: string;
  /** The last interactive sign-in; absent or null: none recorded. */
  signInActivity?: { lastSignInDateTime?: string | null } | null;
}

export interface FixtureGroup {
  id: string;
  displayName: string;
  description?: string | null;
  mailEnabled?: boolean;
  securityEnabled?: boolean;
  groupTypes?: string[];
  members?: string[];
  owners?: string[];
}

export interface FixtureAppRole {
  id: string;
  displayName: string;
  value: string | null;
  description?: string | null;
  allowedMemberTypes?: Array<'User' | 'Application'>;
  isEnabled?: boolean;
}

export interface FixtureServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  appRoles?: FixtureAppRole[];
  /** The application's owners (users or service principals), served at /servicePrincipals/{id}/owners. */
  owners?: string[];
}

export interface FixtureSite {
  id: string;
  displayName: string;
  webUrl: string;
}

export interface FixtureDirectoryRoleAssignment {
  principalId: string;
  roleDefinitionId: string;
  /** Where the role holds: `/` (the default) for the whole tenant, or for example `/administrativeUnits/{id}`. */
  directoryScopeId?: string;
}

/** The directory the emulator starts from (DESIGN §2.5). Every list may be empty or absent. */
export interface TenantFixture {
  tenantId: string;
  domains?: string[];
  users?: FixtureUser[];
  groups?: FixtureGroup[];
  servicePrincipals?: FixtureServicePrincipal[];
  sites?: FixtureSite[];
  directoryRoleAssignments?: FixtureDirectoryRoleAssignment[];
}

/** Reads and validates a tenant fixture; the error names the file and the first bad field. */
export function loadTenantFixture(path: string): TenantFixture {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`Tenant fixture ${path} cannot be read: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`Tenant fixture ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return validateTenantFixture(value, `Tenant fixture ${path}`);
}

/** The demo tenant shipped in the repository; found from the project root, since JSON files are not copied to dist/. */
export function demoTenantPath(): string {
  return join(findProjectRoot(), 'tools', 'graph-emulator', 'demo-tenant.json');
}
