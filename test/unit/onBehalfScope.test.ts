import type { AssignmentPolicy, RequestorSettings, SubjectSet } from '../../shared/domain/policies';
import { managerLevelsNamedBy, onBehalfAllows, onBehalfGroupsNamedBy, type OnBehalfFacts } from '../../shared/domain/requests/onBehalfScope';

const MANAGER = '7deff43e-1f17-44ef-9e5f-d516b0ba11d4';
const SKIP_LEVEL = '46184453-e63b-4f20-86c2-c557ed5d5df9';
const LEADS_GROUP = '1623f912-5e86-41c2-af47-39dd67582b66';

const requestorSettings = (change: Partial<RequestorSettings>): RequestorSettings => ({
  allowCustomAssignmentSchedule: false,
  enableOnBehalfRequestorsToAddAccess: true,
  enableOnBehalfRequestorsToRemoveAccess: false,
  enableOnBehalfRequestorsToUpdateAccess: false,
  enableTargetsToSelfAddAccess: false,
  enableTargetsToSelfRemoveAccess: false,
  enableTargetsToSelfUpdateAccess: false,
  onBehalfRequestors: [],
  ...change,
});

function policyLetting(onBehalfRequestors: SubjectSet[], change: Partial<RequestorSettings> = {}): AssignmentPolicy {
  return {
    displayName: 'Policy',
    description: null,
    allowedTargetScope: 'allMemberUsers',
    specificAllowedTargets: [],
    automaticRequestSettings: null,
    requestorSettings: requestorSettings({ onBehalfRequestors, ...change }),
    requestApprovalSettings: { isApprovalRequiredForAdd: false, isApprovalRequiredForUpdate: false, isRequestorJustificationRequired: false, stages: [] },
    reviewSettings: null,
    expiration: { type: 'noExpiration', duration: null, endDateTime: null },
    questions: [],
  };
}

const targetManager = (managerLevel: number): SubjectSet => ({ '@odata.type': '#microsoft.graph.targetManager', managerLevel });
const facts = (requestorId: string, groups: string[] = []): OnBehalfFacts => ({ requestorId, isRequestorInGroup: (id) => groups.includes(id), targetManagerIds: [MANAGER, SKIP_LEVEL] });

describe('onBehalfAllows: who may request for someone else under a policy', () => {
  it("admits the target's manager at the level the policy names, and no one at another level", () => {
    expect(onBehalfAllows(policyLetting([targetManager(1)]), facts(MANAGER))).toBe(true);
    expect(onBehalfAllows(policyLetting([targetManager(1)]), facts(SKIP_LEVEL))).toBe(false);
    expect(onBehalfAllows(policyLetting([targetManager(2)]), facts(SKIP_LEVEL))).toBe(true);
    expect(onBehalfAllows(policyLetting([targetManager(3)]), facts(SKIP_LEVEL))).toBe(false);
  });

  it('admits a named user (any letter case) and members of a named group', () => {
    expect(onBehalfAllows(policyLetting([{ '@odata.type': '#microsoft.graph.singleUser', userId: SKIP_LEVEL.toUpperCase(), description: null }]), facts(SKIP_LEVEL))).toBe(true);
    expect(onBehalfAllows(policyLetting([{ '@odata.type': '#microsoft.graph.groupMembers', groupId: LEADS_GROUP, description: null }]), facts(SKIP_LEVEL, [LEADS_GROUP]))).toBe(true);
    expect(onBehalfAllows(policyLetting([{ '@odata.type': '#microsoft.graph.groupMembers', groupId: LEADS_GROUP, description: null }]), facts(SKIP_LEVEL))).toBe(false);
  });

  it('refuses everyone when the policy does not enable on-behalf additions, or assigns automatically', () => {
    expect(onBehalfAllows(policyLetting([targetManager(1)], { enableOnBehalfRequestorsToAddAccess: false }), facts(MANAGER))).toBe(false);
    const automatic = { ...policyLetting([targetManager(1)]), automaticRequestSettings: { requestAccessForAllowedTargets: true, removeAccessWhenTargetLeavesAllowedTargets: true, gracePeriodBeforeAccessRemoval: 'P7D' } } as AssignmentPolicy;
    expect(onBehalfAllows(automatic, facts(MANAGER))).toBe(false);
    expect(onBehalfAllows(policyLetting([{ '@odata.type': '#microsoft.graph.targetApplicationOwners' }]), facts(MANAGER))).toBe(false);
  });

  it('says which groups and how many manager levels the directory must be asked about', () => {
    const policies = [policyLetting([targetManager(2), { '@odata.type': '#microsoft.graph.groupMembers', groupId: LEADS_GROUP, description: null }]), policyLetting([targetManager(1), { '@odata.type': '#microsoft.graph.groupMembers', groupId: LEADS_GROUP, description: null }])];
    expect(onBehalfGroupsNamedBy(policies)).toEqual([LEADS_GROUP]);
    expect(managerLevelsNamedBy(policies)).toBe(2);
    expect(managerLevelsNamedBy([policyLetting([])])).toBe(0);
  });
});
