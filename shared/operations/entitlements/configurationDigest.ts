import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { RequestType } from '../../domain/requests/assignmentRequest';
import { isRequestBased, selfServiceAllows } from '../../domain/requests/targetScope';
import type { PackageSnapshot, StoredPolicy } from '../../store/entitlementStore';

/** The request whose decision a digest is of: the policy it came under, and whether it named it (userAdd). */
export interface DigestedRequest {
  assignmentPolicyId: string;
  requestType: RequestType;
  policyNamed: boolean;
}

/**
 * A digest of what in a package's configuration decides an addition under one of its policies: its catalog (who may
 * assign), the policy's settings (who may ask for whom, approval, questions, the end), and what the package is
 * incompatible with. For a user's request that did not name its policy, also the older policies that could have been
 * chosen instead (choosePolicy.ts takes the oldest that admits the target, so an older one changed to admit them would
 * have been chosen): those the snapshot shows open to a user's request (request-based, open to self-service or to
 * requests on behalf), and only what decides whether they admit the target (targeting, requestors; not their
 * approval, which never decides the choice). One that opens or closes adds itself to the digest or drops out of it, so
 * the digest changes with it. A request that named its policy was decided by it alone; an administrator's that named
 * none, by the package having that one policy only (choosePolicy.ts refuses it once there are more). Not names, descriptions, times, review or notification settings, an
 * administrator's approval settings (they assign directly), newer policies (a request under this one stands whatever
 * is added beside it), nor the role scopes (a role put in or taken out is carried to every assignee, this one
 * included). Canonical JSON (keys sorted), so the snapshot kept in the row and one read from the tables give the same
 * digest. A request decided from a remembered configuration keeps it, so that whatever finishes the request later can
 * tell whether what decided it still holds (carryOutAtOnce.ts, policyCheckOfDelivering).
 *
 * Tagged with its format, which says whether the policy was named: the digest alone tells what to compare it with
 * (digestsAs), and it goes with the request's `decidedFrom`.
 */
export function configurationDigest(snapshot: PackageSnapshot, request: DigestedRequest): string {
  const chosen = chosenPolicy(snapshot, request);
  const byAdministrator = request.requestType === 'adminAdd';
  const older = chosen && !byAdministrator && !request.policyNamed ? snapshot.policies.filter((p) => p !== chosen && p.createdDateTime <= chosen.createdDateTime && mayBeChosen(p)) : [];
  // Only where it decides, and only when it is not one, so the digests of requests decided with one policy stay as written.
  const policies = byAdministrator && !request.policyNamed && snapshot.policies.length !== 1 ? { policyCount: snapshot.policies.length } : {};
  const content = {
    ...packageContent(snapshot),
    chosen: chosen ? decidingSettings(chosen, byAdministrator) : null,
    older: older.map(choosingSettings).sort(byId),
    ...policies,
  };
  return `${request.policyNamed ? NAMED : CHOSEN}:${hashOf(content)}`;
}

/**
 * Whether `snapshot` digests as `decidedFrom` for `request`. A digest without a tag was written before the tags (by
 * main up to df805ae) and is compared in its own format: else a rolling deploy would end every such request whose
 * process stopped before its outcome, its digest never matching.
 */
export function digestsAs(snapshot: PackageSnapshot, request: Omit<DigestedRequest, 'policyNamed'>, decidedFrom: string): boolean {
  const tag = decidedFrom.slice(0, decidedFrom.indexOf(':') + 1);
  if (tag === `${NAMED}:` || tag === `${CHOSEN}:`) return configurationDigest(snapshot, { ...request, policyNamed: tag === `${NAMED}:` }) === decidedFrom;
  return untaggedDigest(snapshot, request) === decidedFrom;
}

/** The formats' tags (an untagged digest, base64url, never holds `:`). */
const CHOSEN = 'v2';
const NAMED = 'v2-named';

/**
 * The digest before the tags: every policy older than the chosen one with all its deciding settings, also for a
 * request that named its policy. Kept for the requests written then that are still `delivering` (digestsAs); tests
 * write such a request with it.
 */
export function untaggedDigest(snapshot: PackageSnapshot, request: Omit<DigestedRequest, 'policyNamed'>): string {
  const chosen = chosenPolicy(snapshot, request);
  const byAdministrator = request.requestType === 'adminAdd';
  const deciding = chosen && !byAdministrator ? snapshot.policies.filter((p) => p.id === chosen.id || p.createdDateTime <= chosen.createdDateTime) : chosen ? [chosen] : [];
  const content = {
    ...packageContent(snapshot),
    chosen: chosen?.id.toLowerCase() ?? null,
    policies: deciding.map((p) => decidingSettings(p, byAdministrator)).sort(byId),
  };
  return hashOf(content);
}

function chosenPolicy(snapshot: PackageSnapshot, request: Pick<DigestedRequest, 'assignmentPolicyId'>): StoredPolicy | undefined {
  return snapshot.policies.find((p) => p.id.toLowerCase() === request.assignmentPolicyId.toLowerCase());
}

function packageContent(snapshot: PackageSnapshot) {
  const sorted = (ids: readonly string[]) => [...ids].map((id) => id.toLowerCase()).sort();
  return {
    catalogId: snapshot.accessPackage.catalogId,
    incompatiblePackageIds: sorted(snapshot.incompatiblePackageIds),
    incompatibleGroupIds: sorted(snapshot.incompatibleGroupIds),
  };
}

/** A policy a user's request could come under, itself or on behalf of someone (choosePolicy.ts, applicablePolicies). */
function mayBeChosen(policy: StoredPolicy): boolean {
  return isRequestBased(policy) && (selfServiceAllows(policy, 'userAdd') || policy.requestorSettings.enableOnBehalfRequestorsToAddAccess);
}

/** What decides whether an older policy admits the target (targetScope.ts, onBehalfScope.ts). */
function choosingSettings(policy: StoredPolicy) {
  const { enableTargetsToSelfAddAccess, enableOnBehalfRequestorsToAddAccess, onBehalfRequestors } = policy.requestorSettings;
  return {
    id: policy.id.toLowerCase(),
    allowedTargetScope: policy.allowedTargetScope,
    specificAllowedTargets: policy.specificAllowedTargets,
    requestorSettings: { enableTargetsToSelfAddAccess, enableOnBehalfRequestorsToAddAccess, onBehalfRequestors },
  };
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

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);

function hashOf(content: object): string {
  return createHash('sha256').update(stableStringify(content)).digest('base64url');
}
