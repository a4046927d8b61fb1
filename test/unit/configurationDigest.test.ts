import type { PackageSnapshot, StoredPolicy } from '../../shared/store/entitlementStore';
import { configurationDigest, digestsAs } from '../../shared/operations/entitlements/configurationDigest';

/** What decides a request carried out at once, as its digest sees it (configurationDigest.ts). */
const policy = (id: string, createdDateTime: string, changes: Partial<StoredPolicy> = {}): StoredPolicy =>
  ({
    id,
    accessPackageId: 'p',
    createdDateTime,
    modifiedDateTime: createdDateTime,
    displayName: id,
    description: null,
    allowedTargetScope: 'allMemberUsers',
    specificAllowedTargets: [],
    automaticRequestSettings: null,
    requestorSettings: { enableTargetsToSelfAddAccess: true },
    requestApprovalSettings: { isApprovalRequiredForAdd: false, stages: [] },
    reviewSettings: null,
    expiration: { type: 'noExpiration' },
    questions: [],
    ...changes,
  }) as unknown as StoredPolicy;

const snapshot = (policies: StoredPolicy[]): PackageSnapshot =>
  ({ accessPackage: { id: 'p', catalogId: 'c' }, policies, roleScopes: [], incompatiblePackageIds: [], incompatibleGroupIds: [] }) as unknown as PackageSnapshot;

const userAdd = { assignmentPolicyId: 'b', requestType: 'userAdd' as const, policyNamed: false };
const namedUserAdd = { ...userAdd, policyNamed: true };
const [older, chosen, newer] = [policy('a', '2026-01-01T00:00:00Z'), policy('b', '2026-02-01T00:00:00Z'), policy('c', '2026-03-01T00:00:00Z')];
/** The older policy `a` with `changes`. */
const olderWith = (changes: object) => policy('a', '2026-01-01T00:00:00Z', changes as never);

it("changes with an older policy's settings, not with a newer policy's or a name", () => {
  const digest = configurationDigest(snapshot([older, chosen, newer]), userAdd);
  expect(configurationDigest(snapshot([older, chosen, policy('c', '2026-03-01T00:00:00Z', { expiration: { type: 'afterDuration', duration: 'P7D' } } as never)]), userAdd)).toBe(digest);
  expect(configurationDigest(snapshot([older, { ...chosen, displayName: 'Renamed' }, newer]), userAdd)).toBe(digest);
  expect(configurationDigest(snapshot([policy('a', '2026-01-01T00:00:00Z', { allowedTargetScope: 'notSpecified' } as never), chosen, newer]), userAdd)).not.toBe(digest);
});

it("keeps the chosen policy's settings whatever its createdDateTime says", () => {
  const undated = policy('b', undefined as never);
  const digest = configurationDigest(snapshot([undated]), userAdd);
  expect(configurationDigest(snapshot([{ ...undated, expiration: { type: 'afterDuration', duration: 'P7D' } } as never]), userAdd)).not.toBe(digest);
});

it("of an older policy, changes with what decides the choice (targeting, requestors), not with its approval, questions or end", () => {
  const digest = configurationDigest(snapshot([older, chosen, newer]), userAdd);
  const digestWith = (changes: object) => configurationDigest(snapshot([olderWith(changes), chosen, newer]), userAdd);
  expect(digestWith({ specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.singleUser', userId: 'u' }] })).not.toBe(digest);
  expect(digestWith({ requestorSettings: { enableTargetsToSelfAddAccess: true, onBehalfRequestors: [{ '@odata.type': '#microsoft.graph.targetManager', managerLevel: 1 }] } })).not.toBe(digest);
  expect(digestWith({ requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [] } })).toBe(digest);
  expect(digestWith({ expiration: { type: 'afterDuration', duration: 'P7D' } })).toBe(digest);
  expect(digestWith({ questions: [{ id: 'q', text: 'Why?' }] })).toBe(digest);
  expect(digestWith({ requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfRemoveAccess: true } })).toBe(digest);
});

it('leaves out an older policy no user could ask under, until it opens: then it changes', () => {
  const closed = { requestorSettings: { enableTargetsToSelfAddAccess: false, enableOnBehalfRequestorsToAddAccess: false } };
  const digest = configurationDigest(snapshot([olderWith(closed), chosen]), userAdd);
  expect(configurationDigest(snapshot([olderWith({ ...closed, allowedTargetScope: 'allDirectoryUsers', expiration: { type: 'afterDuration', duration: 'P7D' } }), chosen]), userAdd)).toBe(digest);
  expect(configurationDigest(snapshot([olderWith({ requestorSettings: { enableTargetsToSelfAddAccess: true } }), chosen]), userAdd)).not.toBe(digest);
  expect(configurationDigest(snapshot([olderWith({ requestorSettings: { enableOnBehalfRequestorsToAddAccess: true, onBehalfRequestors: [] } }), chosen]), userAdd)).not.toBe(digest);
  // An auto-assignment policy (its rule edited now and then) decides no request until it is request-based again.
  const automatic = { automaticRequestSettings: { requestAccessForAllowedTargets: true } };
  const auto = configurationDigest(snapshot([olderWith(automatic), chosen]), userAdd);
  expect(configurationDigest(snapshot([olderWith({ ...automatic, specificAllowedTargets: [{ '@odata.type': '#microsoft.graph.attributeRuleMembers', membershipRule: 'user.department -eq "HR"' }] }), chosen]), userAdd)).toBe(auto);
  expect(configurationDigest(snapshot([olderWith({ automaticRequestSettings: null }), chosen]), userAdd)).not.toBe(auto);
});

it('of a request that named its policy, leaves out every other policy: that one alone decided it', () => {
  const digest = configurationDigest(snapshot([older, chosen]), namedUserAdd);
  expect(configurationDigest(snapshot([olderWith({ allowedTargetScope: 'allDirectoryUsers', requestApprovalSettings: { isApprovalRequiredForAdd: true, stages: [] } }), chosen]), namedUserAdd)).toBe(digest);
  expect(configurationDigest(snapshot([older, { ...chosen, expiration: { type: 'afterDuration', duration: 'P7D' } } as never]), namedUserAdd)).not.toBe(digest);
  // Its tag says so: compared as named, never as chosen among the older ones.
  expect(digestsAs(snapshot([olderWith({ allowedTargetScope: 'allDirectoryUsers' }), chosen]), userAdd, digest)).toBe(true);
  expect(digestsAs(snapshot([olderWith({ allowedTargetScope: 'allDirectoryUsers' }), chosen]), userAdd, configurationDigest(snapshot([older, chosen]), userAdd))).toBe(false);
});

it('compares a digest written before the tags (main up to df805ae) in its own format', () => {
  // Written by that format for this configuration, a userAdd under `b` and an adminAdd under `b`.
  const [userAddDigest, adminAddDigest] = ['8QYqPkpHocvl0dkyzw0GUmTScBZ8WrQkBWmiFRVNKn4', 'I5SdjCzDLkAYwXpuQT-_oKH9eAQijpaj5A67WxXs5PM'];
  const adminAdd = { assignmentPolicyId: 'b', requestType: 'adminAdd' as const };
  expect(digestsAs(snapshot([older, chosen, newer]), userAdd, userAddDigest)).toBe(true);
  expect(digestsAs(snapshot([older, chosen, newer]), adminAdd, adminAddDigest)).toBe(true);
  // Still that format's judgement: an older policy's end changed it, a newer policy's did not.
  expect(digestsAs(snapshot([olderWith({ expiration: { type: 'afterDuration', duration: 'P7D' } }), chosen, newer]), userAdd, userAddDigest)).toBe(false);
  expect(digestsAs(snapshot([older, chosen, policy('c', '2026-03-01T00:00:00Z', { expiration: { type: 'afterDuration', duration: 'P7D' } } as never)]), userAdd, userAddDigest)).toBe(true);
});

it("of an administrator's request that named no policy, changes when the package no longer has that one policy only", () => {
  const adminAdd = { assignmentPolicyId: 'b', requestType: 'adminAdd' as const };
  const sole = configurationDigest(snapshot([chosen]), { ...adminAdd, policyNamed: false });
  expect(configurationDigest(snapshot([chosen, newer]), { ...adminAdd, policyNamed: false })).not.toBe(sole);
  // Named, the other policies decide nothing; one policy only, the digest is what it was before the count.
  expect(configurationDigest(snapshot([chosen, newer]), { ...adminAdd, policyNamed: true })).toBe(configurationDigest(snapshot([chosen]), { ...adminAdd, policyNamed: true }));
  // As the format wrote it before the count (main at 5e009a2), for this one-policy package.
  expect(sole).toBe('v2:yZOlD92SEZRcU5VR0HvfD7eAt2Mhei5P-bg8YhUqMdM');
});
