import type { TenantFixture } from '../../tools/graph-emulator/fixture';

/**
 * The objects the directory contract suite works with. Against the emulator they come from the fixture below;
 * against a real tenant, from the JSON file named by DIRECTORY_CONTRACT_OBJECTS (same shape), describing objects
 * that exist there and that the suite may change and change back.
 */
export interface ContractObjects {
  member: { id: string; userPrincipalName: string; employeeId: string; department: string; managerId: string };
  /** Users in no group and with no app role or site permission; the suite adds and removes them. */
  spareUserIds: [string, string, string];
  guest: { id: string; sponsorId: string };
  /** Holds `roleDefinitionId` across the tenant, and `scopedRoleDefinitionId` only within an administrative unit. */
  administrator: { id: string; roleDefinitionId: string; scopedRoleDefinitionId: string };
  group: { id: string; ownerId: string };
  /** An application (service principal) whose only owner is `ownerId`. */
  app: { id: string; appRoleId: string; ownerId: string };
  site: { id: string };
  mailSender: string;
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const IDENTITY_GOVERNANCE_ADMINISTRATOR = '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e';
const USER_ADMINISTRATOR = 'fe930be7-5e62-47db-91af-98c3a49a38b1';

export const CONTRACT_OBJECTS: ContractObjects = {
  member: { id: id(1), userPrincipalName: 'megan@contoso.com', employeeId: 'E1001', department: 'Sales', managerId: id(2) },
  spareUserIds: [id(3), id(4), id(5)],
  guest: { id: id(6), sponsorId: id(2) },
  administrator: { id: id(2), roleDefinitionId: IDENTITY_GOVERNANCE_ADMINISTRATOR, scopedRoleDefinitionId: USER_ADMINISTRATOR },
  group: { id: id(100), ownerId: id(2) },
  app: { id: id(200), appRoleId: id(201), ownerId: id(2) },
  site: { id: 'contoso.sharepoint.com,' + id(300) + ',' + id(301) },
  mailSender: 'noreply@contoso.com',
};

const user = (n: number, displayName: string, extra: Record<string, unknown> = {}) => ({
  id: id(n),
  displayName,
  userPrincipalName: `${displayName.split(' ')[0]!.toLowerCase()}@contoso.com`,
  mail: `${displayName.split(' ')[0]!.toLowerCase()}@contoso.com`,
  userType: 'Member',
  accountEnabled: true,
  ...extra,
});

export const CONTRACT_FIXTURE: TenantFixture = {
  tenantId: 'c0c0c0c0-0000-4000-8000-000000000000',
  domains: ['contoso.com'],
  users: [
    user(1, 'Megan Bowen', { department: 'Sales', employeeId: 'E1001', jobTitle: 'Account Manager', manager: id(2), signInActivity: { lastSignInDateTime: '2026-11-30T08:15:00Z' } }),
    user(2, 'Adele Vance', { department: 'Sales', employeeId: 'E1000', jobTitle: 'Sales Director' }),
    user(3, 'Alex Wilber', { department: 'Engineering', employeeId: 'E1002' }),
    user(4, 'Diego Siciliani', { department: 'Engineering', employeeId: 'E1003' }),
    user(5, 'Grady Archie', { department: 'Finance', employeeId: 'E1004' }),
    {
      id: id(6),
      displayName: 'Pat Partner',
      userPrincipalName: 'pat_fabrikam.com#EXT#@contoso.onmicrosoft.com',
      mail: 'pat@fabrikam.com',
      userType: 'Guest',
      accountEnabled: true,
      sponsors: [id(2)],
    },
    { id: id(7), displayName: 'No Reply', userPrincipalName: 'noreply@contoso.com', mail: 'noreply@contoso.com', userType: 'Member', accountEnabled: true },
    ...Array.from({ length: 30 }, (_, i) => user(1000 + i, `Staff${i} Member`, { department: 'Operations' })),
  ],
  groups: [
    { id: id(100), displayName: 'Sales Team', description: 'Everyone in sales', mailEnabled: false, securityEnabled: true, groupTypes: [], members: [id(1)], owners: [id(2)] },
  ],
  servicePrincipals: [
    {
      id: id(200),
      appId: id(210),
      displayName: 'Expense Tracker',
      appRoles: [{ id: id(201), displayName: 'Approver', value: 'Expense.Approve', description: 'Approves expenses', allowedMemberTypes: ['User'], isEnabled: true }],
      owners: [id(2)],
    },
  ],
  sites: [{ id: CONTRACT_OBJECTS.site.id, displayName: 'Sales Hub', webUrl: 'https://contoso.sharepoint.com/sites/sales' }],
  directoryRoleAssignments: [
    { principalId: id(2), roleDefinitionId: IDENTITY_GOVERNANCE_ADMINISTRATOR },
    { principalId: id(2), roleDefinitionId: USER_ADMINISTRATOR, directoryScopeId: `/administrativeUnits/${id(400)}` },
  ],
} as TenantFixture;
