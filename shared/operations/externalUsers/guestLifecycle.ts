import { DateTime } from 'luxon';
import type { DirectoryUser } from '../../directory/directoryPort';
import { isDomainError } from '../../domain/errors';
import type { Assignment } from '../../domain/assignments/assignment';
import { durationMillis } from '../../domain/policies/durations';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { AccessPackageSubject, PendingRemoval } from '../../domain/subjects/accessPackageSubject';
import { writersOf, type StoredDocument } from '../../store/documentTable';
import { markedVersion } from '../../store/writerMarks';
import { audited, shownIn } from '../audit/auditedChange';
import type { DueItem, ExternalUserKind } from '../../store/dueWork';
import { type EntitlementDeps, nowIso } from '../entitlements/entitlementDeps';
import { getSettings } from '../entitlements/settings';
import type { ItemOutcome } from '../lifecycle/sweepDueWork';
import type { ExternalUserAction } from './activities';

/**
 * The external user lifecycle (reference graph-wave2 §1.9): a guest Portcullis invited (governed) whose last
 * assignment ends is blocked from signing in at once and, under `blockSignInAndDelete`, deleted after
 * `durationUntilExternalUserDeletedAfterBlocked`, per the settings at that moment (a plan keeps its dates when the
 * settings change). Both steps are items of the external user sweep's due-time index, checked when they come due
 * (assigned again since: nothing happens); the block is also tried at once (its own item then trusts it; one planned
 * again after a failed re-block checks that it holds). Ungoverned users are never touched, nor a guest the directory
 * says is a Member by the time of a block or deletion (converted to internal: cancelledAsMember).
 */

/**
 * Called before an ending assignment is saved: plans the removal when it is the governed guest's last. A plan made by
 * another ending is void: the user was assigned since (a request for someone the directory said was an enabled
 * Member leaves it, cancelRemoval), so this ending plans afresh, as if that assignment had cancelled it: the earlier
 * plan gets its cancel event, and under `none` its block is lifted (liftUnlessMember; one Graph GET, only then).
 */
export async function planRemovalIfLast(deps: EntitlementDeps, ending: Assignment): Promise<void> {
  const subject = await deps.subjects.byObjectId(ending.targetId);
  const earlier = subject?.value.removal;
  if (!subject || !isGovernedGuest(subject.value, ending.targetId) || earlier?.assignmentId === ending.id) return;
  if (await holdsAnotherAssignment(deps, ending.targetId, ending.id)) return;
  const settings = await getSettings(deps);
  const action = settings.externalUserLifecycleAction;
  if (action !== 'blockSignIn' && action !== 'blockSignInAndDelete') {
    if (!earlier) return;
    const lift = async () => liftUnlessMember(deps, subject, await deps.directory.getUser(ending.targetId));
    // An ending never waits on a guest's account: should the directory not answer, the block stays, the plan goes.
    if (earlier.blockedDateTime) await lift().catch(() => undefined);
    await save(deps, subject, { ...subject.value, removal: null }, 'cancelExternalUserRemoval');
    return;
  }
  const now = deps.clock.now();
  const removal: PendingRemoval = {
    id: deps.newId(),
    action,
    assignmentId: ending.id,
    accessPackageId: ending.accessPackageId,
    blockDateTime: iso(now),
    deleteDateTime: action === 'blockSignInAndDelete' ? iso(now.plus(durationMillis(settings.durationUntilExternalUserDeletedAfterBlocked))) : null,
    blockedDateTime: null,
  };
  // The plan replaced is cancelled first, by a change of its own with its event: should what follows fail, the log
  // says no more than what stands (a retried ending finds no plan to cancel again).
  const current = earlier ? await save(deps, subject, { ...subject.value, removal: null }, 'cancelExternalUserRemoval') : subject;
  // The items first: a plan is never there without what carries it out (an earlier plan's find it replaced: stale).
  await schedule(deps, 'externalUserBlock', removal.blockDateTime, subject.value.id, removal.id);
  if (removal.deleteDateTime) await schedule(deps, 'externalUserDelete', removal.deleteDateTime, subject.value.id, removal.id);
  await save(deps, current, { ...current.value, removal }, 'scheduleExternalUserRemoval');
}

/**
 * Whether ending an assignment of the target may plan or carry out their removal (planRemovalIfLast, blockAtOnce):
 * they are a governed guest, or a removal of theirs is planned and not yet blocked. One read by key.
 */
export async function endingTouchesGuest(deps: EntitlementDeps, targetId: string): Promise<boolean> {
  const subject = await deps.subjects.byObjectId(targetId);
  return subject !== undefined && (isGovernedGuest(subject.value, targetId) || (subject.value.removal != null && !subject.value.removal.blockedDateTime));
}

/**
 * After an ending is saved: the block is due at once, so it is done now; should this fail, the sweep does it. The
 * user is read before their assignments, so that an assignment made during that read (it may wait on Graph) is seen:
 * its request cancels the plan, or the block item finds them assigned.
 */
export async function blockAtOnce(deps: EntitlementDeps, targetId: string): Promise<void> {
  const subject = await deps.subjects.byObjectId(targetId);
  const removal = subject?.value.removal;
  if (!subject || !removal || removal.blockedDateTime) return;
  const blockUnlessAssignedOrMember = async () => {
    const user = await deps.directory.getUser(subject.value.objectId!);
    if (await holdsAnotherAssignment(deps, targetId, '')) return;
    if (!(await cancelledAsMember(deps, subject, user))) await block(deps, subject);
  };
  await blockUnlessAssignedOrMember().catch(() => undefined);
}

/** What the directory said of a new assignment's target when its request was submitted (submitAssignmentRequest.ts). */
export type TargetAsRead = Pick<DirectoryUser, 'userType' | 'accountEnabled'>;

/**
 * Called once a new assignment of the user is saved: a planned removal is cancelled, and a block lifted. Its read of
 * the subject is spared when the directory said at the submit, a moment ago, that the target is an enabled Member
 * (`asRead`; issue 19 item 1). That is sound because a removal does two things only, and neither can reach such a user:
 * a block to lift (a blocked account is disabled, so a blocked guest converted to a member is read and unblocked here
 * as ever), and a block or deletion still to come, which is refused for a user the directory then says is a Member
 * (cancelledAsMember before every block and deletion, cancelPlan should they be assigned by then: the plan is cancelled
 * with its event, the account left as it is, blocked or not); should they be a Guest again by their next last ending,
 * that ending plans afresh (planRemovalIfLast). A guest, a disabled account, a user type the directory did not say,
 * someone not in the directory: read as ever. Until it comes due, a plan left so is still listed (pendingRemovals.ts).
 * A cancel refused on its ETag is made again on the subject read afresh, for the plan read first only (CANCEL_SAVES).
 */
export async function cancelRemoval(deps: EntitlementDeps, targetId: string, asRead?: TargetAsRead): Promise<void> {
  if (asRead?.userType === 'Member' && asRead.accountEnabled === true) return;
  let subject = await deps.subjects.byObjectId(targetId);
  const superseded = subject?.value.removal?.id;
  let lifted = false;
  for (let saves = 0; saves < CANCEL_SAVES; saves++) {
    const removal = subject?.value.removal;
    if (!subject || !removal || !isGovernedGuest(subject.value, targetId)) return;
    if (removal.id !== superseded) {
      // The lift of the plan read first may have landed after the newer plan's block (this assignment ended while
      // it waited on Graph): that block is made again, as after block()'s undo.
      if (lifted) await blockAgainIfPlanStands(deps, subject, REBLOCKS);
      return;
    }
    const read = subject;
    if (removal.blockedDateTime) {
      await unblock(deps, read).catch(async (error) => {
        await blockAgainIfPlannedSince(deps, targetId, removal.id).catch(() => undefined);
        return retryByBlockItem(deps, read.value.id, removal.id, error);
      });
      lifted = true;
    }
    if (await save(deps, read, { ...read.value, removal: null }, 'cancelExternalUserRemoval').catch(unlessConflict)) return;
    subject = await deps.subjects.byObjectId(targetId);
  }
}

/**
 * How often cancelRemoval saves on a subject another writer changed meanwhile, read afresh each time. The writer may
 * be the plan's block item, which read no assignment just before this one was saved, saving the plan blocked after
 * the read here: nothing else would lift that block under blockSignIn (its item is consumed). Only the plan read
 * first is cancelled: another one was made by a later ending (this assignment or another ended since; a plan made
 * while it is held is cancelled by its own items, which find it), and its block is right, so it is made again should
 * this lift have landed after it (blockAgainIfPlanStands: with no assignment held).
 */
const CANCEL_SAVES = 3;

/**
 * A lift of plan `liftedId` that failed may have landed all the same (its answer lost), after the block of a newer plan
 * (the new assignment ended while it waited on Graph): that block is made again, as cancelRemoval does after a lift
 * that answered (blockAgainIfPlanStands: with no assignment held). One read of the subject, more only then.
 */
async function blockAgainIfPlannedSince(deps: EntitlementDeps, targetId: string, liftedId: string): Promise<void> {
  const subject = await deps.subjects.byObjectId(targetId);
  const removal = subject?.value.removal;
  if (subject && removal && removal.id !== liftedId && isGovernedGuest(subject.value, targetId)) await blockAgainIfPlanStands(deps, subject, REBLOCKS);
}

/** How long after a failed lift or re-block its plan's block item comes due again. */
const BLOCK_ITEM_RETRY_MINUTES = 5;

/**
 * A lift or a re-block that failed (the directory away): the plan stays, and its block item is planned again a few
 * minutes on. That item, finding the user assigned, cancels the plan and lifts the block; finding them with none and
 * their account enabled under the plan's block, blocks it again (carryOutRemoval); tried again while it fails: under
 * blockSignIn no other item would come (the block item may be swept already, and there is no deletion). Throws
 * `error` after, as the lift or the re-block failed.
 */
async function retryByBlockItem(deps: EntitlementDeps, subjectId: string, removalId: string, error: unknown): Promise<never> {
  await scheduleBlockItemAgain(deps, subjectId, removalId);
  throw error;
}

const scheduleBlockItemAgain = (deps: EntitlementDeps, subjectId: string, removalId: string) =>
  schedule(deps, 'externalUserBlock', iso(deps.clock.now().plus({ minutes: BLOCK_ITEM_RETRY_MINUTES })), subjectId, removalId);

/** `externalUserSweep`'s handler for one due item (its entity is the subject, its detail the removal plan). */
export async function carryOutRemoval(deps: EntitlementDeps, item: DueItem<ExternalUserKind>): Promise<ItemOutcome> {
  const subject = await deps.subjects.get(item.entityId);
  const removal = subject?.value.removal;
  if (!subject || !removal || removal.id !== item.detail || !subject.value.objectId) return 'stale';
  const objectId = subject.value.objectId;
  // A block done already is trusted by the plan's own item (due at its blockDateTime; a plan is saved blocked only
  // after its PATCH): that item is left only the look for a new assignment, with no Graph call, so it is done, not
  // failed, while the directory is away. An item planned again (retryByBlockItem: a lift of an older plan may have
  // landed after this block, and its re-block failed) checks it: an account the directory says is enabled is blocked
  // again as every block is made (not a Member's); the plan, blocked already, is saved no more (one event for it).
  const blockDone = item.kind === 'externalUserBlock' && removal.blockedDateTime !== null;
  const trusted = blockDone && item.dueDateTime === removal.blockDateTime;
  // Any other item reads the user before the assignments, so that one made during that read (it may wait on Graph) is
  // seen, and nothing is blocked or deleted after it: between that look and the act, no read of the directory.
  const user = trusted ? undefined : await deps.directory.getUser(objectId);
  if (await holdsAnotherAssignment(deps, objectId, '')) {
    // Read again: the new assignment's request may have cancelled the plan (and lifted its block) meanwhile.
    const current = await deps.subjects.get(item.entityId);
    if (current?.value.removal?.id === removal.id) await cancelPlan(deps, current, trusted ? await deps.directory.getUser(objectId) : user);
    return 'stale';
  }
  if (trusted || (blockDone && user?.accountEnabled !== true)) return 'stale';
  if (await cancelledAsMember(deps, subject, user)) return 'stale';
  if (item.kind === 'externalUserBlock') return (await block(deps, subject)) ? 'processed' : 'stale';
  const blocked = removal.blockedDateTime ? subject : await block(deps, subject);
  if (!blocked) return 'stale';
  await deps.directory.deleteUser(objectId);
  // They are gone: a later request of theirs invites them afresh.
  await save(deps, blocked, { ...blocked.value, objectId: null, invitation: null, subjectLifecycle: 'notDefined', removal: null }, 'deleteExternalUser');
  return 'processed';
}

/**
 * Whether the directory says the subject's user (`user`, read by the caller) is a Member now (an administrator
 * converted the guest to internal): then the removal is not a guest's any more, and is cancelled (cancelPlan). One
 * Graph GET before each block or deletion to do, and before a retry item's check of a block done, which are rare (the
 * plan's own block item trusts a block done at once). A user type the directory does not say goes on as a guest's;
 * a user the directory no longer has goes on too: the deletion counts them as deleted (deleteUser), and a block fails
 * as it did (its item is tried again).
 */
async function cancelledAsMember(deps: EntitlementDeps, subject: StoredDocument<AccessPackageSubject>, user: DirectoryUser | undefined): Promise<boolean> {
  if (user?.userType !== 'Member') return false;
  await cancelPlan(deps, subject, user);
  return true;
}

/** Cancels the subject's plan, with its event, its block lifted first (liftUnlessMember). */
async function cancelPlan(deps: EntitlementDeps, subject: StoredDocument<AccessPackageSubject>, user: DirectoryUser | undefined): Promise<void> {
  await liftUnlessMember(deps, subject, user);
  await save(deps, subject, { ...subject.value, removal: null }, 'cancelExternalUserRemoval');
}

/**
 * Lifts the plan's block by what the directory says of the user now (`user`). A Member's account is left as it is,
 * blocked or not: it is theirs who converted them, who may have disabled it since (a request for an enabled Member
 * leaves the plan, cancelRemoval). A user the directory does not have has no account to lift.
 */
async function liftUnlessMember(deps: EntitlementDeps, subject: StoredDocument<AccessPackageSubject>, user: DirectoryUser | undefined): Promise<void> {
  if (subject.value.removal?.blockedDateTime && user && user.userType !== 'Member') await unblock(deps, subject);
}

async function unblock(deps: EntitlementDeps, subject: StoredDocument<AccessPackageSubject>): Promise<void> {
  await deps.directory.setAccountEnabled(subject.value.objectId!, true);
  // A change in the directory only, none of our tables: nothing stored to lose its event. The cancel saved after is audited.
  await record(deps, 'unblockExternalUser', subject.value, { ...subject.value, accountEnabled: true });
}

/**
 * Blocks the plan's user, and saves the plan as blocked on the subject as read (its ETag). The PATCH may wait (the
 * write budget, 5xx/429 retries): a request that lands meanwhile finds the plan not yet blocked and cancels it. So the
 * assignments are looked at again after it. With none held, whatever plan stands now carries the block (standBlocked):
 * this one, or a later ending's, which is marked blocked with its event (its own block item then finds it done), so
 * that no undo races that plan's own block, nor leaves a guest with no assignment enabled under a plan saying blocked
 * should its answer be lost. Only when they are assigned, or no plan stands (cancelled under `none`, or as a Member),
 * is the account enabled again, and no event says it was blocked (no plan was saved blocked). Should that undo fail,
 * a blocked plan stands for the block and lifts it later (blockStands); should it land after a later block, that block
 * is made again (blockAgainIfPlanStands, `reblocks` times at most). Answers the subject with this plan blocked, or undefined when it is not (nothing more to do for it).
 */
async function block(deps: EntitlementDeps, subject: StoredDocument<AccessPackageSubject>, reblocks = REBLOCKS): Promise<StoredDocument<AccessPackageSubject> | undefined> {
  const objectId = subject.value.objectId!;
  await deps.directory.setAccountEnabled(objectId, false);
  if (!(await holdsAnotherAssignment(deps, objectId, ''))) {
    // A plan read blocked already (a retry item's check, a re-block) is read again: a request may have cancelled it
    // while the PATCH waited, and standBlocked saves no blocked plan, so no ETag would tell (not-yet-blocked ones do).
    const read = subject.value.removal?.blockedDateTime ? await deps.subjects.get(subject.value.id) : subject;
    const stands = await standBlocked(deps, objectId, read, undefined);
    if (stands) return stands.value.removal!.id === subject.value.removal!.id ? stands : undefined;
  }
  await deps.directory.setAccountEnabled(objectId, true).catch((error) => blockStands(deps, subject, error));
  if (reblocks > 0) await blockAgainIfPlanStands(deps, subject, reblocks - 1);
  return undefined;
}

/** How often block() makes a later block again after its undo (each time the user was assigned and unassigned again). */
const REBLOCKS = 2;

/**
 * block()'s undo (or a request's lift of an older plan, cancelRemoval) landed, but it may have landed after a later
 * block of the user: unassigned again while it waited on Graph, a newer plan made, its block's PATCH sent (at once, or
 * by its item) and maybe not yet saved blocked (a save that makes no PATCH). With no assignment held and a plan
 * standing, its block (due when a plan is made) is made again as block() makes it: the assignments looked at after its
 * PATCH, and a request assigning them meanwhile lifts it (cancelRemoval) after that PATCH; nor for a user the directory
 * now says is a Member (cancelledAsMember, as every block). Saved blocked by two writers, one is refused and finds it
 * blocked (one event). One claims read after an undo; the subject's, and the user's, only then. Should that block
 * fail (the directory away), the standing plan's block item is planned again (retryByBlockItem): it may be swept
 * already, finding the plan blocked, and would leave the account enabled under it; when it comes due it blocks again.
 */
async function blockAgainIfPlanStands(deps: EntitlementDeps, subject: StoredDocument<AccessPackageSubject>, reblocks: number): Promise<void> {
  if (await holdsAnotherAssignment(deps, subject.value.objectId!, '')) return;
  const current = await deps.subjects.get(subject.value.id);
  if (!(current?.value.objectId === subject.value.objectId && current.value.removal)) return;
  const blockAgain = async () => {
    // As before every block: not a Member's account (converted, and maybe enabled, while the undo waited).
    if (!(await cancelledAsMember(deps, current, await deps.directory.getUser(current.value.objectId!)))) await block(deps, current, reblocks);
  };
  await blockAgain().catch((error) => retryByBlockItem(deps, current.value.id, current.value.removal!.id, error));
}

/** Saves `removal` as blocked now on the subject as read (its ETag), with its event (save). */
const saveBlocked = (deps: EntitlementDeps, stored: StoredDocument<AccessPackageSubject>, removal: PendingRemoval) =>
  save(deps, stored, { ...stored.value, removal: { ...removal, blockedDateTime: nowIso(deps) } }, 'blockExternalUser');

/** How often standBlocked saves again on a subject another writer changed meanwhile (each time read afresh). */
const BLOCK_STANDS_SAVES = 3;

/**
 * Makes a blocked plan stand on the subject (`read`) for the block of their user (`objectId`) Portcullis's PATCH made:
 * the plan there, else `ofItsOwn` (none given: no plan stands). `carry` is done first for that plan (a plan is never
 * there without what carries it out). A plan blocked already is saved no more (one event); one not yet blocked is
 * saved blocked, with its event. A save refused on its ETag (a request's cancel, an ending planning afresh) is made
 * again on the subject read afresh, BLOCK_STANDS_SAVES saves in all. Answers the subject with the blocked plan
 * standing, or undefined: no plan, the user deleted since (their subject's objectId changed), or every save refused.
 */
async function standBlocked(
  deps: EntitlementDeps,
  objectId: string,
  read: StoredDocument<AccessPackageSubject> | undefined,
  ofItsOwn: PendingRemoval | undefined,
  carry?: (subjectId: string, removal: PendingRemoval) => Promise<void>,
): Promise<StoredDocument<AccessPackageSubject> | undefined> {
  let current = read;
  for (let saves = 0; saves < BLOCK_STANDS_SAVES; saves++) {
    if (!current || current.value.objectId !== objectId) return undefined;
    const removal = current.value.removal ?? ofItsOwn;
    if (!removal) return undefined;
    await carry?.(current.value.id, removal);
    if (removal.blockedDateTime) return current;
    const saved = await saveBlocked(deps, current, removal).catch(unlessConflict);
    if (saved) return saved;
    current = await deps.subjects.get(current.value.id);
  }
  return undefined;
}

/**
 * block()'s undo failed (the directory away): the account stays disabled by Portcullis, so a blocked plan must stand
 * for it, with its event (the log says what is), and carry its lift: its block item is planned BLOCK_ITEM_RETRY_MINUTES
 * on (scheduleBlockItemAgain), which, finding the user assigned, lifts the block and cancels the plan (carryOutRemoval),
 * tried again while that fails, parked after MAX_ITEM_ATTEMPTS; a request assigning them meanwhile does the same
 * (cancelRemoval).
 * Which plan, on the subject read afresh (standBlocked): a blocked plan there already is that plan. One not yet
 * blocked is marked blocked, its dates kept: the new assignment's request may not have cancelled it yet, and will then
 * lift the block. With none (that request cancelled this plan while not yet blocked, or it was cancelled under `none`
 * or as a Member), a plan of its own: a new id, so the cancelled plan's items stay stale, and no deletion, so nobody
 * is deleted for a plan that was cancelled. Throws `error` after, as the undo failed.
 */
async function blockStands(deps: EntitlementDeps, subject: StoredDocument<AccessPackageSubject>, error: unknown): Promise<never> {
  const ofItsOwn: PendingRemoval = { ...subject.value.removal!, id: deps.newId(), action: 'blockSignIn', deleteDateTime: null };
  const read = await deps.subjects.get(subject.value.id);
  await standBlocked(deps, subject.value.objectId!, read, ofItsOwn, (subjectId, removal) => scheduleBlockItemAgain(deps, subjectId, removal.id));
  throw error;
}

/** A save refused on its ETag answers undefined: another writer changed the subject (or a retry found this save landed: the re-read tells). */
function unlessConflict(error: unknown): undefined {
  if (isDomainError(error) && error.code === 'concurrencyConflict') return undefined;
  throw error;
}

const isGovernedGuest = (subject: AccessPackageSubject, objectId: string) =>
  subject.subjectLifecycle === 'governed' && subject.objectId?.toLowerCase() === objectId.toLowerCase();

/** Whether the user holds an assignment other than `exceptId`: their claims name their active assignments (one partition read). */
async function holdsAnotherAssignment(deps: EntitlementDeps, objectId: string, exceptId: string): Promise<boolean> {
  const claims = await deps.grants.claimsOf(objectId);
  return claims.some((c) => c.value.assignmentId !== null && c.value.assignmentId !== exceptId);
}

/**
 * The subject's new state, with its event written ahead (auditedChange.ts): a stop after the write leaves it to the
 * sweep. Shown by the whole subject, so that a later change of its plan (an invitation afresh, a new plan) before the
 * sweep decides does not hide it; a save refused on its ETag (another writer changed the subject meanwhile) is told
 * by the marks of the version it replaces, and its event is not appended.
 */
function save(deps: EntitlementDeps, stored: StoredDocument<AccessPackageSubject>, changed: AccessPackageSubject, action: ExternalUserAction) {
  const probe = shownIn('accessPackageSubjects', stored, 'changed');
  return audited(deps, entryOf(action, stored.value, changed), probe, () => deps.subjects.replace(stored, changed), markedVersion(writersOf(stored)));
}

const entryOf = (action: ExternalUserAction, before: AccessPackageSubject, after: unknown) => ({ actorId: SYSTEM_ACTOR, action, entityType: 'accessPackageSubject', entityId: before.id, before, after });

function record(deps: EntitlementDeps, action: ExternalUserAction, before: AccessPackageSubject, after: unknown) {
  return deps.audit.record(entryOf(action, before, after));
}

async function schedule(deps: EntitlementDeps, kind: ExternalUserKind, at: string, subjectId: string, removalId: string): Promise<void> {
  await deps.externalUserWork.schedule({ kind, dueDateTime: at, entityId: subjectId, detail: removalId });
}

const iso = (at: DateTime) => at.toUTC().toISO()!;
