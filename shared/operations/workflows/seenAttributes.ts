import type { WatchedAttributes } from '../../store/workflowStore';
import { WORKFLOW_RULES, type ScopedUser } from './workflowScope';

/** The attributes mover workflows may watch: a change of one is a move. */
export const WATCHED = WORKFLOW_RULES.changeableAttributes;
/** Kept beside them for leave-date workflows, to tell a leave date the directory newly shows from a stale one. */
export const LEAVE_DATE = 'employeeLeaveDateTime';

/**
 * What planning keeps of a user between two reports: the watched attributes (when mover workflows run), and the
 * leave date (when a workflow counts from it). `leaveDateRead`: the user's read carries the leave date (a delta
 * selecting it, or a full read), so a null there means the user has none, not that it was not read.
 */
export interface Keeping {
  watched: boolean;
  leaveDate: boolean;
  leaveDateRead: boolean;
}

/** How a report of a user compares with what was last seen of them, and what to record. */
export interface SeenUser {
  /** Something was known of the user before (else this is their baseline, not a change). */
  known: boolean;
  /** Watched attributes that had a value before and another now: a move. */
  changed: string[];
  /** The leave date was known (a value or none) and the user now shows another one: planned even when long past. */
  leaveDateChanged: boolean;
  /** The values to record, undefined when nothing new was seen. */
  next: WatchedAttributes | undefined;
}

function watchedValues(user: ScopedUser): Record<string, string | null> {
  const view: Record<string, unknown> = { ...user, ...user.onPremisesExtensionAttributes };
  return Object.fromEntries(WATCHED.map((name) => [name, view[name] === undefined || view[name] === null ? null : String(view[name])]));
}

/**
 * Compares the user as reported with what was last recorded. Watched attributes count only with a value, now and
 * before: a delta leaves those it does not track null, so a cleared attribute, or a first value, is not a move.
 * The leave date is compared with the one recorded even when that was none (a baseline records it, so a user who
 * had none and now shows one changed), but never with a leave date not recorded yet: a rehired employee whose old
 * leave date the directory still shows is not a leaver when first seen.
 */
export function compareSeen(previous: WatchedAttributes | undefined, user: ScopedUser, keeping: Keeping): SeenUser {
  const before = previous?.values ?? {};
  const now = keeping.watched ? watchedValues(user) : {};
  const fresh = Object.keys(now).filter((name) => now[name] !== null && (before[name] ?? null) !== now[name]);
  const changed = previous ? fresh.filter((name) => (before[name] ?? null) !== null) : [];
  const leaveDate = user.employeeLeaveDateTime ?? null;
  const leaveDateKnown = LEAVE_DATE in before;
  const seesLeaveDate = keeping.leaveDate && (leaveDate !== null || keeping.leaveDateRead) && (!leaveDateKnown || before[LEAVE_DATE] !== leaveDate);
  const updates: Record<string, string | null> = { ...Object.fromEntries(fresh.map((name) => [name, now[name]!])), ...(seesLeaveDate ? { [LEAVE_DATE]: leaveDate } : {}) };
  const changeCount = (previous?.changeCount ?? 0) + (changed.length > 0 ? 1 : 0);
  // A user first seen gets every watched value, null ones included, as before leave dates were kept.
  const values = previous ? { ...before, ...updates } : { ...now, ...updates };
  const next = Object.keys(updates).length > 0 || (!previous && keeping.watched) ? { values, changeCount } : undefined;
  return { known: previous !== undefined, changed, leaveDateChanged: seesLeaveDate && leaveDateKnown && leaveDate !== null, next };
}

/**
 * A baseline for workflows created (or versioned, or scheduled again), from a full read of the user: only values
 * not known yet are filled in, so a change the users delta has not reported yet is still seen as one. Undefined
 * when there is nothing to fill in.
 */
export function baselineOf(previous: WatchedAttributes | undefined, user: ScopedUser, keeping: Omit<Keeping, 'leaveDateRead'>): WatchedAttributes | undefined {
  const before = previous?.values ?? {};
  const now = keeping.watched ? watchedValues(user) : {};
  const unknown = Object.keys(now).filter((name) => now[name] !== null && (before[name] ?? null) === null);
  const leaveDate: Record<string, string | null> = keeping.leaveDate && !(LEAVE_DATE in before) ? { [LEAVE_DATE]: user.employeeLeaveDateTime ?? null } : {};
  if (previous && unknown.length === 0 && Object.keys(leaveDate).length === 0) return undefined;
  const values = previous ? { ...before, ...Object.fromEntries(unknown.map((name) => [name, now[name]!])), ...leaveDate } : { ...now, ...leaveDate };
  return { values, changeCount: previous?.changeCount ?? 0 };
}
