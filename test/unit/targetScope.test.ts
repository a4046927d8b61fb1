import type { AllowedTargetScope, AssignmentPolicy, AutomaticRequestSettings, RequestorSettings, SubjectSet } from '../../shared/domain/policies';
import type { RequestType } from '../../shared/domain/requests/assignmentRequest';
import { groupsNamedBy, isAllowedTarget, isRequestBased, selfServiceAllows, type TargetFacts } from '../../shared/domain/requests/targetScope';

const USER_ID = '7deff43e-1f17-44ef-9e5f-d516b0ba11d4';
const OTHER_USER_ID = '46184453-e63b-4f20-86c2-c557ed5d5df9';
const SALES_GROUP = '1623f912-5e86-41c2-af47-39dd67582b66';
const FINANCE_GROUP = 'e93e24d1-4fb8-4a84-a3bb-2ff2e9d2e8c6';
const FABRIKAM = 'a7e6a4ab-5e53-4b97-b2b1-4d3c6a8e53a1';
const WOODGROVE = '0c2f3c4e-2b1e-4bd2-9d55-64e0e1c3f9a2';
const SALES_RULE = '(user.department -eq "Sales")';

const single = (userId: string): SubjectSet => ({ '@odata.type': '#microsoft.graph.singleUser', userId, description: null });
const group = (groupId: string): SubjectSet => ({ '@odata.type': '#microsoft.graph.groupMembers', groupId, description: null });
const rule = (membershipRule: string): SubjectSet => ({ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule, description: null });
const organization = (connectedOrganizationId: string): SubjectSet => ({ '@odata.type': '#microsoft.graph.connectedOrganizationMembers', connectedOrganizationId, description: null });

const requestorSettings: RequestorSettings = {
  allowCustomAssignmentSchedule: false,
  enableOnBehalfRequestorsToAddAccess: false,
  enableOnBehalfRequestorsToRemoveAccess: false,
  enableOnBehalfRequestorsToUpdateAccess: false,
  enableTargetsToSelfAddAccess: false,
  enableTargetsToSelfRemoveAccess: false,
  enableTargetsToSelfUpdateAccess: false,
  onBehalfRequestors: [],
};

function policyWith(change: Partial<AssignmentPolicy>): AssignmentPolicy {
  return {
    displayName: 'Policy',
    description: null,
    allowedTargetScope: 'notSpecified',
    specificAllowedTargets: [],
    automaticRequestSettings: null,
    requestorSettings,
    requestApprovalSettings: { isApprovalRequiredForAdd: false, isApprovalRequiredForUpdate: false, isRequestorJustificationRequired: false, stages: [] },
    reviewSettings: null,
    expiration: { type: 'noExpiration', duration: null, endDateTime: null },
    questions: [],
    ...change,
  };
}
const scoped = (allowedTargetScope: AllowedTargetScope, ...specificAllowedTargets: SubjectSet[]) => policyWith({ allowedTargetScope, specificAllowedTargets });

function factsAbout(change: Partial<TargetFacts> & { groups?: string[] } = {}): TargetFacts {
  const { groups = [], ...rest } = change;
  return {
    userId: USER_ID,
    userType: 'Member',
    outsideDirectory: false,
    isInGroup: (groupId) => groups.includes(groupId),
    connectedOrganization: null,
    ...rest,
  };
}
const member = factsAbout();
const guest = factsAbout({ userType: 'Guest' });
const fabrikamGuest = factsAbout({ userType: 'Guest', connectedOrganization: { id: FABRIKAM, configured: true } });
/** Callers from other tenants, not in the directory (DESIGN §2.4). */
const fabrikamCaller = factsAbout({ userType: null, outsideDirectory: true, connectedOrganization: { id: FABRIKAM, configured: true } });
const proposedOrganizationCaller = factsAbout({ userType: null, outsideDirectory: true, connectedOrganization: { id: WOODGROVE, configured: false } });
const unconnectedCaller = factsAbout({ userType: null, outsideDirectory: true });
const noUserType = factsAbout({ userType: null });
const salesMember = factsAbout({ groups: [SALES_GROUP] });
const inSalesByRule = factsAbout({ matchesRule: (membershipRule) => membershipRule === SALES_RULE });
const outOfSalesByRule = factsAbout({ matchesRule: () => false });

describe('isAllowedTarget', () => {
  it.each<[string, AssignmentPolicy, TargetFacts, boolean]>([
    ['notSpecified (direct assignment only): not a member', scoped('notSpecified'), member, false],
    ['notSpecified: not a guest', scoped('notSpecified'), guest, false],
    ['allMemberUsers: a member', scoped('allMemberUsers'), member, true],
    ['allMemberUsers: not a guest', scoped('allMemberUsers'), guest, false],
    ['allMemberUsers: not a user without a userType', scoped('allMemberUsers'), noUserType, false],
    ['allDirectoryUsers: a member', scoped('allDirectoryUsers'), member, true],
    ['allDirectoryUsers: a guest', scoped('allDirectoryUsers'), guest, true],
    ['allDirectoryUsers: a user without a userType', scoped('allDirectoryUsers'), noUserType, true],
    ['allExternalUsers: a guest', scoped('allExternalUsers'), guest, true],
    ['allExternalUsers: not a member', scoped('allExternalUsers'), member, false],
    ['allConfiguredConnectedOrganizationUsers: a connected organization’s user', scoped('allConfiguredConnectedOrganizationUsers'), fabrikamGuest, true],
    ['allConfiguredConnectedOrganizationUsers: not a guest from no connected organization', scoped('allConfiguredConnectedOrganizationUsers'), guest, false],
    ['specificDirectoryUsers: the single user named', scoped('specificDirectoryUsers', single(OTHER_USER_ID), single(USER_ID)), member, true],
    ['specificDirectoryUsers: the single user named in upper case', scoped('specificDirectoryUsers', single(USER_ID.toUpperCase())), member, true],
    ['specificDirectoryUsers: not another user', scoped('specificDirectoryUsers', single(OTHER_USER_ID)), member, false],
    ['specificDirectoryUsers: a member of a group named', scoped('specificDirectoryUsers', group(FINANCE_GROUP), group(SALES_GROUP)), salesMember, true],
    ['specificDirectoryUsers: not a member of no group named', scoped('specificDirectoryUsers', group(FINANCE_GROUP)), salesMember, false],
    ['specificDirectoryUsers: a user the rule matches', scoped('specificDirectoryUsers', rule(SALES_RULE)), inSalesByRule, true],
    ['specificDirectoryUsers: not a user the rule does not match', scoped('specificDirectoryUsers', rule(SALES_RULE)), outOfSalesByRule, false],
    ['specificDirectoryUsers: not by a rule nobody can evaluate', scoped('specificDirectoryUsers', rule(SALES_RULE)), member, false],
    ['specificDirectoryUsers: a guest named by user', scoped('specificDirectoryUsers', single(USER_ID)), guest, true],
    ['specificConnectedOrganizationUsers: a user of the organization named', scoped('specificConnectedOrganizationUsers', organization(WOODGROVE), organization(FABRIKAM)), fabrikamGuest, true],
    ['specificConnectedOrganizationUsers: the organization named in upper case', scoped('specificConnectedOrganizationUsers', organization(FABRIKAM.toUpperCase())), fabrikamGuest, true],
    ['specificConnectedOrganizationUsers: not a user of another organization', scoped('specificConnectedOrganizationUsers', organization(WOODGROVE)), fabrikamGuest, false],
    ['specificConnectedOrganizationUsers: not a user of no organization', scoped('specificConnectedOrganizationUsers', organization(FABRIKAM)), member, false],
    ['allExternalUsers: a caller from another tenant', scoped('allExternalUsers'), fabrikamCaller, true],
    ['allExternalUsers: a caller of no connected organization', scoped('allExternalUsers'), unconnectedCaller, true],
    ['allExternalUsers: a caller of a proposed organization', scoped('allExternalUsers'), proposedOrganizationCaller, true],
    ['allConfiguredConnectedOrganizationUsers: a caller of a configured organization', scoped('allConfiguredConnectedOrganizationUsers'), fabrikamCaller, true],
    ['allConfiguredConnectedOrganizationUsers: not a caller of a proposed organization', scoped('allConfiguredConnectedOrganizationUsers'), proposedOrganizationCaller, false],
    ['allConfiguredConnectedOrganizationUsers: not a caller of no connected organization', scoped('allConfiguredConnectedOrganizationUsers'), unconnectedCaller, false],
    ['specificConnectedOrganizationUsers: a caller of the organization named', scoped('specificConnectedOrganizationUsers', organization(FABRIKAM)), fabrikamCaller, true],
    ['specificConnectedOrganizationUsers: a caller of a proposed organization named', scoped('specificConnectedOrganizationUsers', organization(WOODGROVE)), proposedOrganizationCaller, true],
    ['specificConnectedOrganizationUsers: not a caller of no organization', scoped('specificConnectedOrganizationUsers', organization(FABRIKAM)), unconnectedCaller, false],
    ['allMemberUsers: not a caller from another tenant', scoped('allMemberUsers'), factsAbout({ outsideDirectory: true, connectedOrganization: { id: FABRIKAM, configured: true } }), false],
    ['allDirectoryUsers: not a caller from another tenant', scoped('allDirectoryUsers'), fabrikamCaller, false],
    ['specificDirectoryUsers: not a caller from another tenant, even with their object id named', scoped('specificDirectoryUsers', single(USER_ID)), fabrikamCaller, false],
    ['specificDirectoryServicePrincipals: no user', scoped('specificDirectoryServicePrincipals'), member, false],
    ['allDirectoryServicePrincipals: no user', scoped('allDirectoryServicePrincipals'), member, false],
    ['allDirectoryAgentIdentities: no user', scoped('allDirectoryAgentIdentities'), member, false],
  ])('%s', (_situation, policy, facts, expected) => {
    expect(isAllowedTarget(policy, facts)).toBe(expected);
  });
});

describe('groupsNamedBy', () => {
  it.each<[string, AssignmentPolicy, string[]]>([
    ['the groups of specific directory users, once each', scoped('specificDirectoryUsers', group(SALES_GROUP), single(USER_ID), rule(SALES_RULE), group(FINANCE_GROUP), group(SALES_GROUP)), [SALES_GROUP, FINANCE_GROUP]],
    ['none when only users are named', scoped('specificDirectoryUsers', single(USER_ID)), []],
    ['none for a scope that names no targets', scoped('allMemberUsers'), []],
    ['none for connected organizations', scoped('specificConnectedOrganizationUsers', organization(FABRIKAM)), []],
  ])('gives %s', (_situation, policy, expected) => {
    expect(groupsNamedBy(policy)).toEqual(expected);
  });
});

describe('isRequestBased', () => {
  const automatic = (requestAccessForAllowedTargets: boolean): AutomaticRequestSettings => ({
    requestAccessForAllowedTargets,
    removeAccessWhenTargetLeavesAllowedTargets: true,
    gracePeriodBeforeAccessRemoval: null,
  });

  it.each<[string, AutomaticRequestSettings | null, boolean]>([
    ['a policy without automatic request settings', null, true],
    ['a policy whose automatic assignment is off', automatic(false), true],
    ['an auto-assignment policy', automatic(true), false],
  ])('%s', (_situation, automaticRequestSettings, expected) => {
    expect(isRequestBased(policyWith({ automaticRequestSettings }))).toBe(expected);
  });
});

describe('selfServiceAllows', () => {
  const allowing = (setting: keyof RequestorSettings) => policyWith({ requestorSettings: { ...requestorSettings, [setting]: true } });
  const closed = policyWith({});

  it.each<[RequestType, AssignmentPolicy, boolean]>([
    ['userAdd', allowing('enableTargetsToSelfAddAccess'), true],
    ['userAdd', allowing('enableTargetsToSelfUpdateAccess'), false],
    ['userUpdate', allowing('enableTargetsToSelfUpdateAccess'), true],
    ['userUpdate', allowing('enableTargetsToSelfAddAccess'), false],
    ['userRemove', allowing('enableTargetsToSelfRemoveAccess'), true],
    ['userRemove', allowing('enableTargetsToSelfAddAccess'), false],
    ['adminAdd', closed, true],
    ['adminUpdate', closed, true],
    ['adminRemove', closed, true],
    ['systemRemove', closed, true],
  ])('%s under %#', (requestType, policy, expected) => {
    expect(selfServiceAllows(policy, requestType)).toBe(expected);
  });
});
