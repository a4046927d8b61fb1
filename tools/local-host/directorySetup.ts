import { SettingsError } from '../../shared/settings';
import { InvalidFaultRulesError, parseFaultsSetting, type FaultRule } from '../graph-emulator/faults';
import type { DemoIdentity } from '../../shared/portal/localSignIn';
import { demoTenantPath, loadTenantFixture, type TenantFixture } from '../graph-emulator/fixture';

/** Roles worth pointing out to someone trying the demo. */
const ROLE_NAMES: Record<string, string> = {
  '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e': 'Identity Governance Administrator',
  '62e90394-69f5-4237-9190-012177145e10': 'Global Administrator',
};

/** The tenant fixture the emulator loads: DIRECTORY_SEED, or the demo tenant shipped in the repo. */
export function loadSeed(env: NodeJS.ProcessEnv): { path: string; seed: TenantFixture } {
  const path = env.DIRECTORY_SEED || demoTenantPath();
  try {
    return { path, seed: loadTenantFixture(path) };
  } catch (error) {
    throw new SettingsError([`DIRECTORY_SEED: ${(error as Error).message}`]);
  }
}

export function parseFaults(value: string | undefined): FaultRule[] {
  try {
    return parseFaultsSetting(value);
  } catch (error) {
    if (error instanceof InvalidFaultRulesError) throw new SettingsError([`GRAPH_EMULATOR_FAULTS: ${error.message}`]);
    throw error;
  }
}

/** Who to sign in as when trying the demo: the administrators, a manager with reports, and a guest. */
export function demoIdentities(seed: TenantFixture): string[] {
  const users = new Map((seed.users ?? []).map((u) => [u.id, u]));
  const describe = (id: string, what: string) => {
    const user = users.get(id);
    return user ? `${what.padEnd(34)} ${user.userPrincipalName} (${user.displayName}, id ${user.id})` : undefined;
  };
  const administrators = (seed.directoryRoleAssignments ?? []).map((a) =>
    describe(a.principalId, ROLE_NAMES[a.roleDefinitionId] ?? `role ${a.roleDefinitionId}`),
  );
  const manager = managerWithManager(seed.users ?? []);
  const guest = (seed.users ?? []).find((u) => u.userType === 'Guest');
  return [
    ...administrators,
    manager && describe(manager.id, 'Manager (approves for reports)'),
    guest && describe(guest.id, 'External user (guest)'),
  ].filter((line): line is string => line !== undefined);
}

/**
 * The people the My Access picker offers: the administrators, a manager, one of the manager's reports (someone
 * to request as, whose requests the manager approves) and a guest.
 */
export function portalIdentities(seed: TenantFixture): DemoIdentity[] {
  const users = seed.users ?? [];
  const byId = new Map(users.map((u) => [u.id, u]));
  const identity = (id: string | undefined, what: string): DemoIdentity | undefined => {
    const user = id === undefined ? undefined : byId.get(id);
    return user && { userPrincipalName: user.userPrincipalName, displayName: user.displayName, what };
  };
  const manager = managerWithManager(users);
  const report = users.find((u) => manager && u.manager === manager.id);
  return [
    ...(seed.directoryRoleAssignments ?? []).map((a) => identity(a.principalId, ROLE_NAMES[a.roleDefinitionId] ?? 'Administrator')),
    identity(report?.id, 'Requestor (reports to the manager)'),
    identity(manager?.id, 'Manager (approves for reports)'),
    identity(users.find((u) => u.userType === 'Guest')?.id, 'External user (guest)'),
  ].filter((i): i is DemoIdentity => i !== undefined);
}

/**
 * The first user who manages someone and has a manager too (a middle manager: approves, and is approved for), found
 * in one pass over the users: a tenant of 100,000 (the reports bench's) kept the host from starting when every
 * user was compared with every other.
 */
function managerWithManager<U extends { id: string; manager?: string | null }>(users: readonly U[]): U | undefined {
  const managers = new Set(users.flatMap((u) => (u.manager ? [u.manager] : [])));
  return users.find((u) => u.manager && managers.has(u.id));
}
