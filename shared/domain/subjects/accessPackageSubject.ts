/**
 * accessPackageSubject (reference graph-wave2 §1.7): who a request or assignment is for when that person is not yet
 * a user of this directory (an external requestor, or someone an administrator assigns by email). Portcullis keeps
 * one per person; once they are invited (or found) it carries their object id here, and from then on their
 * requests and assignments are those of that object id.
 */
export interface AccessPackageSubject {
  /** Portcullis's id; the target id of their requests while `objectId` is null. */
  id: string;
  /** Their user's object id in this directory; null until invited or found. */
  objectId: string | null;
  /** The address they are invited at, as given. */
  email: string;
  displayName: string | null;
  principalName: string | null;
  subjectType: 'user';
  /** The connected organization they come from, when known. */
  connectedOrganizationId: string | null;
  /** The tenant and object id of their home identity, for an external caller (DESIGN §2.4). */
  homeTenantId: string | null;
  homeObjectId: string | null;
  /**
   * For an external caller's subject: whether their token vouched for the address (`xms_edov`). Only then may the
   * subject take over a guest already in the directory with that address.
   */
  emailVerified?: boolean;
  /** `governed` once Portcullis invited them: only then does the external user lifecycle apply to them. */
  subjectLifecycle: 'notDefined' | 'notGoverned' | 'governed';
  /** The invitation, once one was started: `inviting` is written before POST /invitations, so a retry knows the guest is ours. */
  invitation: SubjectInvitation | null;
  /** A block or deletion planned because their last assignment ended; null when none is. */
  removal: PendingRemoval | null;
  createdDateTime: string;
}

export interface SubjectInvitation {
  state: 'inviting' | 'invited';
  /** The request that had them invited. */
  requestId: string;
  startedDateTime: string;
  invitedDateTime: string | null;
}

/** What the external user lifecycle has planned for a governed guest with no assignment left. */
export interface PendingRemoval {
  /** Distinguishes this plan from a later one: due items carry it, so an item of a cancelled plan is stale. */
  id: string;
  action: 'blockSignIn' | 'blockSignInAndDelete';
  /** The assignment whose end left them with none. */
  assignmentId: string;
  accessPackageId: string;
  blockDateTime: string;
  /** When the account is deleted; null for blockSignIn. */
  deleteDateTime: string | null;
  blockedDateTime: string | null;
}

/** The id an unbound subject's requests are filed under: their object id once they have one, their subject id before. */
export const subjectTargetId = (subject: Pick<AccessPackageSubject, 'id' | 'objectId'>): string => subject.objectId ?? subject.id;

/** Addresses compare without regard to letter case. */
export const normalizedEmail = (email: string): string => email.trim().toLowerCase();
