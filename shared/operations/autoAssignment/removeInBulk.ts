import { DateTime } from 'luxon';
import type { Assignment } from '../../domain/assignments/assignment';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import { GrantStore, type PackageClaim } from '../../store/grantStore';
import { isDomainError } from '../../domain/errors';
import { idsInGroups } from '../../store/groupedIds';
import { mapConcurrently } from '../../concurrently';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { endingTouchesGuest } from '../externalUsers/guestLifecycle';
import { carryOutRemovals, type Ending, type KnownClaim } from '../requests/systemRemovals';
import type { AutomaticPolicy } from './automaticPolicies';
import { automaticRequest, endAutomatically } from './automaticRequests';

/** A user who lost a policy's package now: they stopped matching its rule (no grace period), or left the directory. */
export interface Removal {
  auto: AutomaticPolicy;
  userId: string;
  /** Their assignment under the policy as the evaluation read it: changed since, its end is refused (the next run looks again). */
  assignment: StoredDocument<Assignment>;
  /**
   * Their claim on the package, where the evaluation found the assignment through it (absent: known to name the
   * assignment, claimNaming, and read only should the end find it missing). As good as
   * one read now: the claim names the assignment while it holds, and changes only with it (in one transaction), so
   * the end's check of the assignment's ETag covers it too (a claim's deletion in a transaction is unconditional).
   * Every writer of claims must keep that rule: a claim written without its assignment would make this one stale.
   */
  claim?: StoredDocument<PackageClaim>;
  /**
   * The removal an earlier run saved (its request still `delivering`) whose directory changes did not go out: Graph
   * deferred them, or that run stopped (unfinishedEnd.ts). Only those are carried out now.
   */
  endedBy?: StoredDocument<AssignmentRequest>;
}

export type RemovalOutcome = { kind: 'removed' } | { kind: 'failed'; error: unknown };

/**
 * The claim on its package of a user whose assignment holds, without reading it: it names the assignment. Every
 * write that makes an assignment writes its claim naming it in the same transaction (assignInBulk, the request
 * pipeline's), and a claim that names an assignment is deleted or changed only in a transaction that changes that
 * assignment; the end is refused on the assignment's ETag as read, so while it is not, the claim is this. Its release
 * then deletes it by key.
 */
function claimNaming(assignment: Assignment): KnownClaim {
  return {
    partitionKey: GrantStore.targetKey(assignment.targetId),
    rowKey: GrantStore.claimKey(assignment.accessPackageId),
    value: { packageId: assignment.accessPackageId, requestId: assignment.requestId, assignmentId: assignment.id },
  };
}

const isNotFound = (error: unknown) => isDomainError(error) && error.code === 'notFound';

/**
 * Ends many automatic assignments at once with the documents, events and guarantees of the request pipeline's
 * removal (a system-made `adminRemove`, carried out at once: automaticRequests.ts endAutomatically): the
 * expiration sweep's batched removal (systemRemovals.ts carryOutRemovals) carries them out, with the request the
 * pipeline would make. The directory's removals go out by role in bulk calls, a role the user still holds through
 * another assignment is kept, only what the grant ledger records as given is taken. The requests' ids share id
 * groups, so that their locators go a hundred to a transaction. Each end releases its user's claim on the package
 * without reading it (claimNaming), unless the evaluation carried it. A governed guest's removal goes through the
 * pipeline, which plans their block and deletion. `hold` (the sweep's lease check) runs before each step's writes.
 * Answers each removal's outcome, in order; a failed one is finished by its redelivery item or the next run.
 */
export async function removeInBulk(deps: EntitlementDeps, wanted: readonly Removal[], hold: () => Promise<void> = async () => undefined): Promise<RemovalOutcome[]> {
  const outcomes: RemovalOutcome[] = wanted.map(() => ({ kind: 'removed' }));
  const fail = (index: number) => (error: unknown) => void (outcomes[index] = { kind: 'failed', error });
  const requestId = idsInGroups();
  const guests = new Map<string, number[]>();
  const endings: Array<Ending & { index: number }> = [];
  // A user who loses several packages in the batch (one who left many rules' reach) is looked up once. With no
  // external-user subject at all (a tenant with no guest governed here), none is a guest: one query answers for
  // every user, asked from two users on. A subject written after it is not seen, as one written after a lookup is not.
  const users = new Set(wanted.filter((r) => !r.endedBy).map((r) => r.userId.toLowerCase()));
  const noSubjects = users.size > 1 && !(await deps.subjects.anyAtAll().catch(() => true));
  const checked = new Map<string, Promise<boolean>>();
  const touchesGuest = (userId: string) => {
    const key = userId.toLowerCase();
    if (!checked.has(key)) checked.set(key, noSubjects ? Promise.resolve(false) : endingTouchesGuest(deps, userId));
    return checked.get(key)!;
  };
  const readClaim = (index: number) => deps.grants.claimOf(wanted[index]!.userId, wanted[index]!.assignment.value.accessPackageId);
  const requestOf = ({ auto, userId, assignment }: Removal) => {
    const request = automaticRequest(deps, auto, 'adminRemove', userId, assignment.value);
    return { ...request, id: requestId(DateTime.fromISO(request.createdDateTime, { zone: 'utc' })) };
  };
  // The ends whose claim is known without a read (claimNaming).
  const unread = new Set<number>();
  await mapConcurrently([...wanted.keys()], async (index) => {
    const { userId, assignment, claim: read, endedBy } = wanted[index]!;
    try {
      // A saved end is finished as it is: a guest's block was planned before it was saved (fulfilRequest.ts). Its
      // claim was released then: what is there now is read.
      if (endedBy) return void endings.push({ index, assignment, claim: await readClaim(index), request: endedBy.value, endedBy });
      if (await touchesGuest(userId)) return void guests.set(userId, [...(guests.get(userId) ?? []), index]);
      if (!read) unread.add(index);
      endings.push({ index, assignment, claim: read ?? claimNaming(assignment.value), request: requestOf(wanted[index]!) });
    } catch (error) {
      fail(index)(error);
    }
  });
  // Each ending carries its request: no justification of the system's own is needed.
  const errors = await carryOutRemovals(deps, endings, '', hold);
  // An end refused as finding no row, its claim not read: the claim was not there after all (the assignment would
  // be, or the end is refused again). Tried once more with the claim read, as before, and a request of its own: the
  // refused one's events, should they be left to the sweep, are never taken for this one's.
  const refused = endings.filter((e, n) => isNotFound(errors[n]) && unread.has(e.index));
  // A claim that cannot be read fails that removal alone, as the read before the end did.
  const retried = new Map<number, unknown>();
  const read = await mapConcurrently(refused, async (e) => {
    try {
      return { ...e, request: requestOf(wanted[e.index]!), claim: await readClaim(e.index) };
    } catch (error) {
      retried.set(e.index, error);
      return undefined;
    }
  });
  const again = read.filter((e) => e !== undefined);
  const errorsAgain = again.length === 0 ? [] : await carryOutRemovals(deps, again, '', hold);
  again.forEach((e, n) => retried.set(e.index, errorsAgain[n]));
  endings.forEach((e, n) => {
    const error = retried.has(e.index) ? retried.get(e.index) : errors[n];
    if (error) fail(e.index)(error);
  });
  // A guest's removals one after another: the last of them plans the block (planRemovalIfLast looks for another).
  await mapConcurrently([...guests.values()], async (indexes) => {
    for (const index of indexes) await endAutomatically(deps, wanted[index]!.auto, wanted[index]!.assignment.value).catch(fail(index));
  });
  return outcomes;
}
