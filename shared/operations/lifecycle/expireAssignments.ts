import { mapConcurrently } from '../../concurrently';
import { assignmentEnd } from '../../domain/requests/requestRequirements';
import type { DueItem, ExpirationKind } from '../../store/dueWork';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { endingTouchesGuest } from '../externalUsers/guestLifecycle';
import { accessExpired } from '../notifications/messages';
import { about, notify, notifyAll } from '../notifications/notify';
import type { Subject } from '../notifications/messages';
import { carryOutRemovals, type Ending } from '../requests/systemRemovals';
import { carryOut, systemRemovalOf } from '../requests/systemRequests';
import { unfinishedEnd } from '../requests/unfinishedEnd';
import { BATCH_SIZE, type BatchHandler, type ItemOutcome } from './sweepDueWork';

const REASON = 'The assignment reached the end of its schedule.';

/**
 * Ends an assignment whose end has come, through a `systemRemove` request as Entra records it: the roles no other
 * assignment holds are removed, and the target is told. One at a time, through the request pipeline; the sweep
 * ends most in batches (expirationBatch), and a governed guest's this way, whose removal it also plans.
 */
export async function expireAssignment(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<ItemOutcome> {
  const assignment = await deps.grants.findAssignment(item.entityId);
  const end = assignment && assignmentEnd(assignment.value.schedule);
  if (!assignment || assignment.value.state === 'expired' || !end || end > deps.clock.now()) return 'stale';
  const a = assignment.value;
  await carryOut(deps, systemRemovalOf(deps, a, REASON));
  await notify(deps, about(a), (s) => accessExpired([a.targetId], s));
  return 'processed';
}

/**
 * The sweep's assignment ends, many at once (carryOutRemovals): their directory removals go out in bulk calls.
 * Each assignment is read by key where its item names the target (by its locator otherwise), checked as
 * expireAssignment checks it, with its claim; a second item for the same assignment in the batch is stale.
 */
export function expirationBatch(deps: EntitlementDeps, size = BATCH_SIZE): BatchHandler<ExpirationKind> {
  return {
    kinds: new Set<ExpirationKind>(['assignmentEnd']),
    size,
    handle: async (items, hold) => {
      const seen = new Set<string>();
      const answers: Array<ItemOutcome | Error | Ending> = await mapConcurrently(items, async (item) => {
        try {
          const ending = await endingOf(deps, item);
          if (ending === 'stale' || seen.has(ending.assignment.value.id)) return 'stale';
          seen.add(ending.assignment.value.id);
          if (await endingTouchesGuest(deps, ending.assignment.value.targetId)) return await expireAssignment(deps, item);
          return ending;
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      });
      const endings = answers.flatMap((a) => (typeof a === 'object' && !(a instanceof Error) ? [a] : []));
      const errors = await carryOutRemovals(deps, endings, REASON, hold);
      const outcomes = new Map(endings.map((e, i) => [e, errors[i] ?? ('processed' as const)]));
      // Told together: the mails of a batch go out in a few `$batch`es, not one call (and one budget take) each.
      const told = endings.filter((_, i) => !errors[i]).map(({ assignment: { value: a } }) => ({ about: about(a), build: (s: Subject) => accessExpired([a.targetId], s) }));
      await notifyAll(deps, told);
      return answers.map((a) => (typeof a === 'object' && !(a instanceof Error) ? outcomes.get(a)! : a));
    },
  };
}

async function endingOf(deps: EntitlementDeps, item: DueItem<ExpirationKind>): Promise<Ending | 'stale'> {
  const byKey = item.targetId ? await deps.grants.assignmentOf(item.targetId, item.entityId) : undefined;
  const assignment = byKey ?? (await deps.grants.findAssignment(item.entityId));
  const end = assignment && assignmentEnd(assignment.value.schedule);
  if (!assignment || !end || end > deps.clock.now()) return 'stale';
  if (assignment.value.state !== 'expired') return { assignment, claim: await deps.grants.claimOf(assignment.value.targetId, assignment.value.accessPackageId) };
  // Saved by an earlier run of this item, its removals deferred or stopped: finished here.
  const endedBy = await unfinishedEnd(deps, assignment.value, { requestType: 'systemRemove', justification: REASON });
  return endedBy ? { assignment, claim: await deps.grants.claimOf(assignment.value.targetId, assignment.value.accessPackageId), endedBy } : 'stale';
}
