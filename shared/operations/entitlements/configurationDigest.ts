import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { PackageSnapshot } from '../../store/entitlementStore';

/**
 * A digest of what in a package's configuration decides an addition under one of its policies: its catalog (who may
 * assign), the policy's settings (who may ask for whom, approval, questions, the end), and what the package is
 * incompatible with. Not the policy's name, description or times, nor the other policies (a request under this one
 * stands whatever is added beside it), nor the role scopes (a role put in or taken out is carried to every assignee,
 * this one included). Canonical JSON (keys sorted), so the snapshot kept in the row and one read from the tables give
 * the same digest. A request decided from a remembered configuration keeps it, so that whatever finishes the request
 * later can tell whether what decided it still holds (carryOutAtOnce.ts, policyCheckOfDelivering).
 */
export function configurationDigest(snapshot: PackageSnapshot, policyId: string): string {
  const policy = snapshot.policies.find((p) => p.id.toLowerCase() === policyId.toLowerCase());
  const decides = policy ? (({ displayName: _name, description: _description, createdDateTime: _created, modifiedDateTime: _modified, ...rest }) => rest)(policy) : null;
  const sorted = (ids: readonly string[]) => [...ids].map((id) => id.toLowerCase()).sort();
  const content = {
    catalogId: snapshot.accessPackage.catalogId,
    policy: decides,
    incompatiblePackageIds: sorted(snapshot.incompatiblePackageIds),
    incompatibleGroupIds: sorted(snapshot.incompatibleGroupIds),
  };
  return createHash('sha256').update(stableStringify(content)).digest('base64url');
}
