import { demoTenantPath, loadTenantFixture, type TenantFixture } from '../graph-emulator/fixture';

/** Who does what in the chaos run, taken from the demo tenant (tools/graph-emulator/demo-tenant.json). */
export interface ChaosTenant {
  seed: TenantFixture;
  tenantId: string;
  /** The Identity Governance Administrator: catalogs, packages, policies, direct assignments and removals. */
  admin: string;
  /** The single approver of every policy with approval. */
  approver: string;
  /** Groups whose Member role the packages grant. */
  governedGroups: string[];
  /** Their members in the seed: there before Portcullis, so never Portcullis's to remove. */
  seedMembers: Map<string, Set<string>>;
  /** Users the requests are for; none of them is in a governed group by hand. */
  targets: string[];
  /** Users only ever added to governed groups by hand, never requested for. */
  handAddable: string[];
}

const GOVERNED_GROUP_NAMES = ['Engineering', 'Sales Team', 'Marketing', 'Project Falcon', 'VPN Users'];
const APPROVER_UPN = 'debra.berger@contoso.com';
const HAND_ADDABLE_USERS = 4;

export function chaosTenant(): ChaosTenant {
  const seed = loadTenantFixture(demoTenantPath());
  const users = seed.users ?? [];
  const groups = (seed.groups ?? []).filter((g) => GOVERNED_GROUP_NAMES.includes(g.displayName));
  const admin = seed.directoryRoleAssignments?.[0]?.principalId;
  const approver = users.find((u) => u.userPrincipalName === APPROVER_UPN)?.id;
  if (!admin || !approver || groups.length !== GOVERNED_GROUP_NAMES.length) throw new Error('The demo tenant no longer has what the chaos run needs.');
  const seedMembers = new Map(groups.map((g) => [g.id, new Set(g.members ?? [])]));
  const inAGovernedGroup = new Set(groups.flatMap((g) => g.members ?? []));
  const administrators = new Set((seed.directoryRoleAssignments ?? []).map((a) => a.principalId));
  const free = users
    .filter((u) => u.userType === 'Member' && u.accountEnabled && !inAGovernedGroup.has(u.id) && !administrators.has(u.id) && u.id !== approver)
    .map((u) => u.id);
  return {
    seed,
    tenantId: seed.tenantId,
    admin,
    approver,
    governedGroups: groups.map((g) => g.id),
    seedMembers,
    handAddable: free.slice(0, HAND_ADDABLE_USERS),
    targets: free.slice(HAND_ADDABLE_USERS),
  };
}
