import { DateTime } from 'luxon';
import type { Assignment } from '../../domain/assignments/assignment';
import type { AssignmentRequest } from '../../domain/requests/assignmentRequest';
import type { StoredDocument } from '../../store/documentTable';
import type { PackageClaim } from '../../store/grantStore';
import { idsInGroups } from '../../store/groupedIds';
import { mapConcurrently } from '../../concurrently';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { endingTouchesGuest } from '../externalUsers/guestLifecycle';
import { carryOutRemovals, type Ending } from '../requests/systemRemovals';
import type { AutomaticPolicy } from './automaticPolicies';
import { automaticRequest, endAutomatically } from './automaticRequests';

/** A user who lost a policy's package now: they stopped matching its rule (no grace period), or left the directory. */
export interface Removal {
  auto: AutomaticPolicy;
  userId: string;
  /** Their assignment under the policy as the evaluation read it: changed since, its end is refused (the next run looks again). */
  assignment: StoredDocument<Assignment>;
  /**
   * Their claim on the package, where the evaluation found the assignment through it (absent: read here). As good as
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
 * Ends many automatic assignments at once with the documents, events and guarantees of the request pipeline's
 * removal (a system-made `adminRemove`, carried out at once: automaticRequests.ts endAutomatically): the
 * expiration sweep's batched removal (systemRemovals.ts carryOutRemovals) carries them out, with the request the
 * pipeline would make. The directory's removals go out by role in bulk calls, a role the user still holds through
 * another assignment is kept, only what the grant ledger records as given is taken. The requests' ids share id
 * groups, so that their locators go a hundred to a transaction. A governed guest's removal goes through the
 * pipeline, which plans their block and deletion. `hold` (the sweep's lease check) runs before each step's writes.
 * Answers each removal's outcome, in order; a failed one is finished by its redelivery item or the next run.
 */
export async function removeInBulk(deps: EntitlementDeps, wanted: readonly Removal[], hold: () => Promise<void> = async () => undefined): Promise<RemovalOutcome[]> {
  const outcomes: RemovalOutcome[] = wanted.map(() => ({ kind: 'removed' }));
  const fail = (index: number) => (error: unknown) => void (outcomes[index] = { kind: 'failed', error });
  const requestId = idsInGroups();
  const guests = new Map<string, number[]>();
  const endings: Array<Ending & { index: number }> = [];
  // A user who loses several packages in the batch (one who left many rules' reach) is looked up once.
  const checked = new Map<string, Promise<boolean>>();
  const touchesGuest = (userId: string) => {
    const key = userId.toLowerCase();
    if (!checked.has(key)) checked.set(key, endingTouchesGuest(deps, userId));
    return checked.get(key)!;
  };
  await mapConcurrently([...wanted.keys()], async (index) => {
    const { auto, userId, assignment, claim: read, endedBy } = wanted[index]!;
    try {
      const claimOf = async () => read ?? (await deps.grants.claimOf(userId, assignment.value.accessPackageId));
      // A saved end is finished as it is: a guest's block was planned before it was saved (fulfilRequest.ts).
      if (endedBy) return void endings.push({ index, assignment, claim: await claimOf(), request: endedBy.value, endedBy });
      if (await touchesGuest(userId)) return void guests.set(userId, [...(guests.get(userId) ?? []), index]);
      const claim = await claimOf();
      const request = automaticRequest(deps, auto, 'adminRemove', userId, assignment.value);
      endings.push({ index, assignment, claim, request: { ...request, id: requestId(DateTime.fromISO(request.createdDateTime, { zone: 'utc' })) } });
    } catch (error) {
      fail(index)(error);
    }
  });
  // Each ending carries its request: no justification of the system's own is needed.
  const errors = await carryOutRemovals(deps, endings, '', hold);
  endings.forEach((e, n) => errors[n] && fail(e.index)(errors[n]));
  // A guest's removals one after another: the last of them plans the block (planRemovalIfLast looks for another).
  await mapConcurrently([...guests.values()], async (indexes) => {
    for (const index of indexes) await endAutomatically(deps, wanted[index]!.auto, wanted[index]!.assignment.value).catch(fail(index));
  });
  return outcomes;
}
