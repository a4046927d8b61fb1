import type { Caller } from '../../auth/caller';
import type { ExternalIdentity } from '../../auth/externalCaller';
import type { DirectoryUser } from '../../directory/directoryPort';
import type { StoredConnectedOrganization } from '../../domain/connectedOrganizations/connectedOrganization';
import type { Catalog } from '../../domain/entitlements';
import { isAllowedTarget, isRequestBased, selfServiceAllows, type TargetFacts } from '../../domain/requests/targetScope';
import type { StoredPolicy } from '../../store/entitlementStore';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { subjectTargetId } from '../../domain/subjects/accessPackageSubject';
import { connectedOrganizationOfDomain, connectedOrganizationOfTenant } from '../externalUsers/connectedOrganizationLookup';
import { findSubjectByHome } from '../externalUsers/subjects';
import { organizationFacts } from '../externalUsers/organizationOfUser';
import { applicablePolicies } from './choosePolicy';

/**
 * Who asks for access, as admission needs to know them: a user of this directory, or a caller from another tenant
 * (DESIGN §2.4) with the connected organization they come from, if any. A caller of this tenant whom the directory
 * does not know can request nothing.
 */
export type Requestor =
  | { kind: 'directoryUser'; user: DirectoryUser }
  | { kind: 'external'; identity: ExternalIdentity; organization: StoredConnectedOrganization | undefined }
  | { kind: 'unknown' };

export async function requestorOf(deps: EntitlementDeps, caller: Caller): Promise<Requestor> {
  if (caller.external) return { kind: 'external', identity: caller.external, organization: await organizationOf(deps, caller.external) };
  const user = await deps.directory.getUser(caller.objectId);
  return user ? { kind: 'directoryUser', user } : { kind: 'unknown' };
}

/**
 * The connected organization of an external caller: the one with their tenant as identity source, else the one with
 * their email's domain (reference §1.2) — only when the token vouches for the address, since any tenant can write
 * a partner's domain into `email`.
 */
export async function organizationOf(deps: EntitlementDeps, identity: ExternalIdentity): Promise<StoredConnectedOrganization | undefined> {
  const byTenant = await connectedOrganizationOfTenant(deps, identity.tenantId);
  if (byTenant || !identity.domain || !identity.emailVerified) return byTenant;
  return connectedOrganizationOfDomain(deps, identity.domain);
}

/**
 * Whether the requestor may request from the catalog at all: it is published, and for someone from outside the
 * organization, enabled for external users (`isExternallyVisible`).
 */
export function catalogOpenTo(requestor: Requestor, catalog: Catalog): boolean {
  return catalog.state === 'published' && (requestor.kind !== 'external' || catalog.isExternallyVisible);
}

/**
 * What the scope rules know about an external caller: not in the directory (so no user id, group or attribute of
 * theirs can match), of their organization or none.
 */
export function externalFacts(requestor: Extract<Requestor, { kind: 'external' }>): TargetFacts {
  const { organization } = requestor;
  return {
    userId: '',
    userType: null,
    outsideDirectory: true,
    isInGroup: () => false,
    connectedOrganization: organizationFacts(organization),
  };
}

/**
 * The policies among `policies` under which the requestor may ask for access themselves (request-based, open to
 * self-service, admitting them), oldest first. The catalog check is the caller's (catalogOpenTo).
 */
export async function policiesAdmitting(deps: EntitlementDeps, requestor: Requestor, policies: StoredPolicy[]): Promise<StoredPolicy[]> {
  switch (requestor.kind) {
    case 'unknown':
      return [];
    case 'directoryUser':
      return policies.length === 0 ? [] : applicablePolicies(deps, policies[0]!.accessPackageId, requestor.user, policies);
    case 'external': {
      const facts = externalFacts(requestor);
      return policies
        .filter((p) => isRequestBased(p) && selfServiceAllows(p, 'userAdd') && isAllowedTarget(p, facts))
        .sort((a, b) => a.createdDateTime.localeCompare(b.createdDateTime));
    }
  }
}

/**
 * The id the caller's own requests and assignments are filed under: their object id; for an external caller, that
 * of the subject Portcullis keeps for them (their guest's object id once invited, DESIGN §2.4), found by the tenant
 * and object id of their token. Undefined for an external caller who never asked for anything.
 */
export async function ownTargetId(deps: EntitlementDeps, caller: Caller): Promise<string | undefined> {
  if (!caller.external) return caller.objectId;
  const subject = await findSubjectByHome(deps, caller.external.tenantId, caller.objectId);
  return subject && subjectTargetId(subject);
}
