import { DateTime } from 'luxon';
import { AdministratorRoles } from '../../../shared/auth/administrators';
import type { Caller } from '../../../shared/auth/caller';
import { CallerAccess } from '../../../shared/auth/callerAccess';
import type { DirectoryPort } from '../../../shared/directory/directoryPort';
import { DomainError } from '../../../shared/domain/errors';
import type { RoleAssignmentStore } from '../../../shared/store/roleAssignmentStore';

/** Who may read and change lifecycle workflows (reference graph-wave2 §3.4), through the one decision. */
const LIFECYCLE_ADMIN = '59d46f88-662b-457b-bceb-5c3809e5908f';
const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const GLOBAL_READER = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';
const GOVERNANCE_ADMIN = '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e';

const ROLES: Record<string, string[]> = { lwa: [LIFECYCLE_ADMIN], ga: [GLOBAL_ADMIN], reader: [GLOBAL_READER], iga: [GOVERNANCE_ADMIN], nobody: [] };

function accessOf(caller: Caller): CallerAccess {
  const directory = { getDirectoryRoleIds: async (id: string) => ROLES[id] ?? [] } as unknown as DirectoryPort;
  const administrators = new AdministratorRoles(directory, { now: () => DateTime.utc() });
  const roleAssignments = { ofPrincipal: async () => [] } as unknown as RoleAssignmentStore;
  return new CallerAccess(caller, administrators, roleAssignments);
}

const user = (objectId: string, scopes?: string[]): Caller => ({ objectId, tenantId: 't', scopes, roles: [], isApplication: false, email: undefined });
const app = (roles: string[]): Caller => ({ objectId: 'app', tenantId: 't', scopes: undefined, roles, isApplication: true, email: undefined });
const outcome = (promise: Promise<unknown>) => promise.then(() => 'allowed', (e: unknown) => (e instanceof DomainError ? e.code : String(e)));

describe('lifecycle workflow authorization', () => {
  it.each([
    ['a Lifecycle Workflows Administrator', user('lwa'), 'allowed', 'allowed'],
    ['a Global Administrator', user('ga'), 'allowed', 'allowed'],
    ['a Global Reader', user('reader'), 'allowed', 'forbidden'],
    ['an Identity Governance Administrator', user('iga'), 'forbidden', 'forbidden'],
    ['a user without a role', user('nobody'), 'forbidden', 'forbidden'],
    ['an application with LifecycleWorkflows.ReadWrite.All', app(['LifecycleWorkflows.ReadWrite.All']), 'allowed', 'allowed'],
    ['an application with LifecycleWorkflows.Read.All', app(['LifecycleWorkflows.Read.All']), 'allowed', 'forbidden'],
    ['an application with only EntitlementManagement.ReadWrite.All', app(['EntitlementManagement.ReadWrite.All']), 'forbidden', 'forbidden'],
  ])('%s: read %s, write %s', async (_who, caller, read, write) => {
    expect(await outcome(accessOf(caller).require('readWorkflows'))).toBe(read);
    expect(await outcome(accessOf(caller).require('manageWorkflows'))).toBe(write);
  });

  it('needs the LifecycleWorkflows delegated permission in a token with scopes, whatever the role', async () => {
    expect(await outcome(accessOf(user('lwa', ['EntitlementManagement.ReadWrite.All'])).require('manageWorkflows'))).toBe('forbidden');
    expect(await outcome(accessOf(user('lwa', ['LifecycleWorkflows.Read.All'])).require('readWorkflows'))).toBe('allowed');
    expect(await outcome(accessOf(user('lwa', ['LifecycleWorkflows.Read.All'])).require('manageWorkflows'))).toBe('forbidden');
    expect(await outcome(accessOf(user('lwa', ['LifecycleWorkflows.ReadWrite.All'])).require('manageWorkflows'))).toBe('allowed');
    await expect(accessOf(user('lwa', ['User.Read'])).require('readWorkflows')).rejects.toThrow(/LifecycleWorkflows\.Read\.All or LifecycleWorkflows\.ReadWrite\.All/);
  });
});
