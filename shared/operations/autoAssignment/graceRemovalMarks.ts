import type { Assignment } from '../../domain/assignments/assignment';
import { SYSTEM_ACTOR } from '../../domain/requests/assignmentRequest';
import type { AuditEntry, AuditEvent } from '../../store/auditLog';
import type { StoredDocument } from '../../store/documentTable';
import type { DueItem, ExpirationKind } from '../../store/dueWork';
import { mapConcurrently } from '../../concurrently';
import type { EntitlementDeps } from '../entitlements/entitlementDeps';
import { updateAssignment } from '../assignments/updateAssignment';
import { changeShows, shownIn, writeAheadItem } from '../audit/auditedChange';
import { refusedWriteLanded } from '../audit/refusedWrite';
import { markingWrites } from '../../store/writerMarks';

/** The audit actions of an assignment's grace mark (graceRemovalDueDateTime): written with its plan, or cleared. */
export const PLAN_GRACE_REMOVAL = 'autoAssignment.planGraceRemoval';
export const CANCEL_GRACE_REMOVAL = 'autoAssignment.cancelGraceRemoval';
/** The field a mark is (its event's before and after hold it alone; its write-ahead probe looks at it alone). */
const MARK = 'graceRemovalDueDateTime' satisfies keyof Assignment;

/** One assignment's grace mark to write (`mark` undefined: to clear), if it `applies` to the assignment as it is then. */
export interface MarkChange {
  assignment: StoredDocument<Assignment>;
  mark: string | undefined;
  applies: (assignment: Assignment) => boolean;
}

/** `written`; `unchanged` (it no longer applied: the assignment changed meanwhile, or is gone); or the write's error. */
export type MarkOutcome = 'written' | 'unchanged' | Error;

/**
 * Writes grace marks, many at once, each with its event, as assignInBulk writes its grants': the events written
 * ahead (auditedChange.ts: should the process stop, the expiration sweep appends those whose change shows), together
 * with `alongside` (a plan's grace items: written before their marks); then one write per assignment through
 * updateAssignment, so that another write meanwhile (a delivery's outcome, reconcile, reprocess) is read again and
 * the change applied on it, if it still applies (each write marked with its event: a write refused on its ETag, which
 * may have landed with its answer lost, is then told landed, `written`, or not; where the marks cannot tell, its
 * event is left to the sweep); then the events of marks that no longer applied taken back, the
 * events of the marks written (and of failed writes whose mark shows: an answer lost) appended together, and their
 * items written ahead taken back. The event records the mark alone (before and after: `graceRemovalDueDateTime`, or
 * nothing), so its `modifiedProperties` name what changed and nothing else, whatever another write changed meanwhile;
 * its probe looks at the mark alone, so that another write's change is not taken for this one's. Answers each mark's
 * outcome once written, even if its event was left to the sweep.
 */
export async function writeGraceMarks(
  deps: EntitlementDeps,
  action: typeof PLAN_GRACE_REMOVAL | typeof CANCEL_GRACE_REMOVAL,
  changes: readonly MarkChange[],
  alongside: ReadonlyArray<DueItem<ExpirationKind>> = [],
): Promise<MarkOutcome[]> {
  // One audit shard for the batch's events, so that they are appended in one transaction.
  const events: AuditEvent[] = [];
  for (const change of changes) events.push(deps.audit.event(markEntry(action, change), events[0]));
  const probes = changes.map((c) => ({ ...shownIn('accessGrants', c.assignment, 'changed'), field: MARK }));
  // Each write marked with its event (writerMarks.ts), so that one refused on its ETag can be told landed or not.
  const at = deps.clock.now().toUTC().toISO()!;
  const marks = events.map((event) => ({ eventId: event.id, at }));
  const ahead = changes.map((_, n) => writeAheadItem(deps, events[n]!, probes[n]!, at));
  await deps.due.scheduleAll([...alongside, ...ahead]);
  // Marks that no longer applied after a write of theirs was refused, which may have landed: left to the sweep.
  const uncertain = new Set<number>();
  const outcomes = await mapConcurrently([...changes.keys()], async (n): Promise<MarkOutcome> => {
    const c = changes[n]!;
    let refused = false;
    const save = (current: StoredDocument<Assignment>, next: Assignment) =>
      deps.grants.assignments.replace(current, next).catch((error: unknown) => {
        refused = true;
        throw error;
      });
    try {
      const change = (assignment: Assignment) => (c.applies(assignment) ? withGraceMark(assignment, c.mark) : undefined);
      if (await markingWrites(marks[n]!, deps.clock, () => updateAssignment(deps, c.assignment, change, save))) return 'written';
      if (!refused) return 'unchanged';
      // What was read again may be this mark's own write, its answer lost (unreadable now: the sweep decides).
      const landed = await refusedWriteLanded(deps, probes[n]!, marks[n]!).catch(() => 'unknown' as const);
      if (landed === 'unknown') uncertain.add(n);
      return landed === 'yes' ? 'written' : 'unchanged';
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
  const givenUp = (n: number) => outcomes[n] === 'unchanged' && !uncertain.has(n);
  try {
    // The events of marks that did not apply go first, so that none is left to be appended for a mark another write set.
    await deps.due.unscheduleAll(ahead.filter((_, n) => givenUp(n)));
    // A failed write may have been made and its answer lost: what shows now decides, as audited() settles a failed change.
    const shows = await mapConcurrently([...outcomes.keys()], async (n) => outcomes[n] === 'written' || (outcomes[n] instanceof Error && changeShows(probes[n]!, events[n]!, await deps.audit.documentAt(probes[n]!))));
    await deps.audit.appendAll(events.filter((_, n) => shows[n]));
    await deps.due.unscheduleAll(ahead.filter((_, n) => outcomes[n] !== 'unchanged'));
    // The events of marks not written (that did not apply, or failed and do not show) are given up: their items are
    // gone. Those left to the sweep are not: it appends them if their mark shows once settled, else drops them.
    deps.audit.burned(events.filter((_, n) => !shows[n] && !uncertain.has(n)));
  } catch {
    // The marks stand as written: the events still written ahead are the retry (the expiration sweep appends those
    // whose mark shows, once settled), so the caller goes on with the outcomes (a take-back, to its items).
  }
  return outcomes;
}

/** The assignment marked with its grace removal's time, or (undefined) with none planned. */
function withGraceMark(assignment: Assignment, mark: string | undefined): Assignment {
  const { graceRemovalDueDateTime: _planned, ...rest } = assignment;
  return mark === undefined ? rest : { ...rest, graceRemovalDueDateTime: mark };
}

function markEntry(action: string, { assignment, mark }: MarkChange): AuditEntry {
  const before = assignment.value.graceRemovalDueDateTime;
  return {
    actorId: SYSTEM_ACTOR,
    action,
    entityType: 'assignment',
    entityId: assignment.value.id,
    catalogId: assignment.value.catalogId,
    before: before === undefined ? {} : { graceRemovalDueDateTime: before },
    after: mark === undefined ? {} : { graceRemovalDueDateTime: mark },
  };
}
