import { DateTime } from 'luxon';
import type { Assignment } from '../../domain/assignments/assignment';
import type { StoredDocument } from '../../store/documentTable';
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
  await mapConcurrently([...wanted.keys()], async (index) => {
    const { auto, userId, assignment } = wanted[index]!;
    try {
      if (await endingTouchesGuest(deps, userId)) return void guests.set(userId, [...(guests.get(userId) ?? []), index]);
      const claim = await deps.grants.claimOf(userId, assignment.value.accessPackageId);
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
