import { DirectoryError } from '../../directory/directoryError';
import type { DirectoryUser } from '../../directory/directoryPort';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { AccessPackageSubject } from '../../domain/subjects/accessPackageSubject';
import { DomainError } from '../../domain/errors';
import type { StoredDocument } from '../../store/documentTable';
import { audited, shownIn } from '../audit/auditedChange';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import type { ExternalUserAction } from './activities';

/** What binding a subject found: the user, and whether Portcullis invited them (then they are governed). */
export interface BoundSubject {
  user: DirectoryUser;
  governed: boolean;
}

/**
 * Gives a subject its user in this directory, for the request `requestId` being carried out:
 * - already bound to a user who is still there: that user;
 * - an address that belongs to a user already (a guest invited by hand, a member): that user, ungoverned;
 * - otherwise an invitation (`POST /invitations`, no invitation mail: Entra mails "delivered" instead), and the
 *   guest it makes is governed.
 * The subject says `inviting` before the invitation is sent, so a retry after a lost answer that then finds the
 * guest by address knows the guest is Portcullis's: one guest, governed, whatever fails in between. A refused
 * invitation (a blocked domain) throws the directory's `permanent` error after taking the `inviting` mark back.
 */
export async function inviteSubject(deps: EntitlementDeps, subjectId: string, requestId: string): Promise<BoundSubject> {
  let stored = await subjectNamed(deps, subjectId);
  if (stored.value.objectId) {
    const user = await deps.directory.getUser(stored.value.objectId);
    if (user) return { user, governed: stored.value.subjectLifecycle === 'governed' };
    // Their guest was deleted since (the lifecycle removed them): they are invited afresh.
    stored = await deps.subjects.replace(stored, { ...stored.value, objectId: null, invitation: null, subjectLifecycle: 'notDefined', removal: null });
  }
  if (!stored.value.invitation) {
    const existing = await deps.directory.findUserByEmail(stored.value.email);
    if (existing) {
      refuseTakeover(stored.value, existing);
      return bind(deps, stored, existing, false, 'bindAccessPackageSubject');
    }
    stored = await deps.subjects.replace(stored, { ...stored.value, invitation: { state: 'inviting', requestId, startedDateTime: nowIso(deps), invitedDateTime: null } });
  }
  // `inviting`: an earlier attempt may have made the guest and lost the answer.
  const guest = (await deps.directory.findUserByEmail(stored.value.email)) ?? (await invite(deps, stored));
  return bind(deps, stored, guest, true, 'inviteExternalUser');
}

/**
 * An external caller's address comes from their token, which any tenant can write: their subject never becomes a
 * member of this directory, and becomes a guest already here only when the token vouched for the address. (An
 * administrator's assignment by address has no home identity: the administrator vouches.)
 */
function refuseTakeover(subject: AccessPackageSubject, existing: DirectoryUser): void {
  if (!subject.homeObjectId) return;
  if (existing.userType !== 'Guest') {
    throw new DomainError('conflict', `The address '${subject.email}' belongs to a member of this directory, not to someone from outside it.`);
  }
  if (!subject.emailVerified) {
    throw new DomainError('conflict', `A guest with the address '${subject.email}' is already in the directory, and the requestor's sign-in does not vouch for that address (xms_edov).`);
  }
}

async function invite(deps: EntitlementDeps, stored: StoredDocument<AccessPackageSubject>): Promise<DirectoryUser> {
  const subject = stored.value;
  try {
    return await deps.directory.inviteExternalUser({
      email: subject.email,
      ...(subject.displayName ? { displayName: subject.displayName } : {}),
      redirectUrl: `https://myaccess.microsoft.com/@${deps.tenantId}`,
      sendInvitationMessage: false,
    });
  } catch (error) {
    if (error instanceof DirectoryError && error.kind === 'permanent') {
      // Nothing was made: the next request for them starts from the address again.
      await save(deps, stored, { ...subject, invitation: null }, 'inviteExternalUser', { refused: error.message });
    }
    throw error;
  }
}

async function bind(deps: EntitlementDeps, stored: StoredDocument<AccessPackageSubject>, user: DirectoryUser, invited: boolean, action: ExternalUserAction): Promise<BoundSubject> {
  const now = nowIso(deps);
  const bound: AccessPackageSubject = {
    ...stored.value,
    objectId: user.id,
    principalName: user.userPrincipalName ?? stored.value.principalName,
    displayName: stored.value.displayName ?? user.displayName,
    subjectLifecycle: invited ? 'governed' : 'notGoverned',
    invitation: invited && stored.value.invitation ? { ...stored.value.invitation, state: 'invited', invitedDateTime: now } : stored.value.invitation,
  };
  await save(deps, stored, bound, action);
  return { user, governed: invited };
}

async function subjectNamed(deps: EntitlementDeps, subjectId: string): Promise<StoredDocument<AccessPackageSubject>> {
  const stored = await deps.subjects.get(subjectId);
  if (!stored) throw new DomainError('notFound', `Access package subject '${subjectId}' was not found.`);
  return stored;
}

/**
 * The subject's new state, with its event (the state, and `noted` beside it) written ahead (auditedChange.ts): a
 * process stopped after the write leaves the event to the expiration sweep.
 */
function save(deps: EntitlementDeps, stored: StoredDocument<AccessPackageSubject>, changed: AccessPackageSubject, action: ExternalUserAction, noted: object = {}) {
  const entry = { actorId: SYSTEM_ACTOR, action, entityType: 'accessPackageSubject', entityId: stored.value.id, before: stored.value, after: { ...changed, ...noted } };
  return audited(deps, entry, shownIn('accessPackageSubjects', stored, 'changed'), () => deps.subjects.replace(stored, changed));
}
