import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { RequestType } from '../../domain/requests/assignmentRequest';
import type { PackageSnapshot, StoredPolicy } from '../../store/entitlementStore';

/**
 * A digest of what in a package's configuration decides an addition under one of its policies: its catalog (who may
 * assign), the policy's settings (who may ask for whom, approval, questions, the end), for a user's request also those
 * of the policies older than it (choosePolicy.ts takes the oldest that admits the target, so an older one changed to
 * admit them would have been chosen), and what the package is incompatible with. Not names, descriptions, times,
 * review or notification settings, an administrator's approval settings (they assign directly), newer policies (a
 * request under this one stands whatever is added beside it), nor the role scopes (a role put in or taken out is
 * carried to every assignee, this one included). Canonical JSON (keys sorted), so the snapshot kept in the row and one
 * read from the tables give the same digest. A request decided from a remembered configuration keeps it, so that
 * whatever finishes the request later can tell whether what decided it still holds (carryOutAtOnce.ts,
 * policyCheckOfDelivering).
 */
export function configurationDigest(snapshot: PackageSnapshot, request: { assignmentPolicyId: string; requestType: RequestType }): string {
  const chosen = snapshot.policies.find((p) => p.id.toLowerCase() === request.assignmentPolicyId.toLowerCase());
  const byAdministrator = request.requestType === 'adminAdd';
  const deciding = chosen && !byAdministrator ? snapshot.policies.filter((p) => p.id === chosen.id || p.createdDateTime <= chosen.createdDateTime) : chosen ? [chosen] : [];
  const sorted = (ids: readonly string[]) => [...ids].map((id) => id.toLowerCase()).sort();
  const content = {
    catalogId: snapshot.accessPackage.catalogId,
    chosen: chosen?.id.toLowerCase() ?? null,
    policies: deciding.map((p) => decidingSettings(p, byAdministrator)).sort((a, b) => (a.id < b.id ? -1 : 1)),
    incompatiblePackageIds: sorted(snapshot.incompatiblePackageIds),
    incompatibleGroupIds: sorted(snapshot.incompatibleGroupIds),
  };
  return createHash('sha256').update(stableStringify(content)).digest('base64url');
}

function decidingSettings(policy: StoredPolicy, byAdministrator: boolean): Record<string, unknown> & { id: string } {
  const {
    displayName: _name,
    description: _description,
    createdDateTime: _created,
    modifiedDateTime: _modified,
    reviewSettings: _review,
    notificationSettings: _notification,
    requestApprovalSettings,
    ...settings
  } = policy;
  return { ...settings, id: policy.id.toLowerCase(), ...(byAdministrator ? {} : { requestApprovalSettings }) };
}
