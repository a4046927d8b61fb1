import type { PackageSnapshot, StoredPolicy } from '../../shared/store/entitlementStore';
import { configurationDigest } from '../../shared/operations/entitlements/configurationDigest';

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

const userAdd = { assignmentPolicyId: 'b', requestType: 'userAdd' as const };

it("changes with an older policy's settings, not with a newer policy's or a name", () => {
  const [older, chosen, newer] = [policy('a', '2026-01-01T00:00:00Z'), policy('b', '2026-02-01T00:00:00Z'), policy('c', '2026-03-01T00:00:00Z')];
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
