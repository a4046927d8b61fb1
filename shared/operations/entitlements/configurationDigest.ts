import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { PackageSnapshot } from '../../store/entitlementStore';

/**
 * A digest of a package's configuration by its content: the same for the snapshot kept in the row and for one read
 * from the tables, whatever the order of their fields (canonical JSON: keys sorted), different when anything in it
 * differs. A request decided from a remembered configuration keeps it, so that whatever finishes the request later
 * can tell whether the configuration now is the one it was decided from (carryOutAtOnce.ts, policyCheckOfDelivering).
 */
export function configurationDigest(snapshot: PackageSnapshot): string {
  return createHash('sha256').update(stableStringify(snapshot)).digest('base64url');
}
