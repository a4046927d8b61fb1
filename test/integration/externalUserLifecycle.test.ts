import { DateTime } from 'luxon';
import { DirectoryError } from '../../shared/directory/directoryError';
import type { EntitlementDeps } from '../../shared/operations/entitlements/entitlementDeps';
import { updateSettings } from '../../shared/operations/entitlements/settings';
import { sweepExternalUsers } from '../../shared/operations/externalUsers/externalUserSweep';
import { findSubjectByEmail } from '../../shared/operations/externalUsers/subjects';
import { sweepExpirations } from '../../shared/operations/lifecycle/expirationSweep';
import { submitAssignmentRequest } from '../../shared/operations/requests/submitAssignmentRequest';
import { writersOf } from '../../shared/store/documentTable';
import { inProcessOperationsForFile, type InProcessOperations } from '../support/inProcessOperations';
import { ADMIN, groupMembers, groupPackage, setFaults, unassign, type TestPackage } from '../support/packageWorld';

/**
 * Invitation on delivery and the external user lifecycle in-process, on Azurite and the Graph emulator, with a
 * clock the test moves: what only time shows (a retry minutes later, a deletion days later) and the crash windows
 * of an invitation.
 */
const FALCON_GROUP = '5fdd3a16-8a61-49a7-936c-d61319c06515';
const SWEEP = { holder: 'test', budgetMs: 60_000 };

/** The lifecycle settings the tests run under. */
const BLOCK_ONLY = { externalUserLifecycleAction: 'blockSignIn', durationUntilExternalUserDeletedAfterBlocked: 'PT0S' };
const BLOCK_THEN_DELETE_AFTER_30_DAYS = { externalUserLifecycleAction: 'blockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'P30D' };
const BLOCK_THEN_DELETE_AT_ONCE = { externalUserLifecycleAction: 'blockSignInAndDelete', durationUntilExternalUserDeletedAfterBlocked: 'PT0S' };
const NO_ACTION = { externalUserLifecycleAction: 'none' };

/** The removal events a subject's log holds, in order (see removalEvents), for the stories the tests tell. */
const PLANNED = ['inviteExternalUser', 'scheduleExternalUserRemoval'];
const LIFTED = ['unblockExternalUser', 'cancelExternalUserRemoval'];
/** The plan of their last ending blocked. */
const BLOCKED = [...PLANNED, 'blockExternalUser'];
/** The plan cancelled by a new assignment before any block of it was recorded. */
const CANCELLED_UNBLOCKED = [...PLANNED, 'cancelExternalUserRemoval'];
/** The plan cancelled, then a block whose undo failed recorded under a blocked plan of its own. */
const BLOCK_STANDING_ALONE = [...CANCELLED_UNBLOCKED, 'blockExternalUser'];
/** The plan cancelled by a new assignment that ended in turn: the newer plan blocked. */
const NEWER_PLAN_BLOCKED = [...CANCELLED_UNBLOCKED, 'scheduleExternalUserRemoval', 'blockExternalUser'];
/** The blocked plan cancelled (the guest a Member meanwhile), a later last ending planning and blocking afresh. */
const BLOCKED_THEN_PLANNED_AFRESH = [...BLOCKED, 'cancelExternalUserRemoval', 'scheduleExternalUserRemoval', 'blockExternalUser'];

let world: InProcessOperations;
let deps: EntitlementDeps;
let pkg: TestPackage;
inProcessOperationsForFile((started) => ({ deps } = world = started));
beforeAll(async () => {
  pkg = await groupPackage(deps, 'Partner access', FALCON_GROUP);
});
afterEach(() => setFaults(world.emulator, []));
jest.setTimeout(60_000);

async function usersWithMail(mail: string): Promise<Array<{ id: string; accountEnabled: boolean }>> {
  const filter = encodeURIComponent(`mail eq '${mail}'`);
  const answer = (await (await fetch(`${world.emulator.url}/v1.0/users?$filter=${filter}&$select=id,accountEnabled`)).json()) as { value: Array<{ id: string; accountEnabled: boolean }> };
  return answer.value;
}

const addByEmail = (email: string) =>
  submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { target: { email }, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });

const addById = (targetId: string) =>
  submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { targetId, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });

/** Ends the assignment that a request (by id) delivered. */
const endAssignmentOf = async (requestId: string) => unassign(deps, (await stateOf(requestId)).assignmentId!);

/** The directory refusing every change of an account (blocks and unblocks: PATCH of a user) until the faults are cleared. */
const refuseAccountChanges = () => setFaults(world.emulator, [{ pathPattern: '^/v1.0/users/[^/?]+$', method: 'PATCH', status: 503, rate: 1, retryAfterSeconds: 0 }]);

/** Runs `act` while the directory refuses every change of an account, then clears the faults. */
async function whileAccountChangesRefused<T>(act: () => Promise<T>): Promise<T> {
  await refuseAccountChanges();
  try {
    return await act();
  } finally {
    await setFaults(world.emulator, []);
  }
}

/** Under `settings`, a guest invited by address (`name`, made unique) and assigned: their address and that first request. */
async function assignedGuest(name: string, settings: object) {
  await updateSettings(deps, ADMIN, settings);
  const email = `${name}.${Date.now()}@partner.example`;
  const first = await stateOf((await addByEmail(email)).id);
  return { email, first };
}
type Guest = Awaited<ReturnType<typeof assignedGuest>>;

/** Under blockSignInAndDelete (30 days), a guest invited by address and assigned, whose assignment then ended. */
async function endedGuest(name: string): Promise<Guest> {
  const guest = await assignedGuest(name, BLOCK_THEN_DELETE_AFTER_30_DAYS);
  await unassign(deps, guest.first.assignmentId!);
  return guest;
}

async function stateOf(requestId: string) {
  return (await deps.grants.findRequest(requestId))!.value;
}

async function changeUser(userId: string, changes: object): Promise<void> {
  const response = await fetch(`${world.emulator.url}/v1.0/users/${userId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(changes) });
  expect(response.status).toBe(204);
}

async function userById(userId: string): Promise<{ userType: string; accountEnabled: boolean } | undefined> {
  const response = await fetch(`${world.emulator.url}/v1.0/users/${userId}?$select=id,userType,accountEnabled`);
  return response.status === 404 ? undefined : ((await response.json()) as { userType: string; accountEnabled: boolean });
}

/** The subject's recorded removal actions (the log keeps the real time: read around both clocks). */
async function removalEvents(subjectId: string): Promise<string[]> {
  const [from, to] = [world.now(), DateTime.utc()].sort((a, b) => a.toMillis() - b.toMillis()) as [DateTime, DateTime];
  const actions: string[] = [];
  for await (const event of deps.audit.between(from.minus({ days: 1 }), to.plus({ days: 1 }))) if (event.entityId === subjectId) actions.push(event.action);
  return actions.filter((action) => /ExternalUser/.test(action));
}

/** The guest as a new assignment leaves them: enabled, the same user, no removal planned, `events` recorded. */
async function expectEnabledWithNoPlan({ email, first }: Guest, events: string[]): Promise<void> {
  expect(await userById(first.targetId)).toMatchObject({ userType: 'Guest', accountEnabled: true });
  const subject = await findSubjectByEmail(deps, email);
  expect(subject).toMatchObject({ objectId: first.targetId, removal: null });
  expect(await removalEvents(subject!.id)).toEqual(events);
}

/** A block whose undo failed, standing: the account disabled under a blocked plan of its own that deletes nobody. */
async function expectBlockStandingAlone({ email, first }: Guest) {
  expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
  const blocked = await findSubjectByEmail(deps, email);
  expect(blocked?.removal).toMatchObject({ blockedDateTime: expect.any(String), deleteDateTime: null });
  expect(await removalEvents(blocked!.id)).toEqual(BLOCK_STANDING_ALONE);
  return blocked!;
}

/** The guest with no assignment left blocked under the newer plan, the one made when request `againId`'s assignment ended. */
async function expectBlockedUnderNewerPlan({ email, first }: Guest, againId: string) {
  expect(await userById(first.targetId)).toMatchObject({ userType: 'Guest', accountEnabled: false });
  const subject = await findSubjectByEmail(deps, email);
  expect(subject?.removal).toMatchObject({ assignmentId: (await stateOf(againId)).assignmentId, blockedDateTime: expect.any(String) });
  expect(await removalEvents(subject!.id)).toEqual(NEWER_PLAN_BLOCKED);
  return subject!;
}

/** Every item of the plans standing comes due and is swept: a block item (5 minutes on), then what a day holds. */
async function sweepEveryItemDue(): Promise<void> {
  world.advance({ minutes: 5, seconds: 1 });
  await sweepExternalUsers(deps, SWEEP);
  world.advance({ days: 1 });
  await sweepExternalUsers(deps, SWEEP);
}

/**
 * Runs `during` once, inside the next directory read of the user (the read before a block or a deletion): what lands
 * in the middle of that call, which may wait on Graph (retries, Retry-After).
 */
function duringReadOf(userId: string, during: () => Promise<unknown>): () => void {
  const directory = deps.directory;
  const original = directory.getUser;
  let armed = true;
  directory.getUser = async (id: string) => {
    if (armed && id === userId) {
      armed = false;
      await during();
    }
    return original.call(directory, id);
  };
  return () => void (directory.getUser = original);
}

/**
 * Puts `instead` in place of the next change of the user's account to `enabled` (setAccountEnabled: false a block, true
 * an unblock), handing it that change to make; every other call goes through. Returns the undo of the hook.
 */
function onNextAccountChangeOf(userId: string, enabled: boolean, instead: (change: () => Promise<void>) => Promise<void>): () => void {
  const directory = deps.directory;
  const original = directory.setAccountEnabled;
  let armed = true;
  directory.setAccountEnabled = async (id: string, to: boolean) => {
    if (!(armed && id === userId && to === enabled)) return original.call(directory, id, to);
    armed = false;
    return instead(() => original.call(directory, id, to));
  };
  return () => void (directory.setAccountEnabled = original);
}

/**
 * Runs `during` once, inside the next block of the user (setAccountEnabled false), before it takes effect: what lands
 * while that PATCH waits (the write budget, 5xx/429 retries).
 */
const duringBlockOf = (userId: string, during: () => Promise<unknown>) =>
  onNextAccountChangeOf(userId, false, async (block) => {
    await during();
    return block();
  });

/**
 * Runs `during` once, inside the next unblock of the user (setAccountEnabled true), before it takes effect: what lands
 * while that PATCH waits (the write budget, 5xx/429 retries).
 */
const duringUnblockOf = (userId: string, during: () => Promise<unknown>) =>
  onNextAccountChangeOf(userId, true, async (unblock) => {
    await during();
    return unblock();
  });

/** The directory refusing the next unblock of the user (setAccountEnabled true, one PATCH) over HTTP, and only it. */
const refusingNextUnblockOf = (userId: string) => onNextAccountChangeOf(userId, true, (unblock) => whileAccountChangesRefused(unblock));

/** The next unblock of the user (setAccountEnabled true) lands in the directory, then its answer is lost (a timeout). */
const unblockLandsThenFails = (userId: string) =>
  onNextAccountChangeOf(userId, true, async (unblock) => {
    await unblock();
    throw new DirectoryError('transient', 'The answer was lost (a timeout after the PATCH landed).', { status: 504 });
  });

/**
 * The user assigned again (a request by id) inside their next block, then `meanwhile` run with that request's id.
 * `againId()`: that id, once the block has run.
 */
function assignedAgainDuringBlockOf(userId: string, meanwhile: (againId: string) => Promise<unknown> = async () => undefined) {
  let againId = '';
  const restore = duringBlockOf(userId, async () => {
    againId = (await addById(userId)).id;
    await meanwhile(againId);
  });
  return { againId: () => againId, restore };
}

/** The user assigned again (a request by id) while the directory refuses account changes: the lift of their block fails. */
const assignedAgainLiftRefused = (userId: string) => whileAccountChangesRefused(async () => stateOf((await addById(userId)).id));

/** The newer plan (request `againId`'s assignment ended) not blocked at once, the directory refusing: its block item would do it. */
const endedWithBlockRefused = (againId: string) => whileAccountChangesRefused(() => endAssignmentOf(againId));

/** Runs `during` once, just before the next save of the subject's plan as blocked lands (after its block's PATCH). */
function beforeBlockedSaveOf(subjectId: string, during: () => Promise<unknown>): () => void {
  const subjects = deps.subjects;
  const original = subjects.replace;
  let armed = true;
  subjects.replace = async (stored, changed) => {
    if (armed && changed.id === subjectId && changed.removal?.blockedDateTime) {
      armed = false;
      await during();
    }
    return original.call(subjects, stored, changed);
  };
  return () => void (subjects.replace = original);
}

/**
 * The user's next enabling (a request's lift, block()'s undo) held while the assignment they hold then ends: the newer
 * plan's block PATCH goes out, then the enabling lands, then that plan is saved blocked. `settle()` (in a finally) lets
 * everything finish and takes the hooks away.
 */
function enablingLandsBeforeNewerBlockedSave(userId: string, subjectId: string): { settle: () => Promise<void> } {
  let releaseSave!: () => void;
  const saveReleased = new Promise<void>((resolve) => (releaseSave = resolve));
  let ending: Promise<unknown> | undefined;
  let restoreSave = () => undefined as void;
  const restoreEnabling = onNextAccountChangeOf(userId, true, async (enable) => {
    let reached!: () => void;
    const atSave = new Promise<void>((resolve) => (reached = resolve));
    restoreSave = beforeBlockedSaveOf(subjectId, async () => {
      await enable();
      reached();
      await saveReleased;
    });
    const assignmentId = (await deps.grants.claimsOf(userId)).find((c) => c.value.assignmentId !== null)!.value.assignmentId!;
    ending = unassign(deps, assignmentId);
    await atSave;
  });
  return {
    settle: async () => {
      restoreEnabling();
      releaseSave();
      await ending;
      restoreSave();
    },
  };
}

/** Every item due since has run (a lift item at +5 minutes, the newer plan's block item): the user stays blocked. */
async function expectBlockedAfterItsItems(userId: string): Promise<void> {
  world.advance({ minutes: 5, seconds: 1 });
  expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
  world.advance({ days: 1 });
  await sweepExternalUsers(deps, SWEEP);
  expect(await userById(userId)).toMatchObject({ userType: 'Guest', accountEnabled: false });
}

/**
 * Holds a new assignment's request of the user at its look for their planned removal (cancelRemoval's read of the
 * subject, the first once they hold an assignment) until `released`: `before` the read, or `after` it, so that its save
 * is on that read. `reached` says it is held there.
 */
function holdingCancelOf(userId: string, released: Promise<void>, where: 'before' | 'after' = 'before'): { reached: Promise<void>; restore: () => void } {
  const subjects = deps.subjects;
  const original = subjects.byObjectId;
  let armed = true;
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  subjects.byObjectId = async (id: string) => {
    const read = where === 'after' ? await original.call(subjects, id) : undefined;
    if (armed && id === userId && (await deps.grants.claimsOf(userId)).some((c) => c.value.assignmentId !== null)) {
      armed = false;
      reach();
      await released;
    }
    return where === 'after' ? read : original.call(subjects, id);
  };
  return { reached, restore: () => void (subjects.byObjectId = original) };
}

/**
 * The user assigned again inside their next block, that request held before it cancels their plan (holdingCancelOf)
 * until `release()`; `meanwhile` runs once it is held, still inside the block. `again()`: that request, going on.
 */
function heldAssignmentDuringBlockOf(userId: string, meanwhile: () => void = () => undefined) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let hold: ReturnType<typeof holdingCancelOf> | undefined;
  let again: Promise<{ id: string }> | undefined;
  const restoreBlock = duringBlockOf(userId, async () => {
    hold = holdingCancelOf(userId, released);
    again = addById(userId);
    await hold.reached;
    meanwhile();
  });
  return {
    release,
    again: () => again!,
    restore: () => {
      hold?.restore();
      restoreBlock();
    },
  };
}

/** Runs `during` once, right after the next read of the subject by id (what lands between that read and a save on it). */
function afterReadOf(subjectId: string, during: () => Promise<unknown>): () => void {
  const subjects = deps.subjects;
  const original = subjects.get;
  let armed = true;
  subjects.get = async (id: string) => {
    const read = await original.call(subjects, id);
    if (armed && id === subjectId) {
      armed = false;
      await during();
    }
    return read;
  };
  return () => void (subjects.get = original);
}

describe('invitation on delivery', () => {
  it('retries an invitation Graph refused for now when its recovery item comes due, making one governed guest', async () => {
    await setFaults(world.emulator, [{ pathPattern: '^/v1.0/invitations', status: 503, rate: 1, retryAfterSeconds: 0 }]);
    const email = `ada.${Date.now()}@partner.example`;
    const { id } = await addByEmail(email);
    expect(await stateOf(id)).toMatchObject({ state: 'submitted', assignmentId: null });
    expect(await usersWithMail(email)).toEqual([]);

    await setFaults(world.emulator, []);
    world.advance({ minutes: 6 });
    await sweepExpirations(deps, SWEEP);

    const [guest] = await usersWithMail(email);
    const request = await stateOf(id);
    expect(request).toMatchObject({ state: 'delivered', targetId: guest!.id });
    expect(await usersWithMail(email)).toHaveLength(1);
    expect(await groupMembers(world.emulator, FALCON_GROUP)).toContain(guest!.id);
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ objectId: guest!.id, subjectLifecycle: 'governed' });
    // The request is found under the guest now, and nowhere else.
    expect((await deps.grants.requestsOf(guest!.id)).map((r) => r.value.id)).toContain(id);
  });

  it('keeps a guest whose invitation was made but whose answer was lost as governed, and invites nobody twice', async () => {
    // The invitation succeeds; reading the guest back fails: to Portcullis, the call failed.
    await setFaults(world.emulator, [{ pathPattern: '^/v1.0/users/[^/?]+$', method: 'GET', status: 503, rate: 1, retryAfterSeconds: 0 }]);
    const email = `bea.${Date.now()}@partner.example`;
    const { id } = await addByEmail(email);
    expect(await stateOf(id)).toMatchObject({ state: 'submitted' });
    expect(await usersWithMail(email)).toHaveLength(1);

    await setFaults(world.emulator, []);
    world.advance({ minutes: 6 });
    await sweepExpirations(deps, SWEEP);

    const guests = await usersWithMail(email);
    expect(guests).toHaveLength(1);
    expect(await stateOf(id)).toMatchObject({ state: 'delivered', targetId: guests[0]!.id });
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ objectId: guests[0]!.id, subjectLifecycle: 'governed' });
  });
});

describe('externalUserSweep', () => {
  it('deletes a blocked guest when the duration has passed, not before, and a second run does nothing', async () => {
    const { email } = await endedGuest('cy');
    expect(await usersWithMail(email)).toMatchObject([{ accountEnabled: false }]);

    world.advance({ days: 29 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0 });
    expect(await usersWithMail(email)).toHaveLength(1);

    world.advance({ days: 1, minutes: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 1, failed: 0 });
    expect(await usersWithMail(email)).toEqual([]);
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ objectId: null, removal: null });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });
  });

  it('deletes at once with a duration of zero, and invites a removed guest afresh when they are assigned again', async () => {
    const { email, first } = await assignedGuest('dee', BLOCK_THEN_DELETE_AT_ONCE);
    await unassign(deps, first.assignmentId!);
    await sweepExternalUsers(deps, SWEEP);
    expect(await usersWithMail(email)).toEqual([]);

    const again = await stateOf((await addByEmail(email)).id);
    const guests = await usersWithMail(email);
    expect(guests).toMatchObject([{ accountEnabled: true }]);
    expect(guests[0]!.id).not.toBe(first.targetId);
    expect(again).toMatchObject({ state: 'delivered', targetId: guests[0]!.id });
  });

  it('does not delete a guest whose directory read fails: the item fails, and the next sweep deletes them', async () => {
    const { email } = await endedGuest('fay');
    world.advance({ days: 30, minutes: 1 });

    await setFaults(world.emulator, [{ pathPattern: '^/v1.0/users/[^/?]+$', method: 'GET', status: 503, rate: 1, retryAfterSeconds: 0 }]);
    const swept = await sweepExternalUsers(deps, SWEEP);
    await setFaults(world.emulator, []);
    expect(swept).toMatchObject({ processed: 0, failed: 1 });
    expect(await usersWithMail(email)).toHaveLength(1);

    world.advance({ minutes: 10 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 1, failed: 0 });
    expect(await usersWithMail(email)).toEqual([]);
  });

  it('under blockSignIn blocks and never deletes', async () => {
    const { email, first } = await assignedGuest('eve', BLOCK_ONLY);
    await unassign(deps, first.assignmentId!);
    world.advance({ days: 400 });
    await sweepExternalUsers(deps, SWEEP);
    expect(await usersWithMail(email)).toMatchObject([{ accountEnabled: false }]);
  });
});

describe('a governed guest an administrator converts to a Member', () => {
  /** What an administrator does in the portal: the directory alone changes; Portcullis keeps its subject governed. */
  async function convertToMember(userId: string, accountEnabled?: boolean): Promise<void> {
    await changeUser(userId, { userType: 'Member', ...(accountEnabled === undefined ? {} : { accountEnabled }) });
  }

  it('is not deleted when the deletion comes due: the plan is cancelled, with its event, and the account left as it is', async () => {
    const { email, first } = await endedGuest('gus');
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
    await convertToMember(first.targetId);

    world.advance({ days: 30, minutes: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });

    expect(await userById(first.targetId)).toMatchObject({ userType: 'Member', accountEnabled: false });
    const subject = await findSubjectByEmail(deps, email);
    expect(subject).toMatchObject({ objectId: first.targetId, removal: null });
    expect(await removalEvents(subject!.id)).toEqual(expect.arrayContaining(['scheduleExternalUserRemoval', 'blockExternalUser', 'cancelExternalUserRemoval']));
    expect(await removalEvents(subject!.id)).not.toContain('deleteExternalUser');
  });

  it('is not blocked by a block item still to be done (the block at once failed): the plan is cancelled', async () => {
    const { email, first } = await assignedGuest('hal', BLOCK_ONLY);
    // The block at once fails: its item is left to the sweep.
    await whileAccountChangesRefused(() => unassign(deps, first.assignmentId!));
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: true });
    await convertToMember(first.targetId);

    world.advance({ minutes: 1 });
    await sweepExternalUsers(deps, SWEEP);

    expect(await userById(first.targetId)).toMatchObject({ userType: 'Member', accountEnabled: true });
    const subject = await findSubjectByEmail(deps, email);
    expect(subject).toMatchObject({ removal: null });
    expect(await removalEvents(subject!.id)).toContain('cancelExternalUserRemoval');
    expect(await removalEvents(subject!.id)).not.toContain('blockExternalUser');
  });

  it('converted while still assigned, is not blocked when their last assignment ends', async () => {
    const { email, first } = await assignedGuest('ida', BLOCK_THEN_DELETE_AT_ONCE);
    await convertToMember(first.targetId);

    await unassign(deps, first.assignmentId!);
    await sweepExternalUsers(deps, SWEEP);

    expect(await userById(first.targetId)).toMatchObject({ userType: 'Member', accountEnabled: true });
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ objectId: first.targetId, removal: null });
  });

  it('converted and enabled again after their block, assigned again as a Member: their pending deletion never deletes them', async () => {
    const { email, first } = await endedGuest('jo');
    await convertToMember(first.targetId, true);

    // An enabled Member: the request does not read their subject, so the plan stays for the sweep to cancel.
    const again = await stateOf((await addById(first.targetId)).id);
    expect(again).toMatchObject({ state: 'delivered' });
    expect((await findSubjectByEmail(deps, email))?.removal).toMatchObject({ deleteDateTime: expect.any(String) });
    await unassign(deps, again.assignmentId!);
    world.advance({ days: 30, minutes: 1 });
    await sweepExternalUsers(deps, SWEEP);

    expect(await userById(first.targetId)).toMatchObject({ userType: 'Member', accountEnabled: true });
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ objectId: first.targetId, removal: null });
  });

  it('converted and enabled, assigned again, then made a Guest again: their next last ending plans a removal afresh (blocked at once, deleted after the full duration)', async () => {
    const { email, first } = await endedGuest('lee');
    const earlier = (await findSubjectByEmail(deps, email))!.removal!;
    await convertToMember(first.targetId, true);
    const again = await stateOf((await addById(first.targetId)).id);
    await changeUser(first.targetId, { userType: 'Guest' });

    world.advance({ days: 10 });
    await unassign(deps, again.assignmentId!);

    expect(await userById(first.targetId)).toMatchObject({ userType: 'Guest', accountEnabled: false });
    const removal = (await findSubjectByEmail(deps, email))!.removal!;
    expect(removal).toMatchObject({ assignmentId: again.assignmentId, blockedDateTime: expect.any(String) });
    expect(removal.id).not.toBe(earlier.id);
    expect(Date.parse(removal.deleteDateTime!)).toBeGreaterThan(Date.parse(earlier.deleteDateTime!));
    // The earlier plan is closed by an event of its own before the new one is made.
    const subjectId = (await findSubjectByEmail(deps, email))!.id;
    expect(await removalEvents(subjectId)).toEqual(BLOCKED_THEN_PLANNED_AFRESH);
    // The earlier plan's deletion comes due first, and finds itself replaced.
    world.advance({ days: 20, minutes: 1 });
    await sweepExternalUsers(deps, SWEEP);
    expect(await userById(first.targetId)).toBeDefined();
    world.advance({ days: 10 });
    await sweepExternalUsers(deps, SWEEP);
    expect(await userById(first.targetId)).toBeUndefined();
  });

  it('made a Guest again, their next last ending failing to plan afresh: the log says only what stands, and a retry plans once', async () => {
    const { email, first } = await endedGuest('yan');
    const earlier = (await findSubjectByEmail(deps, email))!.removal!;
    await convertToMember(first.targetId, true);
    const again = await stateOf((await addById(first.targetId)).id);
    await changeUser(first.targetId, { userType: 'Guest' });

    // Planning the new removal's items fails once (storage away for a moment).
    const work = deps.externalUserWork;
    const original = work.schedule;
    work.schedule = async () => {
      work.schedule = original;
      throw new Error('storage away');
    };
    await expect(unassign(deps, again.assignmentId!)).rejects.toThrow('storage away');
    work.schedule = original;
    const subjectId = (await findSubjectByEmail(deps, email))!.id;
    const cancelled = (await findSubjectByEmail(deps, email))!.removal?.id !== earlier.id;
    expect(cancelled).toBe((await removalEvents(subjectId)).includes('cancelExternalUserRemoval'));
    expect(cancelled).toBe(true);

    // The ending tried again (the assignment still stands) plans once, with no second cancel.
    await unassign(deps, again.assignmentId!);
    expect((await findSubjectByEmail(deps, email))!.removal).toMatchObject({ assignmentId: again.assignmentId, blockedDateTime: expect.any(String) });
    expect(await removalEvents(subjectId)).toEqual(BLOCKED_THEN_PLANNED_AFRESH);
  });

  it('converted and enabled, assigned again, then made a Guest again: under none since, their next last ending cancels the earlier plan', async () => {
    const { email, first } = await endedGuest('max');
    await convertToMember(first.targetId, true);
    const again = await stateOf((await addById(first.targetId)).id);
    await changeUser(first.targetId, { userType: 'Guest' });
    await updateSettings(deps, ADMIN, NO_ACTION);

    await unassign(deps, again.assignmentId!);
    world.advance({ days: 30, minutes: 1 });
    await sweepExternalUsers(deps, SWEEP);

    expect(await userById(first.targetId)).toMatchObject({ userType: 'Guest', accountEnabled: true });
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ removal: null });
  });

  it('converted after their block and left disabled, assigned again: the request reads their subject and unblocks them', async () => {
    const { email, first } = await endedGuest('kim');
    await convertToMember(first.targetId);

    const again = await stateOf((await addById(first.targetId)).id);

    expect(again).toMatchObject({ state: 'delivered' });
    expect(await userById(first.targetId)).toMatchObject({ userType: 'Member', accountEnabled: true });
    const subject = await findSubjectByEmail(deps, email);
    expect(subject).toMatchObject({ removal: null });
    expect(await removalEvents(subject!.id)).toEqual(expect.arrayContaining(LIFTED));
  });

  it('converted and enabled, assigned again, then disabled by an administrator: the sweep cancels the plan and leaves the account disabled', async () => {
    const { email, first } = await endedGuest('nia');
    await convertToMember(first.targetId, true);
    const again = await stateOf((await addById(first.targetId)).id);
    expect(again).toMatchObject({ state: 'delivered' });
    // The person left: the administrator disables the (now internal) account while the assignment stands.
    await changeUser(first.targetId, { accountEnabled: false });

    world.advance({ days: 30, minutes: 1 });
    await sweepExternalUsers(deps, SWEEP);

    expect(await userById(first.targetId)).toMatchObject({ userType: 'Member', accountEnabled: false });
    const subject = await findSubjectByEmail(deps, email);
    expect(subject).toMatchObject({ removal: null });
    expect(await removalEvents(subject!.id)).toEqual([...BLOCKED, 'cancelExternalUserRemoval']);
  });

  it('converted and enabled, assigned again, then disabled by an administrator: under none, their last ending cancels the plan and leaves the account disabled', async () => {
    const { email, first } = await endedGuest('oz');
    await convertToMember(first.targetId, true);
    const again = await stateOf((await addById(first.targetId)).id);
    await changeUser(first.targetId, { accountEnabled: false });
    await updateSettings(deps, ADMIN, NO_ACTION);

    await unassign(deps, again.assignmentId!);

    expect(await userById(first.targetId)).toMatchObject({ userType: 'Member', accountEnabled: false });
    const subject = await findSubjectByEmail(deps, email);
    expect(subject).toMatchObject({ removal: null });
    expect(await removalEvents(subject!.id)).not.toContain('unblockExternalUser');
  });
});

describe('a guest assigned again while their removal reads the directory', () => {
  it('is not blocked by the block at once: the new assignment stands, the account enabled, no plan left', async () => {
    const { email, first } = await assignedGuest('pia', BLOCK_ONLY);
    let againId = '';
    const restore = duringReadOf(first.targetId, async () => (againId = (await addById(first.targetId)).id));
    await unassign(deps, first.assignmentId!).finally(restore);
    expect(await stateOf(againId)).toMatchObject({ state: 'delivered' });
    world.advance({ minutes: 5 });
    await sweepExternalUsers(deps, SWEEP);

    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: true });
    const subject = await findSubjectByEmail(deps, email);
    expect(subject).toMatchObject({ removal: null });
    expect(await removalEvents(subject!.id)).not.toContain('blockExternalUser');
  });

  it('is not deleted by the sweep: the new assignment stands on the same user, unblocked, no plan left', async () => {
    const { email, first } = await endedGuest('quin');
    world.advance({ minutes: 1 });
    await sweepExternalUsers(deps, SWEEP);
    world.advance({ days: 30, minutes: 1 });
    let againId = '';
    const restore = duringReadOf(first.targetId, async () => (againId = (await addById(first.targetId)).id));
    const swept = await sweepExternalUsers(deps, SWEEP).finally(restore);

    expect(await stateOf(againId)).toMatchObject({ state: 'delivered', targetId: first.targetId });
    expect(swept).toMatchObject({ processed: 0, failed: 0 });
    // Lifted and cancelled once, by the request.
    await expectEnabledWithNoPlan({ email, first }, [...BLOCKED, ...LIFTED]);
  });
});

describe('a guest assigned again while their block waits on Graph', () => {
  it('is not left blocked by the block at once: enabled again, no plan, no block event', async () => {
    const { email, first } = await assignedGuest('tea', BLOCK_ONLY);
    const { againId, restore } = assignedAgainDuringBlockOf(first.targetId);
    await unassign(deps, first.assignmentId!).finally(restore);
    expect(await stateOf(againId())).toMatchObject({ state: 'delivered' });
    world.advance({ minutes: 5 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });

    await expectEnabledWithNoPlan({ email, first }, CANCELLED_UNBLOCKED);
  });

  it('is not left blocked, nor deleted, by the sweep block item: enabled again, no plan, no block event', async () => {
    const { email, first } = await assignedGuest('uma', BLOCK_THEN_DELETE_AFTER_30_DAYS);
    // The block at once fails: the block item does it.
    await whileAccountChangesRefused(() => unassign(deps, first.assignmentId!));
    world.advance({ minutes: 5 });
    const { againId, restore } = assignedAgainDuringBlockOf(first.targetId);
    const swept = await sweepExternalUsers(deps, SWEEP).finally(restore);
    expect(swept).toMatchObject({ processed: 0, failed: 0 });
    expect(await stateOf(againId())).toMatchObject({ state: 'delivered' });
    world.advance({ days: 30, minutes: 1 });
    await sweepExternalUsers(deps, SWEEP);

    await expectEnabledWithNoPlan({ email, first }, CANCELLED_UNBLOCKED);
  });

  it('assigned and unassigned again meanwhile: the newer plan blocked once, its block kept, one block event', async () => {
    const { email, first } = await assignedGuest('val', BLOCK_ONLY);
    const { againId, restore } = assignedAgainDuringBlockOf(first.targetId, endAssignmentOf);
    await unassign(deps, first.assignmentId!).finally(restore);

    // The first block's save failed on the plan replaced: its event is not appended.
    await expectBlockedUnderNewerPlan({ email, first }, againId());
  });

  it('assigned and unassigned again meanwhile, the newer plan blocked by its item while the older block waits: never enabled again', async () => {
    const { email, first } = await assignedGuest('gus', BLOCK_ONLY);
    const { againId, restore: restoreBlock } = assignedAgainDuringBlockOf(first.targetId, endedWithBlockRefused);
    // Should the older block undo itself, that undo waits on Graph while the sweep carries out the newer plan's block.
    const restoreUndo = duringUnblockOf(first.targetId, () => sweepExternalUsers(deps, SWEEP));
    await unassign(deps, first.assignmentId!).finally(() => (restoreUndo(), restoreBlock()));

    expect(await deps.grants.claimsOf(first.targetId)).toEqual([]);
    await sweepEveryItemDue();

    await expectBlockedUnderNewerPlan({ email, first }, againId());
  });

  it('assigned during the block, unassigned again while its undo waits, the newer plan blocked at once: that block is made again', async () => {
    const { email, first } = await assignedGuest('kim', BLOCK_ONLY);
    const { againId, restore: restoreBlock } = assignedAgainDuringBlockOf(first.targetId);
    // The undo lands after the newer plan's block.
    const restoreUndo = duringUnblockOf(first.targetId, () => endAssignmentOf(againId()));
    await unassign(deps, first.assignmentId!).finally(() => (restoreUndo(), restoreBlock()));

    expect(await deps.grants.claimsOf(first.targetId)).toEqual([]);
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
    world.advance({ minutes: 5, seconds: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
    await expectBlockedUnderNewerPlan({ email, first }, againId());
  });

  it('that block made again while they are assigned once more: enabled again, no plan', async () => {
    const { email, first } = await assignedGuest('lea', BLOCK_ONLY);
    let last: ReturnType<typeof assignedAgainDuringBlockOf> | undefined;
    const { againId, restore: restoreBlock } = assignedAgainDuringBlockOf(first.targetId);
    const restoreUndo = duringUnblockOf(first.targetId, async () => {
      await endAssignmentOf(againId());
      // Assigned once more while the newer plan's block is made again: that request lifts it before the PATCH lands.
      last = assignedAgainDuringBlockOf(first.targetId);
    });
    await unassign(deps, first.assignmentId!).finally(() => (last?.restore(), restoreUndo(), restoreBlock()));

    expect(await stateOf(last!.againId())).toMatchObject({ state: 'delivered' });
    expect(await userById(first.targetId)).toMatchObject({ userType: 'Guest', accountEnabled: true });
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ removal: null });
    world.advance({ minutes: 5, seconds: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });
    await expectEnabledWithNoPlan({ email, first }, [...NEWER_PLAN_BLOCKED, ...LIFTED]);
  });
});

describe('a guest assigned again while their block waits on Graph, the undo of that block refused', () => {
  /** Blocks the user's removal at once (`unassign`) or by the sweep, assigned again inside the block's PATCH, the undo refused. */
  async function raceWithRefusedUndo(targetId: string, blockIt: () => Promise<unknown>): Promise<string> {
    const { againId, restore: restoreBlock } = assignedAgainDuringBlockOf(targetId);
    const restoreUndo = refusingNextUnblockOf(targetId);
    try {
      await blockIt();
    } finally {
      restoreUndo();
      restoreBlock();
    }
    expect(await stateOf(againId())).toMatchObject({ state: 'delivered' });
    return againId();
  }

  it('by the block at once: the block stands, recorded, until the block item finds them assigned and lifts it', async () => {
    const { email, first } = await assignedGuest('ann', BLOCK_ONLY);
    await raceWithRefusedUndo(first.targetId, () => unassign(deps, first.assignmentId!));

    // The log says what stands: the account disabled by Portcullis, under a blocked plan.
    await expectBlockStandingAlone({ email, first });

    world.advance({ minutes: 5, seconds: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });

    await expectEnabledWithNoPlan({ email, first }, [...BLOCK_STANDING_ALONE, ...LIFTED]);
  });

  it('by the sweep block item: lifted by a later item, tried again while the directory refuses, once; never deleted', async () => {
    const { email, first } = await assignedGuest('bo', BLOCK_THEN_DELETE_AFTER_30_DAYS);
    // The block at once fails: the block item does it.
    await whileAccountChangesRefused(() => unassign(deps, first.assignmentId!));
    world.advance({ minutes: 5 });
    await raceWithRefusedUndo(first.targetId, async () => expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 1 }));
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });

    // The lift refused too, at first: tried again at the next sweep.
    world.advance({ minutes: 5, seconds: 1 });
    expect(await whileAccountChangesRefused(() => sweepExternalUsers(deps, SWEEP))).toMatchObject({ failed: 1 });
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
    world.advance({ minutes: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
    world.advance({ days: 30, minutes: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });

    await expectEnabledWithNoPlan({ email, first }, [...BLOCK_STANDING_ALONE, ...LIFTED]);
  });

  it('before the request of the new assignment has cancelled the plan: the plan is marked blocked, and that request lifts it', async () => {
    const { email, first } = await assignedGuest('dot', BLOCK_ONLY);
    const held = heldAssignmentDuringBlockOf(first.targetId);
    const restoreUndo = refusingNextUnblockOf(first.targetId);
    // The held request goes on once released: its hook is no longer needed.
    await unassign(deps, first.assignmentId!).finally(() => (restoreUndo(), held.restore()));

    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
    const blocked = await findSubjectByEmail(deps, email);
    expect(blocked?.removal).toMatchObject({ assignmentId: first.assignmentId, blockedDateTime: expect.any(String) });
    expect(await removalEvents(blocked!.id)).toEqual(BLOCKED);

    held.release();
    expect(await stateOf((await held.again()).id)).toMatchObject({ state: 'delivered' });
    world.advance({ minutes: 5, seconds: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });

    await expectEnabledWithNoPlan({ email, first }, [...BLOCKED, ...LIFTED]);
  });

  it('the request of the new assignment cancelling the plan while the block is made to stand: saved again, as a plan of its own', async () => {
    const { email, first } = await assignedGuest('eli', BLOCK_ONLY);
    const planned = (await findSubjectByEmail(deps, email))!;
    let restoreRead: (() => void) | undefined;
    const held = heldAssignmentDuringBlockOf(first.targetId, () => {
      // The request cancels the plan (not yet blocked) between the read of the subject after the failed undo and its save.
      restoreRead = afterReadOf(planned.id, async () => {
        held.release();
        await held.again();
      });
    });
    const restoreUndo = refusingNextUnblockOf(first.targetId);
    // Released in any case: with no read after a failed undo, the request goes on after the block.
    await unassign(deps, first.assignmentId!).finally(() => (held.release(), restoreRead?.(), restoreUndo(), held.restore()));
    expect(await stateOf((await held.again()).id)).toMatchObject({ state: 'delivered' });

    const blocked = await expectBlockStandingAlone({ email, first });
    expect(blocked.removal?.id).not.toBe(planned.removal?.id);

    world.advance({ minutes: 5, seconds: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });
    expect(await userById(first.targetId)).toMatchObject({ userType: 'Guest', accountEnabled: true });
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ removal: null });
  });

  it('unassigned again meanwhile under none: the block stands under a plan of its own that deletes nobody, lifted when they are assigned', async () => {
    const { email, first } = await assignedGuest('cal', BLOCK_THEN_DELETE_AFTER_30_DAYS);
    const restoreBlock = duringBlockOf(first.targetId, async () => {
      await updateSettings(deps, ADMIN, NO_ACTION);
      await endAssignmentOf((await addById(first.targetId)).id);
    });
    const restoreUndo = refusingNextUnblockOf(first.targetId);
    await unassign(deps, first.assignmentId!).finally(() => (restoreUndo(), restoreBlock()));

    const blocked = await expectBlockStandingAlone({ email, first });
    expect(blocked.removal).toMatchObject({ action: 'blockSignIn' });
    // The cancelled plan's deletion date passes: nobody is deleted.
    world.advance({ days: 30, minutes: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });
    expect(await userById(first.targetId)).toMatchObject({ userType: 'Guest', accountEnabled: false });

    expect(await stateOf((await addById(first.targetId)).id)).toMatchObject({ state: 'delivered' });
    await expectEnabledWithNoPlan({ email, first }, [...BLOCK_STANDING_ALONE, ...LIFTED]);
  });

  it('assigned and unassigned again meanwhile, the newer plan\'s block at once refused, the undo\'s answer lost: the newer plan carries the block', async () => {
    const { email, first } = await assignedGuest('fay', BLOCK_ONLY);
    const { againId, restore: restoreBlock } = assignedAgainDuringBlockOf(first.targetId, endedWithBlockRefused);
    // Should the older block undo itself, that undo lands but its answer is lost.
    const restoreUndo = unblockLandsThenFails(first.targetId);
    await unassign(deps, first.assignmentId!).finally(() => (restoreUndo(), restoreBlock()));

    expect(await deps.grants.claimsOf(first.targetId)).toEqual([]);
    await expectBlockedUnderNewerPlan({ email, first }, againId());
    // Every item of the plan comes due and is swept: the guest with no assignment stays blocked.
    await sweepEveryItemDue();

    await expectBlockedUnderNewerPlan({ email, first }, againId());
  });

  it('assigned while a newer plan stands blocked, its lift refused too: that plan carries the block, saved no more (one block event), lifted by its item', async () => {
    const { email, first } = await assignedGuest('ida', BLOCK_ONLY);
    let restoreUndo: (() => void) | undefined;
    const { againId, restore: restoreBlock } = assignedAgainDuringBlockOf(first.targetId, async (requestId) => {
      // Unassigned again: the newer plan, blocked at once.
      await endAssignmentOf(requestId);
      // Assigned once more, the lift of that block refused: the newer plan stays, blocked.
      expect(await assignedAgainLiftRefused(first.targetId)).toMatchObject({ state: 'delivered' });
      restoreUndo = refusingNextUnblockOf(first.targetId);
    });
    await unassign(deps, first.assignmentId!).finally(() => (restoreUndo?.(), restoreBlock()));

    await expectBlockedUnderNewerPlan({ email, first }, againId());

    // The newer plan's block item, blocked at once, is due: it finds the user assigned.
    world.advance({ minutes: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
    world.advance({ minutes: 5 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });
    await expectEnabledWithNoPlan({ email, first }, [...NEWER_PLAN_BLOCKED, ...LIFTED]);
  });

  it('the user deleted while the undo waits (unassigned again, deleted at once): no plan made to stand for an account that is gone', async () => {
    const { email, first } = await assignedGuest('jo', BLOCK_THEN_DELETE_AT_ONCE);
    const { againId, restore: restoreBlock } = assignedAgainDuringBlockOf(first.targetId);
    // The undo waits on Graph while the guest is unassigned again, blocked at once, and deleted by the sweep: it fails.
    const restoreUndo = duringUnblockOf(first.targetId, async () => {
      await endAssignmentOf(againId());
      expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 1 });
    });
    await unassign(deps, first.assignmentId!).finally(() => (restoreUndo(), restoreBlock()));

    expect(await userById(first.targetId)).toBeUndefined();
    const subject = await findSubjectByEmail(deps, email);
    expect(subject).toMatchObject({ objectId: null, removal: null });
    world.advance({ minutes: 5, seconds: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });
    expect(await removalEvents(subject!.id)).toEqual([...NEWER_PLAN_BLOCKED, 'deleteExternalUser']);
  });
});

describe('a block Portcullis could not lift', () => {
  it('is lifted when the last assignment ends under none, and the plan cancelled', async () => {
    const { email, first } = await endedGuest('ray');
    // Assigned again, the unblock fails: the plan stays, blocked.
    const again = await assignedAgainLiftRefused(first.targetId);
    expect(again).toMatchObject({ state: 'delivered' });
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
    await updateSettings(deps, ADMIN, NO_ACTION);

    await unassign(deps, again.assignmentId!);
    world.advance({ days: 30, minutes: 1 });
    await sweepExternalUsers(deps, SWEEP);

    expect(await userById(first.targetId)).toMatchObject({ userType: 'Guest', accountEnabled: true });
    const subject = await findSubjectByEmail(deps, email);
    expect(subject).toMatchObject({ objectId: first.targetId, removal: null });
    expect(await removalEvents(subject!.id)).toEqual(expect.arrayContaining(LIFTED));
  });

  it('under blockSignIn, once its block item is swept: the block item comes due again and lifts it', async () => {
    const { email, first } = await assignedGuest('wes', BLOCK_ONLY);
    await unassign(deps, first.assignmentId!);
    world.advance({ minutes: 5 });
    await sweepExternalUsers(deps, SWEEP); // the block item: done at once already
    expect(await assignedAgainLiftRefused(first.targetId)).toMatchObject({ state: 'delivered' });
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });

    world.advance({ minutes: 5, seconds: 1 });
    await sweepExternalUsers(deps, SWEEP);

    await expectEnabledWithNoPlan({ email, first }, [...BLOCKED, ...LIFTED]);
  });

  it('is lifted by the block item done at once, finding the user assigned again', async () => {
    const { email, first } = await endedGuest('xia');
    await assignedAgainLiftRefused(first.targetId);
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });

    // The first block item, blocked at once, is due: it finds the user assigned.
    world.advance({ minutes: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });

    await expectEnabledWithNoPlan({ email, first }, [...BLOCKED, ...LIFTED]);
  });

  it('under none, an ending whose lift fails still ends: the plan is cancelled, the block stays', async () => {
    const { email, first } = await endedGuest('sam');
    await refuseAccountChanges();
    const again = await stateOf((await addById(first.targetId)).id);
    await updateSettings(deps, ADMIN, NO_ACTION);

    // The directory refuses the lift again, at the ending.
    const ending = await stateOf(await unassign(deps, again.assignmentId!));
    await setFaults(world.emulator, []);

    expect(ending).toMatchObject({ state: 'delivered' });
    expect((await deps.grants.claimsOf(first.targetId)).filter((c) => c.value.assignmentId !== null)).toEqual([]);
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ removal: null });
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
  });
});

describe('a request for someone by address that waits (a scheduled start)', () => {
  it('invites them at the start; if the address has meanwhile become a user holding the package, it ends deliveryFailed saying so', async () => {
    const email = `fay.${Date.now()}@partner.example`;
    const start = world.now().plus({ hours: 1 }).toUTC().toISO();
    const { id } = await submitAssignmentRequest(deps, ADMIN, {
      requestType: 'adminAdd',
      assignment: { target: { email }, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId },
      schedule: { startDateTime: start },
    });
    expect(await stateOf(id)).toMatchObject({ state: 'scheduled' });
    expect(await usersWithMail(email)).toEqual([]);

    // Meanwhile someone invites them by hand and assigns them the package directly.
    const invited = (await (
      await fetch(`${world.emulator.url}/v1.0/invitations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invitedUserEmailAddress: email, inviteRedirectUrl: 'https://myapps.microsoft.com' }),
      })
    ).json()) as { invitedUser: { id: string } };
    await submitAssignmentRequest(deps, ADMIN, { requestType: 'adminAdd', assignment: { targetId: invited.invitedUser.id, accessPackageId: pkg.packageId, assignmentPolicyId: pkg.policyId } });

    world.advance({ hours: 1, minutes: 1 });
    await sweepExpirations(deps, SWEEP);

    const request = await stateOf(id);
    expect(request).toMatchObject({ state: 'deliveryFailed', failureReason: expect.stringContaining('already has') });
    expect(await usersWithMail(email)).toHaveLength(1);
    // Found, not invited by Portcullis: never governed.
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ objectId: invited.invitedUser.id, subjectLifecycle: 'notGoverned' });
  });
});

describe('a guest lifecycle race lost by neither side (a block made again, a cancel refused on its ETag)', () => {
  /** Under blockSignIn, a guest whose last assignment ended while the directory refused the block at once: their plan stands, not yet blocked. */
  /** `cycles`: times unassigned and assigned again before (each leaves three more writer marks on the subject). */
  async function guestWithBlockToDo(name: string, cycles = 0) {
    await updateSettings(deps, ADMIN, { externalUserLifecycleAction: 'blockSignIn', durationUntilExternalUserDeletedAfterBlocked: 'PT0S' });
    const email = `${name}.${Date.now()}@partner.example`;
    const first = await stateOf((await addByEmail(email)).id);
    let assignmentId = first.assignmentId!;
    for (let cycle = 0; cycle < cycles; cycle++) {
      await unassign(deps, assignmentId);
      assignmentId = (await stateOf((await addById(first.targetId)).id)).assignmentId!;
    }
    await refuseAccountChanges();
    await unassign(deps, assignmentId);
    await setFaults(world.emulator, []);
    const subject = (await findSubjectByEmail(deps, email))!;
    expect(subject.removal).toMatchObject({ blockedDateTime: null });
    return { email, targetId: first.targetId, subject };
  }

  it('converted to a Member and enabled while the undo of a block waits, the newer plan blocked at once: that block is not made again', async () => {
    await updateSettings(deps, ADMIN, { externalUserLifecycleAction: 'blockSignIn', durationUntilExternalUserDeletedAfterBlocked: 'PT0S' });
    const email = `mae.${Date.now()}@partner.example`;
    const first = await stateOf((await addByEmail(email)).id);
    let againId = '';
    const restoreBlock = duringBlockOf(first.targetId, async () => (againId = (await addById(first.targetId)).id));
    const restoreUndo = duringUnblockOf(first.targetId, async () => {
      await unassign(deps, (await stateOf(againId)).assignmentId!);
      expect(await userById(first.targetId)).toMatchObject({ userType: 'Guest', accountEnabled: false });
      await changeUser(first.targetId, { userType: 'Member', accountEnabled: true });
    });
    await unassign(deps, first.assignmentId!).finally(() => (restoreUndo(), restoreBlock()));

    // A Member's account is theirs who converted them: the plan is cancelled, the account left as it is.
    expect(await userById(first.targetId)).toMatchObject({ userType: 'Member', accountEnabled: true });
    expect(await findSubjectByEmail(deps, email)).toMatchObject({ removal: null });
    world.advance({ minutes: 5, seconds: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
    world.advance({ days: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
    expect(await userById(first.targetId)).toMatchObject({ userType: 'Member', accountEnabled: true });
  });

  it.each([
    ['', 0],
    [' (a subject written so often that its oldest writer marks were dropped)', 6],
  ])('assigned again while the sweep block item saves the plan blocked, the request having read it before: lifted, no plan left%s', async (_, cycles) => {
    const { targetId, subject } = await guestWithBlockToDo(`rex${cycles}`, cycles);
    // Full: the next marked write (the block item's save) drops the oldest, and `since` moves to its time.
    expect(writersOf((await deps.subjects.get(subject.id))!)!.marks.length === 16).toBe(cycles > 0);
    const before = await removalEvents(subject.id);
    world.advance({ minutes: 1 });
    let release!: () => void;
    const held = holdingCancelOf(targetId, new Promise<void>((resolve) => (release = resolve)), 'after');
    let again: Promise<{ id: string }> | undefined;
    // The block item found no assignment after its PATCH; before its save lands, the request reads the plan not yet blocked.
    const restoreSave = beforeBlockedSaveOf(subject.id, async () => {
      again = addById(targetId);
      await held.reached;
    });
    try {
      expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
    } finally {
      release();
      restoreSave();
    }
    const againId = (await again!.finally(held.restore)).id;

    expect(await stateOf(againId)).toMatchObject({ state: 'delivered' });
    expect(await userById(targetId)).toMatchObject({ userType: 'Guest', accountEnabled: true });
    expect(await deps.subjects.get(subject.id)).toMatchObject({ value: { removal: null } });
    expect(cycles > 0 ? before.slice(-1) : before).toEqual(cycles > 0 ? ['scheduleExternalUserRemoval'] : PLANNED);
    expect((await removalEvents(subject.id)).slice(before.length)).toEqual(['blockExternalUser', 'unblockExternalUser', 'cancelExternalUserRemoval']);
    world.advance({ days: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
    expect(await userById(targetId)).toMatchObject({ accountEnabled: true });
  });

  it('assigned again, that assignment ended while its request waits to cancel the plan read: the newer plan blocked at once stays, its block kept', async () => {
    const { targetId, subject } = await guestWithBlockToDo('roy');
    let release!: () => void;
    const held = holdingCancelOf(targetId, new Promise<void>((resolve) => (release = resolve)), 'after');
    const again = addById(targetId);
    try {
      await held.reached;
      // Its assignment ends before its cancel is saved: a newer plan replaces the one read, blocked at once.
      const assignmentId = (await deps.grants.claimsOf(targetId)).find((c) => c.value.assignmentId !== null)!.value.assignmentId!;
      await unassign(deps, assignmentId);
      expect(await userById(targetId)).toMatchObject({ accountEnabled: false });
    } finally {
      release();
    }
    await again.finally(held.restore);

    // The cancel refused on its ETag finds a plan other than the one it read: not its own to cancel.
    expect(await deps.grants.claimsOf(targetId)).toEqual([]);
    expect(await userById(targetId)).toMatchObject({ userType: 'Guest', accountEnabled: false });
    const newer = (await deps.subjects.get(subject.id))!.value.removal;
    expect(newer).toMatchObject({ blockedDateTime: expect.any(String) });
    expect(newer!.id).not.toBe(subject.removal!.id);
  });

  it('assigned again, that assignment ended while its request lifts the block: the newer plan blocked at once, its block made again', async () => {
    await updateSettings(deps, ADMIN, { externalUserLifecycleAction: 'blockSignIn', durationUntilExternalUserDeletedAfterBlocked: 'PT0S' });
    const email = `rue.${Date.now()}@partner.example`;
    const first = await stateOf((await addByEmail(email)).id);
    await unassign(deps, first.assignmentId!);
    const older = (await findSubjectByEmail(deps, email))!;
    expect(older.removal).toMatchObject({ blockedDateTime: expect.any(String) });
    // While the request's lift waits on Graph, its assignment ends: a newer plan, blocked at once before the lift lands.
    const restoreLift = duringUnblockOf(first.targetId, async () => {
      const assignmentId = (await deps.grants.claimsOf(first.targetId)).find((c) => c.value.assignmentId !== null)!.value.assignmentId!;
      await unassign(deps, assignmentId);
      expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
    });
    await addById(first.targetId).finally(restoreLift);

    expect(await deps.grants.claimsOf(first.targetId)).toEqual([]);
    expect(await userById(first.targetId)).toMatchObject({ userType: 'Guest', accountEnabled: false });
    const newer = (await findSubjectByEmail(deps, email))!.removal;
    expect(newer).toMatchObject({ blockedDateTime: expect.any(String) });
    expect(newer!.id).not.toBe(older.removal!.id);
    world.advance({ minutes: 5, seconds: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
  });
});

describe('a guest lifecycle step whose outcome is lost while a newer plan is made (review-guestrace G1, G2)', () => {
  /** Runs `act` while the next append of an `action` event fails (a process stopped after its change landed): answers how many failed. */
  async function whileNextAppendOfFails(action: string, act: () => Promise<unknown>): Promise<number> {
    const audit = deps.audit;
    const append = audit.append;
    let dropped = 0;
    audit.append = async (event) => {
      if (event.action !== action || dropped > 0) return append.call(audit, event);
      dropped++;
      throw new Error('stopped before the append');
    };
    try {
      await act();
    } finally {
      audit.append = append;
    }
    return dropped;
  }

  /**
   * The deleted guest's address assigned again (invited afresh: an unmarked write of the subject, which drops its
   * marks) and that assignment ended, a new plan made, within the settle time; then the sweep decides what was left.
   */
  async function invitedAgainAndEndedBeforeTheSweep(email: string): Promise<void> {
    await updateSettings(deps, ADMIN, BLOCK_ONLY);
    const again = await stateOf((await addByEmail(email)).id);
    expect(again).toMatchObject({ state: 'delivered' });
    await unassign(deps, again.assignmentId!);
    expect((await findSubjectByEmail(deps, email))?.removal).toMatchObject({ assignmentId: again.assignmentId });
    world.advance({ minutes: 15, seconds: 1 });
    await sweepExpirations(deps, SWEEP);
  }

  it('a deletion whose event was left to the sweep keeps it when the address is invited again and that assignment ends within the settle time', async () => {
    const { email, first } = await assignedGuest('rgd', BLOCK_THEN_DELETE_AT_ONCE);
    await unassign(deps, first.assignmentId!);
    // The deletion's subject save lands, its event's append does not: its write-ahead item is left to the sweep.
    expect(await whileNextAppendOfFails('deleteExternalUser', () => sweepExternalUsers(deps, SWEEP))).toBe(1);
    expect(await userById(first.targetId)).toBeUndefined();
    const subject = await findSubjectByEmail(deps, email);
    expect(subject).toMatchObject({ objectId: null, removal: null });

    await invitedAgainAndEndedBeforeTheSweep(email);
    // The guest was deleted from the directory: the log says so.
    expect(await removalEvents(subject!.id)).toContain('deleteExternalUser');
  });

  it('a block whose event was left to the sweep keeps it when the guest is deleted, invited again and that assignment ends within the settle time', async () => {
    const { email, first } = await assignedGuest('rgb', BLOCK_THEN_DELETE_AT_ONCE);
    // The block at once saves the plan blocked, its event's append does not land: its write-ahead item is left to the sweep.
    expect(await whileNextAppendOfFails('blockExternalUser', () => unassign(deps, first.assignmentId!))).toBe(1);
    await sweepExternalUsers(deps, SWEEP);
    expect(await userById(first.targetId)).toBeUndefined();
    const subject = await findSubjectByEmail(deps, email);

    await invitedAgainAndEndedBeforeTheSweep(email);
    // Both plans' blocks were made: the log says so of each.
    expect((await removalEvents(subject!.id)).filter((action) => action === 'blockExternalUser')).toEqual(['blockExternalUser', 'blockExternalUser']);
  });

  it('assigned again, that assignment ended while its request lifts the block, the lift landing after the newer block with its answer lost: the newer block made again', async () => {
    const { email, first } = await assignedGuest('rgl', BLOCK_ONLY);
    await unassign(deps, first.assignmentId!);
    const older = (await findSubjectByEmail(deps, email))!;
    expect(older.removal).toMatchObject({ blockedDateTime: expect.any(String) });
    // While the request's lift waits on Graph, its assignment ends (a newer plan, blocked at once); the lift then
    // lands, and its answer is lost (a timeout after the PATCH landed).
    const restoreLift = onNextAccountChangeOf(first.targetId, true, async (unblock) => {
      const assignmentId = (await deps.grants.claimsOf(first.targetId)).find((c) => c.value.assignmentId !== null)!.value.assignmentId!;
      await unassign(deps, assignmentId);
      expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
      await unblock();
      throw new DirectoryError('transient', 'The answer was lost (a timeout after the PATCH landed).', { status: 504 });
    });
    await addById(first.targetId).finally(restoreLift);

    expect(await deps.grants.claimsOf(first.targetId)).toEqual([]);
    const newer = (await findSubjectByEmail(deps, email))!.removal;
    expect(newer).toMatchObject({ blockedDateTime: expect.any(String) });
    expect(newer!.id).not.toBe(older.removal!.id);
    await expectBlockedAfterItsItems(first.targetId);
  });
});

describe('a lift or an undo landing between a newer plan\'s block and its blocked save (review-guestfix5 F2, review-f2 P1)', () => {
  it('the request\'s lift landing between the newer plan\'s block PATCH and its blocked save: not left enabled with no assignment under a plan saying blocked', async () => {
    const { email, first } = await assignedGuest('rgm', BLOCK_ONLY);
    await unassign(deps, first.assignmentId!);
    const older = (await findSubjectByEmail(deps, email))!;
    // The request's lift lands after the newer plan's block PATCH, before that plan is saved blocked.
    const race = enablingLandsBeforeNewerBlockedSave(first.targetId, older.id);
    await addById(first.targetId).finally(race.settle);
    expect(await deps.grants.claimsOf(first.targetId)).toEqual([]);
    const newer = (await findSubjectByEmail(deps, email))!.removal;
    expect(newer).toMatchObject({ blockedDateTime: expect.any(String) });
    expect(newer!.id).not.toBe(older.removal!.id);
    await expectBlockedAfterItsItems(first.targetId);
    // The newer plan's block once, after the older plan's lift.
    expect(await removalEvents(older.id)).toEqual([
      'inviteExternalUser',
      'scheduleExternalUserRemoval',
      'blockExternalUser',
      'cancelExternalUserRemoval',
      'scheduleExternalUserRemoval',
      'unblockExternalUser',
      'blockExternalUser',
    ]);
  });

  it('block()\'s own undo landing between a newer plan\'s block PATCH and its blocked save: not left enabled with no assignment under a plan saying blocked', async () => {
    const { email, first } = await assignedGuest('rbu', BLOCK_ONLY);
    const subjectId = (await findSubjectByEmail(deps, email))!.id;
    // Inside the first plan's block PATCH, assigned again (A2): block() then undoes its PATCH.
    const again = assignedAgainDuringBlockOf(first.targetId);
    // While that undo waits on Graph, A2 ends: the newer plan's block PATCH lands, then the undo, then its blocked save.
    const race = enablingLandsBeforeNewerBlockedSave(first.targetId, subjectId);
    try {
      await unassign(deps, first.assignmentId!);
    } finally {
      again.restore();
      await race.settle();
    }
    expect(again.againId()).not.toBe('');
    expect(await deps.grants.claimsOf(first.targetId)).toEqual([]);
    expect((await findSubjectByEmail(deps, email))!.removal).toMatchObject({ blockedDateTime: expect.any(String) });
    await expectBlockedAfterItsItems(first.targetId);
    expect(await removalEvents(subjectId)).toEqual(NEWER_PLAN_BLOCKED);
  });
});

describe('a re-block that fails, leaving the guest enabled with no assignment under a plan saying blocked (guestconverge)', () => {
  /** The emulated Graph's requests, by method and route, made while `act` runs (the test itself reads nothing meanwhile). */
  async function graphCallsDuring<T>(act: () => Promise<T>): Promise<{ result: T; calls: Record<string, number> }> {
    const counts = async () => ((await (await fetch(`${world.emulator.url}/_emulator/requests`)).json()) as { byRoute: Record<string, number> }).byRoute;
    const before = await counts();
    const result = await act();
    const after = await counts();
    return { result, calls: Object.fromEntries(Object.entries(after).filter(([route, n]) => n !== (before[route] ?? 0)).map(([route, n]) => [route, n - (before[route] ?? 0)])) };
  }

  /**
   * The user's next enabling (a request's lift of the older plan, or block()'s undo) held while the assignment they
   * hold ends: the newer plan blocked at once, its block item swept (found done); then the enabling lands and the
   * directory goes away (every account change refused until the faults are cleared), so that its block made again
   * fails. `answerLost`: the enabling's answer is lost (a timeout after it landed).
   */
  const enablingLandsAfterNewerBlockDirectoryAway = (userId: string, answerLost = false) =>
    onNextAccountChangeOf(userId, true, async (enable) => {
      const assignmentId = (await deps.grants.claimsOf(userId)).find((c) => c.value.assignmentId !== null)!.value.assignmentId!;
      await unassign(deps, assignmentId);
      expect(await userById(userId)).toMatchObject({ accountEnabled: false });
      expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ processed: 0, failed: 0 });
      await enable();
      await refuseAccountChanges();
      if (answerLost) throw new DirectoryError('transient', 'The answer was lost (a timeout after the PATCH landed).', { status: 504 });
    });

  /** Left so by `race`: no assignment, the account enabled, the newer plan saying blocked; answers that plan and the log. */
  async function leftEnabledUnderBlockedPlan(email: string, userId: string, race: () => Promise<unknown>) {
    await race().finally(() => setFaults(world.emulator, []));
    expect(await deps.grants.claimsOf(userId)).toEqual([]);
    expect(await userById(userId)).toMatchObject({ userType: 'Guest', accountEnabled: true });
    const subject = (await findSubjectByEmail(deps, email))!;
    expect(subject.removal).toMatchObject({ blockedDateTime: expect.any(String), deleteDateTime: null });
    return { subject, events: await removalEvents(subject.id) };
  }

  /** The race through a request's lift of the older (blocked) plan: the lift answered, or its answer lost. */
  async function liftLandingAfterNewerBlock(name: string, answerLost: boolean) {
    const { email, first } = await assignedGuest(name, BLOCK_ONLY);
    await unassign(deps, first.assignmentId!);
    const restore = enablingLandsAfterNewerBlockDirectoryAway(first.targetId, answerLost);
    const left = await leftEnabledUnderBlockedPlan(email, first.targetId, () => addById(first.targetId).finally(restore));
    return { userId: first.targetId, ...left };
  }

  /** The newer plan's block item, planned again, comes due: blocked again by one PATCH, the plan as it was, no event. */
  async function expectBlockedAgainByItsItem({ userId, subject, events }: Awaited<ReturnType<typeof liftLandingAfterNewerBlock>>) {
    world.advance({ minutes: 5, seconds: 1 });
    const { result, calls } = await graphCallsDuring(() => sweepExternalUsers(deps, SWEEP));
    expect(await userById(userId)).toMatchObject({ userType: 'Guest', accountEnabled: false });
    expect(result).toMatchObject({ processed: 1, failed: 0 });
    expect(calls['PATCH /v1.0/users/{id}']).toBe(1);
    expect(await deps.grants.claimsOf(userId)).toEqual([]);
    expect((await deps.subjects.get(subject.id))!.value).toEqual(subject);
    expect(await removalEvents(subject.id)).toEqual(events);
    // One block event for the newer plan: the item made its block again, and saved nothing.
    expect(events.slice(events.lastIndexOf('scheduleExternalUserRemoval')).filter((action) => action === 'blockExternalUser')).toHaveLength(1);
    world.advance({ days: 1 });
    expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
    expect(await userById(userId)).toMatchObject({ accountEnabled: false });
  }

  it('a request\'s lift of the older plan landing after the newer plan\'s block, its block made again refused: blocked again when its item comes due', async () => {
    const left = await liftLandingAfterNewerBlock('gca', false);
    expect(left.events).toEqual([...BLOCKED_THEN_PLANNED_AFRESH, 'unblockExternalUser']);
    await expectBlockedAgainByItsItem(left);
  });

  it('that lift\'s answer lost too (blockAgainIfPlannedSince), its block made again refused: blocked again when its item comes due', async () => {
    const left = await liftLandingAfterNewerBlock('gcb', true);
    expect(left.events).toEqual(BLOCKED_THEN_PLANNED_AFRESH);
    await expectBlockedAgainByItsItem(left);
  });

  it('block()\'s own undo landing after the newer plan\'s block, its block made again refused: blocked again when its item comes due', async () => {
    const { email, first } = await assignedGuest('gcc', BLOCK_ONLY);
    // Assigned again inside the first plan's block PATCH: block() undoes it, and that undo lands after the newer block.
    const again = assignedAgainDuringBlockOf(first.targetId);
    const restore = enablingLandsAfterNewerBlockDirectoryAway(first.targetId);
    const left = await leftEnabledUnderBlockedPlan(email, first.targetId, () => unassign(deps, first.assignmentId!).finally(() => (restore(), again.restore())));
    expect(again.againId()).not.toBe('');
    expect(left.events).toEqual(NEWER_PLAN_BLOCKED);
    await expectBlockedAgainByItsItem({ userId: first.targetId, ...left });
  });

  it('the normal path: a block done at once, its own item trusts it: no Graph call, no event', async () => {
    const { email, first } = await assignedGuest('gcd', BLOCK_ONLY);
    await unassign(deps, first.assignmentId!);
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
    world.advance({ minutes: 1 });
    const { result, calls } = await graphCallsDuring(() => sweepExternalUsers(deps, SWEEP));
    expect(result).toMatchObject({ processed: 0, stale: 1, failed: 0 });
    expect(calls).toEqual({});
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
    expect(await removalEvents((await findSubjectByEmail(deps, email))!.id)).toEqual(BLOCKED);
  });

  it('a block done at once, its item swept while the directory\'s user reads fail: done (stale), not failed (review-converge P1)', async () => {
    const { first } = await assignedGuest('rca', BLOCK_ONLY);
    await unassign(deps, first.assignmentId!);
    expect(await userById(first.targetId)).toMatchObject({ accountEnabled: false });
    world.advance({ minutes: 1 });
    await setFaults(world.emulator, [{ pathPattern: '^/v1.0/users/[^/?]+$', method: 'GET', status: 503, rate: 1, retryAfterSeconds: 0 }]);
    const swept = await sweepExternalUsers(deps, SWEEP);
    await setFaults(world.emulator, []);
    // Whatever it answered, the next sweep (reads answering) leaves nothing behind for the next test.
    const next = await sweepExternalUsers(deps, SWEEP);
    expect(swept).toMatchObject({ stale: 1, failed: 0 });
    expect(next).toMatchObject({ failed: 0 });
  });

  it('converted to a Member and enabled before the block item comes due, with no assignment: the item trusts the block done at once, and leaves the account as it is', async () => {
    const { email, first } = await assignedGuest('gcm', BLOCK_ONLY);
    await unassign(deps, first.assignmentId!);
    await changeUser(first.targetId, { userType: 'Member', accountEnabled: true });
    world.advance({ minutes: 1 });
    const { result, calls } = await graphCallsDuring(() => sweepExternalUsers(deps, SWEEP));
    expect(result).toMatchObject({ processed: 0, stale: 1, failed: 0 });
    expect(calls).toEqual({});
    expect(await userById(first.targetId)).toMatchObject({ userType: 'Member', accountEnabled: true });
    const subject = await findSubjectByEmail(deps, email);
    expect(subject!.removal).toMatchObject({ blockedDateTime: expect.any(String) });
    expect(await removalEvents(subject!.id)).toEqual(BLOCKED);
  });

  it('assigned again before the item comes due: that request lifts the plan, and the item, found stale, blocks nobody', async () => {
    const { userId, subject, events } = await liftLandingAfterNewerBlock('gce', false);
    expect(await stateOf((await addById(userId)).id)).toMatchObject({ state: 'delivered' });
    world.advance({ minutes: 5, seconds: 1 });
    const { result, calls } = await graphCallsDuring(() => sweepExternalUsers(deps, SWEEP));
    expect(result).toMatchObject({ processed: 0, stale: 1, failed: 0 });
    expect(calls).toEqual({});
    expect(await userById(userId)).toMatchObject({ userType: 'Guest', accountEnabled: true });
    expect(await deps.subjects.get(subject.id)).toMatchObject({ value: { removal: null } });
    expect(await removalEvents(subject.id)).toEqual([...events, ...LIFTED]);
  });

  it('assigned again while the item reads the directory: that assignment is seen, and the item makes no PATCH of its own', async () => {
    const { userId, subject, events } = await liftLandingAfterNewerBlock('gcf', false);
    world.advance({ minutes: 5, seconds: 1 });
    let againId = '';
    const restore = duringReadOf(userId, async () => (againId = (await addById(userId)).id));
    const { result, calls } = await graphCallsDuring(() => sweepExternalUsers(deps, SWEEP).finally(restore));
    expect(againId).not.toBe('');
    expect(await stateOf(againId)).toMatchObject({ state: 'delivered' });
    expect(result).toMatchObject({ processed: 0, failed: 0 });
    // The request's lift only: the item, reading the user before the assignments, finds them assigned.
    expect(calls['PATCH /v1.0/users/{id}']).toBe(1);
    expect(await userById(userId)).toMatchObject({ userType: 'Guest', accountEnabled: true });
    expect(await deps.subjects.get(subject.id)).toMatchObject({ value: { removal: null } });
    expect(await removalEvents(subject.id)).toEqual([...events, ...LIFTED]);
  });

  it('the retry item making the block again while the guest is assigned, and unassigned under `none`: assigned again later, they are not left disabled (review-converge P2)', async () => {
    const { userId } = await liftLandingAfterNewerBlock('rcc', false);
    world.advance({ minutes: 5, seconds: 1 });
    let againId = '';
    const restore = duringBlockOf(userId, async () => {
      // Its request lifts the block (enabled already) and cancels the plan; its ending under `none` plans nothing.
      againId = (await addById(userId)).id;
      await updateSettings(deps, ADMIN, NO_ACTION);
      await endAssignmentOf(againId);
    });
    try {
      expect(await sweepExternalUsers(deps, SWEEP)).toMatchObject({ failed: 0 });
    } finally {
      restore();
    }
    expect(againId).not.toBe('');
    // Assigned again: they must have their access.
    expect(await stateOf((await addById(userId)).id)).toMatchObject({ state: 'delivered' });
    expect(await userById(userId)).toMatchObject({ accountEnabled: true });
  });
});
