import { DomainError, isDomainError } from '../../domain/errors';
import type { AccessPackageSubject } from '../../domain/subjects/accessPackageSubject';
import type { StoredDocument } from '../../store/documentTable';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';

/** Who a subject is, as the caller or the administrator's request describes them. */
export interface SubjectDescription {
  email: string;
  displayName?: string | null;
  principalName?: string | null;
  connectedOrganizationId?: string | null;
  /** The home tenant and object id of an external caller (their token's `tid` and `oid`). */
  homeTenantId?: string | null;
  homeObjectId?: string | null;
  /** Whether the external caller's token vouched for the address (see AccessPackageSubject.emailVerified). */
  emailVerified?: boolean;
}

/**
 * The subject for a person, made on first use: found by home identity, else by address, else new. Two callers
 * making the same person's subject at once end with one: the first lookup row written wins, and the loser reads it.
 */
export async function subjectFor(deps: EntitlementDeps, who: SubjectDescription): Promise<AccessPackageSubject> {
  const found = await findSubject(deps, who);
  return found ? found.value : saveSubject(deps, newSubject(deps, who), who);
}

/** A subject not yet stored: for checks made before anything is written (saveSubject stores it). */
export function newSubject(deps: EntitlementDeps, who: SubjectDescription): AccessPackageSubject {
  return {
    id: deps.newId(),
    objectId: null,
    email: who.email.trim(),
    displayName: who.displayName ?? null,
    principalName: who.principalName ?? who.email.trim(),
    subjectType: 'user',
    connectedOrganizationId: who.connectedOrganizationId ?? null,
    homeTenantId: who.homeTenantId?.toLowerCase() ?? null,
    homeObjectId: who.homeObjectId?.toLowerCase() ?? null,
    ...(who.emailVerified === undefined ? {} : { emailVerified: who.emailVerified }),
    subjectLifecycle: 'notDefined',
    invitation: null,
    removal: null,
    createdDateTime: nowIso(deps),
  };
}

/** Stores a new subject; should someone have stored the same person's meanwhile, answers theirs. */
export async function saveSubject(deps: EntitlementDeps, subject: AccessPackageSubject, who: SubjectDescription): Promise<AccessPackageSubject> {
  try {
    await deps.subjects.insert(subject);
  } catch (error) {
    if (!isDomainError(error) || error.code !== 'alreadyExists') throw error;
  }
  // Whoever won the lookup rows owns the person.
  return (await findSubject(deps, who))?.value ?? subject;
}

async function findSubject(deps: EntitlementDeps, who: SubjectDescription): Promise<StoredDocument<AccessPackageSubject> | undefined> {
  if (!(who.homeTenantId && who.homeObjectId)) return deps.subjects.byEmail(who.email);
  const byHome = await deps.subjects.byHome(who.homeTenantId, who.homeObjectId);
  if (byHome) return byHome;
  const byEmail = await deps.subjects.byEmail(who.email);
  if (!byEmail || isSameHome(byEmail.value, who) || (!byEmail.value.homeObjectId && who.emailVerified)) return byEmail;
  // Any tenant can write any address into a token: an address another sign-in (or an administrator) already uses
  // is taken over only by a token that vouches for it, and never from another home identity.
  throw new DomainError('conflict', 'The address of your sign-in is already used by someone else here; sign in with an account whose address is verified, or ask an administrator.');
}

function isSameHome(subject: AccessPackageSubject, who: SubjectDescription): boolean {
  return subject.homeTenantId === who.homeTenantId?.toLowerCase() && subject.homeObjectId === who.homeObjectId?.toLowerCase();
}

/** The subject of an external caller, by the tenant id and object id their token carries. */
export async function findSubjectByHome(deps: EntitlementDeps, tenantId: string, objectId: string): Promise<AccessPackageSubject | undefined> {
  return (await deps.subjects.byHome(tenantId, objectId))?.value;
}

export async function findSubjectByEmail(deps: EntitlementDeps, email: string): Promise<AccessPackageSubject | undefined> {
  return (await deps.subjects.byEmail(email))?.value;
}

/** The subject whose guest has this object id here (invited or found by Portcullis). */
export async function findSubjectByObjectId(deps: EntitlementDeps, objectId: string): Promise<AccessPackageSubject | undefined> {
  return (await deps.subjects.byObjectId(objectId))?.value;
}
